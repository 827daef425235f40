/** Ingest: validate an extract, store it as one Parquet partition (atomic replace) and keep its receipt. */
import { shanghaiDay } from './period.js';
import type { ObjectStore, ParquetEncoder } from './ports.js';
import { partitionKey, TABLES, type ExtractType } from './schema.js';
import { formatReceipt, validateExtract, type ExtractInput, type Receipt, type Validation } from './validate.js';

export interface IngestDeps {
  store: ObjectStore;
  encoder: ParquetEncoder;
  now?: () => Date;
}

/** What the manifest beside each partition records about the file stored there. */
export interface PartitionManifest {
  sha256: string;
  file: string;
  rows: number;
  storedAt: string;
}

/** Validates without storing anything (the `validate` command's dry run). */
export function validateOnly(input: ExtractInput, options: { now?: () => Date } = {}): Promise<Validation> {
  return validateExtract(input, options);
}

/** The key of the manifest of the partition a receipt's file belongs to. */
export function manifestKey(receipt: Pick<Receipt, 'type' | 'province' | 'day' | 'month'>): string {
  const data = partitionKey(receipt.type, receipt);
  return `lake/_manifest/${receipt.type}/${data.slice(`lake/${receipt.type}/`.length, -'/data.parquet'.length)}.json`;
}

/** The key (without `.json`/`.txt`) under which a receipt is kept. */
export function receiptKey(receipt: Receipt): string {
  const period = receipt.day ?? receipt.month ?? shanghaiDay(new Date(receipt.receivedAt));
  const compact = receipt.receivedAt.replace(/[-:.]/g, '');
  return `receipts/${receipt.type}/${receipt.province}/${period}/${compact}-${receipt.file}`;
}

/**
 * Validates and stores one extract. Accepted: the partition's Parquet object is replaced whole
 * (or left alone when the same bytes are already stored: status 'unchanged'). Rejected: only
 * the receipt is stored. A failure while encoding or storing leaves the previous partition as it was.
 */
export async function ingestExtract(deps: IngestDeps, input: ExtractInput): Promise<Receipt> {
  const { receipt, normalized } = await validateExtract(input, { now: deps.now });
  if (receipt.status === 'accepted' && normalized !== undefined) {
    const dataKey = partitionKey(receipt.type, receipt);
    const manifestAt = manifestKey(receipt);
    const previous = await readManifest(deps.store, manifestAt);
    const stored = previous?.sha256 === receipt.sha256 && (await deps.store.list(dataKey)).includes(dataKey);
    if (stored) {
      receipt.status = 'unchanged';
    } else {
      const parquet = await deps.encoder.encode(TABLES[receipt.type], normalized);
      await deps.store.put(dataKey, parquet, { contentType: 'application/vnd.apache.parquet' });
      const manifest: PartitionManifest = { sha256: receipt.sha256, file: receipt.file, rows: receipt.rowsAccepted, storedAt: receipt.receivedAt };
      await deps.store.put(manifestAt, JSON.stringify(manifest, null, 2), { contentType: 'application/json' });
    }
  }
  await storeReceipt(deps.store, receipt);
  return receipt;
}

/** Writes the receipt as JSON and as readable text. */
export async function storeReceipt(store: ObjectStore, receipt: Receipt): Promise<void> {
  const key = receiptKey(receipt);
  await store.put(`${key}.json`, JSON.stringify(receipt, null, 2), { contentType: 'application/json' });
  await store.put(`${key}.txt`, formatReceipt(receipt), { contentType: 'text/plain; charset=utf-8' });
}

async function readManifest(store: ObjectStore, key: string): Promise<PartitionManifest | undefined> {
  const bytes = await store.get(key);
  if (!bytes) return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as PartitionManifest;
  } catch {
    return undefined;
  }
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
