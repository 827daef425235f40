/** Ingest: validate an extract, store it as one Parquet partition (atomic replace) and keep its receipt. */
import { randomBytes } from 'node:crypto';
import { TelcoKpiError } from '../errors.js';
import { shanghaiDateTime, shanghaiDay } from '../period.js';
import type { CanonicalCsv, CsvSpool, ObjectStore, ParquetEncoder } from '../ports.js';
import { FileNameError, fitName } from './file-name.js';
import { partitionKey, TABLES, type ExtractType } from './schema.js';
import { formatReceipt, validateExtract, type ExtractInput, type Receipt, type Validation } from './validate.js';
import { sentence, type Coded } from './receipt-text.js';
import { readJson } from '../store-json.js';

export interface IngestDeps {
  store: ObjectStore;
  encoder: ParquetEncoder;
  now?: () => Date;
  /** Waits between looks at a partition another ingest is writing; injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
  /** Age after which a partition lock is taken as left by a crashed ingest and taken over (default 10 min). */
  lockLeaseMs?: number;
  /** How long to wait in total for a partition another ingest is writing (default 2 min). */
  lockWaitMs?: number;
}

/** What the manifest beside each partition records about the file stored there. */
export interface PartitionManifest {
  sha256: string;
  file: string;
  rows: number;
  storedAt: string;
  /** When the stored file was uploaded; an upload made before it never replaces it (absent in older manifests: storedAt). */
  uploadedAt?: string;
  /**
   * Written before the Parquet object is replaced and cleared after: a manifest still pending
   * means an ingest stopped in between, so the data may be the old file's or the new one's and
   * no upload of either may be skipped as 'unchanged'.
   */
  pending?: boolean;
}

/** Another ingest held the partition for longer than the caller was willing to wait. */
export class PartitionBusyError extends TelcoKpiError {}

/** Validates without storing anything (the `validate` command's dry run). */
export function validateOnly(input: ExtractInput, options: { now?: () => Date } = {}): Promise<Validation> {
  return validateExtract(input, options);
}

/** The key of the manifest of the partition a receipt's file belongs to. */
export function manifestKey(receipt: Pick<Receipt, 'type' | 'province' | 'day' | 'month'>): string {
  const data = partitionKey(receipt.type, receipt);
  return `lake/_manifest/${receipt.type}/${data.slice(`lake/${receipt.type}/`.length, -'/data.parquet'.length)}.json`;
}

/**
 * Longest file name, in UTF-8 bytes, kept as it is in a receipt's key; a longer one is shortened
 * with a hash (fitName). With the time stamp, `.json` and a local store's temp suffix, the last
 * part of the key stays well within the 255 bytes a local file name may have.
 */
export const RECEIPT_NAME_BYTES = 160;

/** The key (without `.json`/`.txt`) under which a receipt is kept. */
export function receiptKey(receipt: Receipt): string {
  const period = receipt.day ?? receipt.month ?? shanghaiDay(new Date(receipt.receivedAt));
  const compact = receipt.receivedAt.replace(/[-:.]/g, '');
  return `receipts/${receipt.type}/${receipt.province}/${period}/${compact}-${fitName(receipt.file, RECEIPT_NAME_BYTES)}`;
}

/**
 * Validates and stores one extract (a batch of one: see ingestExtracts). Accepted: the partition's Parquet
 * object is replaced whole (or left alone when the same bytes are already stored: status 'unchanged').
 * Rejected: only the receipt is stored. A failure while encoding or storing leaves the previous
 * partition as it was. The receipt is written before the data, so no stored data is without its
 * receipt; when storing the data then fails, the receipt is removed again.
 *
 * Concurrent uploads of the same partition take turns through a lock object beside the manifest
 * (created with putIfAbsent), so the Parquet object and the manifest always describe the same
 * file. An ingest stopped at any point leaves either the old or the new Parquet object whole, and
 * a pending manifest makes the next upload of either file store it again.
 */
