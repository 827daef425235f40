/** Turns uploaded bytes (CSV in UTF-8/GB18030, comma or tab; or XLSX) into a header and rows of text. */
import type ExcelJS from 'exceljs';
import { isUtf8 } from 'node:buffer';
import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import iconv from 'iconv-lite';
import { TelcoKpiError } from '../errors.js';
import { sentence, type Params, type ProblemCode } from './receipt-text.js';
import { inflateCounting, isZip64, zipEntries } from './xlsx-zip.js';

export interface DecodedTable {
  header: string[];
  rows: string[][];
  encoding: 'utf-8' | 'utf-8-bom' | 'gb18030' | 'xlsx';
  delimiter?: ',' | '\t';
}

/**
 * The bytes cannot be read as a table; `row` is the data row (1-based) when known, else 0, and
 * `column` the header name of the cell when one cell is to blame.
 */
export class DecodeError extends TelcoKpiError {
  constructor(readonly code: ProblemCode, readonly params: Params = {}, readonly row = 0, options?: { cause?: unknown; column?: string; value?: string }) {
    super(sentence(code, params, 'en'), options);
    this.column = options?.column ?? '';
    this.value = options?.value ?? '';
  }

  readonly column: string;
  /** The offending cell's text, when one cell is to blame. */
  readonly value: string;
}

/** A cell that has no text form (a date cell whose number is not a date); decodeXlsx adds where it is. */
class CellError extends Error {
  constructor(readonly code: ProblemCode) {
    super(sentence(code, {}, 'en'));
  }
}

const QUOTE = 34;
const LF = 10;
const CR = 13;
const COMMA = 44;
const TAB = 9;

/**
 * A decoded table read row by row: `forEachRow` hands each data row to `visit` in a reused
 * array (copy it to keep it), so a large file is never held as millions of small arrays.
 * Throws DecodeError (from openTable or from forEachRow) with a sentence saying what is wrong.
 */
export interface TableSource {
  header: string[];
  /** The first rows after the header (up to HEAD_ROWS), to find a header that is not in row 1. */
  head: string[][];
  /** For a workbook: the first sheet's name, and the first rows of every other sheet. */
  sheets?: { first: string; others: { name: string; head: string[][] }[] };
  encoding: DecodedTable['encoding'];
  delimiter?: ',' | '\t';
  forEachRow(visit: (cells: readonly string[], row: number) => void): void;
  /**
   * Present for UTF-8 CSV: the raw bytes, where the first data record starts and the delimiter,
   * so a reader can work on the bytes (readCsvRecord reads one record of them as text cells).
   */
  utf8?: { bytes: Buffer; start: number; delimiter: number };
  /**
   * Present for UTF-8 CSV read from a stream (openCsvStream): the rows in windows of whole lines,
   * the first starting at `start`; `bytes` and `forEachRow` are then not available.
   */
  windows?: CsvWindows;
}

/** An extract's bytes in chunks, from its start each time chunks() is called (a local file, an S3 object). */
export interface ExtractSource {
  chunks(): AsyncIterable<Uint8Array>;
}

/** What one pass over a source says of its bytes: enough to pick the reader, without holding them. */
export interface SourceScan {
  sha256: string;
  size: number;
  /** The first 4 bytes (fewer for a shorter file). */
  head: Buffer;
  /** A zero byte anywhere. */
  zero: boolean;
  /** The bytes are valid UTF-8 (a BOM included). */
  utf8: boolean;
  /** The bytes themselves, when there were at most the `keep` scanSource was given. */
  bytes?: Buffer;
}

/** UTF-8 CSV without a zero byte (decodeText's checks in its order): the rows can be read from a stream. */
export function streamableCsv(scan: SourceScan): boolean {
  const h = scan.head;
  if (!scan.utf8 || scan.size === 0) return false;
  if (h.length >= 3 && h[0] === 0xef && h[1] === 0xbb && h[2] === 0xbf) return true;
  if (h.length >= 4 && h[0] === 0x50 && h[1] === 0x4b && h[2] === 0x03 && h[3] === 0x04) return false;
  return !scan.zero;
}

/**
 * The source's SHA-256, size, first bytes, and whether it holds a zero byte or is valid UTF-8,
 * read chunk by chunk. Each chunk is checked up to the start of its last character (a character
 * split between chunks is checked with the next): UTF-8 text cut at character boundaries is valid
 * exactly when every piece is.
 */
