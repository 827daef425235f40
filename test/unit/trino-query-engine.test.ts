/**
 * The Trino client protocol logic we own, against a scripted HTTP server on loopback (states a
 * real server shows only by chance: queued pages, 503 while busy, failure, a query past the
 * deadline). The real server runs the queries in test/integration/trino-parity.test.ts.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { toExecutionParameter } from '../../lambdas/adapters/athena-query-engine.js';
import {
  TrinoClient, TrinoQueryEngine, TrinoQueryFailedError, TrinoQueryTimeoutError, boundStatement, convertTrinoCell, parseTrinoUrl,
} from '../../lambdas/adapters/trino-query-engine.js';

interface Seen { method: string; url: string; headers: IncomingMessage['headers']; body: string }

/** A server answering each request with the next scripted reply (status + JSON body). */
async function scripted(replies: ((base: string) => { status?: number; body?: unknown })[]): Promise<{ base: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  let base = '';
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString('utf8'); });
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const reply = replies.shift()?.(base) ?? { status: 500, body: { message: 'no more replies' } };
      res.writeHead(reply.status ?? 200, { 'Content-Type': 'application/json' });
      res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  servers.push(server);
  return { base, seen, server };
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

const connection = (base: string) => ({ ...parseTrinoUrl(base), server: base });
const noSleep = { sleep: async () => {} };
const columns = [
  { name: 'n', type: 'bigint', typeSignature: { rawType: 'bigint' } },
  { name: 'fee', type: 'decimal(18,2)', typeSignature: { rawType: 'decimal' } },
];

