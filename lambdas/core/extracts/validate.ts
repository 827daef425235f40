/**
 * Validates one uploaded extract against its declaration in schema.ts and produces the receipt
 * (SPEC §2 "What bad input gets") and, when accepted, the canonical CSV the lake stores.
 */
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import iconv from 'iconv-lite';
import { codeLookup, type CodeList } from './codes.js';
import {
  CsvWindows, DecodeError, openCsvStream, WINDOW_BYTES, openTable, readCsvRecord, readSource, scanSource, streamableCsv,
  type ExtractSource, type SourceScan, type TableSource,
} from './decode.js';
import { parseExtractName } from './file-name.js';
import { addDays } from '../period.js';
import type { CsvSpool } from '../ports.js';
import { sentence, type Coded, type Params, type ProblemCode, type ProblemLike } from './receipt-text.js';
import { headerLookup, inputColumns, TABLES, type ColumnDecl, type ColumnType, type ExtractType, type TableDecl } from './schema.js';

export { formatProblem, formatReceipt, receiptLine, type ReceiptLang } from './receipt-text.js';

/**
 * One problem of a file (ProblemLike, receipt-text.ts, says what each field holds). Problems this
 * validator writes always carry their code and parameters; receipts stored before codes existed may not.
 */
export interface Problem extends ProblemLike {
  /** Stable id of the sentence (receipt-text.ts), and its parameters. */
  code: ProblemCode;
  params: Params;
}

export interface Receipt {
  file: string;
  type: ExtractType;
  province: string;
  day?: string;
  month?: string;
  /** `superseded`: valid, but a newer upload of the same day is stored, so this one was not (the newest upload wins). */
  status: 'accepted' | 'rejected' | 'unchanged' | 'superseded';
  rowsRead: number;
  rowsAccepted: number;
  /** The first MAX_PROBLEMS problems. */
  problems: Problem[];
  problemCount: number;
  /** The notices in English; `notices` holds them as codes. */
  warnings: string[];
  notices: Coded[];
  /** Declared column → the header the file used for it (receipts name columns as the file did). */
  headers: Record<string, string>;
  encoding: string;
  sha256: string;
  receivedAt: string;
  /** When the upload was made (the S3 object's Last-Modified), when that is not the moment it was received. */
  uploadedAt?: string;
}

export interface Validation {
  receipt: Receipt;
  /** Present only when accepted: UTF-8 CSV bytes of the stored columns in declaration order. */
  normalized?: Uint8Array;
  /** The same CSV as text (decoded on first read: ingest passes the bytes on untouched). */
  readonly normalizedCsv?: string;
  /** Present only when accepted and validated with a spool: the spool now holds the canonical CSV (normalized is then absent). */
  spool?: CsvSpool;
}

/** An extract to validate: its bytes, or (when `bytes` is absent) a source read in chunks, so a large file is never held whole. */
export interface ExtractInput {
  fileName: string;
  bytes?: Uint8Array;
  source?: ExtractSource;
  /** What scanSource said of the source, when the caller has read it already (the upload's handler hashes it first). */
  scan?: SourceScan;
  type?: ExtractType;
  province?: string;
  /** When the upload was made (ISO 8601); orders uploads of one partition. Default: when it is received. */
  uploadedAt?: string;
}

export const MAX_PROBLEMS = 100;

/** A source of at most this many bytes is kept whole by its first read and validated from memory (a window's size). */
export const KEEP_WHOLE_BYTES = WINDOW_BYTES;

/** File types for which a header-only file (no data rows) is a legitimate empty day. */
const EMPTY_ALLOWED: ReadonlySet<ExtractType> = new Set(['sales', 'service']);

/** Upper bounds not expressed in the declaration's types. */
class Bad {
  /** `shown`: the value as the receipt shows it, when the raw text would mislead (hidden characters). */
  constructor(readonly code: ProblemCode, readonly params: Params, readonly shown?: string) {}
}

type Check = (value: string) => string | Bad;

export interface ValidateOptions {
  now?: () => Date;
  spool?: CsvSpool;
  /** Bytes of a streamed file's window, and the most a source's first read keeps whole (default 4 MB; small in tests). */
  windowBytes?: number;
  /**
   * Keys kept whole instead of as fingerprints (validateExtract sets it to check a file again when two of
   * its keys' fingerprints matched, so a duplicate is reported only when the keys are equal).
   */
  exactKeys?: boolean;
}

/**
 * Validates an extract (dry run): the receipt, and the canonical CSV when accepted — as bytes, or
 * written into `options.spool` as the rows are checked (then the caller discards the spool when
 * the file is rejected: part of it may have been written before a problem was found).
 */
export async function validateExtract(input: ExtractInput, options: ValidateOptions = {}): Promise<Validation> {
  const name = parseExtractName(input.fileName, { type: input.type, province: input.province });
  const table = TABLES[name.type];
  const receivedAt = (options.now ?? (() => new Date()))().toISOString();
  // A source is read once for its hash and encoding, then again for its rows (UTF-8 CSV) or whole (the rest).
  let bytes = input.bytes;
  if (!bytes && !input.source) throw new TypeError(`${input.fileName}: an extract input needs its bytes or a source`);
  const scan = bytes ? undefined : (input.scan ?? await scanSource(input.source!, createHash('sha256'), options.windowBytes ?? KEEP_WHOLE_BYTES));
  // A small file is validated from the bytes its scan kept: one read of it, as from bytes.
  if (scan?.bytes) bytes = scan.bytes;
  const streamed = !bytes && scan !== undefined && name.extension === 'csv' && streamableCsv(scan);
  if (!bytes && scan && !streamed && scan.size > 0 && (name.extension === 'csv' || name.extension === 'xlsx')) bytes = await readSource(input.source!);
  const problems = new ProblemList();
  const notices: Coded[] = [];
  const receipt: Receipt = {
    file: name.file, type: name.type, province: name.province,
    ...(name.day ? { day: name.day } : {}), ...(name.month ? { month: name.month } : {}),
    status: 'rejected', rowsRead: 0, rowsAccepted: 0, problems: problems.list, problemCount: 0,
    warnings: [], notices, headers: {}, encoding: '', sha256: scan?.sha256 ?? createHash('sha256').update(bytes!).digest('hex'), receivedAt,
    ...(input.uploadedAt ? { uploadedAt: input.uploadedAt } : {}),
  };
  const finish = (normalized?: Uint8Array): Validation => {
    receipt.problemCount = problems.count;
    receipt.warnings = notices.map((n) => sentence(n.code, n.params, 'en'));
    if (problems.count === 0 && normalized !== undefined) {
      receipt.status = 'accepted';
      receipt.rowsAccepted = receipt.rowsRead;
      if (options.spool) return { receipt, spool: options.spool };
      let text: string | undefined;
      return { receipt, normalized, get normalizedCsv() { return (text ??= new TextDecoder().decode(normalized)); } };
    }
    receipt.status = 'rejected';
    receipt.rowsAccepted = 0;
    return { receipt };
  };

  if (name.extension !== 'csv' && name.extension !== 'xlsx') {
    problems.add(0, '', name.file, 'extension', { ext: name.extension });
    return finish();
  }
  if ((scan?.size ?? bytes!.length) === 0) {
    problems.add(0, '', '', 'empty');
    return finish();
  }
  let source: TableSource;
  try {
    source = streamed ? await openCsvStream(input.source!, scan.head[0] === 0xef, options.windowBytes) : await openTable(name.file, bytes!);
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    problems.add(error.row, error.column, error.value, error.code, error.params);
    return finish();
  }
  receipt.encoding = source.encoding;
  if (source.header.every((h) => h === '') && source.head.every((row) => row.every((cell) => cell.trim() === ''))) {
    problems.add(0, '', '', 'empty');
    return finish();
  }
  const validator = new RowValidator(table, { province: name.province, day: name.day, month: name.month, file: name.file }, problems, notices, receipt.headers, options.spool, options.exactKeys);
  try {
    return finish(await validator.run(source, receipt));
  } catch (error) {
    if (error instanceof KeyMatched) {
      source.windows?.release();
      // Two keys' fingerprints matched (a duplicate, or a collision of the hashes): the file is checked again
      // with its keys whole, as received now; the canonical rows then come as bytes, not into the spool.
      return validateExtract({ ...input, ...(scan ? { scan } : {}), ...(bytes ? { bytes } : {}) }, {
        ...options, now: () => new Date(receivedAt), exactKeys: true, spool: undefined,
      });
    }
    if (!(error instanceof DecodeError)) throw error;
    problems.add(error.row, error.column, error.value, error.code, error.params);
    return finish();
  } finally {
    source.windows?.release();
  }
}

class ProblemList {
  readonly list: Problem[] = [];
  count = 0;
  /** Problems per code, so a file-wide cause can replace the rows it explains. */
  readonly byCode = new Map<ProblemCode, number>();
  /** Declared column → the file's header for it (set once the header is read). */
  headers: Readonly<Record<string, string>> = {};

  add(row: number, column: string, value: string, code: ProblemCode, params: Params = {}): void {
    this.count++;
    this.byCode.set(code, (this.byCode.get(code) ?? 0) + 1);
    if (this.list.length >= MAX_PROBLEMS) return;
    const all = { v: value, ...params };
    const header = this.headers[column];
    this.list.push({
      row, ...(row > 0 ? { line: row + 1 } : {}), column, ...(header && header !== column ? { header } : {}),
      value, message: sentence(code, all, 'en'), code, params: all,
    });
  }

  /** Drops every problem of `code` and puts `replacement` first (a summary of what they all say). */
  replace(code: ProblemCode, replacement: () => void): void {
    const n = this.byCode.get(code) ?? 0;
    if (n === 0) return;
    const kept = this.list.filter((p) => p.code !== code);
    this.list.length = 0;
    this.count -= n;
    this.byCode.delete(code);
    replacement();
    this.list.push(...kept.slice(0, MAX_PROBLEMS - this.list.length));
  }
}

interface FilePeriod { province: string; day?: string; month?: string; file: string }

/**
 * How far a service file's timestamps may be from its day. The reports read each day's tickets
 * from the files of that day and the days either side (a ticket opened late on the 17th may come
 * in the 18th's file), so an opened_at outside the file's day ±1 (Asia/Shanghai) would be counted
 * in no report. A first response or resolution may come later (an export or a corrected re-upload
 * carries the ticket's later state) but not by more than 90 days: further is a wrong year or month.
 */
export const OPENED_WINDOW_DAYS = 1;
export const LATER_WINDOW_DAYS = 90;

