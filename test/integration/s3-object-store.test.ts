import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ObjectChangedError, S3ObjectStore, presignedAttachmentLinks } from '../../lambdas/adapters/s3-object-store.js';
import { startS3, type S3Harness } from './s3-harness.js';

const BUCKET = 'telco-kpi-test';

describe('S3ObjectStore on s3rver', () => {
  let s3: S3Harness;

  beforeEach(async () => {
    s3 = await startS3(BUCKET, { honourIfNoneMatch: false });
  });

  afterEach(async () => {
    await s3.stop();
  });

  it('puts, gets and replaces an object, with unicode content intact', async () => {
    // Prepare
    const store = new S3ObjectStore(s3.client, { bucket: BUCKET });
    // Act
    await store.put('receipts/JL/sales.json', '{"省份":"JL"}', { contentType: 'application/json' });
    const first = await store.get('receipts/JL/sales.json');
    await store.put('receipts/JL/sales.json', new Uint8Array([1, 2, 3]));
    const second = await store.get('receipts/JL/sales.json');
    // Assess
    expect(Buffer.from(first!).toString('utf8')).toBe('{"省份":"JL"}');
    expect([...second!]).toEqual([1, 2, 3]);
  });

  it('returns undefined for a missing key and deletes', async () => {
    const store = new S3ObjectStore(s3.client, { bucket: BUCKET });
    await store.put('a/b.txt', 'x');
    expect(await store.get('a/missing.txt')).toBeUndefined();
    await store.delete('a/b.txt');
    expect(await store.get('a/b.txt')).toBeUndefined();
    expect(await store.list('a/')).toEqual([]);
  });

  it('opens an object as a source read in chunks, as often as asked, and fails a read once the object was replaced', async () => {
    // Prepare: 3 MB, more than one chunk of the response body
    const store = new S3ObjectStore(s3.client, { bucket: BUCKET });
    const body = Buffer.alloc(3 * 1024 * 1024, '长春,');
    await store.put('JL/sales_JL_20261118.csv', body);
    // Act
    const opened = await store.open('JL/sales_JL_20261118.csv');
    const read = async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of opened!.source.chunks()) chunks.push(Buffer.from(chunk));
      return chunks;
    };
    const first = await read();
    const second = await read();
    await store.put('JL/sales_JL_20261118.csv', 'a later upload');
    // Assess
    expect(await store.open('JL/missing.csv')).toBeUndefined();
    expect(opened!.size).toBe(body.length);
    expect(opened!.lastModified).toBeInstanceOf(Date);
    expect(first.length).toBeGreaterThan(1);
    expect(Buffer.concat(first).equals(body)).toBe(true);
    expect(Buffer.concat(second).equals(body)).toBe(true);
    await expect(read()).rejects.toBeInstanceOf(ObjectChangedError);
  });

  it('lists every key under a prefix across pages, sorted, without the store prefix', async () => {
    // Prepare: 23 keys under the prefix, pages of 5, plus keys that must not be listed
    const store = new S3ObjectStore(s3.client, { bucket: BUCKET, prefix: 'home', listPageSize: 5 });
    const keys = Array.from({ length: 23 }, (_, i) => `lake/sales/dt=2026-11-${String(i + 1).padStart(2, '0')}/province=JL/data.parquet`);
    for (const key of [...keys].reverse()) await store.put(key, key);
    await store.put('lake/revenue/dt=2026-11-01/province=JL/data.parquet', 'other type');
    await new S3ObjectStore(s3.client, { bucket: BUCKET }).put('lake/sales/outside-home.txt', 'no prefix');
    // Act
    const listed = await store.list('lake/sales/');
    // Assess
    expect(listed).toEqual([...keys].sort());
    const listCalls = (await s3.requests()).filter((r) => r.method === 'GET' && r.query.includes('list-type=2'));
    expect(listCalls.length).toBe(5);
    expect(listCalls.slice(1).every((r) => r.query.includes('continuation-token='))).toBe(true);
    expect(Buffer.from((await store.get(keys[0]!))!).toString()).toBe(keys[0]);
  });

  it('uploads a body above the multipart threshold in parts and reads it back whole', async () => {
    // Prepare
    const store = new S3ObjectStore(s3.client, { bucket: BUCKET, multipartThreshold: 5 * 1024 * 1024 });
    const body = new Uint8Array(11 * 1024 * 1024);
    for (let i = 0; i < body.length; i += 1) body[i] = (i * 31) % 251;
    // Act
    await store.put('reports/2026-W47/ALL/report.xlsx', body);
    const back = await store.get('reports/2026-W47/ALL/report.xlsx');
    // Assess
    expect((await s3.requests()).some((r) => r.method === 'POST' && r.path.endsWith('report.xlsx'))).toBe(true);
    expect(back!.length).toBe(body.length);
    expect(Buffer.compare(Buffer.from(back!), Buffer.from(body))).toBe(0);
  });

  it('sends putIfAbsent as a conditional PutObject (If-None-Match: *); bare s3rver ignores the condition', async () => {
    // Prepare
    const store = new S3ObjectStore(s3.client, { bucket: BUCKET });
    // Act
    const first = await store.putIfAbsent('sent/2026-W47.json', 'first');
    const second = await store.putIfAbsent('sent/2026-W47.json', 'second');
    // Assess: the header is on the wire; s3rver 3.7.1 overwrites regardless (real S3 answers 412)
    const puts = (await s3.requests()).filter((r) => r.method === 'PUT' && r.path.endsWith('2026-W47.json'));
    expect(puts.map((p) => p.ifNoneMatch)).toEqual(['*', '*']);
    expect(first).toBe(true);
    expect(second).toBe(true);
    expect(Buffer.from((await store.get('sent/2026-W47.json'))!).toString()).toBe('second');
  });

  it('accepts an upload through a presigned PUT URL and serves it through a presigned GET URL', async () => {
    // Prepare
    const store = new S3ObjectStore(s3.client, { bucket: BUCKET, prefix: 'landing' });
    const putUrl = await store.presignedPutUrl('JL/sales_JL_20261116.csv', 300);
    // Act
    const upload = await fetch(putUrl, { method: 'PUT', body: 'event_id,日期\nE1,2026-11-16\n' });
    const getUrl = await store.presignedGetUrl('JL/sales_JL_20261116.csv', 300);
    const download = await fetch(getUrl);
    // Assess
    expect(upload.status).toBe(200);
    expect(putUrl).toContain('X-Amz-Signature=');
    expect(await download.text()).toBe('event_id,日期\nE1,2026-11-16\n');
    expect(await store.list('JL/')).toEqual(['JL/sales_JL_20261116.csv']);
  });
});