export async function ingestExtract(deps: IngestDeps, input: ExtractInput): Promise<Receipt> {
  // Through the batch path, so the canonical rows go to the encoder's spool as they are checked, not into memory.
  for await (const outcome of ingestExtracts(deps, [input])) {
    if ('error' in outcome) throw outcome.error;
    return outcome.receipt;
  }
  throw new Error(`${input.fileName}: ingest gave no outcome`);
}

/** What ingestExtracts says of one file: its receipt, or why its name could not be read (nothing stored). */
export type IngestOutcome = { fileName: string; receipt: Receipt } | { fileName: string; error: FileNameError };

export interface IngestBatchOptions {
  /**
   * Most files validated before their batch is stored (default 16). The last batch is encoded
   * after every file is validated, the first before any is stored: smaller batches shorten both
   * waits (side by side, 64 files: the last batch, 64 service files, was encoded for ~1/5 of the
   * run with the validator done), and a DuckDB COPY of 16 files costs no more per row than of 64.
   */
  maxFiles?: number;
  /** Most bytes of canonical CSV held before the batch is stored (default 16 MB): memory stays bounded. */
  maxBytes?: number;
  /**
   * Most validated batches waiting for the store (default 2) before validation waits too. Their
   * rows wait in the encoder's spool files (or in memory without a spool: up to this many times maxBytes).
   */
  maxPending?: number;
}

interface Validated {
  receipt: Receipt;
  normalized?: Uint8Array | CsvSpool;
}

/**
 * Validates and stores many extracts, in batches, with what ingestExtract guarantees for each file:
 * each is accepted or rejected whole with its own receipt, a rejected file changes nothing, a crash
 * never leaves a partition half written, and of two uploads of a day the newer wins. A batch takes
 * the locks of its partitions together, reads their manifests together, encodes its files of one
 * type in one encoder call (one DuckDB COPY … PARTITION_BY) and writes each partition's receipt,
 * manifest and data in the same order as a single ingest, the partitions side by side. Two uploads
 * of one partition never share a batch: the second starts the next one, so it is decided against
 * the first as when ingested alone. Later batches are validated while earlier ones are stored
 * (the encoder works in threads of its own), and a batch is encoded while the one before writes
 * its objects; but a batch reads a partition's manifest only after every earlier batch holding
 * that partition is stored, and writes only after the batch before it has written, so every
 * decision is made as if the batches ran one after the other; validation stores nothing.
 * Outcomes come in input order, a batch at a time; when storing a batch fails, the error is thrown
 * after the outcomes of the batches before it, and nothing of a later batch is stored.
 */
