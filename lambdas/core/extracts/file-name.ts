/** Extract file names: `{type}_{province}_{YYYYMMDD}.{csv|xlsx}` (market and targets `YYYYMM`, managers date optional). */
import { createHash } from 'node:crypto';
import { PROVINCES } from './codes.js';
import { TelcoKpiError } from '../errors.js';
import { isValidDay } from '../period.js';
import { EXTRACT_TYPES, TABLES, type ExtractType } from './schema.js';

/** A file name that does not say which extract it holds (and no explicit type/province was given). */
export class FileNameError extends TelcoKpiError {
  /** `zh`: the same sentence in Chinese, for receipts. */
  constructor(message: string, readonly zh: string) {
    super(message);
  }
}

export interface ExtractName {
  /** The base name, without folders. */
  file: string;
  type: ExtractType;
  province: string;
  /** `YYYY-MM-DD` for daily extracts (and dated rosters). */
  day?: string;
  /** `YYYY-MM` for monthly extracts. */
  month?: string;
  /** Lower-case extension without the dot (`csv`, `xlsx`, or whatever the name had). */
  extension: string;
}

const EXPECTED_FORM = 'expected {type}_{province}_{YYYYMMDD}.csv or .xlsx, e.g. sales_JL_20261118.csv '
  + '(market: market_JL_202611.csv; targets: targets_JL_202611.csv; managers: managers_JL_20261118.csv), or give the type and province explicitly';
const EXPECTED_FORM_ZH = '文件名应为 {类型}_{省份}_{YYYYMMDD}.csv 或 .xlsx，如 sales_JL_20261118.csv'
  + '（市场月报 market_JL_202611.csv；月度指标 targets_JL_202611.csv；客户经理名册 managers_JL_20261118.csv）';

export function isExtractType(text: string): text is ExtractType {
  return (EXTRACT_TYPES as readonly string[]).includes(text);
}

export function isProvince(text: string): boolean {
  return Object.hasOwn(PROVINCES.codes, text);
}

/** Parses an extract file name; explicit type/province override the name's. Throws FileNameError. */
export function parseExtractName(fileName: string, explicit: { type?: ExtractType; province?: string } = {}): ExtractName {
  const file = fileName.slice(Math.max(fileName.lastIndexOf('/'), fileName.lastIndexOf('\\')) + 1);
  const dot = file.lastIndexOf('.');
  const stem = dot > 0 ? file.slice(0, dot) : file;
  const extension = dot > 0 ? file.slice(dot + 1).toLowerCase() : '';
  const parts = stem.split('_');

  const nameType = parts[0]?.toLowerCase() ?? '';
  const type = explicit.type ?? (isExtractType(nameType) ? nameType : undefined);
  if (!type) {
    throw new FileNameError(`'${file}': '${parts[0] ?? ''}' is not an extract type (${EXTRACT_TYPES.join(', ')}); ${EXPECTED_FORM}`,
      `“${file}”：“${parts[0] ?? ''}”不是报表类型（${EXTRACT_TYPES.map((t) => `${t} ${TABLES[t].titleZh}`).join('、')}）；${EXPECTED_FORM_ZH}`);
  }
  const nameProvince = parts[1]?.toUpperCase() ?? '';
  const province = explicit.province?.toUpperCase() ?? (isProvince(nameProvince) ? nameProvince : undefined);
  if (!province || !isProvince(province)) {
    throw new FileNameError(`'${file}': '${explicit.province ?? parts[1] ?? ''}' is not a province code (JL, GD, …); ${EXPECTED_FORM}`,
      `“${file}”：“${explicit.province ?? parts[1] ?? ''}”不是省份代码（如 JL 吉林、GD 广东）；${EXPECTED_FORM_ZH}`);
  }

  const grain = TABLES[type].fileGrain;
  const dateToken = [...parts].reverse().find((p) => /^\d{6}$|^\d{8}$/.test(p));
  if (grain === 'month') {
    if (!dateToken) {
      throw new FileNameError(`'${file}' has no month: expected ${type}_${province}_YYYYMM.${extension || 'csv'}, e.g. ${type}_${province}_202611.csv`,
        `“${file}”的文件名里没有月份：应为 ${type}_${province}_YYYYMM.${extension || 'csv'}，如 ${type}_${province}_202611.csv`);
    }
    const month = `${dateToken.slice(0, 4)}-${dateToken.slice(4, 6)}`;
    if (!isValidDay(`${month}-01`)) throw new FileNameError(`'${file}': '${dateToken}' is not a month; expected YYYYMM with a month 01–12`, `“${file}”：“${dateToken}”不是月份；应为 YYYYMM，月份 01–12`);
    return { file, type, province, month, extension };
  }
  if (!dateToken || dateToken.length !== 8) {
    if (grain === 'roster') return { file, type, province, extension };
    throw new FileNameError(`'${file}' has no day: expected ${type}_${province}_YYYYMMDD.${extension || 'csv'}, e.g. ${type}_${province}_20261118.csv`,
      `“${file}”的文件名里没有日期：应为 ${type}_${province}_YYYYMMDD.${extension || 'csv'}，如 ${type}_${province}_20261118.csv`);
  }
  const day = `${dateToken.slice(0, 4)}-${dateToken.slice(4, 6)}-${dateToken.slice(6, 8)}`;
  if (!isValidDay(day)) throw new FileNameError(`'${file}': '${dateToken}' is not a real day; expected YYYYMMDD`, `“${file}”：“${dateToken}”不是存在的日期；应为 YYYYMMDD`);
  return { file, type, province, day, extension };
}

/**
 * `name` in at most `maxBytes` UTF-8 bytes: unchanged when it fits, else its start (cut at a
 * character boundary) and `~` with 16 hex digits of its SHA-256, so the same name always gives
 * the same result and names that share a long start still differ.
 */
export function fitName(name: string, maxBytes: number): string {
  if (Buffer.byteLength(name) <= maxBytes) return name;
  const suffix = `~${createHash('sha256').update(name).digest('hex').slice(0, 16)}`;
  const budget = maxBytes - suffix.length;
  let kept = '';
  let used = 0;
  for (const char of name) {
    const size = Buffer.byteLength(char);
    if (used + size > budget) break;
    kept += char;
    used += size;
  }
  return kept + suffix;
}

/** S3's limit on the length of an object key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

/** Room kept after an upload's name for a companion's suffix (`.receipt.json`). */
const COMPANION_SUFFIX_BYTES = 32;

/**
 * The key of a companion object (`<key><suffix>`, e.g. the receipt beside an upload) that S3
 * allows for any upload key: when the key leaves less than 32 bytes for a suffix within
 * MAX_KEY_BYTES (or within 255 bytes for its last part, the limit of a local file name), the
 * upload's name is shortened with fitName; every companion of a key shares the same start.
 */
export function companionKey(key: string, suffix: string): string {
  const slash = key.lastIndexOf('/');
  const folder = key.slice(0, slash + 1);
  const base = key.slice(slash + 1);
  const room = Math.min(MAX_KEY_BYTES - Buffer.byteLength(folder), 255) - COMPANION_SUFFIX_BYTES;
  return folder + fitName(base, Math.max(room, 17)) + suffix;
}
