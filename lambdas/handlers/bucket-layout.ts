/**
 * Where the AWS functions keep their objects, shared with the stack so each role is granted
 * exactly these prefixes (infra/telco-kpi-stack.ts). Plain strings, no AWS types.
 *
 * Curated bucket: the lake (`lake/…`, the Glue tables' location). Reports bucket: receipts,
 * weekly/monthly reports, their run ledger and mail links at the top level; everything of the
 * HR incentive tally (workbooks, its ledger, its mail links) under `hr/`, which only the
 * incentives function reaches and which has its own retention.
 */
import { companionKey } from '../core/extracts/file-name.js';

/** The lake's key prefix: these keys go to the curated bucket. */
export const LAKE_PREFIX = 'lake/';
/** Prefix, in the reports bucket, of every object the incentives function writes. */
export const HR_PREFIX = 'hr/';
/**
 * The ingest function's record of each upload it handled (`lake/_uploads/<landing key>.json`, the
 * receipt it wrote), in the curated bucket, which upload roles cannot reach. A redelivered event is
 * a duplicate when this record has the upload's SHA-256; the receipt beside the upload cannot
 * decide that, because the branch may write any key under its prefix, receipts included.
 */
export const UPLOAD_RECORDS_PREFIX = `${LAKE_PREFIX}_uploads/`;

/** The key of the record of one landing key. */
export function uploadRecordKey(landingKey: string): string {
  // Shortened like the receipts beside the upload, so a landing key of any length S3 allows fits.
  return companionKey(`${UPLOAD_RECORDS_PREFIX}${landingKey}`, '.json');
}