export async function* ingestExtracts(
  deps: IngestDeps, inputs: Iterable<ExtractInput> | AsyncIterable<ExtractInput>, options: IngestBatchOptions = {},
): AsyncGenerator<IngestOutcome> {
  const maxFiles = options.maxFiles ?? 16;
  const maxBytes = options.maxBytes ?? 16 * 1024 * 1024;
  const maxPending = options.maxPending ?? 2;
  type Entry = IngestOutcome & { normalized?: Uint8Array | CsvSpool };
  interface Pending { done: Entry[]; partitions: ReadonlySet<string>; prepared: Promise<PreparedBatch>; stored: Promise<void> }
  let batch: Entry[] = [];
  let partitions = new Set<string>();
  let bytes = 0;
  /**
   * Batches validated and handed to the store, oldest first. A batch is prepared (its partitions
   * locked, its manifests read and its files decided and encoded) once the batch before it is
   * prepared, and once every earlier batch sharing a partition with it is stored; it is committed
   * (receipts, manifests and data written) once the batch before it is committed. So the encoder
   * works on the next batch while the last one's objects are written, and a failed batch stops
   * every later one before it writes anything. Validation goes on meanwhile until `maxPending`
   * batches wait.
   */
  const storing: Pending[] = [];
  const discard = (entries: readonly Entry[]) => Promise.all(entries.map((o) => (o.normalized && !(o.normalized instanceof Uint8Array) ? o.normalized.discard() : undefined)));
  /** Waits for the oldest batch being stored and gives its outcomes (or throws its failure). */
  const settleOldest = async function* () {
    const settling = storing.shift();
    if (!settling) return;
    await settling.stored;
    for (const o of settling.done) yield 'error' in o ? { fileName: o.fileName, error: o.error } : { fileName: o.fileName, receipt: o.receipt };
  };
  /** Waits for every batch handed to the store, in order. */
  const settle = async function* () {
    while (storing.length > 0) yield* settleOldest();
  };
  const flush = async function* () {
    const done = batch;
    const keys = partitions;
    batch = [];
    partitions = new Set();
    bytes = 0;
    const last = storing.at(-1);
    // A partition of an earlier batch is decided against what that batch stored there.
    const sharing = storing.filter((b) => [...keys].some((key) => b.partitions.has(key))).map((b) => b.stored);
    const prepared = Promise.all([last?.prepared, ...sharing])
      .then(() => prepareBatch(deps, done.flatMap((o) => ('receipt' in o ? [o as Validated] : []))));
    prepared.catch(() => undefined);
    const stored = (async () => {
      try {
        const [own, before] = await Promise.allSettled([prepared, last?.stored]);
        if (own.status === 'rejected') throw own.reason;
        if (before.status === 'rejected') {
          await own.value.release();
          throw before.reason;
        }
        await commitBatch(deps, own.value);
      } finally {
        await discard(done);
      }
    })();
    stored.catch(() => undefined);
    storing.push({ done, partitions: keys, prepared, stored });
    while (storing.length > maxPending) yield* settleOldest();
  };
  /** The file validated and not yet in the batch (discarded when the batch before it fails). */
  let current: Entry | undefined;
  try {
    for await (const input of inputs) {
      // The canonical rows go to the encoder's spool (a temp file) as they are checked, when it has one.
      const spool = deps.encoder.spool?.();
      let validated: Validated;
      try {
        const v = await validateExtract(input, { now: deps.now, spool });
        // A file checked again with its keys whole gives its rows as bytes: the spool then holds nothing to keep.
        if (spool && v.spool !== spool) await spool.discard();
        validated = { receipt: v.receipt, normalized: v.spool ?? v.normalized };
      } catch (error) {
        await spool?.discard();
        if (!(error instanceof FileNameError)) {
          // The batch already being stored ends as it would have before this file was read.
          yield* settle();
          throw error;
        }
        batch.push({ fileName: input.fileName, error });
        continue;
      }
      const { receipt, normalized } = validated;
      current = { fileName: input.fileName, receipt, normalized };
      if (receipt.status === 'accepted' && normalized !== undefined) {
        const key = manifestKey(receipt);
        if (partitions.has(key)) yield* flush();
        partitions.add(key);
        bytes += normalized instanceof Uint8Array ? normalized.length : normalized.size;
      } else {
        await spool?.discard();
      }
      batch.push(current);
      current = undefined;
      if (batch.length >= maxFiles || bytes >= maxBytes) yield* flush();
    }
    if (batch.length > 0) yield* flush();
    yield* settle();
  } finally {
    // Stopped early or failed: no store is left running, no spool left behind.
    await Promise.all(storing.map((b) => b.stored.catch(() => undefined)));
    await discard(current ? [...batch, current] : batch);
  }
}

interface Stored {
  receipt: Receipt;
  normalized: CanonicalCsv;
  dataKey: string;
  manifestAt: string;
  lockKey: string;
}

/** What a batch will write, decided under its partitions' locks, its new files encoded. */
interface PreparedBatch {
  /** Files that store only their receipt: rejected ones, and the superseded. */
  receiptsOnly: Receipt[];
  unchanged: Array<{ receipt: Receipt; manifestAt: string; manifest?: PartitionManifest }>;
  toEncode: Array<Stored & { manifest: PartitionManifest }>;
  parquet: Uint8Array[];
  /** Releases the batch's locks (after its commit, or instead of it). */
  release(): Promise<void>;
}

/**
 * Locks a batch's partitions (at most one accepted file per partition), reads their manifests,
 * decides each file (unchanged, superseded or to be stored) and encodes the ones to store.
 * Writes nothing but the locks, which are released when this fails.
 */