export async function scanSource(
  source: ExtractSource, hash: { update(bytes: Uint8Array): unknown; digest(encoding: 'hex'): string }, keep = 0,
): Promise<SourceScan> {
  let kept: Buffer[] | undefined = keep > 0 ? [] : undefined;
  let size = 0;
  let zero = false;
  let utf8 = true;
  let head = Buffer.alloc(0);
  let carry = Buffer.alloc(0);
  for await (const chunk of source.chunks()) {
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    hash.update(bytes);
    size += bytes.length;
    if (kept && size <= keep) kept.push(bytes);
    else kept = undefined;
    if (head.length < 4) head = Buffer.concat([head, bytes.subarray(0, 4 - head.length)]);
    if (!zero && bytes.indexOf(0) >= 0) zero = true;
    if (!utf8) continue;
    const piece = carry.length > 0 ? Buffer.concat([carry, bytes]) : bytes;
    let cut = piece.length;
    for (let back = 1; back <= 4 && back <= piece.length; back++) {
      if ((piece[piece.length - back]! & 0xc0) !== 0x80) {
        cut = piece.length - back;
        break;
      }
    }
    if (!isUtf8(piece.subarray(0, cut))) utf8 = false;
    carry = Buffer.from(piece.subarray(cut));
  }
  if (utf8 && carry.length > 0 && !isUtf8(carry)) utf8 = false;
  const whole = kept === undefined ? undefined : kept.length === 1 ? kept[0]! : Buffer.concat(kept);
  return { sha256: hash.digest('hex'), size, head, zero, utf8, ...(whole ? { bytes: whole } : {}) };
}

/** The whole source as one buffer (the readers that need every byte at once: XLSX, GB18030, the files decodeText rejects). */
export async function readSource(source: ExtractSource): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of source.chunks()) chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

let spareWindow: Buffer | undefined;

/** Bytes a window of a streamed CSV holds at least (more when one record is longer). */
export const WINDOW_BYTES = 4 * 1024 * 1024;

/**
 * A streamed UTF-8 CSV as windows of whole lines: `bytes` ends just after a line feed (or at the
 * end of the input, `final`), so a record the byte reader settles, which never spans a quoted
 * line end, is always whole in it. A record that may run on (readCsvRecord reaching the end of a
 * window that is not final) is read again after advance(). Memory: one window, reused.
 */
export class CsvWindows {
  private data: Buffer;
  /** Bytes filled in `data`; the window is data[0, end). */
  private filled = 0;
  private end = 0;
  private done = false;
  bytes: Buffer = Buffer.alloc(0);
  final = false;
  /** The delimiter, and where in the first window the first data record starts (set by openCsvStream). */
  delimiter = COMMA;
  start = 0;

  /** `capacity`: the bytes a window holds at least before it is cut at its last line feed. */
  private constructor(private readonly chunks: AsyncIterator<Uint8Array>, private readonly capacity: number) {
    // The buffer of the file streamed last, when it is free and of this size: one per file was garbage for the GC to find.
    const spare = spareWindow;
    spareWindow = undefined;
    this.data = spare?.length === capacity ? spare : Buffer.allocUnsafe(capacity);
  }

  /**
   * Done with the windows (read to the end or not): the source's read is ended (a file closed, an
   * S3 body's connection freed) and the buffer goes to the next file's. Safe to call more than once.
   */
  release(): void {
    if (this.released) return;
    this.released = true;
    if (!this.done) void this.chunks.return?.()?.catch(() => undefined);
    if (this.data.length === this.capacity) spareWindow = this.data;
    this.bytes = Buffer.alloc(0);
  }

  private released = false;

  /** The first window of a source. */
  static async open(source: ExtractSource, capacity = WINDOW_BYTES): Promise<CsvWindows> {
    const windows = new CsvWindows(source.chunks()[Symbol.asyncIterator](), capacity);
    await windows.advance(0);
    return windows;
  }

