/**
 * Entry point: an extract uploaded to the landing bucket (EventBridge "Object Created"; a direct
 * S3 notification works too). Runs the same `ingestExtract` as the CLI: the upload is validated,
 * an accepted file replaces its Parquet partition in the lake, and the receipt is kept in the
 * store and written beside the upload (`<key>.receipt.json` / `.receipt.txt`; the upload's name
 * shortened with a hash when the key would pass S3's 1,024 bytes) for the branch. The receipt
 * beside the upload is written last, after the data: it marks the upload as handled, so a failure
 * before it makes the retry ingest the file again (then 'unchanged') and write it.
 *
 * Input problems (bad rows, a name that says no extract or another province) give a rejected
 * receipt and a normal return; anything else (S3, DuckDB) throws, so the retries and the DLQ see it.
 * At-least-once delivery: a redelivered event finds the function's own record of the upload
 * (`lake/_uploads/…`, out of the branches' reach) with the same SHA-256 and changes nothing; the
 * receipt beside the upload is only for the branch to read, never trusted, since the branch can
 * write it too. The current object is read (never an event's older version), so a late duplicate
 * cannot put an older file back over a correction; and its Last-Modified goes to ingest as the
 * upload time, so an older upload of the same day under another name, processed late (a retry),
 * gets a 'superseded' receipt instead of replacing the newer one.
 */
import { createHash } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import { DuckDbParquetEncoder } from '../adapters/duckdb-parquet-encoder.js';
import { provinceOfLandingKey, RECEIPT_JSON_SUFFIX, RECEIPT_TEXT_SUFFIX } from '../core/aws-layout.js';
import { scanSource, type ExtractSource, type SourceScan } from '../core/extracts/decode.js';
import { companionKey, FileNameError, parseExtractName, type ExtractName } from '../core/extracts/file-name.js';
import { ingestExtract, storeReceipt } from '../core/extracts/ingest.js';
import { formatProblem, formatReceipt, sentence, type Params, type ProblemCode } from '../core/extracts/receipt-text.js';
import { KEEP_WHOLE_BYTES, type Problem, type Receipt } from '../core/extracts/validate.js';
import { ingestConfig } from './aws-config.js';
import { ingestRuntime, lazy, type IngestRuntime } from './aws-runtime.js';
import { uploadRecordKey } from './bucket-layout.js';
import { uploadsOf, type UploadRef } from './s3-event.js';

/** A rejection of a file whose name says no extract type: there is no table to key a full receipt by. */
export interface UnnamedRejection {
  file: string;
  province: string;
  status: 'rejected';
  problems: Problem[];
  problemCount: number;
  sha256: string;
  receivedAt: string;
}

/** What the function did with one upload. */
export interface IngestOutcome {
  bucket: string;
  key: string;
  status: Receipt['status'] | 'skipped';
  /** True when the function's record of the upload already covered these bytes (a redelivered event). */
  duplicate?: boolean;
  /** Why an upload was skipped, or the first problem of a rejected one. */
  detail?: string;
  /** The receipt beside the upload. */
  receiptKey?: string;
}

/** Builds the handler over a runtime getter (the Lambda module passes the lazily built AWS one). */
export function createIngestHandler(runtime: () => IngestRuntime) {
  return async function handler(event: unknown): Promise<{ uploads: IngestOutcome[] }> {
    const rt = runtime();
    const uploads: IngestOutcome[] = [];
    for (const upload of uploadsOf(event)) {
      const outcome = await ingestUpload(rt, upload);
      console.log(JSON.stringify({ ingest: outcome }));
      uploads.push(outcome);
    }
    return { uploads };
  };
}

