/** Turns uploaded bytes (CSV in UTF-8/GB18030, comma or tab; or XLSX) into a header and rows of text. */
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { TelcoKpiError } from './errors.js';

export interface DecodedTable {
  header: string[];
  rows: string[][];
  encoding: 'utf-8' | 'utf-8-bom' | 'gb18030' | 'xlsx';
  delimiter?: ',' | '\t';
}

/** The bytes cannot be read as a table; `row` is the data row (1-based) when known, else 0. */
export class DecodeError extends TelcoKpiError {
  constructor(message: string, readonly row = 0, options?: { cause?: unknown }) {
    super(message, options);
  }
}

const QUOTE = 34;
const LF = 10;
const CR = 13;
const COMMA = 44;
const TAB = 9;

/** Decodes a `.csv` or `.xlsx` file; throws DecodeError with a sentence saying what is wrong. */
export async function decodeTable(fileName: string, bytes: Uint8Array): Promise<DecodedTable> {
  const extension = fileName.slice(fileName.lastIndexOf('.') + 1).toLowerCase();
  if (extension === 'xlsx') return decodeXlsx(bytes);
  if (extension === 'csv') return decodeCsv(bytes);
  throw new DecodeError(`the file has the extension '.${extension}'; expected .csv (CSV UTF-8 or GB18030) or .xlsx (Excel workbook)`);
}

/** CSV bytes → text (BOM → UTF-8; strict UTF-8; else GB18030) → header and rows. */
export function decodeCsv(bytes: Uint8Array): DecodedTable {
  const { text, encoding } = decodeText(bytes);
  const delimiter = detectDelimiter(text);
  const records = parseCsv(text, delimiter);
  dropTrailingEmptyRows(records);
  const header = (records.shift() ?? []).map((cell) => cell.trim());
  return { header, rows: records, encoding, delimiter };
}

function decodeText(bytes: Uint8Array): { text: string; encoding: DecodedTable['encoding'] } {
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    try {
      return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(3)), encoding: 'utf-8-bom' };
    } catch (error) {
      throw new DecodeError('the file starts with a UTF-8 byte order mark but is not valid UTF-8; save it again as "CSV UTF-8"', 0, { cause: error });
    }
  }
  if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) {
    throw new DecodeError('the file is UTF-16 text ("Unicode text"); save it as "CSV UTF-8" or as an Excel workbook (.xlsx)');
  }
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) {
    throw new DecodeError('the file is an Excel workbook (zip) named .csv; rename it to .xlsx or save it as CSV');
  }
  if (bytes.indexOf(0) >= 0) {
    throw new DecodeError('the file holds binary data, not text; expected CSV text in UTF-8 or GB18030, or an .xlsx workbook');
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8' };
  } catch {
    const text = iconv.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'gb18030');
    if (text.includes('\uFFFD')) {
      throw new DecodeError('the file is neither UTF-8 nor GB18030/GBK text; save it as "CSV UTF-8" or as an Excel workbook (.xlsx)');
    }
    return { text, encoding: 'gb18030' };
  }
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

/** RFC 4180 records: quoted fields with doubled quotes, LF or CRLF line ends. */
export function parseCsv(text: string, delimiter: ',' | '\t'): string[][] {
  const d = delimiter === '\t' ? TAB : COMMA;
  const n = text.length;
  const records: string[][] = [];
  let row: string[] = [];
  let i = 0;
  while (i < n) {
    let c = text.charCodeAt(i);
    if (c === QUOTE) {
      let start = i + 1;
      let value = '';
      for (;;) {
        const q = text.indexOf('"', start);
        if (q < 0) {
          throw new DecodeError(`a quoted cell is not closed (it starts in data row ${records.length}); check the quotes in that row`, records.length);
        }
        if (text.charCodeAt(q + 1) === QUOTE) {
          value += text.slice(start, q + 1);
          start = q + 2;
          continue;
        }
        value += text.slice(start, q);
        i = q + 1;
        break;
      }
      row.push(value);
      if (i >= n) break;
      c = text.charCodeAt(i);
      if (c === d) {
        i++;
        if (i === n) row.push('');
        continue;
      }
      if (c !== LF && c !== CR) {
        throw new DecodeError(`data row ${records.length} has text after a closing quote; a quote inside a quoted cell must be doubled ("")`, records.length);
      }
    } else {
      let j = i;
      while (j < n) {
        c = text.charCodeAt(j);
        if (c === d || c === LF || c === CR) break;
        j++;
      }
      row.push(text.slice(i, j));
      if (j >= n) {
        i = n;
        break;
      }
      i = j;
      if (c === d) {
        i++;
        if (i === n) row.push('');
        continue;
      }
    }
    if (c === CR && text.charCodeAt(i + 1) === LF) i += 2;
    else i++;
    records.push(row);
    row = [];
  }
  if (row.length > 0) records.push(row);
  return records;
}

/** True when every cell of the row is empty or blank. */
export function isEmptyRow(row: readonly string[]): boolean {
  for (const cell of row) if (cell.trim() !== '') return false;
  return true;
}

function dropTrailingEmptyRows(rows: string[][]): void {
  while (rows.length > 0 && isEmptyRow(rows[rows.length - 1]!)) rows.pop();
}

/** First sheet of an XLSX workbook, cells as the text forms the validator reads. */
export async function decodeXlsx(bytes: Uint8Array): Promise<DecodedTable> {
  const workbook = new ExcelJS.Workbook();
  try {
    await workbook.xlsx.load(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) as unknown as ExcelJS.Buffer);
  } catch (error) {
    throw new DecodeError('the file is not a readable Excel workbook (.xlsx); open it in Excel and save it again, or save it as CSV', 0, { cause: error });
  }
  const sheet = workbook.worksheets[0];
  if (!sheet) throw new DecodeError('the workbook has no sheets; expected the extract on the first sheet');
  const records: string[][] = [];
  const rowCount = sheet.rowCount;
  for (let r = 1; r <= rowCount; r++) {
    const row = sheet.getRow(r);
    const cells: string[] = [];
    const count = row.cellCount;
    for (let c = 1; c <= count; c++) cells.push(cellText(row.getCell(c).value));
    records.push(cells);
  }
  dropTrailingEmptyRows(records);
  const header = (records.shift() ?? []).map((cell) => cell.trim());
  while (header.length > 0 && header[header.length - 1] === '') header.pop();
  for (const row of records) while (row.length < header.length) row.push('');
  return { header, rows: records, encoding: 'xlsx' };
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
  const iso = date.toISOString();
  if (date.getUTCHours() === 0 && date.getUTCMinutes() === 0 && date.getUTCSeconds() === 0) return iso.slice(0, 10);
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
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