/** Bounds, as canonical UTC text (compared as strings), of a daily file's timestamps. */
interface TimeWindow {
  day: string;
  /** First and last allowed Shanghai day of opened_at, and the UTC text bounds [from, to). */
  openedFirst: string;
  openedLast: string;
  openedFrom: string;
  openedTo: string;
  /** Last allowed Shanghai day of first_response_at/resolved_at, and the exclusive UTC bound. */
  laterLast: string;
  laterTo: string;
}

/** Midnight Asia/Shanghai at the start of `day`, as canonical UTC text. */
const shanghaiMidnightUtc = (day: string): string => `${addDays(day, -1)} 16:00:00`;

function timeWindow(day: string | undefined): TimeWindow | undefined {
  if (day === undefined) return undefined;
  const openedFirst = addDays(day, -OPENED_WINDOW_DAYS);
  const openedLast = addDays(day, OPENED_WINDOW_DAYS);
  const laterLast = addDays(day, LATER_WINDOW_DAYS);
  return {
    day, openedFirst, openedLast, laterLast,
    openedFrom: shanghaiMidnightUtc(openedFirst), openedTo: shanghaiMidnightUtc(addDays(openedLast, 1)),
    laterTo: shanghaiMidnightUtc(addDays(laterLast, 1)),
  };
}

/** Checks every row and builds the canonical CSV (undefined when anything is wrong). */
const NONE_FAILED: ReadonlySet<number> = new Set();

class RowValidator {
  private readonly columns: readonly ColumnDecl[];
  /** Columns of the row being checked whose own cell check failed. */
  private failed: ReadonlySet<number> = NONE_FAILED;
  private readonly index: Record<string, number>;
  private readonly window: TimeWindow | undefined;
  /** Values of rows whose province (or day) is not the file's, with how many rows have each. */
  private readonly provinceMismatch = new Map<string, number>();
  private readonly dayMismatch = new Map<string, number>();

  constructor(
    private readonly table: TableDecl,
    private readonly file: FilePeriod,
    private readonly problems: ProblemList,
    private readonly notices: Coded[],
    private readonly headers: Record<string, string>,
    private readonly spool?: CsvSpool,
    private readonly exactKeys = false,
  ) {
    this.columns = table.columns;
    this.index = Object.fromEntries(table.columns.map((c, i) => [c.name, i]));
    this.window = table.name === 'service' ? timeWindow(file.day) : undefined;
  }

  async run(source: TableSource, receipt: Receipt): Promise<Uint8Array | undefined> {
    const { table, problems } = this;
    const mapped = this.mapHeader(source);
    const checks = this.columns.map((c) => (c.derived ? undefined : checkFor(c)));
    const width = source.header.length;
    const outputIdx = this.columns.map((_, i) => i).filter((i) => !table.partitions.includes(this.columns[i]!.name as 'province'));
    const quoted = this.columns.map((c) => c.type.kind === 'string');
    const output = this.spool
      ? new ByteWriter(SPOOL_CHUNK, this.spool)
      : new ByteWriter(source.utf8 ? source.utf8.bytes.length - source.utf8.start + 65_536 : source.windows ? SPOOL_CHUNK : 65_536);
    output.text(outputIdx.map((i) => this.columns[i]!.name).join(',') + '\n');
    const keys: Keys = this.exactKeys ? new KeyTable() : new KeyFingerprints();
    const selfProducts = new Set<string>();
    const products = new Set<string>();
    const rule = this.ruleIndexes();
    const n = this.columns.length;
    const values = new Array<string>(n).fill('');
    let rowsRead = 0;
    let emptyRows = 0;
    let pendingEmpty = 0;

    let failedNow = new Set<number>();
    const slowRow = (cells: readonly string[], rowNo: number): void => {
      if ((cells[0] === '' || cells.length === 1) && isEmptyRowFast(cells)) {
        pendingEmpty++;
        return;
      }
      emptyRows += pendingEmpty;
      pendingEmpty = 0;
      rowsRead++;
      if (!mapped) return;
      const before = problems.count;
      if (cells.length < width || (cells.length > width && !restEmpty(cells, width))) {
        problems.add(rowNo, '', '', 'cellCount', { cells: cells.length, width });
        return;
      }
      for (let k = 0; k < n; k++) {
        const check = checks[k];
        if (!check) continue;
        const at = mapped[k]!;
        let raw = at < 0 ? '' : cells[at]!;
        if (raw.length > 0 && (raw.charCodeAt(0) <= 32 || raw.charCodeAt(raw.length - 1) <= 32)) raw = raw.trim();
        if (raw === '') {
          const column = this.columns[k]!;
          if (column.required) {
            problems.add(rowNo, column.name, '', 'requiredEmpty', { column: column.name });
            failedNow.add(k);
          }
          values[k] = column.default ?? '';
          continue;
        }
        const result = hiddenCharacter(raw) ?? check(raw);
        if (typeof result === 'string') values[k] = result;
        else {
          problems.add(rowNo, this.columns[k]!.name, result.shown ?? raw, result.code, result.params);
          failedNow.add(k);
          values[k] = '';
        }
      }
      if (problems.count !== before) {
        // Still check the row rules whose columns are valid, so one pass shows every problem
        // of the row; the key is only checked on rows without problems.
        this.failed = failedNow;
        this.rowRules(values, rowNo, rule);
        this.failed = NONE_FAILED;
        failedNow = new Set<number>();
        return;
      }
      this.rowRules(values, rowNo, rule);
      if (rule.openedDate >= 0) values[rule.openedDate] = openedDate(values[rule.openedAt]!);
      const key = this.keyOf(values);
      keys.begin();
      keys.appendText(key);
      const first = keys.firstOrAdd(rowNo);
      if (first >= 0) {
        const label = table.key.join(' + ');
        const shown = table.key.map((c) => values[this.index[c]!]).join(' | ');
        problems.add(rowNo, label, shown, 'duplicateKey', { firstLine: first + 1, columns: table.key.join('\u0001') });
      }
      if (rule.operator >= 0) {
        products.add(values[rule.product]!);
        if (values[rule.operator] === 'self') selfProducts.add(values[rule.product]!);
      }
      if (problems.count !== 0) return;
      for (let o = 0; o < outputIdx.length; o++) {
        const k = outputIdx[o]!;
        if (o > 0) output.text(',');
        output.text(quoted[k] ? csvCell(values[k]!) : values[k]!);
      }
      output.text('\n');
    };

    const windows = source.windows ?? (source.utf8 ? wholeWindow(source.utf8.bytes) : undefined);
    if (windows) {
      // Clean rows are checked on the bytes and copied; any other row (and every row once a
      // problem is found) goes through slowRow, which reports exactly as before. A streamed
      // file comes a window of whole lines at a time; a record that may run past a window
      // (an open quote at its end) is read again from the next.
      const delimiter = source.windows?.delimiter ?? source.utf8!.delimiter;
      let at = source.windows?.start ?? source.utf8!.start;
      let bytes = windows.bytes;
      const fast = mapped ? this.fastRows(bytes, delimiter, mapped, width, rule, { keys, products, selfProducts, output }, outputIdx, quoted) : undefined;
      const cells: string[] = [];
      let rowNo = 0;
      for (;;) {
        const end = bytes.length;
        while (at < end) {
          if (fast && problems.count === 0) {
            at = fast.readRows(at, end, rowNo);
            const settled = fast.settled;
            if (settled > 0) {
              emptyRows += pendingEmpty;
              pendingEmpty = 0;
              rowsRead += settled;
              rowNo += settled;
            }
            if (at >= end) break;
          }
          rowNo++;
          cells.length = 0;
          let next: number;
          try {
            next = readCsvRecord(bytes, at, delimiter, cells, rowNo);
          } catch (error) {
            if (windows.final || !(error instanceof DecodeError) || error.code !== 'unclosedQuote') throw error;
            rowNo--;
            break;
          }
          at = next;
          slowRow(cells, rowNo);
        }
        if (windows.final) break;
        at = await windows.advance(at);
        bytes = windows.bytes;
        fast?.moveTo(bytes);
      }
    } else source.forEachRow(slowRow);

    receipt.rowsRead = rowsRead;
    if (!mapped) return undefined;
    if (emptyRows > 0) this.notices.push({ code: 'emptyRows', params: { n: emptyRows } });
    this.summariseFileWide(rowsRead);
    if (rule.operator >= 0) {
      for (const product of [...products].sort()) {
        if (!selfProducts.has(product)) problems.add(0, 'operator', product, 'noSelf');
      }
    }
    if (rowsRead === 0 && !EMPTY_ALLOWED.has(table.name)) {
      problems.add(0, '', '', 'noDataRows', { type: table.name });
    } else if (rowsRead === 0) {
      this.notices.push({ code: 'storedEmpty', params: { type: table.name } });
    }
    if (problems.count !== 0) return undefined;
    return output.bytes();
  }

  /** The byte-level reader for the clean rows of a UTF-8 CSV (FastRowReader), or undefined when the table has no required column. */
  private fastRows(
    bytes: Buffer,
    delimiter: number,
    mapped: readonly number[],
    width: number,
    rule: RuleIndexes,
    sinks: RowSinks,
    outputIdx: readonly number[],
    quoted: readonly boolean[],
  ): FastRowReader | undefined {
    if (!this.columns.some((c) => c.required && !c.derived)) return undefined;
    return new FastRowReader(this.table, this.file, this.window, this.index, bytes, delimiter, mapped, width, rule, sinks, outputIdx, quoted);
  }

  /**
   * Source cell index per declared column (-1 when absent); undefined when the header is unusable.
   * A header that is not in row 1, a first sheet that is not the data, or a header that cannot be
   * read in the file's encoding is reported as that one cause, not as every column missing.
   */
  private mapHeader(table: TableSource): number[] | undefined {
    const header = table.header;
    const lookup = headerLookup(this.table);
    const source = this.columns.map(() => -1);
    const seenAs = new Map<number, string>();
    const unknown: string[] = [];
    let ok = true;
    header.forEach((cell, at) => {
      const match = matchHeader(lookup, cell);
      if (!match) {
        if (cell === '') this.notices.push({ code: 'emptyHeaderCell', params: { cell: at + 1 } });
        else unknown.push(cell);
        return;
      }
      const { column } = match;
      const k = this.index[column.name]!;
      if (match.unit) {
        this.problems.add(0, column.name, cell, 'unitMismatch', { header: cell, unit: match.unit, column: column.name, base: match.base });
        source[k] = at;
        ok = false;
        return;
      }
      if (source[k]! >= 0) {
        this.problems.add(0, column.name, cell, 'duplicateColumn', { column: column.name, first: seenAs.get(k)!, firstCell: source[k]! + 1, second: cell, secondCell: at + 1 });
        ok = false;
        return;
      }
      source[k] = at;
      seenAs.set(k, cell);
      this.headers[column.name] = cell;
    });
    this.problems.headers = this.headers;
    const missing = this.columns.filter((c, k) => !c.derived && c.required && source[k]! < 0);
    if (missing.length > 0 && this.headerElsewhere(table, lookup, seenAs.size)) return undefined;
    if (unknown.length > 0) this.notices.push({ code: 'unknownColumns', params: { columns: unknown.join('\u0001') } });
    if (missing.length > 0) {
      this.problems.add(0, missing[0]!.name, '', 'missingColumns', {
        columns: missing.map((c) => c.name).join('\u0001'), aliases: missing.map((c) => c.aliases[0] ?? c.name).join('\u0001'),
      });
      ok = false;
    }
    return ok ? source : undefined;
  }

