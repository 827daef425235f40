/**
 * Object layout of the AWS deployment, shared by the stack (IAM prefixes, Glue locations)
 * and the Lambda handlers (reading event keys). Plain strings, no AWS types.
 */
import { PROVINCE_CODES, type Province } from './extracts/codes.js';

/** Prefix of one province's uploads in the landing bucket: `JL/`. */
export function landingPrefix(province: Province): string {
  return `${province}/`;
}

/** The province whose prefix holds a landing key (`JL/sales_JL_20261116.csv` → JL), else undefined. */
export function provinceOfLandingKey(key: string): Province | undefined {
  const first = key.split('/')[0] ?? '';
  return (PROVINCE_CODES as readonly string[]).includes(first) ? (first as Province) : undefined;
}

/** Prefix of Athena query results in the results bucket. */
export const ATHENA_RESULTS_PREFIX = 'athena/';
/** Prefix of attachments too big for SES, served by presigned links from the reports bucket. */
export const MAIL_LINKS_PREFIX = 'mail-links/';

/** Suffixes of the receipt the ingest function writes beside an upload (`JL/sales_JL_20261118.csv.receipt.json`). */
export const RECEIPT_JSON_SUFFIX = '.receipt.json';
export const RECEIPT_TEXT_SUFFIX = '.receipt.txt';