/** Ingests one upload; throws only on failures that are not the file's fault. */
export async function ingestUpload(rt: IngestRuntime, upload: UploadRef): Promise<IngestOutcome> {
  const skipped = (detail: string): IngestOutcome => ({ bucket: upload.bucket, key: upload.key, status: 'skipped', detail });
  if (upload.bucket !== rt.landing.bucket) return skipped(`not the landing bucket ${rt.landing.bucket}`);
  if (upload.key.endsWith(RECEIPT_JSON_SUFFIX) || upload.key.endsWith(RECEIPT_TEXT_SUFFIX)) return skipped('a receipt this function wrote');
  const province = provinceOfLandingKey(upload.key);
  if (!province) return skipped('not under a province prefix (JL/, GD/, …)');

  let key = upload.key;
  let object = await rt.landing.open(key);
  if (!object && upload.rawKey !== upload.key) {
    // A key that was not encoded after all (a literal + or %): look it up as it came.
    object = await rt.landing.open(upload.rawKey);
    if (object) key = upload.rawKey;
  }
  if (!object) return skipped('the object no longer exists (deleted or replaced by a later upload whose own event follows)');

  // The upload is streamed, never held whole: one read for its hash (and encoding), one for its rows
  // (a file of at most KEEP_WHOLE_BYTES is kept by the first and read once).
  const { source, lastModified } = object;
  const scan = await scanSource(source, createHash('sha256'), KEEP_WHOLE_BYTES);
  const { sha256 } = scan;
  const previous = await readUploadRecord(rt, key);
  const outcome = (receipt: Receipt | UnnamedRejection, duplicate = false): IngestOutcome => ({
    bucket: upload.bucket, key, status: duplicate && receipt.status !== 'rejected' ? 'unchanged' : receipt.status,
    ...(duplicate ? { duplicate } : {}),
    ...(receipt.problems[0] ? { detail: formatProblem(receipt.problems[0], 'en') } : {}),
    receiptKey: companionKey(key, RECEIPT_JSON_SUFFIX),
  });
  if (previous?.sha256 === sha256) return outcome(previous, true);

  const receipt = await validateAndStore(rt, key, province, { source, scan }, sha256, lastModified);
  await writeReceiptBeside(rt, key, receipt);
  // Last: the record is what marks the upload as handled.
  await rt.store.put(uploadRecordKey(key), `${JSON.stringify(receipt, null, 2)}\n`, { contentType: 'application/json' });
  return outcome(receipt);
}

async function validateAndStore(
  rt: IngestRuntime, key: string, province: string, upload: { source: ExtractSource; scan: SourceScan }, sha256: string, lastModified?: Date,
): Promise<Receipt | UnnamedRejection> {
  let named: ExtractName | undefined;
  try {
    named = parseExtractName(key);
  } catch (error) {
    if (!(error instanceof FileNameError)) throw error;
  }
  if (named && named.province !== province) {
    const receipt = rejectedReceipt(rt, named, province, sha256, { named: named.province, province, type: named.type });
    await storeReceipt(rt.store, receipt);
    return receipt;
  }
  try {
    // The object's Last-Modified orders uploads of one day: a retried or slow older upload never replaces a later correction.
    return await ingestExtract({ store: rt.store, encoder: rt.encoder, now: rt.now }, { fileName: key, ...upload, province, uploadedAt: lastModified?.toISOString() });
  } catch (error) {
    if (!(error instanceof FileNameError)) throw error;
    const file = key.slice(key.lastIndexOf('/') + 1);
    return {
      file, province, status: 'rejected', problemCount: 1, sha256, receivedAt: rt.now().toISOString(),
      problems: [fileProblem(file, 'fileName', { message: error.message, zh: error.zh })],
    };
  }
}

/** A problem with the whole file, its sentence from the receipt catalogue. */
function fileProblem(file: string, code: ProblemCode, params: Params): Problem {
  return { row: 0, column: '', value: file, message: sentence(code, params, 'en'), code, params };
}

function rejectedReceipt(rt: IngestRuntime, name: ExtractName, province: string, sha256: string, params: Params): Receipt {
  return {
    file: name.file, type: name.type, province,
    ...(name.day ? { day: name.day } : {}), ...(name.month ? { month: name.month } : {}),
    status: 'rejected', rowsRead: 0, rowsAccepted: 0,
    problems: [fileProblem(name.file, 'provinceInName', params)], problemCount: 1,
    warnings: [], notices: [], headers: {}, encoding: '', sha256, receivedAt: rt.now().toISOString(),
  };
}

async function readUploadRecord(rt: IngestRuntime, key: string): Promise<Receipt | UnnamedRejection | undefined> {
  const bytes = await rt.store.get(uploadRecordKey(key));
  if (!bytes) return undefined;
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8')) as Receipt | UnnamedRejection;
  } catch {
    return undefined;
  }
}

async function writeReceiptBeside(rt: IngestRuntime, key: string, receipt: Receipt | UnnamedRejection): Promise<void> {
  const text = formatReceipt(receipt);
  // Text first, so a tool polling for the JSON finds the text there too.
  await rt.landing.put(companionKey(key, RECEIPT_TEXT_SUFFIX), text, { contentType: 'text/plain; charset=utf-8' });
  await rt.landing.put(companionKey(key, RECEIPT_JSON_SUFFIX), `${JSON.stringify(receipt, null, 2)}\n`, { contentType: 'application/json' });
}

const runtime = lazy(() => ingestRuntime(ingestConfig(), { s3: new S3Client({}) }, new DuckDbParquetEncoder()));

/** The Lambda entry point. */
export const handler = createIngestHandler(runtime);