  /**
   * When row 1 is not the header: reports the real cause (a garbled header, the header further
   * down, the data on another sheet, or no header at all) as one problem and returns true.
   */
  private headerElsewhere(table: TableSource, lookup: Map<string, ColumnDecl>, matched: number): boolean {
    const good = Math.min(3, this.columns.filter((c) => c.required && !c.derived).length);
    const garbled = garbledCells(table.header, lookup);
    if (matched < good && garbled.length > 0) {
      this.problems.add(0, '', garbled.join(', '), 'garbledHeader', { cells: garbled.slice(0, 4).map((c) => `'${c}'`).join(', ') });
      return true;
    }
    const below = table.head.findIndex((row) => headerScore(row, lookup) > Math.max(matched, good - 1));
    if (below >= 0) {
      const above = [table.header, ...table.head.slice(0, below)].flat().map((c) => c.trim()).filter((c) => c !== '').join(' ').slice(0, 40);
      this.problems.add(0, '', above, 'headerBelowRow1', { line: below + 2, above });
      return true;
    }
    const sheet = table.sheets?.others.find((other) => other.head.some((row) => headerScore(row, lookup) >= good));
    if (sheet && table.sheets) {
      this.problems.add(0, '', table.sheets.first, 'dataOnOtherSheet', { first: table.sheets.first, sheet: sheet.name, type: this.table.name });
      return true;
    }
    if (matched > 0) return false;
    const required = inputColumnsOf(this.table).filter((c) => c.required);
    const cells = table.header.filter((c) => c !== '').slice(0, 4).map((c) => `'${c.slice(0, 30)}'`).join(', ');
    this.problems.add(0, '', table.header.join(',').slice(0, 60), 'headerNotFound', {
      type: this.table.name, cells,
      expected: required.slice(0, 5).map((c) => c.name).join(', '),
      expectedZh: required.slice(0, 5).map((c) => c.aliases[0] ?? c.name).join('、'),
    });
    return true;
  }

  private ruleIndexes(): RuleIndexes {
    const at = (name: string): number => this.index[name] ?? -1;
    return {
      province: at('province'), dayColumn: this.table.dayColumn ? at(this.table.dayColumn) : -1,
      segment: at('segment'), subSegment: at('sub_segment'), channel: at('channel'),
      accountManager: this.table.name === 'sales' ? at('account_manager_id') : -1, agent: at('agent_id'),
      eventType: at('event_type'), prevFee: at('prev_monthly_fee'), customer: at('customer_id'),
      openedAt: at('opened_at'), firstResponse: at('first_response_at'), resolved: at('resolved_at'),
      openedDate: at('opened_date'), start: at('start_date'), end: at('end_date'),
      operator: this.table.name === 'market' ? at('operator') : -1, product: at('product'),
      kpi: this.table.name === 'targets' ? at('kpi') : -1, target: at('target'),
    };
  }

  private rowRules(v: string[], row: number, i: RuleIndexes): void {
    if (i.province >= 0 && v[i.province] !== this.file.province) {
      if (this.flag(v, row, i.province, 'notFileProvince', { province: this.file.province })) count(this.provinceMismatch, v[i.province]!);
    }
    if (i.dayColumn >= 0) {
      const expected = this.table.fileGrain === 'month' ? this.file.month : this.file.day;
      if (expected !== undefined && v[i.dayColumn] !== expected) {
        const grain = this.table.fileGrain === 'month' ? 'month' : 'day';
        if (this.flag(v, row, i.dayColumn, 'notFileDay', { grain, expected })) count(this.dayMismatch, v[i.dayColumn]!);
      }
    }
    if (i.subSegment >= 0 && v[i.subSegment] !== '' && v[i.segment] !== 'enterprise') {
      this.flag(v, row, i.subSegment, 'subSegmentNotEnterprise', { segment: v[i.segment]! }, i.segment);
    }
    if (i.accountManager >= 0 && v[i.channel] === 'direct' && v[i.accountManager] === '') {
      this.flag(v, row, i.accountManager, 'managerRequired', {}, i.channel);
    }
    if (i.agent >= 0 && v[i.channel] === 'agent' && v[i.agent] === '') {
      this.flag(v, row, i.agent, 'agentRequired', {}, i.channel);
    }
    if (i.prevFee >= 0 && v[i.prevFee] === '' && (v[i.eventType] === 'upgrade' || v[i.eventType] === 'downgrade')) {
      this.flag(v, row, i.prevFee, 'prevFeeRequired', { eventType: v[i.eventType]! }, i.eventType);
    }
    if (i.customer >= 0) {
      const id = v[i.customer]!;
      if (looksLikeMobile(id)) this.flag(v, row, i.customer, 'looksMobile');
      else if (looksLikeIdCard(id)) this.flag(v, row, i.customer, 'looksIdCard');
    }
    if (i.openedAt >= 0) {
      const w = this.window;
      const opened = v[i.openedAt]!;
      if (w && opened !== '' && (opened < w.openedFrom || opened >= w.openedTo)) {
        this.flag(v, row, i.openedAt, 'openedFar', { local: openedDate(opened), day: w.day, first: w.openedFirst, last: w.openedLast });
      }
      for (const k of [i.firstResponse, i.resolved]) {
        const column = this.columns[k]!.name;
        if (v[k] !== '' && v[k]! < opened) this.flag(v, row, k, 'beforeOpened', { opened, column }, i.openedAt);
        else if (w && v[k] !== '' && v[k]! >= w.laterTo) {
          this.flag(v, row, k, 'laterFar', { local: openedDate(v[k]!), days: LATER_WINDOW_DAYS, day: w.day, last: w.laterLast, column });
        }
      }
    }
    if (i.end >= 0 && v[i.end] !== '' && v[i.end]! < v[i.start]!) {
      this.flag(v, row, i.end, 'endBeforeStart', { start: v[i.start]! }, i.start);
    }
    if (i.kpi >= 0) {
      const code = targetProblem(v[i.kpi]!, v[i.target]!);
      if (code) this.flag(v, row, i.target, code, { kpi: v[i.kpi]! }, i.kpi);
    }
  }

  /** Adds the problem unless a cell it depends on already failed its own check; true when added. */
  private flag(v: string[], row: number, k: number, code: ProblemCode, params: Params = {}, ...inputs: number[]): boolean {
    // A rule over a cell that already failed its own check would only repeat that problem.
    if (this.failed.has(k) || inputs.some((j) => this.failed.has(j))) return false;
    this.problems.add(row, this.columns[k]!.name, v[k]!, code, params);
    return true;
  }

  /**
   * One problem for a whole file in another province's or day's name: when every row carries the
   * same other province (or day), the file is simply misnamed or misplaced, and a hundred identical
   * lines would hide that.
   */
  private summariseFileWide(rowsRead: number): void {
    const { problems, file, table } = this;
    if (rowsRead < 2) return;
    const [province] = this.provinceMismatch.size === 1 ? [...this.provinceMismatch] : [];
    if (province && province[1] === rowsRead && problems.byCode.get('notFileProvince') === rowsRead) {
      const suggested = file.file.replace(new RegExp(`_${file.province}_`, 'i'), `_${province[0]}_`);
      problems.replace('notFileProvince', () => problems.add(0, 'province', province[0], 'allRowsProvince', { rows: rowsRead, province: file.province, suggested }));
    }
    const [day] = this.dayMismatch.size === 1 ? [...this.dayMismatch] : [];
    const expected = table.fileGrain === 'month' ? file.month : file.day;
    if (day && expected && day[1] === rowsRead && problems.byCode.get('notFileDay') === rowsRead) {
      const suggested = file.file.replace(expected.replace(/-/g, ''), day[0].replace(/-/g, ''));
      const column = table.dayColumn!;
      problems.replace('notFileDay', () => problems.add(0, column, day[0], 'allRowsDay', { rows: rowsRead, expected, suggested, column }));
    }
  }

  private keyOf(values: string[]): string {
    const key = this.table.key;
    if (key.length === 1) return values[this.index[key[0]!]!]!;
    let text = '';
    for (const c of key) text += values[this.index[c]!] + '\u0001';
    return text;
  }
}

/** Column indexes of the row rules (-1: the table has no such column). */
interface RuleIndexes {
  province: number; dayColumn: number; segment: number; subSegment: number; channel: number; accountManager: number; agent: number;
  eventType: number; prevFee: number; customer: number; openedAt: number; firstResponse: number; resolved: number; openedDate: number;
  start: number; end: number; operator: number; product: number; kpi: number; target: number;
}

/** What the row readers record of a file's accepted rows: its keys, market products, and the canonical CSV. */
interface RowSinks {
  keys: Keys;
  products: Set<string>;
  selfProducts: Set<string>;
  output: ByteWriter;
}

/**
 * The byte-level reader for clean rows of a UTF-8 CSV: read() checks the record at `at` and, when
 * every cell is already canonical (or a code/value the checks map without complaint) and no rule
 * or key is broken, records it and writes its canonical line, returning where the next record
 * starts. It returns -1, having changed nothing, for any row it does not settle (quotes, blanks to
 * trim, a problem, an empty row, a wrong cell count): the caller then reads that row as text.
 *
 * A class, not a closure made per file: the optimised code of a closure lives only as long as
 * some closure holds it, so once a file's closure was collected the next file's was optimised
 * from scratch (side by side: 39 TurboFan compiles of ~0.2 s each, and the rows between in
 * baseline code). A method's code belongs to the one function every file calls.
 */