async function prepareBatch(deps: IngestDeps, files: Validated[]): Promise<PreparedBatch> {
  const rejected = files.filter((f) => !(f.receipt.status === 'accepted' && f.normalized !== undefined)).map((f) => f.receipt);
  const accepted: Stored[] = files.flatMap((f) => {
    if (f.receipt.status !== 'accepted' || f.normalized === undefined) return [];
    const manifestAt = manifestKey(f.receipt);
    return [{ receipt: f.receipt, normalized: f.normalized, dataKey: partitionKey(f.receipt.type, f.receipt), manifestAt, lockKey: manifestAt.replace(/\.json$/, '.lock') }];
  });
  const locks = accepted.length > 0 ? await lockPartitions(deps, accepted) : [];
  const release = async () => {
    const released = await Promise.allSettled(locks.map((lock) => lock.release()));
    const failed = released.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  };
  try {
    const prepared: PreparedBatch = { receiptsOnly: rejected, unchanged: [], toEncode: [], parquet: [], release };
    await Promise.all(accepted.map(async (file) => {
      const { receipt } = file;
      const previous = await readManifest(deps.store, file.manifestAt);
      const stored = previous?.sha256 === receipt.sha256 && previous.pending !== true && (await deps.store.list(file.dataKey)).includes(file.dataKey);
      const uploadedAt = receipt.uploadedAt ?? receipt.receivedAt;
      const newer = previous && previous.sha256 !== receipt.sha256 ? (previous.uploadedAt ?? previous.storedAt) : undefined;
      if (stored) {
        receipt.status = 'unchanged';
        // The same bytes uploaded again are now the day's newest upload: an older one processed late must not replace them.
        const later = previous && Date.parse(uploadedAt) > Date.parse(previous.uploadedAt ?? previous.storedAt);
        prepared.unchanged.push({ receipt, manifestAt: file.manifestAt, ...(later ? { manifest: { ...previous, uploadedAt } } : {}) });
      } else if (newer !== undefined && Date.parse(newer) > Date.parse(uploadedAt)) {
        // A retry or a slow ingest of an older upload must not put it back over a later correction.
        receipt.status = 'superseded';
        const notice: Coded = {
          code: 'superseded',
          params: { file: previous!.file, newer: shanghaiDateTime(new Date(newer), { seconds: true }), mine: shanghaiDateTime(new Date(uploadedAt), { seconds: true }), unit: receipt.day ? 'day' : 'month' },
        };
        receipt.notices.push(notice);
        receipt.warnings.push(sentence(notice.code, notice.params, 'en'));
        prepared.receiptsOnly.push(receipt);
      } else {
        prepared.toEncode.push({ ...file, manifest: { sha256: receipt.sha256, file: receipt.file, rows: receipt.rowsAccepted, storedAt: receipt.receivedAt, uploadedAt } });
      }
    }));
    prepared.parquet = await encodeAll(deps.encoder, prepared.toEncode);
    return prepared;
  } catch (error) {
    await release().catch(() => undefined);
    throw error;
  }
}

/**
 * Writes a prepared batch: the rejected, unchanged and superseded files' receipts, and for each
 * file to store its receipt, a pending manifest, the data and the manifest, partitions side by
 * side; then releases the locks. Throws, after the rest is settled, the first failure.
 */