  /**
   * Drops the bytes before `from` and reads on until the window holds more than it did from
   * `from` (at least one more line, or the rest of the input); returns where `from` now is (0).
   */
  async advance(from: number): Promise<number> {
    const kept = this.end - from;
    this.data.copyWithin(0, from, this.filled);
    this.filled -= from;
    for (;;) {
      if (this.filled >= this.capacity) {
        const lastLf = this.data.lastIndexOf(LF, this.filled - 1);
        if (lastLf + 1 > kept) {
          this.end = lastLf + 1;
          break;
        }
      }
      const next = this.done ? undefined : await this.chunks.next();
      if (next === undefined || next.done) {
        this.done = true;
        this.end = this.filled;
        this.final = true;
        break;
      }
      this.append(next.value);
    }
    this.bytes = this.data.subarray(0, this.end);
    return 0;
  }

  private append(chunk: Uint8Array): void {
    if (this.filled + chunk.length > this.data.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.data.length * 2, this.filled + chunk.length));
      this.data.copy(grown, 0, 0, this.filled);
      this.data = grown;
    }
    this.data.set(chunk, this.filled);
    this.filled += chunk.length;
  }
}

/** Decodes a `.csv` or `.xlsx` file into a header and all its rows (trailing empty rows dropped). */
export async function decodeTable(fileName: string, bytes: Uint8Array): Promise<DecodedTable> {
  const source = await openTable(fileName, bytes);
  const rows: string[][] = [];
  source.forEachRow((cells) => {
    rows.push(cells.slice());
  });
  dropTrailingEmptyRows(rows);
  const table: DecodedTable = { header: source.header, rows, encoding: source.encoding };
  if (source.delimiter) table.delimiter = source.delimiter;
  return table;
}

/** Opens a `.csv` or `.xlsx` file for reading row by row. */
export async function openTable(fileName: string, bytes: Uint8Array): Promise<TableSource> {
  const extension = fileName.slice(fileName.lastIndexOf('.') + 1).toLowerCase();
  if (extension === 'xlsx') return decodeXlsx(bytes);
  if (extension === 'csv') return openCsv(bytes);
  throw new DecodeError('extension', { ext: extension });
}

/**
 * CSV bytes → header, then rows on demand. UTF-8 (with or without BOM) is read straight from the
 * bytes, cell by cell (no file-sized string); GB18030 is decoded to text first.
 */
export function openCsv(bytes: Uint8Array): TableSource {
  const { text, buffer, start, encoding } = decodeText(bytes);
  if (text === undefined) {
    const delimiter = detectDelimiterBytes(buffer, start);
    const d = delimiter === '\t' ? TAB : COMMA;
    const headerCells: string[] = [];
    const afterHeader = readCsvRecord(buffer, start, d, headerCells, 0);
    return {
      header: headerCells.map((cell) => cell.trim()),
      head: headRows((at, out, row) => readCsvRecord(buffer, at, d, out, row), afterHeader, buffer.length),
      encoding,
      delimiter,
      utf8: { bytes: buffer, start: afterHeader, delimiter: d },
      forEachRow(visit) {
        const cells: string[] = [];
        let row = 0;
        let at = afterHeader;
        while (at < buffer.length) {
          cells.length = 0;
          row++;
          at = readCsvRecord(buffer, at, d, cells, row);
          visit(cells, row);
        }
      },
    };
  }
  const delimiter = detectDelimiter(text);
  const d = delimiter === '\t' ? TAB : COMMA;
  const headerCells: string[] = [];
  const afterHeader = readRecord(text, 0, d, headerCells, 0);
  return {
    header: headerCells.map((cell) => cell.trim()),
    head: headRows((at, out, row) => readRecord(text, at, d, out, row), afterHeader, text.length),
    encoding,
    delimiter,
    forEachRow(visit) {
      const cells: string[] = [];
      let row = 0;
      let at = afterHeader;
      while (at < text.length) {
        cells.length = 0;
        row++;
        at = readRecord(text, at, d, cells, row);
        visit(cells, row);
      }
    },
  };
}

/**
 * openCsv on a UTF-8 source read from a stream (`bom`: it starts with one): the same header, head
 * rows, delimiter and errors, the rows then read window by window (TableSource.windows). A first
 * window that ends inside the header or the head rows (an open quote) is read on until it does not.
 */
export async function openCsvStream(source: ExtractSource, bom: boolean, capacity = WINDOW_BYTES): Promise<TableSource> {
  const windows = await CsvWindows.open(source, capacity);
  try {
    return await readHeader(windows, bom);
  } catch (error) {
    windows.release();
    throw error;
  }
}