class FastRowReader {
  private b: Buffer;
  private N: number;
  private readonly d: number;
  private readonly n: number;
  private readonly plan: (FastCell | undefined)[];
  private readonly required: boolean[];
  private readonly empty: string[];
  /**
   * 1: a byte that ends a cell or sends the row to the text path; 2: a byte that may be or begin
   * a hidden character (any control byte, or the UTF-8 lead byte of one of HIDDEN's), noted per
   * cell so a string cell needs no second look at its bytes.
   */
  private readonly special = new Uint8Array(256);
  private readonly flagged: Uint8Array;
  private readonly starts: Int32Array;
  private readonly ends: Int32Array;
  private readonly vals: (string | null)[];
  private readonly vs: Int32Array;
  private readonly ve: Int32Array;
  /**
   * Per row, where the output bytes of column k are: 1 its input cell's bytes, 2 the canonical
   * timestamp in `stamps` (its instant in `stampKeys`, its Shanghai day in `stampDays`), 0 vals[k].
   */
  private readonly same: Uint8Array;
  private readonly stamps: Buffer;
  private readonly stampKeys: Float64Array;
  private readonly stampDays: string[];
  /** The window's bounds as timestamp numbers (timestampBytes). */
  private readonly openedFromKey: number;
  private readonly openedToKey: number;
  private readonly laterToKey: number;
  private readonly nOut: number;
  private readonly outSource: number[];
  private readonly runs: boolean;
  private input: DataView;
  private outView: { buffer: Buffer; view: DataView } = { buffer: Buffer.alloc(0), view: new DataView(new ArrayBuffer(0)) };
  private readonly cells: RowCells;
  private readonly keyCols: number[];
  private readonly singleKey: number;
  private readonly expectedDay: string | undefined;
  private readonly expectedDayBytes: Buffer | undefined;

  constructor(
    table: TableDecl,
    private readonly file: FilePeriod,
    private readonly window: TimeWindow | undefined,
    index: Readonly<Record<string, number>>,
    bytes: Buffer,
    delimiter: number,
    private readonly mapped: readonly number[],
    private readonly width: number,
    private readonly rule: RuleIndexes,
    private readonly sinks: RowSinks,
    private readonly outputIdx: readonly number[],
    private readonly quoted: readonly boolean[],
  ) {
    const columns = table.columns;
    const b = (this.b = bytes);
    this.N = b.length;
    const d = (this.d = delimiter);
    const n = (this.n = columns.length);
    this.plan = columns.map((c) => (c.derived ? undefined : fastCell(c)));
    this.required = columns.map((c) => c.required);
    this.empty = columns.map((c) => c.default ?? '');
    const special = this.special;
    for (let c = 0; c < 32; c++) special[c] = 2;
    for (const c of [0x7f, 0xc2, 0xd8, 0xe2, 0xef]) special[c] = 2;
    for (const c of [d, LF, CR, QUOTE, COMMA]) special[c] = 1;
    this.flagged = new Uint8Array(width + 1);
    this.starts = new Int32Array(width + 1);
    this.ends = new Int32Array(width + 1);
    this.vals = new Array<string | null>(n).fill('');
    this.vs = new Int32Array(n);
    this.ve = new Int32Array(n);
    this.same = new Uint8Array(n);
    this.stamps = Buffer.alloc(n * TIMESTAMP_BYTES);
    this.stampKeys = new Float64Array(n);
    this.stampDays = new Array<string>(n).fill('');
    this.openedFromKey = window ? timestampKey(window.openedFrom) : 0;
    this.openedToKey = window ? timestampKey(window.openedTo) : 0;
    this.laterToKey = window ? timestampKey(window.laterTo) : 0;
    this.nOut = outputIdx.length;
    this.outSource = outputIdx.map((k) => (columns[k]!.derived ? -1 : mapped[k]!));
    this.runs = d === COMMA;
    this.input = new DataView(b.buffer, b.byteOffset, b.byteLength);
    this.cells = new RowCells(b, this.vals, this.vs, this.ve, this.same, this.stamps);
    this.keyCols = table.key.map((c) => index[c]!);
    this.singleKey = this.keyCols.length === 1 ? this.keyCols[0]! : -1;
    this.expectedDay = rule.dayColumn >= 0 ? (table.fileGrain === 'month' ? file.month : file.day) : undefined;
    this.expectedDayBytes = this.expectedDay === undefined ? undefined : Buffer.from(this.expectedDay);
  }

  /** Reads from `bytes` from now on (the next window of a streamed file). */
  moveTo(bytes: Buffer): void {
    this.b = bytes;
    this.N = bytes.length;
    this.input = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.cells.moveTo(bytes);
  }

  /** Rows settled by the last readRows. */
  settled = 0;

  /**
   * Settles rows from `at` while each one settles, up to `end` (the first being row `rowNo + 1`);
   * returns where the first row it did not settle starts, or `end`, and counts the rows in `settled`.
   * The loop over a file's clean rows lives here, in one method every file calls, so it is optimised
   * once (in the caller, an async function run once per file, it ran as baseline code until OSR).
   */
  readRows(at: number, end: number, rowNo: number): number {
    let n = 0;
    while (at < end) {
      const next = this.read(at, rowNo + n + 1);
      if (next < 0) break;
      at = next;
      n++;
    }
    this.settled = n;
    return at;
  }

  read(at: number, rowNo: number): number {
    const { b, N, d, n, width, plan, mapped, required, empty, special, flagged, starts, ends, vals, vs, ve, same, nOut, outSource, runs, input } = this;
    const { cells, keyCols, singleKey, expectedDay, expectedDayBytes, rule, file, window, outputIdx, quoted, stamps, stampKeys, stampDays } = this;
    const { keys, products, selfProducts, output } = this.sinks;
    // cells of the record, without quotes
    let i = at;
    let c = 0;
    let next: number;
    for (;;) {
      if (c === width) return -1;
      const s = i;
      let x = 0;
      let hidden = 0;
      while (i < N) {
        x = b[i]!;
        const kind = special[x]!;
        if (kind !== 0) {
          if (kind === 2) hidden = 1;
          else if (x === d || x === LF || x === CR) break;
          else return -1;
        }
        i++;
      }
      starts[c] = s;
      ends[c] = i;
      flagged[c] = hidden;
      c++;
      if (i >= N) {
        next = N;
        break;
      }
      if (x === d) {
        i++;
        continue;
      }
      next = x === CR && b[i + 1] === LF ? i + 2 : i + 1;
      break;
    }
    if (c !== width) return -1;

    // each declared cell
    for (let k = 0; k < n; k++) {
      const cell = plan[k];
      if (cell === undefined) continue;
      const a = mapped[k]!;
      const s = a < 0 ? 0 : starts[a]!;
      const e = a < 0 ? 0 : ends[a]!;
      if (s === e) {
        if (required[k]) return -1;
        vals[k] = empty[k]!;
        same[k] = a >= 0 && empty[k] === '' ? 1 : 0;
        continue;
      }
      if (b[s]! <= 32 || b[e - 1]! <= 32) return -1;
      vs[k] = s;
      ve[k] = e;
      // One call site per kind (not one for all columns), so each check is inlined where it runs.
      if (cell.kind === FAST_TIMESTAMP) {
        const key = timestampBytes(b, s, e, stamps, k * TIMESTAMP_BYTES, stampDays, k);
        if (key >= 0) {
          stampKeys[k] = key;
          vals[k] = null;
          same[k] = 2;
          continue;
        }
      }
      let settled: boolean | CodeMatch | string;
      switch (cell.kind) {
        case FAST_STRING: settled = e - s <= cell.max && flagged[a] === 0; break;
        case FAST_CODE: settled = codeBytes(cell.byShape, b, s, e); break;
        case FAST_DATE: settled = canonicalDateBytes(b, s, e); break;
        case FAST_MONEY: settled = canonicalMoneyBytes(b, s, e, cell.decimals); break;
        case FAST_INTEGER: settled = integerBytes(b, s, e, cell.min, cell.max); break;
        default: settled = false;
      }
      if (settled === true) {
        vals[k] = null;
        same[k] = 1;
        continue;
      }
      if (typeof settled === 'string') {
        vals[k] = settled;
        same[k] = 0;
        continue;
      }
      if (settled !== false) {
        vals[k] = settled.code;
        same[k] = settled.same ? 1 : 0;
        continue;
      }
      const result = cell.check(b.toString('utf8', s, e));
      if (typeof result !== 'string') return -1;
      vals[k] = result;
      same[k] = 0;
    }

    // the row rules (any broken rule: the text path reports it)
    if (rule.province >= 0 && cells.text(rule.province) !== file.province) return -1;
    if (expectedDayBytes !== undefined) {
      const k = rule.dayColumn;
      const v = vals[k] as string | null;
      if (v === null ? !sameBytes(b, vs[k]!, ve[k]!, expectedDayBytes) : v !== expectedDay) return -1;
    }
    if (rule.subSegment >= 0 && vals[rule.subSegment] !== '' && cells.text(rule.segment) !== 'enterprise') return -1;
    if (rule.accountManager >= 0 && vals[rule.accountManager] === '' && cells.text(rule.channel) === 'direct') return -1;
    if (rule.agent >= 0 && vals[rule.agent] === '' && cells.text(rule.channel) === 'agent') return -1;
    if (rule.prevFee >= 0 && vals[rule.prevFee] === '') {
      const type = cells.text(rule.eventType);
      if (type === 'upgrade' || type === 'downgrade') return -1;
    }
    if (rule.customer >= 0) {
      const k = rule.customer;
      const v = vals[k] as string | null;
      if (v === null ? looksLikePersonalBytes(b, vs[k]!, ve[k]!) : looksLikeMobile(v) || looksLikeIdCard(v)) return -1;
    }
    if (rule.openedAt >= 0) {
      const o = rule.openedAt;
      const f = rule.firstResponse;
      const r = rule.resolved;
      if (same[o] === 2 && (same[f] === 2 || vals[f] === '') && (same[r] === 2 || vals[r] === '')) {
        // Every timestamp of the row read on the bytes: compared as numbers (the order of their text).
        const opened = stampKeys[o]!;
        if (window && (opened < this.openedFromKey || opened >= this.openedToKey)) return -1;
        if (same[f] === 2 && (stampKeys[f]! < opened || (window && stampKeys[f]! >= this.laterToKey))) return -1;
        if (same[r] === 2 && (stampKeys[r]! < opened || (window && stampKeys[r]! >= this.laterToKey))) return -1;
      } else {
        const opened = cells.text(o);
        if (window && (opened < window.openedFrom || opened >= window.openedTo)) return -1;
        for (const k of [f, r]) {
          const v = cells.text(k);
          if (v !== '' && (v < opened || (window && v >= window.laterTo))) return -1;
        }
      }
    }
    if (rule.end >= 0) {
      const end = cells.text(rule.end);
      if (end !== '' && end < cells.text(rule.start)) return -1;
    }
    if (rule.kpi >= 0 && targetProblem(cells.text(rule.kpi), cells.text(rule.target))) return -1;
    if (rule.openedDate >= 0) vals[rule.openedDate] = same[rule.openedAt] === 2 ? stampDays[rule.openedAt]! : openedDate(cells.text(rule.openedAt));

    // the key: a duplicate is reported by the text path
    keys.begin();
    if (singleKey >= 0) cells.appendKey(keys, singleKey);
    else {
      for (const k of keyCols) {
        cells.appendKey(keys, k);
        keys.appendText('\u0001');
      }
    }
    if (keys.firstOrAdd(rowNo) >= 0) return -1;
    if (rule.operator >= 0) {
      const product = cells.text(rule.product);
      products.add(product);
      if (cells.text(rule.operator) === 'self') selfProducts.add(product);
    }

    // the canonical line: cells whose bytes are their canonical form and that are neighbours
    // in the input are copied as one run (comma-separated input only)
    let size = next - at + 1;
    for (let o = 0; o < nOut; o++) {
      const k = outputIdx[o]!;
      if (same[k] === 0) size += (vals[k] as string).length * 3 + 3;
      else if (same[k] === 2) size += TIMESTAMP_BYTES + 1;
    }
    const out = output.reserve(size);
    let p = output.pos;
    for (let o = 0; o < nOut;) {
      const k = outputIdx[o]!;
      if (o > 0) out[p++] = COMMA;
      if (same[k] === 1) {
        let last = outSource[o]!;
        const s = starts[last]!;
        o++;
        while (runs && o < nOut && same[outputIdx[o]!] === 1 && outSource[o] === last + 1) {
          last++;
          o++;
        }
        const e = ends[last]!;
        if (e - s > 256) p += b.copy(out, p, s, e);
        else {
          // Four bytes at a time through DataViews (no view objects made per run), the rest one by one.
          if (out !== this.outView.buffer) this.outView = { buffer: out, view: new DataView(out.buffer, out.byteOffset, out.byteLength) };
          const w = this.outView.view;
          let j = s;
          for (; j + 4 <= e; j += 4, p += 4) w.setUint32(p, input.getUint32(j, true), true);
          for (; j < e; j++) out[p++] = b[j]!;
        }
      } else if (same[k] === 2) {
        const at = k * TIMESTAMP_BYTES;
        for (let j = 0; j < TIMESTAMP_BYTES; j++) out[p++] = stamps[at + j]!;
        o++;
      } else {
        const v = vals[k] as string;
        p = writeText(out, p, quoted[k] ? csvCell(v) : v);
        o++;
      }
    }
    out[p++] = LF;
    output.pos = p;
    return next;
  }
}

