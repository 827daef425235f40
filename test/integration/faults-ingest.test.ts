/**
 * Ingest under faults with real parts (validator, DuckDB encoder, local files): concurrent uploads of
 * one partition, and an ingest stopped at every store call. What is stored must always be one whole
 * upload whose manifest describes it, and every upload must stay re-processable.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbParquetEncoder } from '../../lambdas/adapters/duckdb-parquet-encoder.js';
import { LocalObjectStore } from '../../lambdas/adapters/local-object-store.js';
import { ingestExtract, listReceipts, manifestKey, type PartitionManifest } from '../../lambdas/core/extracts/ingest.js';
import type { ObjectStore } from '../../lambdas/core/ports.js';
import { CrashingStore, JitteryStore, seeded } from '../helpers/faulty-store.js';
import { sampleFiles } from '../helpers/lake.js';
import { parquetRows } from '../helpers/parquet.js';

const [SALES] = sampleFiles({ from: '2026-11-18', days: 1, provinces: ['JL'], types: ['sales'] });
const NAME = SALES!.fileName;
const DATA_KEY = 'lake/sales/dt=2026-11-18/province=JL/data.parquet';
const MANIFEST_KEY = 'lake/_manifest/sales/dt=2026-11-18/province=JL.json';
const bytes = (text: string) => new TextEncoder().encode(text);
// Two different valid uploads of the same partition: A, and A without its last row.
const A = bytes(SALES!.content);
const B = bytes(`${SALES!.content.trimEnd().split('\n').slice(0, -1).join('\n')}\n`);
const ROWS = { A: SALES!.rows, B: SALES!.rows - 1 };

async function storedState(store: ObjectStore): Promise<{ rows: number; manifest: PartitionManifest }> {
  const data = await store.get(DATA_KEY);
  const manifest = await store.get(MANIFEST_KEY);
  if (!data || !manifest) throw new Error('partition or manifest missing');
  return { rows: (await parquetRows(data, 'event_id')).length, manifest: JSON.parse(new TextDecoder().decode(manifest)) as PartitionManifest };
}

describe('ingest faults', () => {
  let encoder: DuckDbParquetEncoder;
  let work: string;
  let shaOf: { A: string; B: string };
  let clock: number;
  const now = () => new Date(clock++);

  beforeAll(async () => {
    encoder = new DuckDbParquetEncoder();
    work = await mkdtemp(join(tmpdir(), 'telco-kpi-faults-ingest-'));
    const probe = new LocalObjectStore(join(work, 'probe'));
    shaOf = {
      A: (await ingestExtract({ store: probe, encoder }, { fileName: NAME, bytes: A })).sha256,
      B: (await ingestExtract({ store: probe, encoder }, { fileName: NAME, bytes: B })).sha256,
    };
    clock = Date.parse('2026-11-19T01:00:00Z');
  });
  afterAll(async () => {
    await encoder.close();
    await rm(work, { recursive: true, force: true });
  });

  it('concurrent uploads of one partition end with exactly one stored, its manifest agreeing, every time', async () => {
    for (let iteration = 0; iteration < 25; iteration++) {
      // Prepare: a lake holding an older upload, and a store that interleaves callers by a seeded jitter.
      const home = await mkdtemp(join(work, `race-${iteration}-`));
      const local = new LocalObjectStore(home);
      if (iteration % 2 === 1) await ingestExtract({ store: local, encoder, now }, { fileName: NAME, bytes: B });
      const store = new JitteryStore(local, seeded(iteration + 1));
      const other = new DuckDbParquetEncoder();
      // Act: two different files of the same type/province/day, started together.
      const [a, b] = await Promise.all([
        ingestExtract({ store, encoder, now }, { fileName: NAME, bytes: A }),
        ingestExtract({ store, encoder: other, now }, { fileName: NAME, bytes: B }),
      ]);
      await other.close();
      // Assess: the Parquet content and the manifest describe the same upload.
      const state = await storedState(local);
      expect(state.manifest.pending, `iteration ${iteration}`).toBeUndefined();
      const winner = state.manifest.sha256 === shaOf.A ? 'A' : 'B';
      expect(state.manifest.sha256, `iteration ${iteration}`).toBe(shaOf[winner]);
      expect(state.rows, `iteration ${iteration}: data of ${state.rows} rows under the manifest of ${winner}`).toBe(ROWS[winner]);
      // …and it is the upload received later: the other was stored first and replaced, or found the newer one and was superseded.
      const later = Date.parse(a.receivedAt) > Date.parse(b.receivedAt) ? 'A' : 'B';
      expect(winner, `iteration ${iteration}`).toBe(later);
      expect([a.status, b.status].every((s) => s === 'accepted' || s === 'unchanged' || s === 'superseded')).toBe(true);
      expect(await local.list('lake/_manifest/')).toEqual([MANIFEST_KEY]);
      // Assess: the stored upload is 'unchanged' on re-upload, the other is stored again.
      const loser = winner === 'A' ? 'B' : 'A';
      expect((await ingestExtract({ store: local, encoder, now }, { fileName: NAME, bytes: winner === 'A' ? A : B })).status).toBe('unchanged');
      expect((await ingestExtract({ store: local, encoder, now }, { fileName: NAME, bytes: loser === 'A' ? A : B })).status).toBe('accepted');
      expect((await storedState(local)).rows).toBe(ROWS[loser]);
      await rm(home, { recursive: true, force: true });
    }
  });

  it('an ingest stopped at any store call leaves one whole upload stored, and both uploads stay re-processable', async () => {
    // Prepare: learn how many store calls a replacing ingest makes.
    const probeHome = await mkdtemp(join(work, 'probe-calls-'));
    await ingestExtract({ store: new LocalObjectStore(probeHome), encoder, now }, { fileName: NAME, bytes: A });
    const counting = new CrashingStore(new LocalObjectStore(probeHome), () => false);
    await ingestExtract({ store: counting, encoder, now }, { fileName: NAME, bytes: B });
    const total = counting.calls.length;
    expect(counting.calls.map((c) => c.op)).toContain('putIfAbsent');
    for (let n = 1; n <= total; n++) {
      const home = await mkdtemp(join(work, `crash-${n}-`));
      const local = new LocalObjectStore(home);
      await ingestExtract({ store: local, encoder, now }, { fileName: NAME, bytes: A });
      // Act: B's ingest loses the store at call n.
      const crashing = new CrashingStore(local, (_call, i) => i === n);
      await expect(ingestExtract({ store: crashing, encoder, now }, { fileName: NAME, bytes: B })).rejects.toThrow('store gone');
      // Assess: the partition holds A or B whole.
      const after = await storedState(local);
      expect([ROWS.A, ROWS.B], `crash at call ${n} (${crashing.calls.length} ran)`).toContain(after.rows);
      if (after.rows === ROWS.A) expect(after.manifest.sha256 === shaOf.A || after.manifest.pending === true).toBe(true);
      // Act + Assess: after the lock's lease, re-sending A stores A, and re-sending B stores B.
      clock += 11 * 60_000;
      await ingestExtract({ store: local, encoder, now }, { fileName: NAME, bytes: A });
      expect((await storedState(local)).rows, `A re-sent after a crash at call ${n}`).toBe(ROWS.A);
      const again = await ingestExtract({ store: local, encoder, now }, { fileName: NAME, bytes: B });
      expect(again.status).toBe('accepted');
      expect(await storedState(local)).toMatchObject({ rows: ROWS.B, manifest: { sha256: shaOf.B } });
      expect((await listReceipts(local, { type: 'sales' })).at(-1)?.status).toBe('accepted');
      await rm(home, { recursive: true, force: true });
    }
    expect(manifestKey({ type: 'sales', province: 'JL', day: '2026-11-18' })).toBe(MANIFEST_KEY);
  });
});
