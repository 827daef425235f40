/** Ingest: validate an extract, store it as one Parquet partition (atomic replace) and keep its receipt. */
import { randomBytes } from 'node:crypto';
import { TelcoKpiError } from '../errors.js';
import { shanghaiDateTime, shanghaiDay } from '../period.js';
import type { ObjectStore, ParquetEncoder } from '../ports.js';
import { fitName } from './file-name.js';
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
 * Validates and stores one extract. Accepted: the partition's Parquet object is replaced whole
 * (or left alone when the same bytes are already stored: status 'unchanged'). Rejected: only
 * the receipt is stored. A failure while encoding or storing leaves the previous partition as it was.
 * The receipt is written before the data, so no stored data is without its receipt; when storing
 * the data then fails, the receipt is removed again.
 *
 * Concurrent uploads of the same partition take turns through a lock object beside the manifest
 * (created with putIfAbsent), so the Parquet object and the manifest always describe the same
 * file. An ingest stopped at any point leaves either the old or the new Parquet object whole, and
 * a pending manifest makes the next upload of either file store it again.
 */
export async function ingestExtract(deps: IngestDeps, input: ExtractInput): Promise<Receipt> {
  const { receipt, normalized } = await validateExtract(input, { now: deps.now });
  if (receipt.status === 'accepted' && normalized !== undefined) {
    const dataKey = partitionKey(receipt.type, receipt);
    const manifestAt = manifestKey(receipt);
    const lock = await lockPartition(deps, manifestAt.replace(/\.json$/, '.lock'), receipt.file);
    try {
      const previous = await readManifest(deps.store, manifestAt);
      const stored = previous?.sha256 === receipt.sha256 && previous.pending !== true && (await deps.store.list(dataKey)).includes(dataKey);
      const uploadedAt = receipt.uploadedAt ?? receipt.receivedAt;
      const newer = previous && previous.sha256 !== receipt.sha256 ? (previous.uploadedAt ?? previous.storedAt) : undefined;
      if (stored) {
        receipt.status = 'unchanged';
        await storeReceipt(deps.store, receipt);
        // The same bytes uploaded again are now the day's newest upload: an older one processed late must not replace them.
        if (previous && Date.parse(uploadedAt) > Date.parse(previous.uploadedAt ?? previous.storedAt)) {
          await deps.store.put(manifestAt, JSON.stringify({ ...previous, uploadedAt }, null, 2), { contentType: 'application/json' });
        }
      } else if (newer !== undefined && Date.parse(newer) > Date.parse(uploadedAt)) {
        // A retry or a slow ingest of an older upload must not put it back over a later correction.
        receipt.status = 'superseded';
        const notice: Coded = {
          code: 'superseded',
          params: { file: previous!.file, newer: shanghaiDateTime(new Date(newer), { seconds: true }), mine: shanghaiDateTime(new Date(uploadedAt), { seconds: true }), unit: receipt.day ? 'day' : 'month' },
        };
        receipt.notices.push(notice);
        receipt.warnings.push(sentence(notice.code, notice.params, 'en'));
        await storeReceipt(deps.store, receipt);
      } else {
        const parquet = await deps.encoder.encode(TABLES[receipt.type], normalized);
        const manifest: PartitionManifest = { sha256: receipt.sha256, file: receipt.file, rows: receipt.rowsAccepted, storedAt: receipt.receivedAt, uploadedAt };
        await storeReceipt(deps.store, receipt);
        try {
          await deps.store.put(manifestAt, JSON.stringify({ ...manifest, pending: true }, null, 2), { contentType: 'application/json' });
          await deps.store.put(dataKey, parquet, { contentType: 'application/vnd.apache.parquet' });
          await deps.store.put(manifestAt, JSON.stringify(manifest, null, 2), { contentType: 'application/json' });
        } catch (error) {
          await deleteReceipt(deps.store, receipt).catch(() => undefined);
          throw error;
        }
      }
    } finally {
      await lock.release();
    }
    return receipt;
  }
  await storeReceipt(deps.store, receipt);
  return receipt;
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
  return {
    async release() {
      const held = await readJson<PartitionLock>(deps.store, key);
      if (held?.owner === owner) await deps.store.delete(key);
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

/** Stored receipts, oldest first, optionally filtered (the completeness sheet lists rejected uploads from them). */
export async function listReceipts(store: ObjectStore, filter: ReceiptFilter = {}): Promise<Receipt[]> {
  let prefix = 'receipts/';
  if (filter.type) {
    prefix += `${filter.type}/`;
    if (filter.province) prefix += `${filter.province}/`;
  }
  const keys = (await store.list(prefix)).filter((k) => k.endsWith('.json'));
  const receipts: Receipt[] = [];
  for (const key of keys) {
    const [, type, province, period] = key.split('/');
    if (filter.type && type !== filter.type) continue;
    if (filter.province && province !== filter.province) continue;
    if (period && filter.from && period < filter.from.slice(0, period.length)) continue;
    if (period && filter.to && period > filter.to.slice(0, period.length)) continue;
    const bytes = await store.get(key);
    if (!bytes) continue;
    const receipt = JSON.parse(new TextDecoder().decode(bytes)) as Receipt;
    if (filter.status && receipt.status !== filter.status) continue;
    receipts.push(receipt);
  }
  return receipts.sort((a, b) => a.receivedAt.localeCompare(b.receivedAt) || a.file.localeCompare(b.file));
}
