import { S3Client } from '@aws-sdk/client-s3';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbParquetEncoder } from '../../lambdas/adapters/duckdb-parquet-encoder.js';
import { LocalObjectStore } from '../../lambdas/adapters/local-object-store.js';
import { ingestExtract } from '../../lambdas/core/extracts/ingest.js';
import { receiptId } from '../../lambdas/core/portal/receipts.js';
import { createPortalApiHandler, presignedPut, provinceOfClaims, type PortalApiRuntime } from '../../lambdas/handlers/portal-api.js';

const event = (method: string, path: string, groups: string, options: { query?: string; body?: unknown } = {}) => ({
  rawPath: path, rawQueryString: options.query ?? '', body: options.body === undefined ? undefined : JSON.stringify(options.body), isBase64Encoded: false,
  requestContext: { http: { method }, authorizer: { jwt: { claims: { 'cognito:groups': groups }, scopes: [] } } },
}) as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;

describe('portal-api handler (AWS)', () => {
  let home: string;
  const presigned: Array<{ key: string; contentType: string; size: number }> = [];
  let handler: ReturnType<typeof createPortalApiHandler>;
  let store: LocalObjectStore;
  let landing: LocalObjectStore;
  const call = async (e: APIGatewayProxyEventV2WithJWTAuthorizer) => (await handler(e)) as APIGatewayProxyStructuredResultV2;

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'telco-kpi-portal-api-'));
    store = new LocalObjectStore(home);
    landing = new LocalObjectStore(join(home, 'landing'));
    const encoder = new DuckDbParquetEncoder();
    await ingestExtract({ store, encoder, now: () => new Date('2026-11-19T02:00:00Z') }, { fileName: 'revenue_GD_20261118.csv', bytes: await readFile('test/fixtures/extracts/good/revenue_GD_20261118.csv') });
    await encoder.close();
    const runtime: PortalApiRuntime = {
      landing, store,
      presignPut: async (key, contentType, size) => { presigned.push({ key, contentType, size }); return `https://landing.example/${key}`; },
      now: () => new Date('2026-11-20T04:00:00Z'),
    };
    handler = createPortalApiHandler(() => runtime);
  });
  afterAll(async () => rm(home, { recursive: true, force: true }));

  it('takes the province from exactly one province-<P> group', () => {
    expect(provinceOfClaims({ 'cognito:groups': '[province-JL]' })).toBe('JL');
    expect(provinceOfClaims({ 'cognito:groups': ['province-GD'] })).toBe('GD');
    expect(provinceOfClaims({ 'cognito:groups': '[province-JL province-GD]' })).toBeUndefined();
    expect(provinceOfClaims({ 'cognito:groups': '[admins]' })).toBeUndefined();
    expect(provinceOfClaims(undefined)).toBeUndefined();
  });

  it('no province group answers 401', async () => {
    expect((await call(event('GET', '/api/receipts', '[admins]'))).statusCode).toBe(401);
  });

  it('presigns a PUT for the caller\'s own prefix only; another province is 404', async () => {
    const ok = await call(event('POST', '/api/uploads', '[province-JL]', { body: { fileName: 'sales_JL_20261118.csv', size: 1234, contentType: 'text/csv' } }));
    expect(ok.statusCode).toBe(200);
    expect(presigned.at(-1)).toEqual({ key: 'JL/sales_JL_20261118.csv', contentType: 'text/csv', size: 1234 });
    const count = presigned.length;
    for (const body of [
      { fileName: 'sales_GD_20261118.csv', size: 1, contentType: 'text/csv' },
      { fileName: 'sales_JL_20261118.csv', size: 1, contentType: 'text/csv', province: 'GD' },
    ]) expect((await call(event('POST', '/api/uploads', '[province-JL]', { body }))).statusCode).toBe(404);
    expect((await call(event('POST', '/api/uploads', '[province-JL]', { body: { fileName: 'sales_JL_20261118.csv', size: 1, contentType: 'text/html' } }))).statusCode).toBe(415);
    expect((await call(event('POST', '/api/uploads', '[province-JL]', { body: { fileName: 'sales_JL_20261118.csv', size: 200 * 1024 * 1024, contentType: 'text/csv' } }))).statusCode).toBe(413);
    expect(presigned).toHaveLength(count);
  });

  it('GD\'s receipts and completeness are 404 for JL', async () => {
    const gd = JSON.parse((await call(event('GET', '/api/receipts', '[province-GD]'))).body!) as { receipts: Array<{ id: string }> };
    expect(gd.receipts).toHaveLength(1);
    expect((await call(event('GET', `/api/receipts/${gd.receipts[0]!.id}`, '[province-JL]'))).statusCode).toBe(404);
    expect((await call(event('GET', `/api/receipts/${gd.receipts[0]!.id}`, '[province-GD]'))).statusCode).toBe(200);
    expect((await call(event('GET', `/api/receipts/u${Buffer.from('GD/revenue_GD_20261118.csv').toString('base64url')}`, '[province-JL]'))).statusCode).toBe(404);
    expect((await call(event('GET', '/api/completeness', '[province-JL]', { query: 'province=GD' }))).statusCode).toBe(404);
    const grid = JSON.parse((await call(event('GET', '/api/completeness', '[province-GD]', { query: 'week=2026-W47' }))).body!) as { cells: Array<{ day: string; type: string; status: string }> };
    expect(grid.cells.find((c) => c.day === '2026-11-18' && c.type === 'revenue')?.status).toBe('received');
  });

  it('a receipt polled beside an upload answers with the id of its stored copy, which a later upload of that name does not replace', async () => {
    const encoder = new DuckDbParquetEncoder();
    const receipt = await ingestExtract({ store, encoder, now: () => new Date('2026-11-20T03:00:00Z') }, { fileName: 'sales_JL_20261118.csv', bytes: await readFile('test/fixtures/extracts/good/sales_JL_20261118.csv') });
    await encoder.close();
    await landing.put('JL/sales_JL_20261118.csv.receipt.json', JSON.stringify(receipt));
    const polled = await call(event('GET', `/api/receipts/u${Buffer.from('JL/sales_JL_20261118.csv').toString('base64url')}`, '[province-JL]'));
    expect(polled.statusCode).toBe(200);
    const { id, sha256 } = JSON.parse(polled.body!) as { id: string; sha256: string };
    expect(id).toBe(receiptId(receipt));
    expect(sha256).toBe(receipt.sha256);
    const stored = await call(event('GET', `/api/receipts/${id}`, '[province-JL]'));
    expect(JSON.parse(stored.body!)).toMatchObject({ id, file: 'sales_JL_20261118.csv', status: 'accepted' });
  });

  it('the real presigner signs Content-Type and Content-Length, so S3 refuses another type or size', async () => {
    const s3 = new S3Client({ region: 'ap-southeast-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } });
    const url = new URL(await presignedPut(s3, 'landing-bucket', 'JL/sales_JL_20261118.csv', 'text/csv', 1234));
    expect(url.pathname).toBe('/JL/sales_JL_20261118.csv');
    expect(url.searchParams.get('X-Amz-SignedHeaders')!.split(';')).toEqual(expect.arrayContaining(['content-length', 'content-type', 'host']));
    expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
  });
});
