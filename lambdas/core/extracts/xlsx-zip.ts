/**
 * Measures an XLSX (zip) before it is loaded: what its parts inflate to and how many rows its
 * sheets hold, so a workbook too big for the ingest's memory gets a clear rejection instead of
 * being inflated whole.
 */
import { createInflateRaw } from 'node:zlib';

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  /** As the central directory claims it. */
  size: number;
  localHeader: number;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const ZIP64_MARK = 0xffffffff;

/** The central directory's entries; undefined when the bytes are no readable zip (the loader then says so). */
export function zipEntries(bytes: Buffer): ZipEntry[] | undefined {
  const from = Math.max(0, bytes.length - 22 - 65_535);
  let eocd = -1;
  for (let at = bytes.length - 22; at >= from; at--) {
    if (bytes.readUInt32LE(at) === EOCD) {
      eocd = at;
      break;
    }
  }
  if (eocd < 0) return undefined;
  const count = bytes.readUInt16LE(eocd + 10);
  let at = bytes.readUInt32LE(eocd + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (at + 46 > bytes.length || bytes.readUInt32LE(at) !== CENTRAL) return undefined;
    const nameLength = bytes.readUInt16LE(at + 28);
    entries.push({
      name: bytes.toString('utf8', at + 46, at + 46 + nameLength),
      method: bytes.readUInt16LE(at + 10),
      compressedSize: bytes.readUInt32LE(at + 20),
      size: bytes.readUInt32LE(at + 24),
      localHeader: bytes.readUInt32LE(at + 42),
    });
    at += 46 + nameLength + bytes.readUInt16LE(at + 30) + bytes.readUInt16LE(at + 32);
  }
  return entries;
}

/** True when an entry's sizes need ZIP64 (4 GiB or more): always beyond any limit here. */
export function isZip64(entry: ZipEntry): boolean {
  return entry.size === ZIP64_MARK || entry.compressedSize === ZIP64_MARK || entry.localHeader === ZIP64_MARK;
}

export interface Inflated {
  /** Bytes the entry really inflates to (counted up to `limit + 1`, then inflating stops). */
  bytes: number;
  /** `<row` elements seen (counted when asked). */
  rows: number;
}

/**
 * Inflates one entry chunk by chunk, keeping nothing but counts: the real inflated size (a zip
 * may understate it) and, for a sheet, the number of `<row` elements. Stops past `limit` bytes.
 */
export function inflateCounting(bytes: Buffer, entry: ZipEntry, limit: number, countRows: boolean): Promise<Inflated> {
  const at = entry.localHeader;
  if (at + 30 > bytes.length || bytes.readUInt32LE(at) !== LOCAL) return Promise.resolve({ bytes: 0, rows: 0 });
  const start = at + 30 + bytes.readUInt16LE(at + 26) + bytes.readUInt16LE(at + 28);
  const data = bytes.subarray(start, start + entry.compressedSize);
  if (entry.method === 0) return Promise.resolve({ bytes: data.length, rows: countRows ? countRowTags(data, 0).rows : 0 });
  if (entry.method !== 8) return Promise.resolve({ bytes: entry.size, rows: 0 });
  return new Promise((resolve) => {
    const inflate = createInflateRaw();
    let total = 0;
    let rows = 0;
    let carry = 0;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      resolve({ bytes: total, rows });
    };
    inflate.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (countRows) {
        const counted = countRowTags(chunk, carry);
        rows += counted.rows;
        carry = counted.carry;
      }
      if (total > limit) {
        finish();
        inflate.destroy();
      }
    });
    // A corrupt stream is left to the loader, which rejects the file as unreadable.
    inflate.on('error', finish);
    inflate.on('end', finish);
    inflate.on('close', finish);
    inflate.end(data);
  });
}

const ROW_TAG = Buffer.from('<row');

/**
 * Counts `<row` followed by a space or `>`; `carry` is how many bytes of `<row` ended the
 * previous chunk, so a tag split across chunks is counted once.
 */
function countRowTags(chunk: Buffer, carry: number): { rows: number; carry: number } {
  let rows = 0;
  let i = 0;
  if (carry > 0) {
    let k = carry;
    while (k < ROW_TAG.length && i < chunk.length && chunk[i] === ROW_TAG[k]) {
      k++;
      i++;
    }
    if (k === ROW_TAG.length && i < chunk.length && (chunk[i] === 32 || chunk[i] === 62)) rows++;
    else if (k < ROW_TAG.length && i === chunk.length) return { rows, carry: k };
  }
  for (let at = chunk.indexOf(ROW_TAG, i); at >= 0; at = chunk.indexOf(ROW_TAG, at + 4)) {
    const after = chunk[at + 4];
    if (after === undefined) return { rows, carry: 4 };
    if (after === 32 || after === 62) rows++;
  }
  for (let k = Math.min(3, chunk.length); k > 0; k--) {
    if (chunk.subarray(chunk.length - k).equals(ROW_TAG.subarray(0, k))) return { rows, carry: k };
  }
  return { rows, carry: 0 };
}