describe('TrinoClient', () => {
  it('follows nextUri through queued pages and collects the data of every page', async () => {
    // Prepare: queued, then two pages of data, then the final page without nextUri
    const { base, seen } = await scripted([
      (b) => ({ body: { id: 'q1', nextUri: `${b}/v1/statement/queued/q1/1`, stats: { state: 'QUEUED' } } }),
      (b) => ({ body: { id: 'q1', nextUri: `${b}/v1/statement/executing/q1/2`, stats: { state: 'RUNNING' } } }),
      (b) => ({ body: { id: 'q1', nextUri: `${b}/v1/statement/executing/q1/3`, columns, data: [[1, '129.00']], stats: { state: 'RUNNING' } } }),
      (b) => ({ body: { id: 'q1', nextUri: `${b}/v1/statement/executing/q1/4`, data: [[2, '0.50']], stats: { state: 'RUNNING' } } }),
      () => ({ body: { id: 'q1', stats: { state: 'FINISHED' } } }),
    ]);
    const client = new TrinoClient({ ...connection(base), user: 'analyst', catalog: 'hive', schema: 'lake' }, noSleep);
    // Act
    const result = await client.execute('select 1', 'probe');
    // Assess
    expect(result.rows).toEqual([[1, '129.00'], [2, '0.50']]);
    expect(result.columns.map((c) => c.name)).toEqual(['n', 'fee']);
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'POST /v1/statement', 'GET /v1/statement/queued/q1/1', 'GET /v1/statement/executing/q1/2', 'GET /v1/statement/executing/q1/3', 'GET /v1/statement/executing/q1/4',
    ]);
    expect(seen[0]!.body).toBe('select 1');
    expect(seen[0]!.headers).toMatchObject({ 'x-trino-user': 'analyst', 'x-trino-catalog': 'hive', 'x-trino-schema': 'lake', 'x-trino-source': 'telco-kpi' });
    expect(seen[0]!.headers.authorization).toBeUndefined();
  });

  it('retries a 503 while the server is busy, then goes on', async () => {
    const { base, seen } = await scripted([
      () => ({ status: 503 }),
      (b) => ({ body: { id: 'q2', nextUri: `${b}/v1/statement/executing/q2/1`, stats: { state: 'RUNNING' } } }),
      () => ({ status: 503 }),
      () => ({ body: { id: 'q2', columns, data: [[7, '1.00']], stats: { state: 'FINISHED' } } }),
    ]);
    const result = await new TrinoClient(connection(base), noSleep).execute('select 7');
    expect(result.rows).toEqual([[7, '1.00']]);
    expect(seen).toHaveLength(4);
  });

  it('gives up on a server that stays busy, naming the status', async () => {
    const { base } = await scripted(Array.from({ length: 4 }, () => () => ({ status: 503, body: 'busy' })));
    await expect(new TrinoClient(connection(base), { ...noSleep, maxBusyRetries: 3 }).execute('select 1', 'kpi_rows.sql'))
      .rejects.toThrow(/query kpi_rows\.sql .*HTTP_503/);
  });

  it('throws the failure Trino reports, with its error name, message and line', async () => {
    const { base } = await scripted([
      (b) => ({ body: { id: 'q3', nextUri: `${b}/v1/statement/executing/q3/1`, stats: { state: 'RUNNING' } } }),
      () => ({ body: { id: 'q3', stats: { state: 'FAILED' }, error: { errorName: 'COLUMN_NOT_FOUND', message: "line 3:5: Column 'x' cannot be resolved", errorLocation: { lineNumber: 3 } } } }),
    ]);
    const error = await new TrinoClient(connection(base), noSleep).execute('select x', 'kpi_rows.sql').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrinoQueryFailedError);
    expect((error as TrinoQueryFailedError).message).toBe("query kpi_rows.sql (Trino query q3) failed: COLUMN_NOT_FOUND: line 3:5: Column 'x' cannot be resolved (line 3)");
  });

  it('cancels the query (DELETE on its nextUri) once the deadline has passed', async () => {
    // Prepare: a query that keeps running; the clock moves 40 s per request
    let clock = 0;
    const { base, seen } = await scripted([
      (b) => ({ body: { id: 'q4', nextUri: `${b}/v1/statement/executing/q4/1`, stats: { state: 'RUNNING' } } }),
      (b) => ({ body: { id: 'q4', nextUri: `${b}/v1/statement/executing/q4/2`, stats: { state: 'RUNNING' } } }),
      () => ({ status: 204 }),
    ]);
    const client = new TrinoClient(connection(base), { ...noSleep, deadlineMs: 60_000, now: () => (clock += 40_000) });
    // Act
    const error = await client.execute('select slow()', 'market_share.sql').catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(TrinoQueryTimeoutError);
    expect((error as Error).message).toMatch(/query market_share\.sql \(Trino query q4\) was still RUNNING after 60000 ms; it was cancelled/);
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(['POST /v1/statement', 'GET /v1/statement/executing/q4/1', 'DELETE /v1/statement/executing/q4/2']);
  });

  it('sends the password as basic auth and says so plainly when the server refuses it', async () => {
    const { base, seen } = await scripted([() => ({ status: 401, body: 'Unauthorized' })]);
    const client = new TrinoClient({ ...connection(base), user: 'ops', password: 's3cret' }, noSleep);
    await expect(client.execute('select 1')).rejects.toThrow(/refused user 'ops': check the user and password in TRINO_URL/);
    expect(seen[0]!.headers.authorization).toBe(`Basic ${Buffer.from('ops:s3cret').toString('base64')}`);
  });

  it('names the server when it cannot be reached', async () => {
    await expect(new TrinoClient(connection('http://127.0.0.1:9'), noSleep).execute('select 1'))
      .rejects.toThrow(/cannot reach http:\/\/127\.0\.0\.1:9 .*npm run trino -- start/);
  });
});