describe('presignedAttachmentLinks on s3rver', () => {
  let s3: S3Harness;

  beforeEach(async () => {
    s3 = await startS3(BUCKET, { honourIfNoneMatch: false });
  });

  afterEach(async () => {
    await s3.stop();
  });

  it('stores a mail attachment and returns a link that downloads it', async () => {
    // Prepare
    const store = new S3ObjectStore(s3.client, { bucket: BUCKET });
    const linkFor = presignedAttachmentLinks(store, { prefix: 'mail-links/', expiresInSeconds: 3600 });
    const content = new Uint8Array(Array.from({ length: 3000 }, (_, i) => i % 256));
    // Act
    const url = await linkFor({ filename: '2026-W47 周报.xlsx', content, contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' });
    const response = await fetch(url);
    // Assess
    expect(response.status).toBe(200);
    expect(Buffer.compare(Buffer.from(await response.arrayBuffer()), Buffer.from(content))).toBe(0);
    const [key] = await store.list('mail-links/');
    expect(key).toMatch(/^mail-links\/[0-9a-f]{32}\/2026-W47 周报\.xlsx$/);
  });
});

describe('S3ObjectStore.putIfAbsent against S3 conditional-write semantics', () => {
  let s3: S3Harness;

  beforeEach(async () => {
    s3 = await startS3(BUCKET, { honourIfNoneMatch: true });
  });

  afterEach(async () => {
    await s3.stop();
  });

  it('writes the first time and returns false, leaving the object unchanged, the second time', async () => {
    // Prepare
    const store = new S3ObjectStore(s3.client, { bucket: BUCKET, prefix: 'home' });
    // Act
    const first = await store.putIfAbsent('sent/2026-W47.json', 'first');
    const second = await store.putIfAbsent('sent/2026-W47.json', 'second');
    // Assess
    expect(first).toBe(true);
    expect(second).toBe(false);
    expect(Buffer.from((await store.get('sent/2026-W47.json'))!).toString()).toBe('first');
  });
});