/** The whole of an extract's bytes as the one, final window of the row loop. */
function wholeWindow(bytes: Buffer): Pick<CsvWindows, 'bytes' | 'final' | 'advance'> {
  return { bytes, final: true, advance: () => Promise.resolve(bytes.length) };
}

const QUOTE = 34;
const LF = 10;
const CR = 13;
const COMMA = 44;

/** Bytes of canonical CSV handed to a spool at a time. */
const SPOOL_CHUNK = 4 * 1024 * 1024;

/**
 * The spool buffer of the file validated last, for the next one: a spool takes each chunk
 * synchronously, so the buffer is free once a file is done. A fresh 4 MB buffer per file (1 GB
 * for the side-by-side's 263 files) counted as external memory and made V8 run a full GC every
 * few files (64 mark-compacts of a 10 MB heap).
 */
let spareChunk: Buffer | undefined;

function takeSpareChunk(capacity: number): Buffer | undefined {
  const spare = spareChunk;
  spareChunk = undefined;
  return spare?.length === capacity ? spare : undefined;
}

/**
 * The canonical CSV as UTF-8 bytes, written straight into one buffer that doubles when full
 * (sized from the input, so a large file's output normally fits without growing) — or, with a
 * spool, into a fixed buffer handed to the spool each time it fills.
 */
class ByteWriter {
  private buffer: Buffer;
  pos = 0;

  constructor(capacity: number, private readonly spool?: CsvSpool) {
    const spare = spool ? takeSpareChunk(capacity) : undefined;
    this.buffer = spare ?? Buffer.allocUnsafe(capacity);
  }

  /** The buffer, with room for `size` more bytes at `pos` (read `pos` after calling: a spool empties the buffer). */
  reserve(size: number): Buffer {
    if (this.spool && this.pos + size > this.buffer.length && this.pos > 0) {
      this.spool.write(this.buffer.subarray(0, this.pos));
      this.pos = 0;
    }
    if (this.pos + size > this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.pos + size));
      this.buffer.copy(grown, 0, 0, this.pos);
      this.buffer = grown;
    }
    return this.buffer;
  }

  text(value: string): void {
    this.pos = writeText(this.reserve(value.length * 3), this.pos, value);
  }

  /** The bytes written (copied to a right-sized buffer when much of the room is unused); with a spool, the rest goes to it and nothing is returned. */
  bytes(): Buffer {
    if (this.spool) {
      if (this.pos > 0) this.spool.write(this.buffer.subarray(0, this.pos));
      this.pos = 0;
      spareChunk = this.buffer;
      return Buffer.alloc(0);
    }
    const used = this.buffer.subarray(0, this.pos);
    return this.pos < this.buffer.length * 0.75 ? Buffer.from(used) : used;
  }
}

/** Writes `value` as UTF-8 at `p` (room checked by the caller); returns the position after it. */
function writeText(out: Buffer, p: number, value: string): number {
  const n = value.length;
  for (let j = 0; j < n; j++) {
    if (value.charCodeAt(j) >= 128) return p + out.write(value, p, 'utf8');
  }
  for (let j = 0; j < n; j++) out[p++] = value.charCodeAt(j);
  return p;
}

/** A key being built from cells' bytes and text, in a buffer that grows (KeyTable, KeyFingerprints). */
abstract class KeyBytes {
  /** The bytes of the key being built end at `used`. */
  protected used = 0;

  constructor(protected bytes: Buffer) {}

  appendBytes(b: Buffer, s: number, e: number): void {
    const bytes = this.room(e - s);
    let p = this.used;
    for (let j = s; j < e; j++) bytes[p++] = b[j]!;
    this.used = p;
  }

  appendText(text: string): void {
    this.used = writeText(this.room(text.length * 3), this.used, text);
  }

  /** The buffer, grown (its bytes kept) to hold `size` more after `used`. */
  protected room(size: number): Buffer {
    if (this.used + size > this.bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.used + size));
      this.bytes.copy(grown, 0, 0, this.used);
      this.bytes = grown;
    }
    return this.bytes;
  }
}

/**
 * The keys seen in a file and the first row of each: the keys' UTF-8 bytes in one arena, found
 * through an open-addressing hash table, so a million keys are not a million strings in a Map.
 * A key is built with begin/append…, then firstOrAdd looks it up and records it when new.
 */
class KeyTable extends KeyBytes {
  private start = 0;
  private offsets = new Int32Array(1024);
  private lengths = new Int32Array(1024);
  private rows = new Int32Array(1024);
  private hashes = new Int32Array(1024);
  private count = 0;
  private slots = new Int32Array(2048).fill(-1);

  constructor() {
    super(Buffer.allocUnsafe(1 << 16));
  }

  begin(): void {
    this.used = this.start;
  }

  /** The first row of the key built since begin(), or -1 when it is new (it is then recorded for `row`). */
  firstOrAdd(row: number): number {
    const { bytes: arena, start, used } = this;
    let hash = 0x811c9dc5;
    for (let j = start; j < used; j++) hash = Math.imul(hash ^ arena[j]!, 0x01000193);
    const length = used - start;
    let mask = this.slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = this.slots[slot]!;
      if (entry < 0) break;
      if (this.hashes[entry] === hash && this.lengths[entry] === length) {
        const offset = this.offsets[entry]!;
        let same = true;
        for (let j = 0; j < length; j++) {
          if (arena[offset + j] !== arena[start + j]) {
            same = false;
            break;
          }
        }
        if (same) return this.rows[entry]!;
      }
    }
    if (this.count === this.offsets.length) this.growEntries();
    const entry = this.count++;
    this.offsets[entry] = start;
    this.lengths[entry] = length;
    this.rows[entry] = row;
    this.hashes[entry] = hash;
    if (this.count * 2 > this.slots.length) this.rehash();
    mask = this.slots.length - 1;
    let slot = hash & mask;
    while (this.slots[slot]! >= 0) slot = (slot + 1) & mask;
    this.slots[slot] = entry;
    this.start = used;
    return -1;
  }

  private growEntries(): void {
    const grow = (old: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> => {
      const grown = new Int32Array(old.length * 2);
      grown.set(old);
      return grown;
    };
    this.offsets = grow(this.offsets);
    this.lengths = grow(this.lengths);
    this.rows = grow(this.rows);
    this.hashes = grow(this.hashes);
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2).fill(-1);
    const mask = slots.length - 1;
    for (let entry = 0; entry < this.count; entry++) {
      let slot = this.hashes[entry]! & mask;
      while (slots[slot]! >= 0) slot = (slot + 1) & mask;
      slots[slot] = entry;
    }
    this.slots = slots;
  }
}

/** A file's keys as the row readers record them: whole (KeyTable) or as fingerprints (KeyFingerprints). */
type Keys = KeyTable | KeyFingerprints;

/** A key of the file has the fingerprint of an earlier one: the file is checked again with its keys whole. */
class KeyMatched extends Error {}

/**
 * The keys seen in a file as 63-bit fingerprints (two 32-bit hashes of the key's bytes, the second
 * never 0) in one open-addressing table of two typed arrays: at most ~11 bytes a key, where KeyTable
 * keeps every key's bytes and first row (~65 bytes a 20-byte key; 1 M keys ~65 MB). A fingerprint seen
 * before is a duplicate or, about once in 10^7 files of 2 M rows, two keys whose hashes collide:
 * firstOrAdd then throws KeyMatched, and validateExtract checks the file again with a KeyTable, which
 * reports only equal keys, each with its first row. The key being built is kept in a small buffer.
 */
class KeyFingerprints extends KeyBytes {
  private count = 0;
  private h1s = new Int32Array(1024);
  /** 0 for an empty slot. */
  private h2s = new Int32Array(1024);

  constructor() {
    super(Buffer.allocUnsafe(256));
  }

  begin(): void {
    this.used = 0;
  }

