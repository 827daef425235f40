import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import {
  AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand, StopQueryExecutionCommand,
  TooManyRequestsException, type ColumnInfo, type GetQueryExecutionCommandOutput, type Row as AthenaRow,
} from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  AthenaParameterError, AthenaQueryEngine, AthenaQueryFailedError, AthenaQueryTimeoutError, convertCell, toExecutionParameter,
} from '../../lambdas/adapters/athena-query-engine.js';

const QUERIES = fileURLToPath(new URL('../fixtures/queries/', import.meta.url));
const QUERY = 'portable_revenue_by_segment';
const athena = mockClient(AthenaClient);

/** A fake clock: sleep() advances it and records each delay; no real waiting. */
function fakeTime() {
  const clock = { now: 0, sleeps: [] as number[] };
  return {
    clock,
    sleep: async (ms: number) => { clock.sleeps.push(ms); clock.now += ms; },
    now: () => clock.now,
  };
}

function engine(time = fakeTime(), deadlineMs = 60_000) {
  return new AthenaQueryEngine(new AthenaClient({ region: 'cn-north-1' }), {
    queriesDir: QUERIES, workGroup: 'telco-kpi', database: 'telco_kpi', deadlineMs,
    initialPollMs: 100, maxPollMs: 1_000, sleep: time.sleep, now: time.now,
  });
}

const state = (State: string, StateChangeReason?: string): GetQueryExecutionCommandOutput =>
  ({ QueryExecution: { Status: { State: State as never, StateChangeReason } }, $metadata: {} });

const columns: ColumnInfo[] = [
  { Name: 'segment', Type: 'varchar' },
  { Name: 'revenue', Type: 'double' },
  { Name: 'days', Type: 'bigint' },
];
const header: AthenaRow = { Data: columns.map((c) => ({ VarCharValue: c.Name })) };
const dataRow = (i: number): AthenaRow => ({ Data: [{ VarCharValue: `s${i}` }, { VarCharValue: `${i}.5` }, { VarCharValue: String(i) }] });
const page = (rows: AthenaRow[], NextToken?: string) =>
  ({ ResultSet: { Rows: rows, ResultSetMetadata: { ColumnInfo: columns } }, NextToken, $metadata: {} });