async function readHeader(windows: CsvWindows, bom: boolean): Promise<TableSource> {
  const start = bom ? 3 : 0;
  for (;;) {
    const buffer = windows.bytes;
    const whole = windows.final;
    const delimiter = detectDelimiterBytes(buffer, start);
    const d = delimiter === '\t' ? TAB : COMMA;
    const headerCells: string[] = [];
    let afterHeader: number;
    try {
      afterHeader = readCsvRecord(buffer, start, d, headerCells, 0);
    } catch (error) {
      if (whole || !(error instanceof DecodeError) || error.code !== 'unclosedQuote') throw error;
      await windows.advance(0);
      continue;
    }
    const head: string[][] = [];
    let runsOn = false;
    try {
      for (let at = afterHeader; at < buffer.length && head.length < HEAD_ROWS;) {
        const cells: string[] = [];
        at = readCsvRecord(buffer, at, d, cells, head.length + 1);
        head.push(cells);
      }
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      runsOn = !whole && error.code === 'unclosedQuote';
    }
    if (runsOn) {
      await windows.advance(0);
      continue;
    }
    windows.delimiter = d;
    windows.start = afterHeader;
    return {
      header: headerCells.map((cell) => cell.trim()),
      head,
      encoding: bom ? 'utf-8-bom' : 'utf-8',
      delimiter,
      windows,
      forEachRow() {
        throw new Error('a streamed CSV is read through its windows');
      },
    };
  }
}

/** Rows read after the header to look for a header that is not in row 1. */
export const HEAD_ROWS = 10;

/** Up to HEAD_ROWS records from `at` (fewer when the text ends or a record cannot be read). */
function headRows(read: (at: number, out: string[], row: number) => number, at: number, end: number): string[][] {
  const rows: string[][] = [];
  try {
    while (at < end && rows.length < HEAD_ROWS) {
      const cells: string[] = [];
      at = read(at, cells, rows.length + 1);
      rows.push(cells);
    }
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
  }
  return rows;
}

/** Valid UTF-8 stays bytes (text undefined, `start` after the BOM); GB18030 becomes text. */
function decodeText(bytes: Uint8Array): { text?: string; buffer: Buffer; start: number; encoding: DecodedTable['encoding'] } {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    if (!isUtf8(buffer.subarray(3))) {
      throw new DecodeError('bomNotUtf8');
    }
    return { buffer, start: 3, encoding: 'utf-8-bom' };
  }
  if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) {
    throw new DecodeError('utf16');
  }
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) {
    throw new DecodeError('zipAsCsv');
  }
  // Buffer's indexOf (memchr), not the typed array's element loop (~1 ns a byte: 86 ms of the side by side).
  if (buffer.indexOf(0) >= 0) {
    throw new DecodeError('binary');
  }
  if (isUtf8(buffer)) return { buffer, start: 0, encoding: 'utf-8' };
  const text = iconv.decode(buffer, 'gb18030');
  if (text.includes('\uFFFD')) {
    throw new DecodeError('notUtf8NorGb');
  }
  const chinese = gbCharacterMix(buffer);
  if (chinese.common < chinese.total * MIN_COMMON_SHARE) {
    const share = Math.round((100 * (chinese.total - chinese.common)) / chinese.total);
    throw new DecodeError('rareChinese', { share, total: chinese.total, rare: chinese.rare });
  }
  return { text, buffer, start: 0, encoding: 'gb18030' };
}

/**
 * Share of a GB18030 file's characters that must be common ones (the GB2312 set: its hanzi and
 * symbols). Chinese text is >99.9% GB2312 (rare name characters aside); bytes of Big5, Shift-JIS
 * or Latin-1 text read as GBK land mostly outside it (Big5's common hanzi ~40% inside).
 */
const MIN_COMMON_SHARE = 0.8;

/**
 * Walks GB18030 bytes: the multi-byte characters, how many are common (lead byte 0xA1–0xA9 or
 * 0xB0–0xF7, trail byte 0xA1–0xFE: GB2312's symbols and hanzi) and a few rare ones as text.
 */