  /** Records the fingerprint of the key built since begin() and returns -1; throws KeyMatched when it was recorded before. */
  firstOrAdd(_row: number): number {
    const { bytes: key, used } = this;
    let h1 = 0x811c9dc5;
    let h2 = 0x9747b28c ^ used;
    for (let j = 0; j < used; j++) {
      const c = key[j]!;
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
      h2 ^= h2 >>> 13;
    }
    h2 = Math.imul(h2 ^ (h2 >>> 15), 0x27d4eb2d) | 1;
    let mask = this.h2s.length - 1;
    let slot = (h1 ^ (h2 >>> 7)) & mask;
    for (; this.h2s[slot] !== 0; slot = (slot + 1) & mask) {
      if (this.h2s[slot] === h2 && this.h1s[slot] === h1) throw new KeyMatched();
    }
    if ((this.count + 1) * 4 > this.h2s.length * 3) {
      this.grow();
      mask = this.h2s.length - 1;
      slot = (h1 ^ (h2 >>> 7)) & mask;
      while (this.h2s[slot] !== 0) slot = (slot + 1) & mask;
    }
    this.h1s[slot] = h1;
    this.h2s[slot] = h2;
    this.count++;
    return -1;
  }

  private grow(): void {
    const { h1s, h2s } = this;
    const size = h2s.length * 2;
    this.h1s = new Int32Array(size);
    this.h2s = new Int32Array(size);
    const mask = size - 1;
    for (let old = 0; old < h2s.length; old++) {
      if (h2s[old] === 0) continue;
      let slot = (h1s[old]! ^ (h2s[old]! >>> 7)) & mask;
      while (this.h2s[slot] !== 0) slot = (slot + 1) & mask;
      this.h1s[slot] = h1s[old]!;
      this.h2s[slot] = h2s[old]!;
    }
  }
}

/**
 * The byte reader's cells of one row: canonical text, or null when the input bytes vs[k]…ve[k]
 * are it (or, when same[k] is 2, the timestamp bytes in `stamps`).
 */
class RowCells {
  constructor(
    private b: Buffer,
    private readonly vals: (string | null)[],
    private readonly vs: Int32Array,
    private readonly ve: Int32Array,
    private readonly same: Uint8Array,
    private readonly stamps: Buffer,
  ) {}

  moveTo(bytes: Buffer): void {
    this.b = bytes;
  }

  text(k: number): string {
    if (this.same[k] === 2) return this.stamps.toString('latin1', k * TIMESTAMP_BYTES, (k + 1) * TIMESTAMP_BYTES);
    return this.vals[k] ?? this.b.toString('utf8', this.vs[k], this.ve[k]);
  }

  appendKey(keys: Keys, k: number): void {
    const v = this.vals[k] as string | null;
    if (this.same[k] === 2) keys.appendBytes(this.stamps, k * TIMESTAMP_BYTES, (k + 1) * TIMESTAMP_BYTES);
    else if (v === null) keys.appendBytes(this.b, this.vs[k]!, this.ve[k]!);
    else keys.appendText(v);
  }
}

function sameBytes(b: Buffer, s: number, e: number, expected: Buffer): boolean {
  if (e - s !== expected.length) return false;
  for (let j = 0; j < expected.length; j++) if (b[s + j] !== expected[j]) return false;
  return true;
}

/** looksLikeMobile || looksLikeIdCard on the UTF-8 bytes of a cell. */
function looksLikePersonalBytes(b: Buffer, s: number, e: number): boolean {
  const len = e - s;
  if (len !== 11 && len !== 18) return false;
  for (let j = s; j < e - 1; j++) {
    const c = b[j]!;
    if (c < 48 || c > 57) return false;
  }
  const last = b[e - 1]!;
  if (len === 11) return b[s] === 49 && last >= 48 && last <= 57;
  return (last >= 48 && last <= 57) || last === 88 || last === 120;
}

function isEmptyRowFast(row: readonly string[]): boolean {
  for (const cell of row) if (cell !== '' && cell.trim() !== '') return false;
  return true;
}

function restEmpty(cells: readonly string[], from: number): boolean {
  for (let i = from; i < cells.length; i++) if (cells[i]!.trim() !== '') return false;
  return true;
}

function csvCell(value: string): string {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 44 || c === 34 || c === 10 || c === 13) return `"${value.replace(/"/g, '""')}"`;
  }
  return value;
}

function looksLikeMobile(id: string): boolean {
  return id.length === 11 && id.charCodeAt(0) === 49 && allDigits(id, 0, 11);
}

function looksLikeIdCard(id: string): boolean {
  if (id.length !== 18 || !allDigits(id, 0, 17)) return false;
  const last = id.charCodeAt(17);
  return (last >= 48 && last <= 57) || last === 88 || last === 120;
}