describe('TrinoQueryEngine', () => {
  it('binds a query file with EXECUTE IMMEDIATE and the literal text Athena gets, and converts the columns', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'telco-kpi-trino-q-'));
    await writeFile(join(dir, 'probe.sql'), "-- it's a probe\nselect * from t where dt between ? and ? and (? = 'ALL' or province = ?) and n = ?;\n");
    const { base, seen } = await scripted([() => ({ body: { id: 'q5', columns, data: [[3, '12.30'], [null, null]], stats: { state: 'FINISHED' } } })]);
    // Act
    const rows = await new TrinoQueryEngine(connection(base), dir, noSleep).run('probe', ['2026-11-16', '2026-11-22', 'ALL', "O'Brien", 30]);
    // Assess
    expect(seen[0]!.body).toBe("EXECUTE IMMEDIATE '-- it''s a probe\nselect * from t where dt between ? and ? and (? = ''ALL'' or province = ?) and n = ?' USING '2026-11-16', '2026-11-22', 'ALL', 'O''Brien', 30");
    expect(rows).toEqual([{ n: 3, fee: 12.3 }, { n: null, fee: null }]);
  });

  it('binds the same literals as the Athena engine', () => {
    const params = ['2026-11-16', "a'b", 30, 1.5, true, null];
    const athena = params.map((p, i) => toExecutionParameter(p, i)).join(', ');
    expect(boundStatement('select 1', params)).toBe(`EXECUTE IMMEDIATE 'select 1' USING ${athena}`);
    expect(boundStatement('select 1', [])).toBe("EXECUTE IMMEDIATE 'select 1'");
  });
});

describe('convertTrinoCell', () => {
  const col = (type: string, rawType = type.replace(/\(.*$/, '')) => ({ name: 'c', type, typeSignature: { rawType } });
  it('gives the values the DuckDB engine gives, for every type the queries return', () => {
    expect(convertTrinoCell(12, col('bigint'))).toBe(12);
    expect(convertTrinoCell(0.25, col('double'))).toBe(0.25);
    expect(convertTrinoCell('NaN', col('double'))).toBeNaN();
    expect(convertTrinoCell('Infinity', col('double'))).toBe(Number.POSITIVE_INFINITY);
    expect(convertTrinoCell('1234567.89', col('decimal(38,2)'))).toBe(1234567.89);
    expect(convertTrinoCell('-0.50', col('decimal(18,2)'))).toBe(-0.5);
    expect(convertTrinoCell('2026-11-18', col('date'))).toBe('2026-11-18');
    expect(convertTrinoCell('长春', col('varchar'))).toBe('长春');
    expect(convertTrinoCell('2026-11-18 10:00:00.000', col('timestamp(3)'))).toBe('2026-11-18 10:00:00');
    expect(convertTrinoCell(true, col('boolean'))).toBe(true);
    expect(convertTrinoCell(null, col('bigint'))).toBeNull();
  });

  it('refuses a type it does not convert, saying what to cast to', () => {
    expect(() => convertTrinoCell([1, 2], col('array(integer)', 'array'))).toThrow(/column c has Trino type array\(integer\), which the query engine does not convert; cast it/);
    expect(() => convertTrinoCell('x', col('decimal(18,2)'))).toThrow(/'x' is not a decimal/);
  });
});

describe('parseTrinoUrl', () => {
  it('reads server, catalog, schema, user and password, with defaults for what is left out', () => {
    expect(parseTrinoUrl('http://127.0.0.1:8080')).toEqual({ server: 'http://127.0.0.1:8080', catalog: 'hive', schema: 'telco_kpi', user: 'telco-kpi', password: undefined });
    expect(parseTrinoUrl('https://ops%40jl:p%3Ass@trino.example.cn:8443/lakehouse/kpi')).toEqual({
      server: 'https://trino.example.cn:8443', catalog: 'lakehouse', schema: 'kpi', user: 'ops@jl', password: 'p:ss',
    });
  });

  it('refuses what Trino would refuse, naming the variable', () => {
    expect(() => parseTrinoUrl('http://ops:secret@10.0.0.5:8080')).toThrow(/TRINO_URL: a password is only sent over https/);
    expect(() => parseTrinoUrl('trino://host:8080')).toThrow(/TRINO_URL 'trino:\/\/host:8080': the scheme must be http or https/);
    expect(() => parseTrinoUrl('not a url')).toThrow(/TRINO_URL 'not a url' is not a URL/);
    expect(() => parseTrinoUrl('http://h:1/a/b/c')).toThrow(/at most two parts/);
  });
});