function gbCharacterMix(bytes: Buffer): { total: number; common: number; rare: string } {
  let total = 0;
  let common = 0;
  let rare = '';
  for (let i = 0; i < bytes.length;) {
    const lead = bytes[i]!;
    if (lead < 0x80) {
      i++;
      continue;
    }
    const trail = bytes[i + 1] ?? 0;
    const size = trail >= 0x30 && trail <= 0x39 ? 4 : 2;
    total++;
    if (size === 2 && trail >= 0xa1 && trail <= 0xfe && ((lead >= 0xb0 && lead <= 0xf7) || (lead >= 0xa1 && lead <= 0xa9))) common++;
    else if (rare.length < 6) rare += iconv.decode(bytes.subarray(i, i + size), 'gb18030');
    i += size;
  }
  return { total, common, rare };
}

/** Tab when the header line holds more tabs than commas, else comma. */
function detectDelimiter(text: string): ',' | '\t' {
  let commas = 0;
  let tabs = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === LF || c === CR) break;
    if (c === COMMA) commas++;
    else if (c === TAB) tabs++;
  }
  return tabs > commas ? '\t' : ',';
}

/** detectDelimiter on UTF-8 bytes (the header line is compared byte for byte). */
function detectDelimiterBytes(bytes: Buffer, start: number): ',' | '\t' {
  let commas = 0;
  let tabs = 0;
  for (let i = start; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c === LF || c === CR) break;
    if (c === COMMA) commas++;
    else if (c === TAB) tabs++;
  }
  return tabs > commas ? '\t' : ',';
}

/** RFC 4180 records: quoted fields with doubled quotes, LF or CRLF line ends. */
export function parseCsv(text: string, delimiter: ',' | '\t'): string[][] {
  const d = delimiter === '\t' ? TAB : COMMA;
  const records: string[][] = [];
  let at = 0;
  while (at < text.length) {
    const cells: string[] = [];
    at = readRecord(text, at, d, cells, records.length);
    records.push(cells);
  }
  return records;
}

/**
 * Reads one record starting at `start` into `out`; returns where the next record starts
 * (text.length at the end). `row` is the data row number used in error messages.
 */
function readRecord(text: string, start: number, d: number, out: string[], row: number): number {
  const n = text.length;
  let i = start;
  for (;;) {
    if (i >= n) {
      out.push('');
      return n;
    }
    let c = text.charCodeAt(i);
    if (c === QUOTE) {
      let from = i + 1;
      let value = '';
      for (;;) {
        const q = text.indexOf('"', from);
        if (q < 0) {
          throw new DecodeError('unclosedQuote', { row }, row);
        }
        if (text.charCodeAt(q + 1) === QUOTE) {
          value += text.slice(from, q + 1);
          from = q + 2;
          continue;
        }
        value += text.slice(from, q);
        i = q + 1;
        break;
      }
      out.push(value);
      if (i >= n) return n;
      c = text.charCodeAt(i);
      if (c === d) {
        i++;
        continue;
      }
      if (c !== LF && c !== CR) {
        throw new DecodeError('textAfterQuote', { row }, row);
      }
    } else {
      let j = i;
      while (j < n) {
        c = text.charCodeAt(j);
        if (c === d || c === LF || c === CR) break;
        j++;
      }
      out.push(text.slice(i, j));
      if (j >= n) return n;
      i = j + 1;
      if (c === d) continue;
      i--;
    }
    return c === CR && text.charCodeAt(i + 1) === LF ? i + 2 : i + 1;
  }
}

/**
 * readRecord on valid UTF-8 bytes: the same records, cells and errors (quotes, delimiters and
 * line ends are ASCII, so they never occur inside a multi-byte character).
 */
export function readCsvRecord(bytes: Buffer, start: number, d: number, out: string[], row: number): number {
  const n = bytes.length;
  let i = start;
  for (;;) {
    if (i >= n) {
      out.push('');
      return n;
    }
    let c = bytes[i]!;
    if (c === QUOTE) {
      let from = i + 1;
      let value = '';
      for (;;) {
        const q = bytes.indexOf(QUOTE, from);
        if (q < 0) {
          throw new DecodeError('unclosedQuote', { row }, row);
        }
        if (bytes[q + 1] === QUOTE) {
          value += bytes.toString('utf8', from, q + 1);
          from = q + 2;
          continue;
        }
        value += bytes.toString('utf8', from, q);
        i = q + 1;
        break;
      }
      out.push(value);
      if (i >= n) return n;
      c = bytes[i]!;
      if (c === d) {
        i++;
        continue;
      }
      if (c !== LF && c !== CR) {
        throw new DecodeError('textAfterQuote', { row }, row);
      }
    } else {
      let j = i;
      while (j < n) {
        c = bytes[j]!;
        if (c === d || c === LF || c === CR) break;
        j++;
      }
      out.push(j === i ? '' : bytes.toString('utf8', i, j));
      if (j >= n) return n;
      i = j + 1;
      if (c === d) continue;
      i--;
    }
    return c === CR && bytes[i + 1] === LF ? i + 2 : i + 1;
  }
}