function allDigits(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** The last UTC date openedDate saw at 16:00 or later, and the day after it. */
let lateUtcDate = '';
let lateUtcNextDay = '';

/** The Asia/Shanghai day (UTC+8) of a canonical UTC timestamp `YYYY-MM-DD HH:MM:SS[.fff]`. */
function openedDate(openedAtUtc: string): string {
  const date = openedAtUtc.slice(0, 10);
  const hour = (openedAtUtc.charCodeAt(11) - 48) * 10 + openedAtUtc.charCodeAt(12) - 48;
  if (hour < 16) return date;
  if (date !== lateUtcDate) {
    lateUtcNextDay = addDays(date, 1);
    lateUtcDate = date;
  }
  return lateUtcNextDay;
}

// ---- byte-level cell checks for the fast reader ----

/**
 * A column as the byte reader sees it: its kind picks the byte check, which says true when the
 * cell's bytes are already its canonical form, gives the canonical value (a code, a timestamp)
 * when it knows it, or false when undecided (then `check` runs on the cell's text).
 */
type FastCell =
  | { kind: typeof FAST_UNDECIDED; check: Check }
  | { kind: typeof FAST_STRING; max: number; check: Check }
  | { kind: typeof FAST_CODE; byShape: Array<CodeEntry[] | undefined>; check: Check }
  | { kind: typeof FAST_DATE; check: Check }
  | { kind: typeof FAST_MONEY; decimals: number; check: Check }
  | { kind: typeof FAST_INTEGER; min: number; max: number; check: Check }
  | { kind: typeof FAST_TIMESTAMP; check: Check };

const FAST_UNDECIDED = 0;
const FAST_STRING = 1;
const FAST_CODE = 2;
const FAST_DATE = 3;
const FAST_MONEY = 4;
const FAST_INTEGER = 5;
const FAST_TIMESTAMP = 6;

/** A code cell whose bytes are a key of the code list: the code, and whether the bytes are the code itself. */
interface CodeMatch {
  code: string;
  same: boolean;
}

type CodeEntry = CodeMatch & { key: Buffer };

function fastCell(column: ColumnDecl): FastCell {
  const check = checkFor(column);
  const type = column.type;
  switch (type.kind) {
    case 'string': {
      if (column.name === 'operator') return { kind: FAST_UNDECIDED, check };
      // UTF-8 bytes ≥ UTF-16 units, so a short byte run is within the limit; quotes, commas and
      // line breaks never reach here (the record reader leaves such rows to the text path).
      return { kind: FAST_STRING, max: type.maxLength ?? Infinity, check };
    }
    case 'code': {
      // The keys by length and first byte, in an array (a Map lookup per cell cost more than the compare).
      const entries = [...codeLookup(type.list)].map(([key, code]) => ({ key: Buffer.from(key), code, same: key === code }));
      const byShape = new Array<CodeEntry[] | undefined>(Math.max(0, ...entries.map((c) => c.key.length + 1)) * 256).fill(undefined);
      for (const entry of entries) (byShape[entry.key.length * 256 + entry.key[0]!] ??= []).push(entry);
      return { kind: FAST_CODE, byShape, check };
    }
    case 'date': return { kind: FAST_DATE, check };
    case 'money': return { kind: FAST_MONEY, decimals: type.decimals ?? 2, check };
    case 'integer': return { kind: FAST_INTEGER, min: type.min ?? -Infinity, max: type.max ?? Infinity, check };
    case 'timestamp': return { kind: FAST_TIMESTAMP, check };
    default: return { kind: FAST_UNDECIDED, check };
  }
}

function codeBytes(byShape: Array<CodeEntry[] | undefined>, b: Buffer, s: number, e: number): CodeMatch | false {
  const shape = (e - s) * 256 + b[s]!;
  const list = shape < byShape.length ? byShape[shape] : undefined;
  if (list !== undefined) {
    for (const entry of list) if (sameBytes(b, s, e, entry.key)) return entry;
  }
  return false;
}

/** Unsigned digits without a leading zero, within the bounds: what integerCheck returns unchanged. */
function integerBytes(b: Buffer, s: number, e: number, min: number, max: number): boolean {
  if (e - s > 15 || (b[s] === 48 && e - s > 1)) return false;
  let value = 0;
  for (let j = s; j < e; j++) {
    const c = b[j]! - 48;
    if (c < 0 || c > 9) return false;
    value = value * 10 + c;
  }
  return value >= min && value <= max;
}

/** A real day of the allowed years: its text and its neighbours', as text and as YYYYMMDD. */
interface DayText { day: string; after: string; bytes: Buffer; beforeBytes: Buffer; ymd: number; beforeYmd: number }

/** Real days in the allowed years, by YYYYMMDD (shared: a day's text never changes). */
const DAY_TEXT = new Map<number, DayText>();

/** Bytes of one canonical timestamp, `YYYY-MM-DD HH:MM:SS`. */
const TIMESTAMP_BYTES = 19;

/**
 * The byte reader's timestamps: `YYYY-MM-DD[T ]HH:MM:SS` without offset (Asia/Shanghai) or with
 * `Z`, written as checkTimestamp's canonical UTC text into `out` at `at`; returns the instant as
 * the number YYYYMMDDHHMMSS (UTC: it orders as the text does) and puts its Asia/Shanghai day in
 * `days[k]`, or returns -1 (undecided: checkTimestamp reads the text). The date part is checked
 * once per distinct date (DAY_TEXT). No string is made per cell: the text was three
 * concatenations, flattened again by the comparisons and by the writer (a third of a service
 * file's validation time).
 */
function timestampBytes(b: Buffer, s: number, e: number, out: Buffer, at: number, days: string[], k: number): number {
  const length = e - s;
  let offsetHours: number;
  if (length === 19) offsetHours = 8;
  else if (length === 20 && b[s + 19] === 90) offsetHours = 0;
  else return -1;
  const sep = b[s + 10];
  if ((sep !== 84 && sep !== 32) || b[s + 4] !== 45 || b[s + 7] !== 45 || b[s + 13] !== 58 || b[s + 16] !== 58) return -1;
  let ymd = 0;
  for (let j = s; j < s + 10; j++) {
    if (j === s + 4 || j === s + 7) continue;
    const c = b[j]! - 48;
    if (c < 0 || c > 9) return -1;
    ymd = ymd * 10 + c;
  }
  const h1 = b[s + 11]! - 48, h2 = b[s + 12]! - 48, m1 = b[s + 14]! - 48, m2 = b[s + 15]! - 48, s1 = b[s + 17]! - 48, s2 = b[s + 18]! - 48;
  if (h1 < 0 || h1 > 2 || h2 < 0 || h2 > 9 || m1 < 0 || m1 > 5 || m2 < 0 || m2 > 9 || s1 < 0 || s1 > 5 || s2 < 0 || s2 > 9) return -1;
  const hour = h1 * 10 + h2;
  if (hour > 23) return -1;
  let day = DAY_TEXT.get(ymd);
  if (day === undefined) {
    if (!canonicalDateBytes(b, s, s + 10)) return -1;
    if (DAY_TEXT.size >= 10_000) DAY_TEXT.clear();
    const text = b.toString('latin1', s, s + 10);
    const before = addDays(text, -1);
    day = {
      day: text, after: addDays(text, 1), bytes: Buffer.from(text, 'latin1'), beforeBytes: Buffer.from(before, 'latin1'),
      ymd, beforeYmd: Number(before.replace(/-/g, '')),
    };
    DAY_TEXT.set(ymd, day);
  }
  let utcHour = hour - offsetHours;
  const early = utcHour < 0;
  if (early) utcHour += 24;
  // Without an offset the Shanghai day is the text's own; with Z, the next one from 16:00 UTC (openedDate).
  days[k] = offsetHours === 8 || hour < 16 ? day.day : day.after;
  const date = early ? day.beforeBytes : day.bytes;
  for (let j = 0; j < 10; j++) out[at + j] = date[j]!;
  out[at + 10] = 32;
  out[at + 11] = 48 + ((utcHour / 10) | 0);
  out[at + 12] = 48 + (utcHour % 10);
  out[at + 13] = 58;
  out[at + 14] = 48 + m1;
  out[at + 15] = 48 + m2;
  out[at + 16] = 58;
  out[at + 17] = 48 + s1;
  out[at + 18] = 48 + s2;
  return (early ? day.beforeYmd : day.ymd) * 1e6 + utcHour * 1e4 + (m1 * 10 + m2) * 100 + s1 * 10 + s2;
}

/** The YYYYMMDDHHMMSS number of a canonical UTC timestamp's text (the bounds of a file's window). */
function timestampKey(text: string): number {
  return Number(text.slice(0, 19).replace(/[-: ]/g, ''));
}

/** `YYYY-MM-DD` naming a real day (what checkDate returns unchanged). */
function canonicalDateBytes(b: Buffer, s: number, e: number): boolean {
  if (e - s !== 10 || b[s + 4] !== 45 || b[s + 7] !== 45) return false;
  let y = 0;
  for (let j = s; j < s + 4; j++) {
    const c = b[j]! - 48;
    if (c < 0 || c > 9) return false;
    y = y * 10 + c;
  }
  const m1 = b[s + 5]! - 48, m2 = b[s + 6]! - 48, d1 = b[s + 8]! - 48, d2 = b[s + 9]! - 48;
  if (m1 < 0 || m1 > 9 || m2 < 0 || m2 > 9 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) return false;
  const m = m1 * 10 + m2;
  const day = d1 * 10 + d2;
  return y >= MIN_YEAR && y <= MAX_YEAR && m >= 1 && m <= 12 && day >= 1 && day <= daysIn(y, m);
}

/** Digits (no leading zero unless alone), optionally `.` and 1–2 digits (1–`decimals`): what money() returns unchanged. */
function canonicalMoneyBytes(b: Buffer, s: number, e: number, decimals = 2): boolean {
  let j = s;
  while (j < e && b[j]! >= 48 && b[j]! <= 57) j++;
  const intDigits = j - s;
  if (intDigits === 0 || intDigits > MAX_MONEY_DIGITS || (intDigits > 1 && b[s] === 48)) return false;
  if (j === e) return true;
  if (b[j] !== 46) return false;
  const fracDigits = e - j - 1;
  if (fracDigits < 1 || fracDigits > decimals) return false;
  for (let f = j + 1; f < e; f++) if (b[f]! < 48 || b[f]! > 57) return false;
  return true;
}

// ---- per-type cell checks: each returns the canonical text or a Bad with the sentence ----

function checkFor(column: ColumnDecl): Check {
  const type: ColumnType = column.type;
  switch (type.kind) {
    case 'string': {
      const max = type.maxLength ?? Infinity;
      if (column.name === 'operator') return (v) => (v.length > max ? tooLong(v, max) : hiddenCharacter(v) ?? (v.toLowerCase() === 'self' ? 'self' : v));
      return (v) => (v.length > max ? tooLong(v, max) : hiddenCharacter(v) ?? v);
    }
    case 'code': return codeCheck(type.list);
    case 'date': return checkDate;
    case 'month': return checkMonth;
    case 'timestamp': return checkTimestamp;
    case 'money':
      if (type.decimals !== undefined && type.decimals !== 2) {
        const { signed = false, decimals } = type;
        return (v) => money(v, signed, decimals);
      }
      return type.signed ? checkSignedMoney : checkMoney;
    case 'integer': return integerCheck(type.min, type.max);
  }
}

/**
 * Characters no extract cell may hold: C0/C1 controls (also tab and line breaks), DEL, the byte
 * order mark, zero-width and bidirectional controls, line/paragraph separators, and U+FFFD (the
 * mark of text already damaged by a wrong encoding). They are invisible in Excel, would be stored
 * inside ids and names, and bidi overrides make a receipt or report show other text than stored.
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const HIDDEN = /[\u0000-\u001F\u007F-\u009F\u061C\u200B-\u200F\u2028-\u202E\u2060-\u2064\u2066-\u2069\uFEFF\uFFF9-\uFFFD]/;
const HIDDEN_ALL = new RegExp(HIDDEN.source, 'g');

const HIDDEN_NAMES: Record<number, string> = {
  0x00: 'NUL', 0x07: 'BEL', 0x08: 'BACKSPACE', 0x09: 'TAB', 0x0a: 'LINE FEED', 0x0d: 'CARRIAGE RETURN', 0x1b: 'ESC', 0x7f: 'DEL',
  0x200b: 'ZERO WIDTH SPACE', 0x200c: 'ZERO WIDTH NON-JOINER', 0x200d: 'ZERO WIDTH JOINER', 0x200e: 'LEFT-TO-RIGHT MARK', 0x200f: 'RIGHT-TO-LEFT MARK',
  0x2028: 'LINE SEPARATOR', 0x2029: 'PARAGRAPH SEPARATOR', 0x202a: 'LEFT-TO-RIGHT EMBEDDING', 0x202b: 'RIGHT-TO-LEFT EMBEDDING',
  0x202c: 'POP DIRECTIONAL FORMATTING', 0x202d: 'LEFT-TO-RIGHT OVERRIDE', 0x202e: 'RIGHT-TO-LEFT OVERRIDE',
  0x2066: 'LEFT-TO-RIGHT ISOLATE', 0x2067: 'RIGHT-TO-LEFT ISOLATE', 0x2068: 'FIRST STRONG ISOLATE', 0x2069: 'POP DIRECTIONAL ISOLATE',
  0xfeff: 'BYTE ORDER MARK', 0xfffd: 'REPLACEMENT CHARACTER',
};

const codePoint = (c: number): string => `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;

/** A Bad naming the first hidden character of `v` (the value shown with each as `<U+XXXX>`), else undefined. */
function hiddenCharacter(v: string): Bad | undefined {
  const at = v.search(HIDDEN);
  if (at < 0) return undefined;
  const c = v.charCodeAt(at);
  const shown = v.replace(HIDDEN_ALL, (h) => `<${codePoint(h.charCodeAt(0))}>`);
  return new Bad('hidden', { v: shown, damaged: c === 0xfffd ? 1 : 0, codePoint: codePoint(c), charName: HIDDEN_NAMES[c] ?? '', at: at + 1 }, shown);
}

function tooLong(v: string, max: number): Bad {
  return new Bad('tooLong', { v: v.slice(0, 20), length: v.length, max });
}

function codeCheck(list: CodeList): Check {
  const lookup = codeLookup(list);
  return (v) => lookup.get(v) ?? lookup.get(v.toLowerCase()) ?? lookup.get(v.toUpperCase())
    ?? new Bad('notCode', { list: list.name });
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysIn(year: number, month: number): number {
  if (month === 2 && ((year % 4 === 0 && year % 100 !== 0) || year % 400 === 0)) return 29;
  return DAYS_IN_MONTH[month - 1]!;
}

function digitAt(v: string, i: number): number {
  const c = v.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1;
}

/** Reads `YYYY-MM-DD` (or `YYYY/M/D`) at the start of v: [year, month, day, length] or undefined. */
function readDate(v: string): [number, number, number, number] | undefined {
  const y0 = digitAt(v, 0), y1 = digitAt(v, 1), y2 = digitAt(v, 2), y3 = digitAt(v, 3);
  if (y0 < 0 || y1 < 0 || y2 < 0 || y3 < 0) return undefined;
  const sep = v.charCodeAt(4);
  if (sep !== 45 && sep !== 47) return undefined;
  let i = 5;
  let month = digitAt(v, i++);
  if (month < 0) return undefined;
  if (digitAt(v, i) >= 0) month = month * 10 + digitAt(v, i++);
  else if (sep === 45) return undefined;
  if (v.charCodeAt(i++) !== sep) return undefined;
  let day = digitAt(v, i++);
  if (day < 0) return undefined;
  if (digitAt(v, i) >= 0) day = day * 10 + digitAt(v, i++);
  else if (sep === 45) return undefined;
  return [y0 * 1000 + y1 * 100 + y2 * 10 + y3, month, day, i];
}

/**
 * Years a date or timestamp may have: rosters go back to staff hired in the last century, and
 * anything outside is a typo (0026 for 2026) or a placeholder (9999-12-31) that would be stored
 * as another year or break the day arithmetic.
 */
export const MIN_YEAR = 1900;
export const MAX_YEAR = 2099;

function badYear(v: string, y: number): Bad | undefined {
  if (y >= MIN_YEAR && y <= MAX_YEAR) return undefined;
  return new Bad('badYear', { v, year: String(y).padStart(4, '0'), min: MIN_YEAR, max: MAX_YEAR });
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

function checkDate(v: string): string | Bad {
  const d = readDate(v);
  if (!d || d[3] !== v.length) return new Bad('notDate', { v });
  const [y, m, day] = d;
  const year = badYear(v, y);
  if (year) return year;
  if (m < 1 || m > 12 || day < 1 || day > daysIn(y, m)) return new Bad('notRealDay', { v });
  return v.length === 10 && v.charCodeAt(4) === 45 ? v : `${y}-${pad2(m)}-${pad2(day)}`;
}

function checkMonth(v: string): string | Bad {
  let y = -1, m = -1;
  if (/^\d{4}[-/]\d{1,2}$/.test(v)) [y, m] = v.split(/[-/]/).map(Number) as [number, number];
  else if (/^\d{6}$/.test(v)) [y, m] = [Number(v.slice(0, 4)), Number(v.slice(4))];
  else {
    const d = readDate(v);
    if (d && d[3] === v.length && d[2] === 1) [y, m] = [d[0], d[1]];
  }
  if (y < 0) return new Bad('notMonth', { v });
  const year = badYear(v, y);
  if (year) return year;
  if (m < 1 || m > 12) return new Bad('notRealMonth', { v });
  return `${y}-${pad2(m)}`;
}

/** ISO 8601 (`T` or space; seconds and fraction optional; `Z`/`±HH:MM`/`±HHMM`/`±HH`); no offset = Asia/Shanghai. */
function checkTimestamp(v: string): string | Bad {
  const bad = () => new Bad('notTimestamp', { v });
  const d = readDate(v);
  if (!d) return bad();
  const [y, mo, day] = d;
  let i = d[3];
  const sep = v.charCodeAt(i++);
  if (sep !== 84 && sep !== 32) return bad();
  const two = (): number => {
    const a = digitAt(v, i), b = digitAt(v, i + 1);
    if (a < 0 || b < 0) return -1;
    i += 2;
    return a * 10 + b;
  };
  const h = two();
  if (h < 0 || v.charCodeAt(i++) !== 58) return bad();
  const mi = two();
  if (mi < 0) return bad();
  let s = 0;
  let ms = 0;
  if (v.charCodeAt(i) === 58) {
    i++;
    s = two();
    if (s < 0) return bad();
    if (v.charCodeAt(i) === 46) {
      i++;
      let scale = 100;
      const start = i;
      while (digitAt(v, i) >= 0) {
        ms += digitAt(v, i) * scale;
        scale /= 10;
        i++;
      }
      if (i === start) return bad();
      ms = Math.floor(ms);
    }
  }
  let offsetMin = 480;
  if (i < v.length) {
    const z = v.charCodeAt(i);
    if (z === 90 && i + 1 === v.length) offsetMin = 0;
    else if (z === 43 || z === 45) {
      i++;
      const oh = two();
      if (oh < 0) return bad();
      if (v.charCodeAt(i) === 58) i++;
      const om = i < v.length ? two() : 0;
      if (om < 0 || i !== v.length || oh > 14 || om > 59) return bad();
      offsetMin = (z === 45 ? -1 : 1) * (oh * 60 + om);
    } else return bad();
  }
  const year = badYear(v, y);
  if (year) return year;
  if (mo < 1 || mo > 12 || day < 1 || day > daysIn(y, mo) || h > 23 || mi > 59 || s > 59) {
    return new Bad('notRealTime', { v });
  }
  const iso = new Date(Date.UTC(y, mo - 1, day, h, mi, s, ms) - offsetMin * 60_000).toISOString();
  return ms === 0 ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}` : `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

/**
 * What is wrong with a target (canonical decimal text) for its KPI, if anything: 0 has no
 * completion rate; revenue, gross adds and ARPU are positive; user counts are whole; CSAT is a
 * share of scores (0.92, not 92).
 */
function targetProblem(kpi: string, target: string): ProblemCode | undefined {
  const n = Number(target);
  if (kpi === 'csat') return n > 0 && n <= 1 ? undefined : 'targetNotFraction';
  if (n === 0) return 'targetZero';
  if ((kpi === 'grossAdds' || kpi === 'netAdds') && !Number.isInteger(n)) return 'targetNotWhole';
  if (kpi !== 'netAdds' && n < 0) return 'targetNegative';
  return undefined;
}

const MAX_MONEY_DIGITS = 16;

function checkMoney(v: string): string | Bad {
  return money(v, false);
}

function checkSignedMoney(v: string): string | Bad {
  return money(v, true);
}

/** Plain decimal with at most 2 decimals (or `decimals`); canonical form without sign noise or leading zeros. */
function money(v: string, signed: boolean, decimals = 2): string | Bad {
  const n = v.length;
  let i = 0;
  let negative = false;
  const c0 = v.charCodeAt(0);
  if (c0 === 45 || c0 === 43) {
    negative = c0 === 45;
    i = 1;
  }
  const intStart = i;
  while (i < n && digitAt(v, i) >= 0) i++;
  const intEnd = i;
  let fracEnd = i;
  if (i < n && v.charCodeAt(i) === 46) {
    i++;
    while (i < n && digitAt(v, i) >= 0) i++;
    fracEnd = i;
  }
  const intDigits = intEnd - intStart;
  const fracDigits = fracEnd > intEnd ? fracEnd - intEnd - 1 : 0;
  if (i !== n || (intDigits === 0 && fracDigits === 0)) {
    if (/^[+-]?\d+,\d{1,2}$/.test(v)) return new Bad('decimalComma', { v });
    if (/^[+-]?\d+(\.\d+)?[%％]$/.test(v)) return new Bad('percentSign', { v, fixed: String(Number((Number(v.slice(0, -1)) / 100).toPrecision(12))) });
    if (/^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$/.test(v)) return new Bad('thousands', { v, fixed: v.replace(/,/g, '') });
    return new Bad('notMoney', { v });
  }
  if (fracDigits > decimals) return new Bad('tooManyDecimals', decimals === 2 ? { v, decimals: fracDigits } : { v, decimals: fracDigits, max: decimals });
  let intPart = v.slice(intStart, intEnd);
  let z = 0;
  while (z < intPart.length - 1 && intPart.charCodeAt(z) === 48) z++;
  if (z > 0) intPart = intPart.slice(z);
  if (intPart.length > MAX_MONEY_DIGITS) return new Bad('moneyTooLarge', { v, digits: MAX_MONEY_DIGITS });
  const frac = fracDigits > 0 ? v.slice(intEnd, fracEnd) : '';
  const isZero = (intPart === '' || intPart === '0') && !/[1-9]/.test(frac);
  if (negative && !signed && !isZero) return new Bad('negative', { v });
  const body = `${intPart === '' ? '0' : intPart}${frac}`;
  if (!negative || isZero) return body === v ? v : body;
  return `-${body}`;
}

function integerCheck(min: number | undefined, max: number | undefined): Check {
  const bounds: Params = { ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) };
  return (v) => {
    let i = 0;
    const c0 = v.charCodeAt(0);
    if (c0 === 45 || c0 === 43) i = 1;
    if (i === v.length || v.length - i > 15 || !allDigits(v, i, v.length)) {
      return new Bad(/^[+-]?\d+\.\d*$/.test(v) ? 'notWhole' : 'notInteger', { v, ...bounds });
    }
    const n = Number(v);
    if ((min !== undefined && n < min) || (max !== undefined && n > max)) return new Bad('outOfRange', { v, ...bounds });
    const text = String(n === 0 ? 0 : n);
    return text === v ? v : text;
  };
}


// ---- reading the header ----

function count(seen: Map<string, number>, value: string): void {
  seen.set(value, (seen.get(value) ?? 0) + 1);
}

/** Units a header's suffix may name that the column's values are not in (money is in 元, counts in ones). */
const WRONG_UNIT = /万|千|百万|亿|%|％/;
const FEN = /^分$/;

/**
 * The column a header cell names: its English name (any case), a Chinese alias, or either with a
 * unit or note in brackets (`月费（元）`, `收入(元)`, `日期(YYYY-MM-DD)`); `unit` is set when the
 * bracket names a unit the values must not be in (`收入（万元）`).
 */
function matchHeader(lookup: Map<string, ColumnDecl>, cell: string): { column: ColumnDecl; unit?: string; base: string } | undefined {
  const direct = lookup.get(cell) ?? lookup.get(cell.toLowerCase());
  if (direct) return { column: direct, base: cell };
  const m = /^(.+?)\s*[（(【[]\s*([^）)】\]]*?)\s*[）)】\]]\s*$/.exec(cell);
  if (!m) return undefined;
  const base = m[1]!;
  const column = lookup.get(base) ?? lookup.get(base.toLowerCase());
  if (!column) return undefined;
  const unit = m[2]!;
  const kind = column.type.kind;
  if ((kind === 'money' || kind === 'integer') && (WRONG_UNIT.test(unit) || (kind === 'money' && FEN.test(unit)))) return { column, unit, base };
  return { column, base };
}