async function commitBatch(deps: IngestDeps, batch: PreparedBatch): Promise<void> {
  const failures: unknown[] = [];
  try {
    await Promise.all([
      ...batch.receiptsOnly.map((receipt) => storeReceipt(deps.store, receipt)),
      ...batch.unchanged.map(async (u) => {
        await storeReceipt(deps.store, u.receipt);
        if (u.manifest) await deps.store.put(u.manifestAt, JSON.stringify(u.manifest, null, 2), { contentType: 'application/json' });
      }),
    ]);
    const results = await Promise.allSettled(batch.toEncode.map(async (file, i) => {
      await storeReceipt(deps.store, file.receipt);
      try {
        await deps.store.put(file.manifestAt, JSON.stringify({ ...file.manifest, pending: true }, null, 2), { contentType: 'application/json' });
        await deps.store.put(file.dataKey, batch.parquet[i]!, { contentType: 'application/vnd.apache.parquet' });
        await deps.store.put(file.manifestAt, JSON.stringify(file.manifest, null, 2), { contentType: 'application/json' });
      } catch (error) {
        await deleteReceipt(deps.store, file.receipt).catch(() => undefined);
        throw error;
      }
    }));
    for (const r of results) if (r.status === 'rejected') failures.push(r.reason);
  } catch (error) {
    failures.push(error);
  } finally {
    await batch.release().catch((error: unknown) => failures.push(error));
  }
  if (failures.length > 0) throw failures[0];
}

/** The Parquet object of each file, in order: one encoder call per extract type when the encoder takes many. */
async function encodeAll(encoder: ParquetEncoder, files: readonly Stored[]): Promise<Uint8Array[]> {
  const out: Uint8Array[] = new Array(files.length);
  const byType = new Map<ExtractType, number[]>();
  files.forEach((f, i) => byType.set(f.receipt.type, [...(byType.get(f.receipt.type) ?? []), i]));
  for (const [type, indexes] of byType) {
    const encoded = encoder.encodeMany && indexes.length > 1
      ? await encoder.encodeMany(TABLES[type], indexes.map((i) => files[i]!.normalized))
      : await Promise.all(indexes.map((i) => encoder.encode(TABLES[type], files[i]!.normalized)));
    indexes.forEach((fileIndex, k) => (out[fileIndex] = encoded[k]!));
  }
  return out;
}

/**
 * Takes the locks of a batch's partitions: all at once when none is held (the usual case), else
 * one by one in key order, waiting as lockPartition does (the order keeps two batch ingests of
 * overlapping partitions from each holding what the other waits for).
 */
