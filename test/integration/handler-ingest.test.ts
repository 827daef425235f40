import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DuckDbParquetEncoder } from '../../lambdas/adapters/duckdb-parquet-encoder.js';
import { S3ObjectStore } from '../../lambdas/adapters/s3-object-store.js';
import { KEEP_WHOLE_BYTES, type Receipt } from '../../lambdas/core/extracts/validate.js';
import { ingestConfig } from '../../lambdas/handlers/aws-config.js';
import { ingestRuntime, type IngestRuntime } from '../../lambdas/handlers/aws-runtime.js';
import { createIngestHandler } from '../../lambdas/handlers/ingest-extract.js';
import { decodeS3Key, uploadsOf, UnsupportedEventError } from '../../lambdas/handlers/s3-event.js';
import { startS3, type S3Harness } from './s3-harness.js';

const EVENTS = join(import.meta.dirname, '../events/s3');
const GOOD = join(import.meta.dirname, '../fixtures/extracts/good');
const BAD = join(import.meta.dirname, '../fixtures/extracts/bad');
const LANDING = 'telco-kpi-landing';
const CURATED = 'telco-kpi-curated';
const REPORTS = 'telco-kpi-reports';
const ENV = { LANDING_BUCKET: LANDING, CURATED_BUCKET: CURATED, REPORTS_BUCKET: REPORTS };

type Json = Record<string, unknown> & { detail: { bucket: { name: string }; object: { key: string } } };
const event = async (file: string): Promise<Json> => JSON.parse(await readFile(join(EVENTS, file), 'utf8')) as Json;
/** The EventBridge fixture for another upload key, as S3 would encode it. */
async function createdEvent(key: string): Promise<Json> {
  const e = await event('eventbridge-object-created.json');
  e.detail.object.key = key.split('/').map((part) => encodeURIComponent(part).replace(/%20/g, '+')).join('/');
  return e;
}
const text = (bytes: Uint8Array | undefined) => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