/** How many declared columns a row names (a header candidate's score). */
function headerScore(row: readonly string[], lookup: Map<string, ColumnDecl>): number {
  const found = new Set<string>();
  for (const cell of row) {
    const match = matchHeader(lookup, cell.trim());
    if (match) found.add(match.column.name);
  }
  return found.size;
}

/**
 * Header cells that show a wrong encoding: a `?` or U+FFFD among non-ASCII text (characters lost
 * when the file was saved), or a cell that becomes a known header when its text is read back as
 * Big5 or as UTF-8 (a Big5 file read as GBK, or UTF-8 text converted to GBK twice).
 */
function garbledCells(header: readonly string[], lookup: Map<string, ColumnDecl>): string[] {
  const found: string[] = [];
  for (const cell of header) {
    // eslint-disable-next-line no-control-regex -- non-ASCII is the point
    if (!/[^\u0000-\u007f]/.test(cell)) continue;
    if (/[?\uFFFD]/.test(cell)) {
      found.push(cell);
      continue;
    }
    const gb = iconv.encode(cell, 'gb18030');
    const asBig5 = iconv.decode(gb, 'big5');
    const asUtf8 = isUtf8(gb) ? gb.toString('utf8') : '';
    if ((asBig5 && matchHeader(lookup, asBig5)) || (asUtf8 && matchHeader(lookup, asUtf8))) found.push(cell);
  }
  return found;
}

function inputColumnsOf(table: TableDecl): ColumnDecl[] {
  return inputColumns(table);
}