describe('AthenaQueryEngine', () => {
  beforeEach(() => {
    athena.reset();
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'q-1' });
  });

  it('sends the SQL file with workgroup, database and encoded parameters, and polls QUEUED → RUNNING → SUCCEEDED', async () => {
    // Prepare
    const time = fakeTime();
    athena.on(GetQueryExecutionCommand)
      .resolvesOnce(state('QUEUED')).resolvesOnce(state('RUNNING')).resolvesOnce(state('RUNNING')).resolves(state('SUCCEEDED'));
    athena.on(GetQueryResultsCommand).resolves(page([header, dataRow(1)]));
    // Act
    const rows = await engine(time).run(QUERY, ['2026-11-16', "O'Brien", 7, null, true]);
    // Assess
    const start = athena.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input;
    expect(start.QueryString).toBe(readFileSync(`${QUERIES}${QUERY}.sql`, 'utf8'));
    expect(start.WorkGroup).toBe('telco-kpi');
    expect(start.QueryExecutionContext).toEqual({ Database: 'telco_kpi', Catalog: undefined });
    expect(start.ExecutionParameters).toEqual(["'2026-11-16'", "'O''Brien'", '7', 'NULL', 'true']);
    expect(athena.commandCalls(GetQueryExecutionCommand)).toHaveLength(4);
    expect(time.clock.sleeps).toEqual([100, 200, 400]);
    expect(rows).toEqual([{ segment: 's1', revenue: 1.5, days: 1 }]);
  });

  it('omits ExecutionParameters when the query has none (Athena rejects an empty list)', async () => {
    athena.on(GetQueryExecutionCommand).resolves(state('SUCCEEDED'));
    athena.on(GetQueryResultsCommand).resolves(page([header]));
    const rows = await engine().run(QUERY, []);
    expect(athena.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input.ExecutionParameters).toBeUndefined();
    expect(rows).toEqual([]);
  });

  it('names the query file and Athena\'s reason when the query FAILED', async () => {
    athena.on(GetQueryExecutionCommand).resolvesOnce(state('RUNNING'))
      .resolves(state('FAILED', "COLUMN_NOT_FOUND: line 3:12: Column 'segmnt' cannot be resolved"));
    const error = await engine().run(QUERY, []).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AthenaQueryFailedError);
    expect((error as Error).message).toContain('portable_revenue_by_segment.sql');
    expect((error as Error).message).toContain("Column 'segmnt' cannot be resolved");
    expect((error as Error).message).toContain('FAILED');
    expect(athena.commandCalls(GetQueryResultsCommand)).toHaveLength(0);
  });

  it('reports a CANCELLED query as failed', async () => {
    athena.on(GetQueryExecutionCommand).resolves(state('CANCELLED', 'Query cancelled by user'));
    await expect(engine().run(QUERY, [])).rejects.toThrow(/portable_revenue_by_segment\.sql .*CANCELLED: Query cancelled by user/);
  });

  it('retries a throttled StartQueryExecution with backoff, then succeeds', async () => {
    // Prepare
    const time = fakeTime();
    const throttled = new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {} });
    athena.on(StartQueryExecutionCommand).rejectsOnce(throttled).rejectsOnce(throttled).resolves({ QueryExecutionId: 'q-2' });
    athena.on(GetQueryExecutionCommand).resolves(state('SUCCEEDED'));
    athena.on(GetQueryResultsCommand).resolves(page([header, dataRow(2)]));
    // Act
    const rows = await engine(time).run(QUERY, []);
    // Assess
    expect(athena.commandCalls(StartQueryExecutionCommand)).toHaveLength(3);
    expect(time.clock.sleeps).toEqual([100, 200]);
    expect(athena.commandCalls(GetQueryExecutionCommand)[0]!.args[0].input.QueryExecutionId).toBe('q-2');
    expect(rows).toEqual([{ segment: 's2', revenue: 2.5, days: 2 }]);
  });

  it('does not retry errors that are not throttling', async () => {
    athena.on(StartQueryExecutionCommand).rejects(Object.assign(new Error('bad workgroup'), { name: 'InvalidRequestException' }));
    await expect(engine().run(QUERY, [])).rejects.toThrow('bad workgroup');
    expect(athena.commandCalls(StartQueryExecutionCommand)).toHaveLength(1);
  });

  it('stops the query and throws a timeout naming the file when the deadline passes', async () => {
    // Prepare: always RUNNING, deadline 2 s of fake time
    const time = fakeTime();
    athena.on(GetQueryExecutionCommand).resolves(state('RUNNING'));
    athena.on(StopQueryExecutionCommand).resolves({});
    // Act
    const error = await engine(time, 2_000).run(QUERY, []).catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(AthenaQueryTimeoutError);
    expect((error as Error).message).toMatch(/portable_revenue_by_segment\.sql .*q-1.*RUNNING after 2000 ms/);
    expect(athena.commandCalls(StopQueryExecutionCommand).map((c) => c.args[0].input)).toEqual([{ QueryExecutionId: 'q-1' }]);
    expect(time.clock.now).toBeLessThanOrEqual(2_000);
  });

  it('reads every page, skipping the header row on the first page only', async () => {
    // Prepare: 2 pages of 1000 rows; the first page starts with the header
    athena.on(GetQueryExecutionCommand).resolves(state('SUCCEEDED'));
    const first = [header, ...Array.from({ length: 999 }, (_, i) => dataRow(i))];
    const second = Array.from({ length: 1000 }, (_, i) => dataRow(999 + i));
    athena.on(GetQueryResultsCommand, { QueryExecutionId: 'q-1', NextToken: undefined }).resolves(page(first, 'page-2'))
      .on(GetQueryResultsCommand, { QueryExecutionId: 'q-1', NextToken: 'page-2' }).resolves(page(second));
    // Act
    const rows = await engine().run(QUERY, []);
    // Assess
    expect(rows).toHaveLength(1999);
    expect(rows[0]).toEqual({ segment: 's0', revenue: 0.5, days: 0 });
    expect(rows[999]).toEqual({ segment: 's999', revenue: 999.5, days: 999 });
    expect(rows.at(-1)).toEqual({ segment: 's1998', revenue: 1998.5, days: 1998 });
    expect(athena.commandCalls(GetQueryResultsCommand).map((c) => c.args[0].input.NextToken)).toEqual([undefined, 'page-2']);
  });

  it('converts cells by column type, absent values to null', async () => {
    athena.on(GetQueryExecutionCommand).resolves(state('SUCCEEDED'));
    const typed: ColumnInfo[] = [
      { Name: 'n', Type: 'bigint' }, { Name: 'i', Type: 'integer' }, { Name: 'd', Type: 'double' },
      { Name: 'm', Type: 'decimal', Precision: 18, Scale: 2 }, { Name: 'b', Type: 'boolean' },
      { Name: 's', Type: 'varchar' }, { Name: 'day', Type: 'date' }, { Name: 'ts', Type: 'timestamp' },
    ];
    athena.on(GetQueryResultsCommand).resolves({
      ResultSet: {
        ResultSetMetadata: { ColumnInfo: typed },
        Rows: [
          { Data: typed.map((c) => ({ VarCharValue: c.Name })) },
          { Data: [{ VarCharValue: '42' }, { VarCharValue: '-7' }, { VarCharValue: '0.125' }, { VarCharValue: '12345.67' }, { VarCharValue: 'true' }, { VarCharValue: '吉林' }, { VarCharValue: '2026-11-16' }, { VarCharValue: '2026-11-16 01:02:03.000' }] },
          { Data: [{}, {}, {}, {}, { VarCharValue: 'false' }, { VarCharValue: '' }, {}, {}] },
        ],
      },
      $metadata: {},
    });
    const rows = await engine().run(QUERY, []);
    expect(rows).toEqual([
      { n: 42, i: -7, d: 0.125, m: 12345.67, b: true, s: '吉林', day: '2026-11-16', ts: '2026-11-16 01:02:03.000' },
      { n: null, i: null, d: null, m: null, b: false, s: '', day: null, ts: null },
    ]);
  });

  it('refuses a query name that is not a plain file name, before calling Athena', async () => {
    await expect(engine().run('../secrets', [])).rejects.toBeInstanceOf(AthenaParameterError);
    await expect(engine().run('no_such_query', [])).rejects.toThrow(/no_such_query\.sql/);
    expect(athena.commandCalls(StartQueryExecutionCommand)).toHaveLength(0);
  });
});

