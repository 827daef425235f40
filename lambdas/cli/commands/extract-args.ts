/** Shared argument handling of the `validate` and `ingest` commands. */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../../core/errors.js';
import type { ExtractSource } from '../../core/extracts/decode.js';
import type { CsvSpool } from '../../core/ports.js';
import { isExtractType, isProvince } from '../../core/extracts/file-name.js';
import { RECEIPT_LANGS, type ReceiptLang } from '../../core/extracts/receipt-text.js';
import { EXTRACT_TYPES, type ExtractType } from '../../core/extracts/schema.js';

export interface ExplicitExtract {
  type?: ExtractType;
  province?: string;
}

/** Checks --type and --province; a wrong value is a usage error naming what is accepted. */
export function explicitExtract(values: { type?: string | boolean; province?: string | boolean }): ExplicitExtract {
  const result: ExplicitExtract = {};
  if (typeof values.type === 'string') {
    if (!isExtractType(values.type)) throw new UsageError(`--type '${values.type}' is not an extract type; expected one of ${EXTRACT_TYPES.join(', ')}`);
    result.type = values.type;
  }
  if (typeof values.province === 'string') {
    const province = values.province.toUpperCase();
    if (!isProvince(province)) throw new UsageError(`--province '${values.province}' is not a province code; expected an ISO 3166-2:CN code without CN-, e.g. JL or GD`);
    result.province = province;
  }
  return result;
}

/** The language of receipts from --lang: Chinese unless `en` is asked for. */
export function receiptLang(value: string | boolean | undefined): ReceiptLang {
  const lang = typeof value === 'string' ? value : 'zh-CN';
  if (lang === 'zh' || lang === 'zh-cn') return 'zh-CN';
  if (!(RECEIPT_LANGS as readonly string[]).includes(lang)) throw new UsageError(`--lang '${lang}' is not supported; expected zh-CN or en`);
  return lang as ReceiptLang;
}

/** The files named on the command line; folders are walked for .csv and .xlsx files, sorted. */
export async function extractFiles(paths: readonly string[], walkFolders: boolean): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined);
    if (!info) throw new UsageError(`'${path}' does not exist; expected an extract file${walkFolders ? ' or a folder of extracts' : ''}`);
    if (info.isDirectory()) {
      if (!walkFolders) throw new UsageError(`'${path}' is a folder; expected extract files`);
      files.push(...(await walk(path)));
    } else files.push(path);
  }
  return files;
}

async function walk(dir: string): Promise<string[]> {
  const found: string[] = [];
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await walk(path)));
    else if (entry.isFile() && /\.(csv|xlsx)$/i.test(entry.name)) found.push(path);
  }
  return found;
}

/** A file read in chunks of 1 MB each time it is read: validation holds a window of it, never the whole file. */
export function extractSource(path: string): ExtractSource {
  return { chunks: () => createReadStream(path, { highWaterMark: 1 << 20 }) };
}

/** A spool that keeps nothing: the dry run's canonical rows are checked and dropped, not held. */
export function discardingSpool(): CsvSpool {
  let size = 0;
  return {
    write(bytes) {
      size += bytes.length;
    },
    get size() {
      return size;
    },
    discard: () => Promise.resolve(),
  };
}
