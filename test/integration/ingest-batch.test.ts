/**
 * Batch ingest (ingestExtracts, issue 14) with real parts: many files validated and encoded in one
 * DuckDB COPY … PARTITION_BY, with every guarantee of a single ingest kept.
 */
import { mkdtemp, readdir, readFile, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbParquetEncoder } from '../../lambdas/adapters/duckdb-parquet-encoder.js';
import { LocalObjectStore } from '../../lambdas/adapters/local-object-store.js';
import { ingestExtract, ingestExtracts, listReceipts, manifestKey, type IngestOutcome, type PartitionManifest } from '../../lambdas/core/extracts/ingest.js';
import { partitionKey, TABLES } from '../../lambdas/core/extracts/schema.js';
import { validateExtract, type ExtractInput, type Receipt } from '../../lambdas/core/extracts/validate.js';
import type { CsvSpool, ObjectStore, ParquetEncoder } from '../../lambdas/core/ports.js';
import { CrashingStore } from '../helpers/faulty-store.js';
import { sampleFiles } from '../helpers/lake.js';
import { parquetRows } from '../helpers/parquet.js';

const FILES = sampleFiles({ from: '2026-11-17', days: 3, provinces: ['JL', 'GD'] });
const bytes = (text: string) => new TextEncoder().encode(text);
const dayOf = (fileName: string) => fileName.replace(/^.*_(\d{4})(\d{2})(\d{2})\.csv$/, '$1-$2-$3');
const inputs = (files = FILES): ExtractInput[] => files.map((f) => ({ fileName: f.fileName, bytes: bytes(f.content) }));
const ORDER: Record<string, string> = { sales: 'event_id', revenue: 'city, segment, channel, product', service: 'ticket_id', managers: 'account_manager_id', market: 'operator, product', targets: 'segment, kpi' };

async function collect(outcomes: AsyncIterable<IngestOutcome>): Promise<IngestOutcome[]> {
  const all: IngestOutcome[] = [];
  for await (const o of outcomes) all.push(o);
  return all;
}

const receiptOf = (o: IngestOutcome): Receipt => {
  if ('error' in o) throw o.error;
  return o.receipt;
};

/** Every lake object's rows (Parquet read back, in key order) and every manifest without its times. */
async function lakeState(store: ObjectStore): Promise<Record<string, unknown>> {
  const state: Record<string, unknown> = {};
  for (const key of await store.list('lake/')) {
    const body = (await store.get(key))!;
    if (key.endsWith('.parquet')) state[key] = await parquetRows(body, ORDER[key.split('/')[1]!]!);
    else if (key.endsWith('.json')) {
      const { sha256, file, rows, pending } = JSON.parse(new TextDecoder().decode(body)) as PartitionManifest;
      state[key] = { sha256, file, rows, pending };
    } else state[key] = 'unexpected object';
  }
  return state;
}

/** Counts encoder calls, so a test can see the batch encoded in one call per type. */
function counting(inner: DuckDbParquetEncoder) {
  const calls = { encode: 0, encodeMany: 0 };
  const encoder: ParquetEncoder = {
    encode: (t, csv) => { calls.encode++; return inner.encode(t, csv); },
    encodeMany: (t, csvs) => { calls.encodeMany++; return inner.encodeMany(t, csvs); },
  };
  return { encoder, calls };
}

