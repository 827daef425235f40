/** The README's extract tables, generated from the schema declarations (a test keeps them in step). */
import { EXTRACT_TYPES, TABLES, inputColumns, type ColumnType } from './schema.js';

function typeText(type: ColumnType): string {
  switch (type.kind) {
    case 'code': return `code (${type.list.name})`;
    case 'money':
      if (type.decimals !== undefined) return `decimal (up to ${type.decimals} places${type.signed ? ', may be negative' : ''})`;
      return type.signed ? 'money (may be negative)' : 'money ≥ 0';
    case 'integer': return type.max !== undefined ? `integer ${type.min ?? 0}–${type.max.toLocaleString('en-US')}` : type.min !== undefined ? `integer ≥ ${type.min}` : 'integer';
    default: return type.kind;
  }
}

/** Markdown: one table per extract type with its columns, aliases, types and rules. */
export function extractDocs(): string {
  const parts: string[] = [];
  for (const type of EXTRACT_TYPES) {
    const table = TABLES[type];
    parts.push(`### ${type} — ${table.titleZh}`, '', `Grain: ${table.grain}. Key: ${table.key.join(' × ')}. Lake partitions: ${table.partitions.join(' / ')}.`, '');
    parts.push('| column | 中文 | type | required | meaning |', '|---|---|---|---|---|');
    for (const c of inputColumns(table)) {
      parts.push(`| ${c.name} | ${c.aliases.join(', ')} | ${typeText(c.type)} | ${c.required ? 'yes' : c.default !== undefined ? `no (default ${c.default})` : 'no'} | ${c.description} |`);
    }
    parts.push('', ...table.rules.map((r) => `- ${r}`), '');
  }
  return parts.join('\n');
}

export const DOCS_BEGIN = '<!-- extracts:begin (generated from lambdas/core/extracts/schema.ts by `npm run docs`) -->';
export const DOCS_END = '<!-- extracts:end -->';

/** Replaces the generated block of a README with the current docs. */
export function withExtractDocs(readme: string): string {
  const start = readme.indexOf(DOCS_BEGIN);
  const end = readme.indexOf(DOCS_END);
  const block = `${DOCS_BEGIN}\n${extractDocs()}\n${DOCS_END}`;
  if (start < 0 || end < 0) return `${readme.trimEnd()}\n\n## Extracts\n\n${block}\n`;
  return readme.slice(0, start) + block + readme.slice(end + DOCS_END.length);
}
