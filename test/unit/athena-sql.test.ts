import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TrinoSQL } from 'dt-sql-parser';
import { describe, expect, it } from 'vitest';
import {
  ATHENA_CONSOLE_MAX_PARAMETERS, ATHENA_MAX_FUNCTION_ARGUMENTS, ATHENA_MAX_QUERY_LENGTH, athenaProblems,
  type AthenaSqlProblem, type SqlParseNode,
} from '../../lambdas/core/kpis/athena-sql.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const QUERIES = join(ROOT, 'queries');
/** The two queries as they were before issue 17 (a ? in the select list), kept to prove the gate sees it. */
const BEFORE = join(ROOT, 'test/fixtures/queries/athena');
const trino = new TrinoSQL();
const RULE_NAMES = trino.createParser('').ruleNames;

function check(sql: string): AthenaSqlProblem[] {
  return athenaProblems(sql, { tree: trino.parse(sql) as unknown as SqlParseNode, ruleNames: RULE_NAMES });
}

/** Every reason Athena would not run a query file, as `file:line:column: message`. */
function checkFile(file: string): string[] {
  const sql = readFileSync(file, 'utf8');
  const name = file.slice(ROOT.length);
  const syntax = trino.validate(sql);
  if (syntax.length > 0) return syntax.map((e) => `${name}:${e.startLine}:${e.startColumn}: Trino syntax error: ${e.message}`);
  return check(sql).map((p) => `${name}:${p.line}:${p.column}: ${p.message}`);
}

const sqlFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.sql')).sort().map((f) => join(dir, f));
const clauses = (sql: string) => check(sql).filter((p) => p.rule === 'parameter-outside-where').map((p) => p.clause);

describe('queries/*.sql', () => {
  it('bind every ? inside a WHERE clause and stay within the other limits Athena documents', () => {
    // Prepare
    const files = sqlFiles(QUERIES);

    // Act
    const problems = files.flatMap(checkFile);

    // Assess
    expect(files.map((f) => f.slice(QUERIES.length + 1))).toEqual(expect.arrayContaining(['kpi_rows.sql', 'market_share.sql', 'targets.sql']));
    expect(problems).toEqual([]);
  });
});

describe('the Athena gate', () => {
  it('fails the kpi_rows.sql of before issue 17, naming file, line and clause of each select-list ?', () => {
    // Act
    const problems = checkFile(join(BEFORE, 'kpi_rows_select_parameters.sql'));

    // Assess
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/^test\/fixtures\/queries\/athena\/kpi_rows_select_parameters\.sql:31:25: \? in the SELECT list \(inside a CASE\): Athena binds \? only inside a WHERE clause/);
    expect(problems[1]).toMatch(/kpi_rows_select_parameters\.sql:79:25: \? in the SELECT list \(inside a CASE\)/);
    expect(problems[2]).toMatch(/kpi_rows_select_parameters\.sql:109:39: \? in the SELECT list \(inside a CASE\)/);
  });

  it('fails the market_share.sql of before issue 17', () => {
    expect(checkFile(join(BEFORE, 'market_share_select_parameter.sql'))).toEqual([
      expect.stringMatching(/^test\/fixtures\/queries\/athena\/market_share_select_parameter\.sql:14:27: \? in the SELECT list \(inside a CASE\): .*"Use parameterized queries"/),
    ]);
  });

  it('names the clause of a ? anywhere but a WHERE', () => {
    expect(clauses('select f(?) from t')).toEqual(['SELECT list']);
    expect(check('select coalesce(x, ?) from t')[0]!.message).toMatch(/in the SELECT list \(inside coalesce\(…\)\)/);
    expect(clauses('select sum(x) over (partition by y order by ?) from t')).toEqual(['SELECT list']);
    expect(clauses('select a.x from a join b on a.k = b.k and b.d = ?')).toEqual(['JOIN ON']);
    expect(clauses('select x from (values (?)) as v (x)')).toEqual(['VALUES list']);
    expect(clauses('select x, count(*) from t group by x, ?')).toEqual(['GROUP BY']);
    expect(clauses('select x from t group by x having count(*) > ?')).toEqual(['HAVING']);
    expect(clauses('select x from t order by ? offset ? rows limit ?')).toEqual(['ORDER BY', 'OFFSET', 'LIMIT']);
    expect(clauses('select x from t fetch first ? rows only')).toEqual(['FETCH FIRST']);
    expect(clauses('select x from t where x in (select ? from u)')).toEqual(['SELECT list']);
    expect(clauses('select x from t where exists (select 1 from u join v on u.k = ?)')).toEqual(['JOIN ON']);
  });

  it('accepts a ? inside the WHERE of a query, a CTE or a subquery, however deep in that WHERE', () => {
    const sql = `with c as (select x from t where dt between ? and ? and (? = 'ALL' or province = ?))
      select (select max(y) from u where u.k = ?) as m, x
      from c cross join (values ('cur'), ('prev')) as p (period)
      join (select k from v where d = cast(? as date)) as s on s.k = c.x
      where case when x >= ? then 'cur' else 'prev' end = p.period
        and exists (select 1 from w where w.k = c.x and w.d < ?)`;
    expect(trino.validate(sql)).toEqual([]);
    expect(check(sql)).toEqual([]);
  });

  it('rejects a quoted question mark, which Athena reads as text', () => {
    const problems = check(`select x from t where a = '?' and "?" = b`);
    expect(problems.map((p) => [p.rule, p.column])).toEqual([['quoted-parameter', 27], ['quoted-parameter', 35]]);
  });

  it(`stops at ${ATHENA_CONSOLE_MAX_PARAMETERS} parameters, the most the Athena console takes`, () => {
    const where = (n: number) => `select x from t where x in (${Array.from({ length: n }, () => '?').join(', ')})`;
    expect(check(where(ATHENA_CONSOLE_MAX_PARAMETERS))).toEqual([]);
    expect(check(where(ATHENA_CONSOLE_MAX_PARAMETERS + 1))).toEqual([
      expect.objectContaining({ rule: 'too-many-parameters', line: 1, message: expect.stringMatching(/\? number 26: the Athena console takes at most 25/) }),
    ]);
  });

  it('rejects what Athena engine version 3 documents as unsupported or restricted', () => {
    const args = (n: number) => `select greatest(${Array.from({ length: n }, (_, i) => String(i)).join(', ')}) from t`;
    expect(check(args(ATHENA_MAX_FUNCTION_ARGUMENTS))).toEqual([]);
    expect(check(args(ATHENA_MAX_FUNCTION_ARGUMENTS + 1)).map((p) => p.message)).toEqual([expect.stringMatching(/greatest\(\) with 128 arguments/)]);
    expect(check('select bool_or(x) ignore nulls over (partition by y) from t').map((p) => p.rule)).toEqual(['null-treatment']);
    expect(check('select first, x as skip, "last" from t').map((p) => [p.rule, p.message.split(' ')[0]])).toEqual([
      ['reserved-identifier', 'first'], ['reserved-identifier', 'skip'],
    ]);
  });

  it('rejects a statement that is not a SELECT query, and a query string longer than Athena takes', () => {
    expect(check('insert into t select x from u where d = ?').map((p) => p.message)).toEqual([expect.stringMatching(/^INSERT statement: queries\/ holds SELECT queries/)]);
    const long = `select 1 from t\n-- ${'x'.repeat(ATHENA_MAX_QUERY_LENGTH)}\n`;
    expect(check(long).map((p) => p.rule)).toEqual(['query-too-long']);
  });
});