describe('batch ingest', () => {
  let work: string;
  let inner: DuckDbParquetEncoder;
  let clock: number;
  const now = () => new Date(clock++);

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'telco-kpi-ingest-batch-'));
    inner = new DuckDbParquetEncoder();
    clock = Date.parse('2026-11-20T01:00:00Z');
  });
  afterAll(async () => {
    await inner.close();
    await rm(work, { recursive: true, force: true });
  });

  it('stores the same lake as ingesting the files one by one, with one encoder call per type and a receipt per file', async () => {
    // Prepare
    const one = new LocalObjectStore(await mkdtemp(join(work, 'one-')));
    for (const input of inputs()) expect((await ingestExtract({ store: one, encoder: inner, now }, input)).status).toBe('accepted');
    const many = new LocalObjectStore(await mkdtemp(join(work, 'many-')));
    const { encoder, calls } = counting(inner);
    // Act: every file in one batch (more than the default 16)
    const outcomes = await collect(ingestExtracts({ store: many, encoder, now }, inputs(), { maxFiles: FILES.length }));
    // Assess
    expect(outcomes.map((o) => o.fileName)).toEqual(FILES.map((f) => f.fileName));
    expect(outcomes.map((o) => receiptOf(o).status)).toEqual(FILES.map(() => 'accepted'));
    expect(calls).toEqual({ encode: 0, encodeMany: new Set(FILES.map((f) => f.type)).size });
    expect(await lakeState(many)).toEqual(await lakeState(one));
    expect((await listReceipts(many)).map((r) => r.file).sort()).toEqual(FILES.map((f) => f.fileName).sort());
    expect(await many.list('lake/_manifest/')).not.toContainEqual(expect.stringMatching(/\.lock$/));
  });

  it('stores a folder of more than 16 files in batches of at most 16 by default, the same lake as one batch', async () => {
    // Prepare
    expect(FILES.length).toBeGreaterThan(16);
    const single = new LocalObjectStore(await mkdtemp(join(work, 'single-batch-')));
    await collect(ingestExtracts({ store: single, encoder: inner, now }, inputs(), { maxFiles: FILES.length }));
    const batched = new LocalObjectStore(await mkdtemp(join(work, 'default-batches-')));
    const sizes: number[] = [];
    const encoder: ParquetEncoder = {
      encode: (t, csv) => (sizes.push(1), inner.encode(t, csv)),
      encodeMany: (t, csvs) => (sizes.push(csvs.length), inner.encodeMany(t, csvs)),
    };
    // Act
    const outcomes = await collect(ingestExtracts({ store: batched, encoder, now }, inputs()));
    // Assess
    expect(outcomes.map((o) => receiptOf(o).status)).toEqual(FILES.map(() => 'accepted'));
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(FILES.length);
    expect(sizes.length).toBeGreaterThan(new Set(FILES.map((f) => f.type)).size);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(16);
    expect(await lakeState(batched)).toEqual(await lakeState(single));
  });

  it('gives a rejected file its receipt and changes nothing for it, while the rest of the batch is stored', async () => {
    // Prepare
    const store = new LocalObjectStore(await mkdtemp(join(work, 'rejected-')));
    const [sales] = FILES.filter((f) => f.type === 'sales');
    await ingestExtract({ store, encoder: inner, now }, { fileName: sales!.fileName, bytes: bytes(sales!.content) });
    const before = await store.get(partitionKey('sales', { province: sales!.province, day: dayOf(sales!.fileName) }));
    expect(before).toBeDefined();
    const broken = sales!.content.replace(/\n([^,\n]*),/, '\n$1,not-a-date-');
    const batch = inputs().map((i) => (i.fileName === sales!.fileName ? { ...i, bytes: bytes(broken) } : i));
    // Act
    const outcomes = await collect(ingestExtracts({ store, encoder: inner, now }, batch));
    // Assess
    const statuses = Object.fromEntries(outcomes.map((o) => [o.fileName, receiptOf(o).status]));
    expect(statuses[sales!.fileName]).toBe('rejected');
    expect(Object.values(statuses).filter((s) => s === 'accepted')).toHaveLength(FILES.length - 1);
    expect(await store.get(partitionKey('sales', { province: sales!.province, day: dayOf(sales!.fileName) }))).toEqual(before);
    expect((await listReceipts(store, { type: 'sales', status: 'rejected' })).map((r) => r.file)).toEqual([sales!.fileName]);
  });

  it('streams the canonical rows into the encoder\'s spool: the same lake as from bytes, and no spool file left for an accepted or a rejected file', async () => {
    // Prepare
    const spoolDir = await mkdtemp(join(work, 'spools-'));
    const spooling = new DuckDbParquetEncoder({ tempDir: spoolDir });
    const written = { spools: 0, bytes: 0 };
    const encoder: ParquetEncoder = {
      encode: (t, csv) => spooling.encode(t, csv),
      encodeMany: (t, csvs) => spooling.encodeMany(t, csvs),
      spool: () => {
        const spool = spooling.spool();
        written.spools++;
        const write = spool.write.bind(spool);
        spool.write = (b) => {
          written.bytes += b.length;
          write(b);
        };
        return spool;
      },
    };
    const fromBytes = new LocalObjectStore(await mkdtemp(join(work, 'from-bytes-')));
    await collect(ingestExtracts({ store: fromBytes, encoder: counting(inner).encoder, now }, inputs()));
    const [sales] = FILES.filter((f) => f.type === 'sales');
    const broken = sales!.content.replace(/\n([^,\n]*),/, '\n$1,not-a-date-');
    const store = new LocalObjectStore(await mkdtemp(join(work, 'spooled-')));
    try {
      // Act
      const outcomes = await collect(ingestExtracts({ store, encoder, now }, inputs()));
      const spooled = { ...written };
      const rejected = await collect(ingestExtracts({ store, encoder, now }, [{ fileName: sales!.fileName, bytes: bytes(broken) }]));
      // Assess
      expect(outcomes.map((o) => receiptOf(o).status)).toEqual(FILES.map(() => 'accepted'));
      expect(await lakeState(store)).toEqual(await lakeState(fromBytes));
      expect(rejected.map((o) => receiptOf(o).status)).toEqual(['rejected']);
      expect(spooled.spools).toBe(FILES.length);
      expect(spooled.bytes).toBeGreaterThan(FILES.reduce((n, f) => n + f.content.length, 0) / 2);
      expect(written.spools).toBe(FILES.length + 1);
      expect(await readdir(spoolDir)).toEqual([]);
    } finally {
      await spooling.close();
    }
  });

  it('keeps every chunk of a spool closed before its temp file has opened; refuses to encode a spool short of its bytes; a discarded one leaves nothing', async () => {
    // Prepare: a spool written and closed in one turn of the event loop, before the thread pool's open can call back.
    const spoolDir = await mkdtemp(join(work, 'early-close-spools-'));
    const spooling = new DuckDbParquetEncoder({ tempDir: spoolDir });
    const chunks = ['a,b\n', '1,2\n', '3,4\n'].map(bytes);
    try {
      // Act
      const spool = spooling.spool() as CsvSpool & { path: string; close(): Promise<void> };
      for (const chunk of chunks) spool.write(chunk);
      await spool.close();
      const content = await readFile(spool.path, 'utf8');
      const short = spooling.spool() as CsvSpool & { path: string; close(): Promise<void> };
      short.write(bytes('event_id,event_date\n'));
      await short.close();
      await truncate(short.path, 5);
      const refused = spooling.encode(TABLES.sales, short);
      const dropped = spooling.spool();
      dropped.write(chunks[0]!);
      // Assess
      await expect(refused).rejects.toThrow(/holds 5 of the 20 bytes written to it: not encoded$/);
      await Promise.all([dropped.discard(), short.discard(), spool.discard()]);
      expect(content).toBe('a,b\n1,2\n3,4\n');
      expect(spool.size).toBe(12);
      expect(await readdir(spoolDir)).toEqual([]);
    } finally {
      await spooling.close();
    }
  });

  it('spools a file larger than the spool keeps in memory while its temp file opens: the same Parquet as from bytes, nothing left', async () => {
    // Prepare: one sales day repeated under new event ids to ≈ 12 MB of canonical CSV.
    const [sales] = FILES.filter((f) => f.type === 'sales');
    const [header, ...rows] = sales!.content.trimEnd().split('\n');
    const copies = Math.ceil(12 * 1024 * 1024 / sales!.content.length);
    const big = bytes([header, ...Array.from({ length: copies }, (_, c) => rows.map((r) => `c${c}-${r}`)).flat()].join('\n') + '\n');
    const spoolDir = await mkdtemp(join(work, 'big-spools-'));
    const spooling = new DuckDbParquetEncoder({ tempDir: spoolDir });
    const fromBytes = new LocalObjectStore(await mkdtemp(join(work, 'big-bytes-')));
    await collect(ingestExtracts({ store: fromBytes, encoder: counting(inner).encoder, now }, [{ fileName: sales!.fileName, bytes: big }]));
    const store = new LocalObjectStore(await mkdtemp(join(work, 'big-spooled-')));
    try {
      // Act
      const outcomes = await collect(ingestExtracts({ store, encoder: spooling, now }, [{ fileName: sales!.fileName, bytes: big }]));
      // Assess
      expect(outcomes.map((o) => [receiptOf(o).status, receiptOf(o).rowsAccepted])).toEqual([['accepted', rows.length * copies]]);
      const key = partitionKey('sales', { province: sales!.province, day: dayOf(sales!.fileName) });
      expect(await store.get(key)).toEqual(await fromBytes.get(key));
      expect(await readdir(spoolDir)).toEqual([]);
    } finally {
      await spooling.close();
    }
  });

  it('decides two uploads of one day in a batch as if sent one after the other: a correction replaces, an older upload is superseded', async () => {
    // Prepare
    const [sales] = FILES.filter((f) => f.type === 'sales');
    const corrected = `${sales!.content.trimEnd().split('\n').slice(0, -1).join('\n')}\n`;
    const store = new LocalObjectStore(await mkdtemp(join(work, 'twice-')));
    // Act
    const first = await collect(ingestExtracts({ store, encoder: inner, now }, [
      { fileName: sales!.fileName, bytes: bytes(sales!.content), uploadedAt: '2026-11-19T02:00:00Z' },
      { fileName: sales!.fileName, bytes: bytes(corrected), uploadedAt: '2026-11-19T03:00:00Z' },
      { fileName: sales!.fileName, bytes: bytes(sales!.content), uploadedAt: '2026-11-19T02:30:00Z' },
    ]));
    // Assess
    expect(first.map((o) => receiptOf(o).status)).toEqual(['accepted', 'accepted', 'superseded']);
    const manifest = JSON.parse(new TextDecoder().decode((await store.get(manifestKey({ type: 'sales', province: sales!.province, day: dayOf(sales!.fileName) })))!)) as PartitionManifest;
    expect(manifest).toMatchObject({ sha256: receiptOf(first[1]!).sha256, rows: sales!.rows - 1 });
  });

  it('leaves every partition of a batch whole, old or new, when the store dies at any call, and the batch sent again stores it all', async () => {
    // Prepare: a lake holding the first version of three partitions, and a batch replacing them.
    const picked = FILES.filter((f) => f.type === 'sales' || f.type === 'revenue').slice(0, 3);
    const changed = picked.map((f) => ({ ...f, content: `${f.content.trimEnd().split('\n').slice(0, -1).join('\n')}\n` }));
    const probe = new LocalObjectStore(await mkdtemp(join(work, 'probe-')));
    await collect(ingestExtracts({ store: probe, encoder: inner, now }, inputs(picked)));
    const newLake = new LocalObjectStore(await mkdtemp(join(work, 'new-')));
    await collect(ingestExtracts({ store: newLake, encoder: inner, now }, inputs(changed)));
    const oldState = await lakeState(probe);
    const newState = await lakeState(newLake);
    const countingStore = new CrashingStore(probe, () => false);
    await collect(ingestExtracts({ store: countingStore, encoder: inner, now }, inputs(changed)));
    const total = countingStore.calls.length;
    expect(total).toBeGreaterThan(20);
    for (let n = 1; n <= total; n += 2) {
      const store = new LocalObjectStore(await mkdtemp(join(work, `crash-${n}-`)));
      await collect(ingestExtracts({ store, encoder: inner, now }, inputs(picked)));
      // Act
      const crashing = new CrashingStore(store, (_call, i) => i === n);
      await expect(collect(ingestExtracts({ store: crashing, encoder: inner, now }, inputs(changed)))).rejects.toThrow('store gone');
      // Assess: each partition is the old file or the new one whole; a manifest naming the old one may be pending.
      const after = await lakeState(store);
      for (const key of Object.keys(newState).filter((k) => k.endsWith('.parquet'))) {
        expect([oldState[key], newState[key]], `crash at call ${n}: ${key}`).toContainEqual(after[key]);
      }
      // Act + Assess: after the locks' lease the same batch stores every new file.
      clock += 11 * 60_000;
      const again = await collect(ingestExtracts({ store, encoder: inner, now }, inputs(changed)));
      expect(again.map((o) => receiptOf(o).status).every((s) => s === 'accepted' || s === 'unchanged'), `crash at call ${n}`).toBe(true);
      const final = await lakeState(store);
      for (const key of Object.keys(newState)) expect(final[key], `crash at call ${n}: ${key}`).toEqual(newState[key]);
      await rm(store.root, { recursive: true, force: true });
    }
  }, 120_000);

  it('validates the next batch while the previous one is encoded, and stores the same lake and receipts as batches one after the other', async () => {
    // Prepare: batches of 3; the encoder's first call waits (at most 5 s) until the 4th file has been read.
    const spoolDir = await mkdtemp(join(work, 'pipelined-spools-'));
    const spooling = new DuckDbParquetEncoder({ tempDir: spoolDir });
    const events: string[] = [];
    let fourthRead: () => void = () => undefined;
    const fourth = new Promise<void>((resolve) => (fourthRead = resolve));
    let first = true;
    const firstCall = async () => {
      if (!first) return;
      first = false;
      events.push(await Promise.race([fourth.then(() => 'fourth file read while the first batch was encoded'), new Promise<string>((r) => setTimeout(() => r('encoded alone'), 5000))]));
    };
    const encoder: ParquetEncoder = {
      encode: async (t, csv) => (await firstCall(), spooling.encode(t, csv)),
      encodeMany: async (t, csvs) => (await firstCall(), spooling.encodeMany(t, csvs)),
      spool: () => spooling.spool(),
    };
    const files = inputs();
    const reading = (async function* () {
      for (const [i, input] of files.entries()) {
        if (i === 3) fourthRead();
        yield input;
      }
    })();
    const one = new LocalObjectStore(await mkdtemp(join(work, 'sequential-')));
    for (const input of files) await ingestExtract({ store: one, encoder: inner, now }, input);
    const store = new LocalObjectStore(await mkdtemp(join(work, 'pipelined-')));
    try {
      // Act
      const outcomes = await collect(ingestExtracts({ store, encoder, now }, reading, { maxFiles: 3 }));
      // Assess
      expect(events).toEqual(['fourth file read while the first batch was encoded']);
      expect(outcomes.map((o) => [o.fileName, receiptOf(o).status])).toEqual(files.map((f) => [f.fileName, 'accepted']));
      expect(await lakeState(store)).toEqual(await lakeState(one));
      const strip = (r: Receipt) => ({ ...r, receivedAt: undefined });
      expect((await listReceipts(store)).map(strip).sort((a, b) => a.file.localeCompare(b.file))).toEqual((await listReceipts(one)).map(strip).sort((a, b) => a.file.localeCompare(b.file)));
      expect(await readdir(spoolDir)).toEqual([]);
    } finally {
      await spooling.close();
    }
  });

  it('encodes the next batch while the batch before writes its objects, and stores the same lake and receipts as one by one', async () => {
    // Prepare: batches of 3; the first Parquet object written waits (at most 5 s) for an encoder call after it, which only a later batch makes.
    const events: string[] = [];
    let encoderCalls = 0;
    let called: () => void = () => undefined;
    const encoder: ParquetEncoder = {
      encode: (t, csv) => (encoderCalls++, called(), inner.encode(t, csv)),
      encodeMany: (t, csvs) => (encoderCalls++, called(), inner.encodeMany(t, csvs)),
    };
    let waited = false;
    const gated = (target: ObjectStore) => new CrashingStore(target, async (call) => {
      if (waited || call.op !== 'put' || !call.key.endsWith('.parquet')) return false;
      waited = true;
      const before = encoderCalls;
      const later = new Promise<string>((resolve) => (called = () => encoderCalls > before && resolve('the next batch encoded while the first wrote its objects')));
      events.push(await Promise.race([later, new Promise<string>((r) => setTimeout(() => r('encoded after the first batch was stored'), 5000))]));
      return false;
    });
    const one = new LocalObjectStore(await mkdtemp(join(work, 'one-by-one-')));
    for (const input of inputs()) await ingestExtract({ store: one, encoder: inner, now }, input);
    const store = new LocalObjectStore(await mkdtemp(join(work, 'overlapped-')));
    // Act
    const outcomes = await collect(ingestExtracts({ store: gated(store), encoder, now }, inputs(), { maxFiles: 3 }));
    // Assess
    expect(events).toEqual(['the next batch encoded while the first wrote its objects']);
    expect(outcomes.map((o) => [o.fileName, receiptOf(o).status])).toEqual(FILES.map((f) => [f.fileName, 'accepted']));
    expect(await lakeState(store)).toEqual(await lakeState(one));
    const strip = (r: Receipt) => ({ ...r, receivedAt: undefined });
    expect((await listReceipts(store)).map(strip).sort((a, b) => a.file.localeCompare(b.file))).toEqual((await listReceipts(one)).map(strip).sort((a, b) => a.file.localeCompare(b.file)));
    expect(await store.list('lake/_manifest/').then((keys) => keys.filter((k) => k.endsWith('.lock')))).toEqual([]);
  });

  it('throws a failure of one batch after the outcomes before it, storing nothing of the batch validated meanwhile and leaving no spool', async () => {
    // Prepare: batches of 2; the store dies at the second batch's first write (a receipt), every call failing from then on.
    const spoolDir = await mkdtemp(join(work, 'failing-spools-'));
    const spooling = new DuckDbParquetEncoder({ tempDir: spoolDir });
    const encoder: ParquetEncoder = { encode: (t, csv) => spooling.encode(t, csv), encodeMany: (t, csvs) => spooling.encodeMany(t, csvs), spool: () => spooling.spool() };
    const files = inputs().filter((i) => i.fileName.startsWith('sales_') || i.fileName.startsWith('revenue_')).slice(0, 6);
    const base = new LocalObjectStore(await mkdtemp(join(work, 'failing-')));
    const secondBatch = files.slice(2, 4).map((f) => f.fileName);
    const store = new CrashingStore(base, (call) => call.op === 'put' && call.key.startsWith('receipts/') && secondBatch.some((name) => call.key.endsWith(`-${name}.json`)));
    const seen: IngestOutcome[] = [];
    try {
      // Act
      const run = (async () => {
        for await (const o of ingestExtracts({ store, encoder, now }, files, { maxFiles: 2 })) seen.push(o);
      })();
      // Assess
      await expect(run).rejects.toThrow('store gone');
      expect(seen.map((o) => [o.fileName, receiptOf(o).status])).toEqual(files.slice(0, 2).map((f) => [f.fileName, 'accepted']));
      const stored = (await listReceipts(base)).map((r) => r.file).sort();
      expect(stored).toEqual(files.slice(0, 2).map((f) => f.fileName).sort());
      for (const f of files.slice(2)) {
        const [type, province] = f.fileName.split('_') as ['sales' | 'revenue', string];
        expect(await base.get(partitionKey(type, { province, day: dayOf(f.fileName) })), f.fileName).toBeUndefined();
      }
      expect(await readdir(spoolDir)).toEqual([]);
    } finally {
      await spooling.close();
    }
  });

  it('encodes many files of a table to the same rows as one at a time', async () => {
    const sales = FILES.filter((f) => f.type === 'sales');
    const csvs = await Promise.all(sales.map(async (f) => (await validateExtract({ fileName: f.fileName, bytes: bytes(f.content) })).normalized!));
    const together = await inner.encodeMany(TABLES.sales, csvs);
    for (const [i, csv] of csvs.entries()) {
      expect(await parquetRows(together[i]!, 'event_id')).toEqual(await parquetRows(await inner.encode(TABLES.sales, csv), 'event_id'));
    }
  });
});
