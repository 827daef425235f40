/**
 * The S3 server (s3rver in a child process) killed in the middle of an ingest: the partition keeps
 * one whole upload, and the upload is re-processable once the server is back.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DuckDbParquetEncoder } from '../../lambdas/adapters/duckdb-parquet-encoder.js';
import { ingestExtract, type PartitionManifest } from '../../lambdas/core/extracts/ingest.js';
import type { ObjectStore } from '../../lambdas/core/ports.js';
import type { StoreCall } from '../helpers/faulty-store.js';
import { sampleFiles } from '../helpers/lake.js';
import { parquetRows } from '../helpers/parquet.js';
import { killingStore, startRestartableS3, type RestartableS3 } from '../helpers/s3.js';

const [SALES] = sampleFiles({ from: '2026-11-18', days: 1, provinces: ['JL'], types: ['sales'] });
const NAME = SALES!.fileName;
const DATA_KEY = 'lake/sales/dt=2026-11-18/province=JL/data.parquet';
const MANIFEST_KEY = 'lake/_manifest/sales/dt=2026-11-18/province=JL.json';
const A = new TextEncoder().encode(SALES!.content);
const B = new TextEncoder().encode(`${SALES!.content.trimEnd().split('\n').slice(0, -1).join('\n')}\n`);
const ROWS = { A: SALES!.rows, B: SALES!.rows - 1 };

async function stored(store: ObjectStore): Promise<{ rows: number; manifest: PartitionManifest }> {
  const data = await store.get(DATA_KEY);
  const manifest = await store.get(MANIFEST_KEY);
  if (!data || !manifest) throw new Error('partition or manifest missing');
  return { rows: (await parquetRows(data, 'event_id')).length, manifest: JSON.parse(new TextDecoder().decode(manifest)) as PartitionManifest };
}

describe('S3 server stopped mid-ingest', () => {
  let s3: RestartableS3;
  let encoder: DuckDbParquetEncoder;
  let clock: number;
  const now = () => new Date(clock++);

  beforeAll(async () => {
    encoder = new DuckDbParquetEncoder();
    clock = Date.parse('2026-11-19T01:00:00Z');
  });
  afterAll(async () => encoder.close());
  beforeEach(async () => {
    s3 = await startRestartableS3();
    const first = await ingestExtract({ store: s3.store, encoder, now }, { fileName: NAME, bytes: A });
    expect(first.status).toBe('accepted');
  });
  afterEach(async () => s3.close());

  // The receipt is written before the data, so an ingest killed before it has changed nothing:
  // re-sending A then finds A stored and settled ('unchanged').
  const points: Array<[string, (call: StoreCall, previous: StoreCall[]) => boolean, keyof typeof ROWS, 'accepted' | 'unchanged']> = [
    ['before the receipt', (c) => c.op === 'put' && c.key.startsWith('receipts/'), 'A', 'unchanged'],
    ['before the Parquet put', (c) => c.op === 'put' && c.key === DATA_KEY, 'A', 'accepted'],
    ['after the Parquet put, before the manifest', (c, prev) => c.op === 'put' && c.key === MANIFEST_KEY && prev.some((p) => p.key === DATA_KEY), 'B', 'accepted'],
  ];

  for (const [where, when, holds, resent] of points) {
    it(`killed ${where}: the partition holds one whole upload, and re-sending stores it correctly`, async () => {
      // Act: B's ingest loses the server.
      const killing = killingStore(s3, when);
      await expect(ingestExtract({ store: killing, encoder, now }, { fileName: NAME, bytes: B })).rejects.toThrow();
      expect(killing.killedAt, `the server was not killed ${where}; calls: ${JSON.stringify(killing.calls)}`).toBeDefined();
      await s3.restart();
      // Assess: whole data, never B's rows under A's settled manifest (or the reverse).
      const after = await stored(s3.store);
      expect(after.rows).toBe(ROWS[holds]);
      // Act: after the dead ingest's lock lease, A is re-sent, then B.
      clock += 11 * 60_000;
      const a = await ingestExtract({ store: s3.store, encoder, now }, { fileName: NAME, bytes: A });
      const rowsA = (await stored(s3.store)).rows;
      const b = await ingestExtract({ store: s3.store, encoder, now }, { fileName: NAME, bytes: B });
      // Assess
      expect(rowsA).toBe(ROWS.A);
      // A pending (or B's) manifest: A is stored again, never skipped as 'unchanged'.
      expect(a.status).toBe(resent);
      expect(b.status).toBe('accepted');
      const final = await stored(s3.store);
      expect(final.rows).toBe(ROWS.B);
      expect(final.manifest).toMatchObject({ sha256: b.sha256 });
      expect(final.manifest.pending).toBeUndefined();
      expect(await s3.store.list('lake/_manifest/')).toEqual([MANIFEST_KEY]);
    });
  }
});
