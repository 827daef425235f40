import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TrinoSQL } from 'dt-sql-parser';
import { describe, expect, it } from 'vitest';
import { blankCommentsAndStrings, nonPortableFunctions, portabilityProblems } from '../../lambdas/core/kpis/portable-sql.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const QUERIES = join(ROOT, 'queries');
const FIXTURES = join(ROOT, 'test/fixtures/queries');
const trino = new TrinoSQL();

interface ParseNode {
  children?: ParseNode[] | null;
  functionName?: () => { getText(): string } | null;
  start?: { line: number } | null;
}

/** Names of every function called in the parse tree (plain calls, windows and aggregates). */
function functionCalls(sql: string): { name: string; line: number }[] {
  const calls: { name: string; line: number }[] = [];
  const walk = (node: ParseNode) => {
    if (typeof node.functionName === 'function') {
      const name = node.functionName();
      if (name) calls.push({ name: name.getText().toLowerCase(), line: node.start?.line ?? 0 });
    }
    for (const child of node.children ?? []) walk(child);
  };
  walk(trino.parse(sql) as unknown as ParseNode);
  return calls;
}

/** Every reason a query file is not valid, portable Trino SQL, as `file:line: message`. */
function checkQuery(file: string): string[] {
  const sql = readFileSync(file, 'utf8');
  const name = file.slice(ROOT.length);
  const syntax = trino.validate(sql).map((e) => `${name}:${e.startLine}:${e.startColumn}: Trino syntax error: ${e.message}`);
  const portability = portabilityProblems(sql).map((p) => `${name}:${p.line}: ${p.message}`);
  const calls = syntax.length === 0 ? functionCalls(sql) : [];
  const banned = new Set(nonPortableFunctions(calls.map((c) => c.name)));
  const functions = calls.filter((c) => banned.has(c.name))
    .map((c) => `${name}:${c.line}: function ${c.name}() is not on the portable list (lambdas/core/kpis/portable-sql.ts)`);
  return [...syntax, ...portability, ...functions];
}

function sqlFiles(dir: string): string[] {
  try {
    return readdirSync(dir).filter((f) => f.endsWith('.sql')).sort().map((f) => join(dir, f));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

describe('queries/*.sql', () => {
  it('are valid Trino SQL using only functions and syntax both engines share', () => {
    // Prepare
    const files = sqlFiles(QUERIES);
    if (files.length === 0) console.warn('trino-sql: no queries/*.sql yet — nothing to check');
    // Act
    const problems = files.flatMap(checkQuery);
    // Assess
    expect(problems).toEqual([]);
  });
});

describe('the portability gate', () => {
  it('accepts the portable fixture (CTEs, ? parameters, casts, window, date arithmetic, ||)', () => {
    expect(checkQuery(join(FIXTURES, 'portable_revenue_by_segment.sql'))).toEqual([]);
  });

  it('rejects the DuckDB-only fixture and says where and why', () => {
    // Act
    const problems = checkQuery(join(FIXTURES, 'duckdb_only_revenue.sql'));
    // Assess
    expect(problems.some((p) => /duckdb_only_revenue\.sql:\d+:\d+: Trino syntax error/.test(p))).toBe(true);
    expect(problems).toContainEqual(expect.stringMatching(/duckdb_only_revenue\.sql:3: ::: .*cast\(x as type\)/));
    expect(problems).toContainEqual(expect.stringMatching(/:3: strftime: /));
    expect(problems).toContainEqual(expect.stringMatching(/:5: current_date: /));
    expect(problems).toContainEqual(expect.stringMatching(/:11: qualify: /));
  });

  it('rejects syntax the Trino grammar accepts but DuckDB reads differently, and unlisted functions', () => {
    const sql = "select concat(a, b), regexp_like(a, 'x'), approx_distinct(c), date_diff('month', d, e), day_of_week(d) from t";
    const problems = portabilityProblems(sql).map((p) => p.message.split(':')[0]);
    expect(trino.validate(sql)).toEqual([]);
    expect(problems).toEqual(expect.arrayContaining(['concat', 'regexp_like', 'approx_distinct', "date_diff('month', …)"]));
    expect(nonPortableFunctions(functionCalls(sql).map((c) => c.name))).toEqual(['approx_distinct', 'concat', 'day_of_week', 'regexp_like']);
  });

  it('ignores forbidden words inside comments and string literals', () => {
    const sql = "-- no current_date here, no ::\nselect 'qualify::strftime' as note, \"concat\" from t /* regexp_like */";
    expect(portabilityProblems(sql)).toEqual([]);
    expect(blankCommentsAndStrings("a 'it''s' b")).toBe("a '     ' b");
    expect(portabilityProblems('select a, sum(b) from t\ngroup by all').map((p) => p.line)).toEqual([2]);
  });
});
