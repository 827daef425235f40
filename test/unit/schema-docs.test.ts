import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { withExtractDocs } from '../../lambdas/core/extracts/schema-docs.js';
import { TABLES } from '../../lambdas/core/extracts/schema.js';

describe('schema docs', () => {
  it('README extract tables are the ones the schema generates (run `npm run docs` after a schema change)', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(withExtractDocs(readme)).toBe(readme);
  });

  it('lists every input column of every extract with its Chinese alias', () => {
    const docs = withExtractDocs('');
    for (const table of Object.values(TABLES)) {
      for (const column of table.columns.filter((c) => !c.derived)) {
        expect(docs).toContain(`| ${column.name} | ${column.aliases.join(', ')} |`);
      }
    }
  });
});