/** True when every cell of the row is empty or blank. */
export function isEmptyRow(row: readonly string[]): boolean {
  for (const cell of row) if (cell.trim() !== '') return false;
  return true;
}

function dropTrailingEmptyRows(rows: string[][]): void {
  while (rows.length > 0 && isEmptyRow(rows[rows.length - 1]!)) rows.pop();
}

/**
 * What an .xlsx extract may hold. The first sheet's rows are kept as text while the workbook is
 * streamed, so memory grows with the rows and the text in them: a 100,000-row sales sheet (60 MB
 * of XML) peaks near 0.4 GB, and 300 MB of XML in long cells near 1.1 GB, of the ingest
 * function's 2 GB. Bigger extracts go as CSV, which is read from its bytes without such limits.
 */
export const XLSX_LIMITS = {
  /** Sum of the inflated sizes of the zip's parts. */
  inflatedBytes: 100 * 2 ** 20,
  /** Data rows (the header not counted), over all sheets. */
  rows: 100_000,
  /** The last column a non-empty cell may be in (IV, as in Excel 2003). */
  columns: 256,
};

export type XlsxLimits = typeof XLSX_LIMITS;

function megabytes(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MB`;
}

/**
 * Checks the limits that can be read before loading: the inflated size the zip directory claims,
 * then (inflating part by part and keeping only counts) the real inflated size and the rows.
 */
async function checkXlsxSize(bytes: Buffer, limits: XlsxLimits): Promise<void> {
  const entries = zipEntries(bytes);
  if (!entries) return;
  const tooBig = (size: number) => new DecodeError('xlsxInflated', { size: size >= 2 ** 32 ? 'more than 4 GB' : megabytes(size), limit: megabytes(limits.inflatedBytes) });
  if (entries.some(isZip64)) throw tooBig(2 ** 32);
  const claimed = entries.reduce((sum, e) => sum + e.size, 0);
  if (claimed > limits.inflatedBytes) throw tooBig(claimed);
  let inflated = 0;
  let rows = 0;
  for (const entry of entries) {
    const counted = await inflateCounting(bytes, entry, limits.inflatedBytes - inflated, /^xl\/worksheets\/[^/]+\.xml$/.test(entry.name));
    inflated += counted.bytes;
    if (inflated > limits.inflatedBytes) throw tooBig(Math.max(inflated, claimed));
    rows += counted.rows;
  }
  if (rows - 1 > limits.rows) throw tooManyRows(rows - 1, limits);
}

function tooManyRows(rows: number, limits: XlsxLimits): DecodeError {
  return new DecodeError('xlsxRows', { rows, limit: limits.rows });
}

/**
 * First sheet of an XLSX workbook, cells as the text forms the validator reads. The workbook is
 * read as a stream (exceljs' WorkbookReader): only the first sheet's rows are kept, as text, and
 * only the cells that hold something; a row is as long as its last non-empty cell.
 */
export async function decodeXlsx(bytes: Uint8Array, limits: XlsxLimits = XLSX_LIMITS): Promise<TableSource> {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  await checkXlsxSize(buffer, limits);
  let sheets: Sheets | undefined;
  try {
    sheets = await readFirstSheet(buffer, limits) ?? await loadFirstSheet(buffer, limits);
  } catch (error) {
    if (error instanceof DecodeError) throw error;
    throw new DecodeError('xlsxUnreadable', {}, 0, { cause: error });
  }
  if (!sheets) throw new DecodeError('xlsxNoSheets');
  const { records } = sheets;
  dropTrailingEmptyRows(records);
  const header = (records.shift() ?? []).map((cell) => cell.trim());
  while (header.length > 0 && header[header.length - 1] === '') header.pop();
  for (const row of records) while (row.length < header.length) row.push('');
  return {
    header,
    head: records.slice(0, HEAD_ROWS),
    sheets: { first: sheets.first, others: sheets.others },
    encoding: 'xlsx',
    forEachRow(visit) {
      records.forEach((cells, i) => visit(cells, i + 1));
    },
  };
}

/** The stream reader's parts that read a zip entry (not in exceljs' types). */
interface ReaderParts {
  _parseWorkbook(entry: NodeJS.ReadableStream): Promise<void>;
  _parseSharedStrings(entry: NodeJS.ReadableStream): AsyncGenerator<unknown>;
  _parseWorksheet(chunks: AsyncIterable<Buffer | string>, sheetNo: string): Generator<unknown>;
}

/**
 * exceljs 4.4's stream reader decodes each inflated chunk of a part on its own (utils/parse-sax.js),
 * so a character whose UTF-8 bytes straddle two chunks (every 16 KB) becomes U+FFFD: one Chinese
 * cell in a few thousand comes out damaged (exceljs issues #2063, #2084, open). Its parser takes
 * strings as they are, so each part is handed over already decoded, by a decoder that carries a
 * split character over to the next chunk.
 */
function utf8Safe<T extends object>(reader: T): T {
  const parts = reader as unknown as ReaderParts;
  const parseWorkbook = parts._parseWorkbook.bind(parts);
  const parseSharedStrings = parts._parseSharedStrings.bind(parts);
  const parseWorksheet = parts._parseWorksheet.bind(parts);
  parts._parseWorkbook = (entry) => parseWorkbook(entry.setEncoding('utf8'));
  parts._parseSharedStrings = (entry) => parseSharedStrings(entry.setEncoding('utf8'));
  parts._parseWorksheet = (chunks, sheetNo) => parseWorksheet(decodedChunks(chunks), sheetNo);
  return reader;
}

/** The chunks as text, a character split between two chunks decoded whole. */
export async function* decodedChunks(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  for await (const chunk of chunks) {
    const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
    if (text) yield text;
  }
  const rest = decoder.end();
  if (rest) yield rest;
}

/** exceljs is loaded on the first XLSX extract only: a CSV ingest (and the CLI's start) does without it. */
const loadExcelJs = () => import('exceljs');

/** What the stream reader knows of the workbook once its workbook part is read (not in exceljs' types). */
interface ReaderModel {
  model?: { sheets?: { name?: string }[] };
}

/**
 * The first sheet's rows as text (undefined when the workbook has no sheet). The first sheet is
 * the first in the workbook's order, by name; when the workbook part comes after the sheets (not
 * as Excel writes it), the first sheet in the file.
 */
/** The first sheet's rows, its name, and the first rows of the other sheets. */
interface Sheets {
  records: string[][];
  first: string;
  others: { name: string; head: string[][] }[];
}

async function readFirstSheet(buffer: Buffer, limits: XlsxLimits): Promise<Sheets | undefined> {
  const { default: excel } = await loadExcelJs();
  const reader = utf8Safe(new excel.stream.xlsx.WorkbookReader(Readable.from([buffer]), {
    sharedStrings: 'cache', styles: 'cache', hyperlinks: 'ignore', worksheets: 'emit', entries: 'ignore',
  }));
  let records: string[][] | undefined;
  let first = '';
  const others: Sheets['others'] = [];
  // A problem found mid-sheet is thrown only once the reader is done: exceljs parks a sheet read
  // before the shared strings in a temp file and removes it only when the sheet is read to the end.
  let problem: unknown;
  for await (const sheet of reader) {
    const firstName = (reader as unknown as ReaderModel).model?.sheets?.[0]?.name;
    const name = (sheet as unknown as { name?: string }).name ?? '';
    const keep = records === undefined && (firstName === undefined || name === firstName);
    const rows: string[][] = [];
    const head: string[][] = [];
    for await (const row of sheet) {
      if (!keep) {
        if (head.length < HEAD_ROWS + 1 && row.number <= HEAD_ROWS + 1) head.push(rowText(row));
        continue;
      }
      if (problem !== undefined) continue;
      try {
        addRow(rows, row, limits);
      } catch (error) {
        problem = error;
      }
    }
    if (keep) {
      records = rows;
      first = name;
    } else others.push({ name, head });
  }
  if (problem !== undefined) throw problem;
  return records ? { records, first, others } : undefined;
}

/** A row of another sheet as text, for finding a header there (cells without text form are blank). */
function rowText(row: ExcelJS.Row): string[] {
  const cells: string[] = [];
  row.eachCell((cell, c) => {
    if (c > 64) return;
    while (cells.length < c - 1) cells.push('');
    try {
      cells.push(cellText(cell.value).trim());
    } catch {
      cells.push('');
    }
  });
  return cells;
}

/**
 * The first sheet's rows from the workbook loaded whole: for the rare workbook whose first sheet
 * the stream reader does not emit (exceljs drops sheets of some hand-made zips); the limits
 * checked before keep its memory bounded.
 */
async function loadFirstSheet(buffer: Buffer, limits: XlsxLimits): Promise<Sheets | undefined> {
  const { default: excel } = await loadExcelJs();
  const workbook = new excel.Workbook();
  await workbook.xlsx.load(buffer as unknown as ExcelJS.Buffer);
  const [sheet, ...rest] = workbook.worksheets;
  if (!sheet) return undefined;
  const records: string[][] = [];
  sheet.eachRow((row) => addRow(records, row, limits));
  const others = rest.map((other) => {
    const head: string[][] = [];
    other.eachRow((row) => {
      if (row.number <= HEAD_ROWS + 1) head.push(rowText(row));
    });
    return { name: other.name, head };
  });
  return { records, first: sheet.name, others };
}

/** Appends one sheet row (row.number is 1-based, the header being row 1) as text cells, after empty rows for any gap. */
function addRow(records: string[][], row: ExcelJS.Row, limits: XlsxLimits): void {
  const r = row.number;
  if (r - 1 > limits.rows) throw tooManyRows(r - 1, limits);
  while (records.length < r - 1) records.push([]);
  const cells: string[] = [];
  row.eachCell((cell, c) => {
    const column = r === 1 ? '' : (records[0]?.[c - 1]?.trim() || columnLetters(c));
    let text: string;
    try {
      text = cellText(cell.value);
    } catch (error) {
      if (!(error instanceof CellError)) throw error;
      throw new DecodeError(error.code, {}, r - 1, { column });
    }
    if (c > limits.columns) {
      if (text.trim() === '') return;
      throw new DecodeError('beyondColumn', { cell: `${columnLetters(c)}${r}`, last: columnLetters(limits.columns), limit: limits.columns }, r - 1, { column, value: text.slice(0, 40) });
    }
    while (cells.length < c - 1) cells.push('');
    cells.push(text);
  });
  records[r - 1] = cells;
}

function cellText(value: ExcelJS.CellValue | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return plainNumber(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof Date) return dateText(value);
  if ('richText' in value) return value.richText.map((part) => part.text).join('');
  if ('formula' in value || 'sharedFormula' in value) return cellText((value as { result?: ExcelJS.CellValue }).result);
  if ('hyperlink' in value) return String(value.text ?? '');
  if ('error' in value) return String(value.error);
  return '';
}

/** A date cell: `YYYY-MM-DD`, or `YYYY-MM-DD HH:MM:SS` when it has a time (spreadsheet wall-clock time). */
function dateText(date: Date): string {
  if (Number.isNaN(date.getTime())) {
    throw new CellError('dateCellTooLarge');
  }
  const iso = date.toISOString();
  if (date.getUTCHours() === 0 && date.getUTCMinutes() === 0 && date.getUTCSeconds() === 0) return iso.slice(0, 10);
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

/** Spreadsheet column letters of a 1-based column number (1 → A, 16384 → XFD). */
export function columnLetters(n: number): string {
  let letters = '';
  for (let c = n; c > 0; c = Math.floor((c - 1) / 26)) letters = String.fromCharCode(65 + ((c - 1) % 26)) + letters;
  return letters;
}

/** A number as plain decimal text (no exponent), with binary floating-point noise removed. */
export function plainNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return n.toString();
  const rounded = Number(n.toPrecision(15));
  const text = rounded.toString();
  if (!text.includes('e')) return text;
  return rounded.toFixed(20).replace(/\.?0+$/, '');
}
