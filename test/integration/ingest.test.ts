import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DuckDbParquetEncoder } from '../../lambdas/adapters/duckdb-parquet-encoder.js';
import { LocalObjectStore } from '../../lambdas/adapters/local-object-store.js';
import { ingestExtract, listReceipts, manifestKey } from '../../lambdas/core/extracts/ingest.js';
import type { ObjectStore, ParquetEncoder } from '../../lambdas/core/ports.js';
import { CrashingStore } from '../helpers/faulty-store.js';
import { partitionKey, sqlType, TABLES, type ExtractType } from '../../lambdas/core/extracts/schema.js';

const good = join(import.meta.dirname, '../fixtures/extracts/good');
const fixture = (file: string) => readFile(join(good, file)).then((b) => new Uint8Array(b));
const SALES = 'sales_JL_20261118.csv';
const SALES_KEY = 'lake/sales/dt=2026-11-18/province=JL/data.parquet';

describe('ingestExtract with DuckDB and a local lake', () => {
  let home: string;
  let store: LocalObjectStore;
  let encoder: DuckDbParquetEncoder;
  let duck: DuckDBInstance;
  let sql: DuckDBConnection;
  let clock: number;
  const now = () => new Date(Date.UTC(2026, 10, 19, 1, 0, clock++));

  beforeAll(async () => {
    encoder = new DuckDbParquetEncoder();
    duck = await DuckDBInstance.create(':memory:');
    sql = await duck.connect();
  });

  afterAll(async () => {
    await encoder.close();
    sql.closeSync();
    duck.closeSync();
  });

  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'telco-kpi-ingest-'));
    store = new LocalObjectStore(home);
    clock = 0;
  });

  afterEach(async () => {
    await rm(home, { recursive: true, force: true });
  });

  async function query(text: string) {
    return (await sql.runAndReadAll(text)).getRowObjectsJson();
  }

  it.each([
    ['sales_JL_20261118.csv', 'sales', { province: 'JL', day: '2026-11-18' }, 5],
    ['revenue_GD_20261118.csv', 'revenue', { province: 'GD', day: '2026-11-18' }, 4],
    ['service_JL_20261118.csv', 'service', { province: 'JL', day: '2026-11-18' }, 4],
    ['managers_JL_20261101.csv', 'managers', { province: 'JL' }, 3],
    ['market_JL_202611.csv', 'market', { province: 'JL', month: '2026-11' }, 4],
    ['targets_JL_202611.csv', 'targets', { province: 'JL', month: '2026-11' }, 7],
  ] as const)('stores %s as Parquet with the declared column types and no partition columns', async (file, type, partition, rows) => {
    // Act
    const receipt = await ingestExtract({ store, encoder, now }, { fileName: file, bytes: await fixture(file) });
    // Assess
    expect(receipt.status).toBe('accepted');
    const path = join(home, partitionKey(type as ExtractType, partition));
    const columns = await query(`select column_name, column_type from (describe select * from read_parquet('${path}', hive_partitioning = false))`);
    const table = TABLES[type as ExtractType];
    const expected = table.columns.filter((c) => !table.partitions.includes(c.name as 'province'))
      .map((c) => ({ column_name: c.name, column_type: sqlType(c.type) }));
    expect(columns).toEqual(expected);
    expect(await query(`select count(*)::integer as n from read_parquet('${path}')`)).toEqual([{ n: rows }]);
  });

  it('stores exact values: decimals, dates, UTC timestamps and the derived opened_date', async () => {
    // Act
    await ingestExtract({ store, encoder, now }, { fileName: SALES, bytes: await fixture(SALES) });
    await ingestExtract({ store, encoder, now }, { fileName: 'service_JL_20261118.csv', bytes: await fixture('service_JL_20261118.csv') });
    // Assess
    const sales = await query(`select event_id, monthly_fee::varchar as fee, one_off_fee::varchar as one_off, package from read_parquet('${join(home, SALES_KEY)}') order by event_id`);
    expect(sales.map((r) => [r.event_id, r.fee, r.one_off, r.package])).toEqual([
      ['S001', '129.00', '0.00', 'e9-129'], ['S002', '199.00', '50.00', 'e9-199'], ['S003', '99.90', '0.00', '宽带,500M'],
      ['S004', '0.00', '0.00', '=HYPERLINK("x")'], ['S005', '0.50', '12.30', '-cloud'],
    ]);
    const service = await query(`select ticket_id, opened_at::varchar as opened_at, opened_date::varchar as opened_date, satisfaction from read_parquet('${join(home, 'lake/service/dt=2026-11-18/province=JL/data.parquet')}') order by ticket_id`);
    expect(service).toEqual([
      { ticket_id: 'T1', opened_at: '2026-11-18 01:30:00', opened_date: '2026-11-18', satisfaction: '5' },
      { ticket_id: 'T2', opened_at: '2026-11-17 16:30:00', opened_date: '2026-11-18', satisfaction: null },
      { ticket_id: 'T3', opened_at: '2026-11-17 17:00:00', opened_date: '2026-11-18', satisfaction: '3' },
      { ticket_id: 'T4', opened_at: '2026-11-18 15:59:59', opened_date: '2026-11-18', satisfaction: null },
    ]);
  });

  it('reads back through Hive partitioning with dt and province from the path', async () => {
    // Act
    await ingestExtract({ store, encoder, now }, { fileName: SALES, bytes: await fixture(SALES) });
    // Assess
    const rows = await query(`select dt, province, count(*)::integer as n from read_parquet('${join(home, 'lake/sales/*/*/data.parquet')}', hive_partitioning = true, hive_types = {'dt': varchar, 'province': varchar}) group by all`);
    expect(rows).toEqual([{ dt: '2026-11-18', province: 'JL', n: 5 }]);
  });

  it('records a manifest with the sha256 and a JSON and text receipt', async () => {
    // Act
    const receipt = await ingestExtract({ store, encoder, now }, { fileName: SALES, bytes: await fixture(SALES) });
    // Assess
    const manifest = JSON.parse(new TextDecoder().decode(await store.get(manifestKey(receipt))));
    expect(manifestKey(receipt)).toBe('lake/_manifest/sales/dt=2026-11-18/province=JL.json');
    expect(manifest).toEqual({ sha256: receipt.sha256, file: SALES, rows: 5, storedAt: '2026-11-19T01:00:00.000Z', uploadedAt: '2026-11-19T01:00:00.000Z' });
    expect(await store.list('receipts/')).toEqual([
      'receipts/sales/JL/2026-11-18/20261119T010000000Z-sales_JL_20261118.csv.json',
      'receipts/sales/JL/2026-11-18/20261119T010000000Z-sales_JL_20261118.csv.txt',
    ]);
  });

  it('leaves the partition untouched when the same file comes twice', async () => {
    // Prepare
    const bytes = await fixture(SALES);
    await ingestExtract({ store, encoder, now }, { fileName: SALES, bytes });
    const before = { bytes: await readFile(join(home, SALES_KEY)), mtime: (await stat(join(home, SALES_KEY))).mtimeMs };
    // Act
    const receipt = await ingestExtract({ store, encoder, now }, { fileName: SALES, bytes });
    // Assess
    expect(receipt.status).toBe('unchanged');
    expect(receipt.rowsAccepted).toBe(5);
    expect(await readFile(join(home, SALES_KEY))).toEqual(before.bytes);
    expect((await stat(join(home, SALES_KEY))).mtimeMs).toBe(before.mtime);
    expect((await listReceipts(store)).map((r) => r.status)).toEqual(['accepted', 'unchanged']);
  });

  it('replaces the month\'s targets with a re-upload: a target left out of the new file is gone', async () => {
    // Prepare
    const file = 'targets_JL_202611.csv';
    await ingestExtract({ store, encoder, now }, { fileName: file, bytes: await fixture(file) });
    const revised = '月份,省份,客户群,指标,目标值\n2026-11,JL,全部,收入,6600000\n2026-11,JL,全部,满意度,0.9\n';
    // Act
    const receipt = await ingestExtract({ store, encoder, now }, { fileName: file, bytes: new TextEncoder().encode(revised) });
    // Assess
    expect(receipt.status).toBe('accepted');
    expect(manifestKey(receipt)).toBe('lake/_manifest/targets/month=2026-11/province=JL.json');
    const path = join(home, 'lake/targets/month=2026-11/province=JL/data.parquet');
    const rows = await query(`select segment, kpi, target::varchar as target from read_parquet('${path}') order by kpi`);
    expect(rows).toEqual([{ segment: 'ALL', kpi: 'csat', target: '0.9000' }, { segment: 'ALL', kpi: 'revenue', target: '6600000.0000' }]);
    expect(await store.list('lake/targets/')).toEqual(['lake/targets/month=2026-11/province=JL/data.parquet']);
  });

  it('replaces the partition with a corrected re-upload of the same day', async () => {
    // Prepare
    await ingestExtract({ store, encoder, now }, { fileName: SALES, bytes: await fixture(SALES) });
    const corrected = (await readFile(join(good, SALES), 'utf8')).split('\n').filter((line) => !line.startsWith('S004')).join('\n');
    // Act
    const receipt = await ingestExtract({ store, encoder, now }, { fileName: SALES, bytes: new TextEncoder().encode(corrected) });
    // Assess
    expect(receipt.status).toBe('accepted');
    const ids = await query(`select event_id from read_parquet('${join(home, SALES_KEY)}') order by 1`);
    expect(ids.map((r) => r.event_id)).toEqual(['S001', 'S002', 'S003', 'S005']);
    expect(JSON.parse(new TextDecoder().decode(await store.get(manifestKey(receipt)))).sha256).toBe(receipt.sha256);
  });

  it('never lets an older upload processed late replace a newer correction of the day (issue 10)', async () => {
    // Prepare: the correction (uploaded 10:05) is stored first; the original (uploaded 10:00) comes after, as a retry would bring it
    const original = await fixture(SALES);
    const corrected = (await readFile(join(good, SALES), 'utf8')).split('\n').filter((line) => !line.startsWith('S004')).join('\n');
    await ingestExtract({ store, encoder, now }, { fileName: 'sales_JL_20261118_v2.csv', bytes: new TextEncoder().encode(corrected), uploadedAt: '2026-11-19T02:05:00Z' });
    const stored = await readFile(join(home, SALES_KEY));
    // Act
    const late = await ingestExtract({ store, encoder, now }, { fileName: SALES, bytes: original, uploadedAt: '2026-11-19T02:00:00Z' });
    // Assess
    expect(late.status).toBe('superseded');
    expect(late.warnings.at(-1)).toContain('sales_JL_20261118_v2.csv, uploaded 2026-11-19 10:05:00 (Asia/Shanghai), is a later upload of the same day');
    expect(await readFile(join(home, SALES_KEY))).toEqual(stored);
    const ids = await query(`select event_id from read_parquet('${join(home, SALES_KEY)}') order by 1`);
    expect(ids.map((r) => r.event_id)).toEqual(['S001', 'S002', 'S003', 'S005']);
    expect((await store.get(manifestKey(late)).then((b) => JSON.parse(new TextDecoder().decode(b)))).file).toBe('sales_JL_20261118_v2.csv');
    expect((await listReceipts(store)).map((r) => r.status)).toEqual(['accepted', 'superseded']);
  });

  it('orders uploads without an upload time by when ingest received them: a slow earlier ingest loses to a later one', async () => {
    // Prepare: B received at 01:00:05 is stored; A, received at 01:00:01, reaches the partition only now
    const original = await fixture(SALES);
    const corrected = (await readFile(join(good, SALES), 'utf8')).replace('S005', 'S006');
    await ingestExtract({ store, encoder, now: () => new Date('2026-11-19T01:00:05Z') }, { fileName: SALES, bytes: new TextEncoder().encode(corrected) });
    // Act
    const slow = await ingestExtract({ store, encoder, now: () => new Date('2026-11-19T01:00:01Z') }, { fileName: SALES, bytes: original });
    // Assess
    expect(slow.status).toBe('superseded');
    const ids = await query(`select event_id from read_parquet('${join(home, SALES_KEY)}') order by 1`);
    expect(ids.map((r) => r.event_id)).toContain('S006');
    // …while a later upload of the original bytes is the branch putting it back, and wins
    const again = await ingestExtract({ store, encoder, now: () => new Date('2026-11-19T01:10:00Z') }, { fileName: SALES, bytes: original });
    expect(again.status).toBe('accepted');
    expect((await query(`select event_id from read_parquet('${join(home, SALES_KEY)}') order by 1`)).map((r) => r.event_id)).toContain('S005');
  });

  it('keeps the earlier partition byte-identical when a re-upload is rejected, and keeps the rejected receipt', async () => {
    // Prepare
    await ingestExtract({ store, encoder, now }, { fileName: SALES, bytes: await fixture(SALES) });
    const before = await readFile(join(home, SALES_KEY));
    const manifestBefore = await readFile(join(home, 'lake/_manifest/sales/dt=2026-11-18/province=JL.json'));
    const broken = (await readFile(join(good, SALES), 'utf8')).replace(',129.00,', ',"129,00",');
    // Act
    const receipt = await ingestExtract({ store, encoder, now }, { fileName: SALES, bytes: new TextEncoder().encode(broken) });
    // Assess
    expect(receipt.status).toBe('rejected');
    expect(await readFile(join(home, SALES_KEY))).toEqual(before);
    expect(await readFile(join(home, 'lake/_manifest/sales/dt=2026-11-18/province=JL.json'))).toEqual(manifestBefore);
    const rejected = await listReceipts(store, { status: 'rejected', type: 'sales', province: 'JL', from: '2026-11-16', to: '2026-11-22' });
    expect(rejected.map((r) => [r.file, r.problems[0]?.message])).toEqual([[SALES, "'129,00' is not a number; use a dot for decimals"]]);
    expect(await listReceipts(store, { type: 'sales', from: '2026-11-19' })).toEqual([]);
  });

  it('leaves the previous partition intact when encoding fails midway', async () => {
    // Prepare
    await ingestExtract({ store, encoder, now }, { fileName: SALES, bytes: await fixture(SALES) });
    const before = await readFile(join(home, SALES_KEY));
    const crashing: ParquetEncoder = { encode: () => Promise.reject(new Error('disk full')) };
    const corrected = (await readFile(join(good, SALES), 'utf8')).replace('S005', 'S006');
    // Act
    const result = ingestExtract({ store, encoder: crashing, now }, { fileName: SALES, bytes: new TextEncoder().encode(corrected) });
    // Assess
    await expect(result).rejects.toThrow('disk full');
    expect(await readFile(join(home, SALES_KEY))).toEqual(before);
    expect(await store.list('lake/sales/')).toEqual([SALES_KEY]);
    const again = await ingestExtract({ store, encoder, now }, { fileName: SALES, bytes: await fixture(SALES) });
    expect(again.status).toBe('unchanged');
  });

  it.each([220, 250])('keeps the receipt of an accepted file whose name is %i characters long, under a key the filesystem allows', async (length) => {
    // Prepare
    const fileName = `sales_JL_20261118_${'x'.repeat(length - 'sales_JL_20261118_.csv'.length)}.csv`;
    // Act
    const receipt = await ingestExtract({ store, encoder, now }, { fileName, bytes: await fixture(SALES) });
    // Assess
    expect(receipt.status).toBe('accepted');
    const receipts = await listReceipts(store);
    expect(receipts.map((r) => [r.file, r.status])).toEqual([[fileName, 'accepted']]);
    const keys = await store.list('receipts/');
    expect(keys).toHaveLength(2);
    for (const key of keys) expect(Math.max(...key.split('/').map((part) => Buffer.byteLength(part)))).toBeLessThanOrEqual(200);
    expect(await store.list('lake/sales/')).toEqual([SALES_KEY]);
  });

  it('gives names of the same long prefix different receipt keys, the same name the same shortened key', async () => {
    // Prepare
    const long = (tail: string) => `sales_JL_20261118_${'x'.repeat(300)}${tail}.csv`;
    const fixed = () => new Date(Date.UTC(2026, 10, 19, 1, 0, 0));
    // Act
    await ingestExtract({ store, encoder, now: fixed }, { fileName: long('a'), bytes: await fixture(SALES) });
    await ingestExtract({ store, encoder, now: fixed }, { fileName: long('b'), bytes: await fixture(SALES) });
    await ingestExtract({ store, encoder, now: fixed }, { fileName: long('b'), bytes: await fixture(SALES) });
    // Assess
    expect((await store.list('receipts/')).filter((k) => k.endsWith('.json'))).toHaveLength(2);
  });

  it('writes the receipt before the data: when the receipt cannot be stored, the lake is unchanged', async () => {
    // Prepare
    const crashing = new CrashingStore(store, (call) => call.op === 'put' && call.key.startsWith('receipts/'));
    // Act
    const result = ingestExtract({ store: crashing, encoder, now }, { fileName: SALES, bytes: await fixture(SALES) });
    // Assess
    await expect(result).rejects.toThrow('store gone');
    expect(await store.list('lake/sales/')).toEqual([]);
    expect(await store.list('receipts/')).toEqual([]);
  });

  it('removes the receipt again when storing the data fails after it', async () => {
    // Prepare
    const failing: ObjectStore = {
      put: (key, body) => (key === SALES_KEY ? Promise.reject(new Error('S3 InternalError')) : store.put(key, body)),
      putIfAbsent: (key, body) => store.putIfAbsent(key, body),
      get: (key) => store.get(key),
      list: (prefix) => store.list(prefix),
      delete: (key) => store.delete(key),
    };
    // Act
    const result = ingestExtract({ store: failing, encoder, now }, { fileName: SALES, bytes: await fixture(SALES) });
    // Assess
    await expect(result).rejects.toThrow('S3 InternalError');
    expect(await store.list('receipts/')).toEqual([]);
    const again = await ingestExtract({ store, encoder, now }, { fileName: SALES, bytes: await fixture(SALES) });
    expect(again.status).toBe('accepted');
  });
});