async function lockPartitions(deps: IngestDeps, files: readonly Stored[]): Promise<Array<{ release(): Promise<void> }>> {
  if (files.length === 1) return [await lockPartition(deps, files[0]!.lockKey, files[0]!.receipt.file)];
  const tries = await Promise.allSettled(files.map((f) => tryLockPartition(deps, f.lockKey, f.receipt.file)));
  const taken = tries.flatMap((t) => (t.status === 'fulfilled' && t.value ? [t.value] : []));
  if (taken.length === files.length) return taken;
  await Promise.all(taken.map((lock) => lock.release()));
  const failed = tries.find((t) => t.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  const locks: Array<{ release(): Promise<void> }> = [];
  try {
    for (const file of [...files].sort((a, b) => (a.lockKey < b.lockKey ? -1 : 1))) locks.push(await lockPartition(deps, file.lockKey, file.receipt.file));
  } catch (error) {
    await Promise.allSettled(locks.map((lock) => lock.release()));
    throw error;
  }
  return locks;
}

interface PartitionLock {
  owner: string;
  file: string;
  lockedAt: string;
}

/**
 * Takes the partition's lock object, waiting while another ingest holds it. A lock older than the
 * lease is one a crashed ingest left behind and is taken over. (Two ingests taking over the same
 * stale lock at the same instant could both proceed; the lease makes that a crash-plus-race case.)
 */
async function lockPartition(deps: IngestDeps, key: string, file: string): Promise<{ release(): Promise<void> }> {
  const now = deps.now ?? (() => new Date());
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const lease = deps.lockLeaseMs ?? 10 * 60_000;
  const waitLimit = deps.lockWaitMs ?? 2 * 60_000;
  const owner = randomBytes(8).toString('hex');
  let waited = 0;
  for (let delay = 20; ; delay = Math.min(delay * 2, 1000)) {
    const body: PartitionLock = { owner, file, lockedAt: now().toISOString() };
    if (await deps.store.putIfAbsent(key, JSON.stringify(body), { contentType: 'application/json' })) break;
    const held = await readJson<PartitionLock>(deps.store, key);
    if (held && now().getTime() - Date.parse(held.lockedAt) >= lease) {
      await deps.store.delete(key);
      continue;
    }
    if (waited >= waitLimit) {
      throw new PartitionBusyError(`partition ${key.replace(/^lake\/_manifest\//, '').replace(/\.lock$/, '')} is being written by another ingest (${held?.file ?? 'unknown file'} since ${held?.lockedAt ?? '?'}); ${file} was not stored: upload it again later`);
    }
    await sleep(delay);
    waited += delay;
  }
  return heldLock(deps.store, key, owner);
}

/** One look at the partition's lock: taken when no one holds it, else undefined (nothing waited for, nothing taken over). */
async function tryLockPartition(deps: IngestDeps, key: string, file: string): Promise<{ release(): Promise<void> } | undefined> {
  const owner = randomBytes(8).toString('hex');
  const body: PartitionLock = { owner, file, lockedAt: (deps.now ?? (() => new Date()))().toISOString() };
  return (await deps.store.putIfAbsent(key, JSON.stringify(body), { contentType: 'application/json' })) ? heldLock(deps.store, key, owner) : undefined;
}

function heldLock(store: ObjectStore, key: string, owner: string): { release(): Promise<void> } {
  return {
    async release() {
      const held = await readJson<PartitionLock>(store, key);
      if (held?.owner === owner) await store.delete(key);
    },
  };
}

/** Writes the receipt as JSON and as readable text. */
export async function storeReceipt(store: ObjectStore, receipt: Receipt): Promise<void> {
  const key = receiptKey(receipt);
  await store.put(`${key}.json`, JSON.stringify(receipt, null, 2), { contentType: 'application/json' });
  await store.put(`${key}.txt`, formatReceipt(receipt), { contentType: 'text/plain; charset=utf-8' });
}

async function deleteReceipt(store: ObjectStore, receipt: Receipt): Promise<void> {
  const key = receiptKey(receipt);
  await store.delete(`${key}.json`);
  await store.delete(`${key}.txt`);
}

function readManifest(store: ObjectStore, key: string): Promise<PartitionManifest | undefined> {
  return readJson<PartitionManifest>(store, key);
}

export interface ReceiptFilter {
  type?: ExtractType;
  province?: string;
  status?: Receipt['status'];
  /** First day (or month) of the period, inclusive, compared with the receipt's day or month. */
  from?: string;
  /** Last day (or month), inclusive. */
  to?: string;
}

/** Receipts listReceipts reads at once. */
const RECEIPT_READS = 16;

/** Stored receipts, oldest first, optionally filtered (the completeness sheet lists rejected uploads from them). */
export async function listReceipts(store: ObjectStore, filter: ReceiptFilter = {}): Promise<Receipt[]> {
  let prefix = 'receipts/';
  if (filter.type) {
    prefix += `${filter.type}/`;
    if (filter.province) prefix += `${filter.province}/`;
  }
  const keys = (await store.list(prefix)).filter((key) => {
    if (!key.endsWith('.json')) return false;
    const [, type, province, period] = key.split('/');
    if (filter.type && type !== filter.type) return false;
    if (filter.province && province !== filter.province) return false;
    if (period && filter.from && period < filter.from.slice(0, period.length)) return false;
    if (period && filter.to && period > filter.to.slice(0, period.length)) return false;
    return true;
  });
  // Read RECEIPT_READS at a time: on S3 each is a GET of some tens of milliseconds.
  const receipts: Receipt[] = [];
  const decoder = new TextDecoder();
  for (let i = 0; i < keys.length; i += RECEIPT_READS) {
    for (const bytes of await Promise.all(keys.slice(i, i + RECEIPT_READS).map((key) => store.get(key)))) {
      if (!bytes) continue;
      const receipt = JSON.parse(decoder.decode(bytes)) as Receipt;
      if (filter.status && receipt.status !== filter.status) continue;
      receipts.push(receipt);
    }
  }
  return receipts.sort((a, b) => a.receivedAt.localeCompare(b.receivedAt) || a.file.localeCompare(b.file));
}