describe('toExecutionParameter', () => {
  it('writes SQL literals', () => {
    expect(toExecutionParameter("it's")).toBe("'it''s'");
    expect(toExecutionParameter('')).toBe("''");
    expect(toExecutionParameter(-3.25)).toBe('-3.25');
    expect(toExecutionParameter(false)).toBe('false');
    expect(toExecutionParameter(null)).toBe('NULL');
  });

  it('rejects values Athena cannot take', () => {
    expect(() => toExecutionParameter(Number.NaN, 2)).toThrow(/parameter 3: NaN/);
    expect(() => toExecutionParameter('x'.repeat(1023))).toThrow(/at most 1024/);
  });

  // Athena splices each value into the query as literal text ("strings must be single-quoted"),
  // so the quoting is all that keeps a value a value.
  it('keeps a string with quotes, SQL or backslashes one string literal', () => {
    expect(toExecutionParameter("'")).toBe("''''");
    expect(toExecutionParameter("a''b")).toBe("'a''''b'");
    expect(toExecutionParameter("JL' or '1' = '1")).toBe("'JL'' or ''1'' = ''1'");
    expect(toExecutionParameter("x'); drop table sales; --")).toBe("'x''); drop table sales; --'");
    expect(toExecutionParameter('C:\\lake\\')).toBe("'C:\\lake\\'");
    expect(toExecutionParameter('吉林 "JL"')).toBe(`'吉林 "JL"'`);
    expect(toExecutionParameter('2026-11-16')).toBe("'2026-11-16'");
  });

  it('writes numbers and booleans bare, and null as NULL whatever its position', () => {
    expect(toExecutionParameter(90)).toBe('90');
    expect(toExecutionParameter(0)).toBe('0');
    expect(toExecutionParameter(-0)).toBe('0');
    expect(toExecutionParameter(12.5)).toBe('12.5');
    expect(toExecutionParameter(1e21)).toBe('1e+21');
    expect(toExecutionParameter(true)).toBe('true');
    expect(toExecutionParameter(null, 7)).toBe('NULL');
  });

  it('counts the doubled quotes against the 1024-character limit, and refuses infinities', () => {
    expect(toExecutionParameter('x'.repeat(1022))).toHaveLength(1024);
    expect(toExecutionParameter("'".repeat(511))).toHaveLength(1024);
    expect(() => toExecutionParameter("'".repeat(512), 4)).toThrow(/parameter 5: literal of 1026 characters; Athena accepts at most 1024/);
    expect(() => toExecutionParameter(Number.POSITIVE_INFINITY)).toThrow(/Infinity is not a finite number/);
    expect(() => toExecutionParameter(Number.NEGATIVE_INFINITY)).toThrow(/-Infinity is not a finite number/);
  });
});

describe('convertCell', () => {
  it('rejects a non-numeric value in a numeric column', () => {
    expect(() => convertCell('abc', { Name: 'revenue', Type: 'double' })).toThrow(/revenue .*'abc'/);
  });
});