/** `select <columns> from` a Parquet object of a bucket (copied to a temp file for DuckDB), as JSON rows. */
async function parquetOf(store: S3ObjectStore, key: string, columns: string, tail = '') {
  const dir = await mkdtemp(join(tmpdir(), 'handler-parquet-'));
  try {
    const path = join(dir, 'data.parquet');
    await writeFile(path, (await store.get(key))!);
    const duck = await DuckDBInstance.create(':memory:');
    const sql = await duck.connect();
    try {
      return (await sql.runAndReadAll(`select ${columns} from read_parquet('${path}') ${tail}`)).getRowObjectsJson();
    } finally {
      sql.closeSync();
      duck.closeSync();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('ingest handler on s3rver with the DuckDB encoder', () => {
  let s3: S3Harness;
  let encoder: DuckDbParquetEncoder;
  let runtime: IngestRuntime;
  let landing: S3ObjectStore;
  let curated: S3ObjectStore;
  let reports: S3ObjectStore;
  let clock: number;

  beforeAll(() => {
    encoder = new DuckDbParquetEncoder();
  });

  afterAll(async () => {
    await encoder.close();
  });

  beforeEach(async () => {
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    s3 = await startS3(LANDING, { honourIfNoneMatch: true });
    for (const bucket of [CURATED, REPORTS]) await s3.client.send(new CreateBucketCommand({ Bucket: bucket }));
    clock = 0;
    runtime = ingestRuntime(ingestConfig(ENV), { s3: s3.client }, encoder, () => new Date(Date.UTC(2026, 10, 19, 1, 7, clock++)));
    landing = new S3ObjectStore(s3.client, { bucket: LANDING });
    curated = new S3ObjectStore(s3.client, { bucket: CURATED });
    reports = new S3ObjectStore(s3.client, { bucket: REPORTS });
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    await s3.stop();
  });

  async function upload(key: string, fixture: string) {
    await landing.put(key, new Uint8Array(await readFile(fixture)));
  }

  /** The curated bucket without the function's upload records: the partitions and their manifests. */
  async function lakeObjects(): Promise<string[]> {
    return (await curated.list('')).filter((k) => !k.startsWith('lake/_uploads/'));
  }

  async function receiptBeside(key: string): Promise<Receipt> {
    return JSON.parse(text(await landing.get(`${key}.receipt.json`))!) as Receipt;
  }

  it('streams an upload larger than a window from S3: every row stored, the receipt\'s hash that of the object', async () => {
    // Prepare: ~60 000 rows, ~7 MB, more than one 4 MB window
    const head = 'event_id,event_date,province,city,customer_id,segment,sub_segment,channel,account_manager_id,agent_id,product,package,event_type,monthly_fee,prev_monthly_fee,one_off_fee\n';
    const rows = Array.from({ length: 60_000 }, (_, i) => `S${String(i + 1).padStart(6, '0')},2026-11-18,JL,长春,C${100000 + i},public,,own_hall,,,mobile,e9-129,new,129.00,,0.00\n`);
    const body = Buffer.from(head + rows.join(''));
    await landing.put('JL/sales_JL_20261118.csv', body);
    const handler = createIngestHandler(() => runtime);
    // Act
    const result = await handler(await event('eventbridge-object-created.json'));
    // Assess
    expect(body.length).toBeGreaterThan(KEEP_WHOLE_BYTES);
    expect(result.uploads[0]!.status).toBe('accepted');
    const receipt = await receiptBeside('JL/sales_JL_20261118.csv');
    expect(receipt.rowsAccepted).toBe(60_000);
    expect(receipt.sha256).toBe(createHash('sha256').update(body).digest('hex'));
    const [count] = await parquetOf(curated, 'lake/sales/dt=2026-11-18/province=JL/data.parquet', 'count(distinct event_id)::integer as n, max(event_id) as last');
    expect(count).toEqual({ n: 60_000, last: 'S060000' });
  });

  it('stores an accepted upload as Parquet at its partition in the curated bucket and writes the receipt beside the upload', async () => {
    // Prepare
    await upload('JL/sales_JL_20261118.csv', join(GOOD, 'sales_JL_20261118.csv'));
    const handler = createIngestHandler(() => runtime);
    // Act
    const result = await handler(await event('eventbridge-object-created.json'));
    // Assess
    expect(result.uploads).toEqual([{ bucket: LANDING, key: 'JL/sales_JL_20261118.csv', status: 'accepted', receiptKey: 'JL/sales_JL_20261118.csv.receipt.json' }]);
    expect(await lakeObjects()).toEqual(['lake/_manifest/sales/dt=2026-11-18/province=JL.json', 'lake/sales/dt=2026-11-18/province=JL/data.parquet']);
    expect(await curated.list('lake/_uploads/')).toEqual(['lake/_uploads/JL/sales_JL_20261118.csv.json']);
    const rows = await parquetOf(curated, 'lake/sales/dt=2026-11-18/province=JL/data.parquet', 'event_id, monthly_fee::varchar as fee', 'order by event_id');
    expect(rows.map((r) => r.event_id)).toEqual(['S001', 'S002', 'S003', 'S004', 'S005']);
    expect(rows[0]!.fee).toBe('129.00');
    const beside = await receiptBeside('JL/sales_JL_20261118.csv');
    expect(beside).toMatchObject({ file: 'sales_JL_20261118.csv', type: 'sales', province: 'JL', day: '2026-11-18', status: 'accepted', rowsAccepted: 5 });
    expect(text(await landing.get('JL/sales_JL_20261118.csv.receipt.txt'))).toContain('sales_JL_20261118.csv');
    const stored = await reports.list('receipts/');
    expect(stored.filter((k) => k.endsWith('.json'))).toHaveLength(1);
    expect(stored[0]).toMatch(/^receipts\/sales\/JL\/2026-11-18\//);
    expect(await reports.list('lake/')).toEqual([]);
  });

  it('changes nothing when the same event is delivered twice', async () => {
    // Prepare
    await upload('JL/sales_JL_20261118.csv', join(GOOD, 'sales_JL_20261118.csv'));
    const handler = createIngestHandler(() => runtime);
    const created = await event('eventbridge-object-created.json');
    await handler(created);
    const firstReceipt = text(await landing.get('JL/sales_JL_20261118.csv.receipt.json'));
    const requestsBefore = (await s3.requests()).length;
    // Act
    const again = await handler(created);
    // Assess
    expect(again.uploads[0]).toMatchObject({ status: 'unchanged', duplicate: true });
    const writes = (await s3.requests()).slice(requestsBefore).filter((r) => r.method === 'PUT' || r.method === 'DELETE' || r.method === 'POST');
    expect(writes).toEqual([]);
    expect(text(await landing.get('JL/sales_JL_20261118.csv.receipt.json'))).toBe(firstReceipt);
  });

  it('ingests an upload whose "receipt" the branch wrote itself: duplicates are decided from a record only the function writes', async () => {
    // Prepare: the branch may write any key under its prefix, so it forges an accepted receipt beside a broken file
    await upload('JL/sales_JL_20261101.csv', join(BAD, 'sales_JL_20261101.csv'));
    const bytes = await landing.get('JL/sales_JL_20261101.csv');
    const sha256 = createHash('sha256').update(bytes!).digest('hex');
    await landing.put('JL/sales_JL_20261101.csv.receipt.json', JSON.stringify({ file: 'sales_JL_20261101.csv', type: 'sales', province: 'JL', status: 'accepted', sha256, problems: [] }));
    const handler = createIngestHandler(() => runtime);
    // Act
    const result = await handler(await createdEvent('JL/sales_JL_20261101.csv'));
    // Assess: validated, rejected, and the receipt beside it says so
    expect(result.uploads[0]).toMatchObject({ status: 'rejected' });
    expect(result.uploads[0]!.duplicate).toBeUndefined();
    expect((await receiptBeside('JL/sales_JL_20261101.csv')).status).toBe('rejected');
    expect(await curated.list('lake/_uploads/')).toEqual(['lake/_uploads/JL/sales_JL_20261101.csv.json']);
    // and a redelivery is a duplicate by that record, not by the receipt beside the upload
    await landing.put('JL/sales_JL_20261101.csv.receipt.json', '{}');
    expect((await handler(await createdEvent('JL/sales_JL_20261101.csv'))).uploads[0]).toMatchObject({ status: 'rejected', duplicate: true });
  });

  it('does not put an older upload back when its event arrives after the correction\'s', async () => {
    // Prepare: a broken file, then the corrected one under the same key, before either event is handled
    await upload('JL/sales_JL_20261118.csv', join(BAD, 'sales_JL_20261101.csv'));
    const handler = createIngestHandler(() => runtime);
    await upload('JL/sales_JL_20261118.csv', join(GOOD, 'sales_JL_20261118.csv'));
    // Act: both versions' events arrive (they carry the same key)
    const first = await handler(await event('eventbridge-object-created.json'));
    const late = await handler(await event('eventbridge-object-created.json'));
    // Assess: the current bytes were ingested once; the late event changed nothing
    expect(first.uploads[0]!.status).toBe('accepted');
    expect(late.uploads[0]).toMatchObject({ status: 'unchanged', duplicate: true });
    expect((await receiptBeside('JL/sales_JL_20261118.csv')).status).toBe('accepted');
  });


  it('keeps a correction uploaded under another name when the original\'s event is retried after it (issue 10)', async () => {
    // Prepare: the original, then (a second later: S3 keeps Last-Modified in whole seconds) the correction under a new name
    const original = await readFile(join(GOOD, 'sales_JL_20261118.csv'), 'utf8');
    await landing.put('JL/sales_JL_20261118.csv', original);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await landing.put('JL/sales_JL_20261118_修正.csv', original.split('\n').filter((line) => !line.startsWith('S004')).join('\n'));
    const handler = createIngestHandler(() => runtime);
    // Act: the correction's event is handled first; the original's first attempt failed and its retry comes now
    const correction = await handler(await createdEvent('JL/sales_JL_20261118_修正.csv'));
    const retried = await handler(await createdEvent('JL/sales_JL_20261118.csv'));
    // Assess
    expect(correction.uploads[0]!.status).toBe('accepted');
    expect(retried.uploads[0]!.status).toBe('superseded');
    const receipt = await receiptBeside('JL/sales_JL_20261118.csv');
    expect(receipt.status).toBe('superseded');
    expect(receipt.warnings.at(-1)).toMatch(/sales_JL_20261118_修正\.csv, uploaded 2026-\d\d-\d\d \d\d:\d\d:\d\d \(Asia\/Shanghai\), is a later upload of the same day/);
    const manifest = JSON.parse(text(await curated.get('lake/_manifest/sales/dt=2026-11-18/province=JL.json'))!) as { file: string; uploadedAt: string };
    expect(manifest.file).toBe('sales_JL_20261118_修正.csv');
    expect(Date.parse(manifest.uploadedAt)).toBeGreaterThan(Date.parse(receipt.uploadedAt!));
  });
  it('rejects a broken file with a receipt beside it and leaves the lake untouched', async () => {
    // Prepare
    await upload('JL/sales_JL_20261101.csv', join(BAD, 'sales_JL_20261101.csv'));
    const handler = createIngestHandler(() => runtime);
    // Act
    const result = await handler(await createdEvent('JL/sales_JL_20261101.csv'));
    // Assess
    expect(result.uploads[0]).toMatchObject({ status: 'rejected', detail: "row 2, column monthly_fee: '12,5' is not a number; use a dot for decimals" });
    expect(await lakeObjects()).toEqual([]);
    const beside = await receiptBeside('JL/sales_JL_20261101.csv');
    expect(beside).toMatchObject({ status: 'rejected', problemCount: 1, problems: [{ row: 1, column: 'monthly_fee', value: '12,5' }] });
    expect(text(await landing.get('JL/sales_JL_20261101.csv.receipt.txt'))).toContain('12,5');
    expect((await reports.list('receipts/sales/JL/2026-11-01/')).filter((k) => k.endsWith('.json'))).toHaveLength(1);
  });

  it('rejects a file whose name claims another province than the prefix it was uploaded under', async () => {
    // Prepare: the GD branch uploads JL's extract into its own folder
    await upload('GD/sales_JL_20261118.csv', join(GOOD, 'sales_JL_20261118.csv'));
    const handler = createIngestHandler(() => runtime);
    // Act
    const result = await handler(await createdEvent('GD/sales_JL_20261118.csv'));
    // Assess
    expect(result.uploads[0]!.status).toBe('rejected');
    expect(await lakeObjects()).toEqual([]);
    const beside = await receiptBeside('GD/sales_JL_20261118.csv');
    expect(beside).toMatchObject({ status: 'rejected', province: 'GD', type: 'sales', day: '2026-11-18' });
    expect(beside.problems[0]!.message).toMatch(/says province JL but it was uploaded under GD\//);
    expect(await reports.list('receipts/sales/GD/')).toHaveLength(2);
  });

  it('rejects a file whose name says no extract type, with a receipt beside it', async () => {
    // Prepare
    await landing.put('JL/周报数据.csv', 'a,b\n1,2\n');
    const handler = createIngestHandler(() => runtime);
    // Act
    const result = await handler(await createdEvent('JL/周报数据.csv'));
    // Assess
    expect(result.uploads[0]!.status).toBe('rejected');
    const beside = await receiptBeside('JL/周报数据.csv');
    expect(beside).toMatchObject({ file: '周报数据.csv', province: 'JL', status: 'rejected' });
    expect(beside.problems[0]!.message).toMatch(/is not an extract type/);
    expect(text(await landing.get('JL/周报数据.csv.receipt.txt'))).toMatch(/结果：未接受.*\n[^]*“周报数据”不是报表类型/);
    expect(await lakeObjects()).toEqual([]);
  });

  it.each([
    ['eventbridge-object-created-encoded-key.json'],
    ['s3-notification-object-created.json'],
  ])('decodes the URL-encoded key of %s and ingests the upload', async (fixture) => {
    // Prepare: the key has a space and Chinese characters
    await upload('JL/补传 11月/service_JL_20261118.csv', join(GOOD, 'service_JL_20261118.csv'));
    const handler = createIngestHandler(() => runtime);
    // Act
    const result = await handler(await event(fixture));
    // Assess
    expect(result.uploads[0]).toMatchObject({ key: 'JL/补传 11月/service_JL_20261118.csv', status: 'accepted' });
    expect(await curated.list('lake/service/')).toEqual(['lake/service/dt=2026-11-18/province=JL/data.parquet']);
    expect((await receiptBeside('JL/补传 11月/service_JL_20261118.csv')).status).toBe('accepted');
  });

  it('skips its own receipts and keys outside the province prefixes without writing anything', async () => {
    // Prepare: one S3 notification with two records
    await landing.put('JL/sales_JL_20261118.csv.receipt.json', '{}');
    await landing.put('README.txt', 'hello');
    const notification = await event('s3-notification-object-created.json') as unknown as { Records: Array<{ s3: { object: { key: string } } }> };
    const record = notification.Records[0]!;
    notification.Records = ['JL/sales_JL_20261118.csv.receipt.json', 'README.txt'].map((key) => {
      const copy = structuredClone(record);
      copy.s3.object.key = key;
      return copy;
    });
    const handler = createIngestHandler(() => runtime);
    const before = (await s3.requests()).length;
    // Act
    const result = await handler(notification);
    // Assess
    expect(result.uploads.map((u) => [u.key, u.status])).toEqual([['JL/sales_JL_20261118.csv.receipt.json', 'skipped'], ['README.txt', 'skipped']]);
    expect(result.uploads[1]!.detail).toMatch(/province prefix/);
    expect((await s3.requests()).slice(before)).toEqual([]);
  });

  it('writes the receipt beside an upload whose key leaves no room for the suffix within the 1,024 bytes S3 allows', async () => {
    // Prepare
    const folders = `JL/${`${'d'.repeat(240)}/`.repeat(4)}`;
    const file = `sales_JL_20261118_${'x'.repeat(1020 - folders.length - 'sales_JL_20261118_.csv'.length)}.csv`;
    const key = folders + file;
    await upload(key, join(GOOD, 'sales_JL_20261118.csv'));
    const handler = createIngestHandler(() => runtime);
    // Act
    const result = await handler(await createdEvent(key));
    const again = await handler(await createdEvent(key));
    // Assess
    const outcome = result.uploads[0]!;
    expect(outcome.status).toBe('accepted');
    expect(Buffer.byteLength(outcome.receiptKey!)).toBeLessThanOrEqual(1024);
    expect(outcome.receiptKey!.startsWith(folders)).toBe(true);
    expect(outcome.receiptKey!.endsWith('.receipt.json')).toBe(true);
    expect((JSON.parse(text(await landing.get(outcome.receiptKey!))!) as Receipt).file).toBe(file);
    expect(text(await landing.get(outcome.receiptKey!.replace(/\.json$/, '.txt')))).toContain('结果：已接受');
    expect(again.uploads[0]).toMatchObject({ status: 'unchanged', duplicate: true, receiptKey: outcome.receiptKey });
  });

  it('throws when storing fails for a reason that is not the file\'s, and writes no receipt beside the upload', async () => {
    // Prepare: the encoder fails (as a full /tmp or a DuckDB crash would)
    await upload('JL/sales_JL_20261118.csv', join(GOOD, 'sales_JL_20261118.csv'));
    const failing: IngestRuntime = { ...runtime, encoder: { encode: () => Promise.reject(new Error('No space left on device')) } };
    const handler = createIngestHandler(() => failing);
    // Act / Assess
    await expect(handler(await event('eventbridge-object-created.json'))).rejects.toThrow('No space left on device');
    expect(await landing.get('JL/sales_JL_20261118.csv.receipt.json')).toBeUndefined();
    expect(await curated.list('')).toEqual([]);
    // A retry with a working encoder then ingests it
    const retried = await createIngestHandler(() => runtime)(await event('eventbridge-object-created.json'));
    expect(retried.uploads[0]!.status).toBe('accepted');
  });
});

describe('S3 event parsing', () => {
  it('decodes keys the way S3 encodes them: + is a space, %2B a plus, UTF-8 escapes', () => {
    expect(decodeS3Key('JL/%E8%A1%A5%E4%BC%A0+11%E6%9C%88/a%2Bb.csv')).toBe('JL/补传 11月/a+b.csv');
    expect(decodeS3Key('JL/sales_JL_20261118.csv')).toBe('JL/sales_JL_20261118.csv');
    expect(decodeS3Key('JL/100%.csv')).toBe('JL/100%.csv');
  });

  it('reads the upload from both event shapes, ignores other detail types and rejects unknown events', async () => {
    expect(uploadsOf(await event('eventbridge-object-created.json'))).toEqual([{ bucket: LANDING, key: 'JL/sales_JL_20261118.csv', rawKey: 'JL/sales_JL_20261118.csv' }]);
    expect(uploadsOf(await event('s3-notification-object-created.json'))[0]!.key).toBe('JL/补传 11月/service_JL_20261118.csv');
    expect(uploadsOf({ ...(await event('eventbridge-object-created.json')), 'detail-type': 'Object Deleted' })).toEqual([]);
    expect(() => uploadsOf({ period: 'previous-week' })).toThrow(UnsupportedEventError);
  });
});
