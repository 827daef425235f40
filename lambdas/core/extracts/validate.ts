/**
 * Validates one uploaded extract against its declaration in schema.ts and produces the receipt
 * (SPEC §2 "What bad input gets") and, when accepted, the canonical CSV the lake stores.
 */
import { createHash } from 'node:crypto';
import { codeLookup, type CodeList } from './codes.js';
import { DecodeError, openTable, readCsvRecord, type TableSource } from './decode.js';
import { parseExtractName } from './file-name.js';
import { addDays, shanghaiDateTime, shanghaiDay } from '../period.js';
import { headerLookup, TABLES, type ColumnDecl, type ColumnType, type ExtractType, type TableDecl } from './schema.js';

export interface Problem {
  /** 1 = first data row; 0 = the header or the whole file. */
  row: number;
  column: string;
  value: string;
  /** A plain sentence: what is wrong and what is expected. */
  message: string;
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
  warnings: string[];
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
}

export interface ExtractInput {
  fileName: string;
  bytes: Uint8Array;
  type?: ExtractType;
  province?: string;
  /** When the upload was made (ISO 8601); orders uploads of one partition. Default: when it is received. */
  uploadedAt?: string;
}

export const MAX_PROBLEMS = 100;

/** File types for which a header-only file (no data rows) is a legitimate empty day. */
const EMPTY_ALLOWED: ReadonlySet<ExtractType> = new Set(['sales', 'service']);

/** Upper bounds not expressed in the declaration's types. */
class Bad {
  /** `shown`: the value as the receipt shows it, when the raw text would mislead (hidden characters). */
  constructor(readonly message: string, readonly shown?: string) {}
}

type Check = (value: string) => string | Bad;

/** Validates an extract (dry run): the receipt, and the canonical CSV when accepted. */
export async function validateExtract(input: ExtractInput, options: { now?: () => Date } = {}): Promise<Validation> {
  const name = parseExtractName(input.fileName, { type: input.type, province: input.province });
  const table = TABLES[name.type];
  const receivedAt = (options.now ?? (() => new Date()))().toISOString();
  const problems = new ProblemList();
  const warnings: string[] = [];
  const receipt: Receipt = {
    file: name.file, type: name.type, province: name.province,
    ...(name.day ? { day: name.day } : {}), ...(name.month ? { month: name.month } : {}),
    status: 'rejected', rowsRead: 0, rowsAccepted: 0, problems: problems.list, problemCount: 0,
    warnings, encoding: '', sha256: createHash('sha256').update(input.bytes).digest('hex'), receivedAt,
    ...(input.uploadedAt ? { uploadedAt: input.uploadedAt } : {}),
  };
  const finish = (normalized?: Uint8Array): Validation => {
    receipt.problemCount = problems.count;
    if (problems.count === 0 && normalized !== undefined) {
      receipt.status = 'accepted';
      receipt.rowsAccepted = receipt.rowsRead;
      let text: string | undefined;
      return { receipt, normalized, get normalizedCsv() { return (text ??= new TextDecoder().decode(normalized)); } };
    }
    receipt.status = 'rejected';
    receipt.rowsAccepted = 0;
    return { receipt };
  };

  if (name.extension !== 'csv' && name.extension !== 'xlsx') {
    problems.add(0, '', name.file, `the file has the extension '.${name.extension}'; expected .csv (CSV UTF-8 or GB18030) or .xlsx (Excel workbook)`);
    return finish();
  }
  if (input.bytes.length === 0) {
    problems.add(0, '', '', 'the file is empty; expected a header row and one row per record');
    return finish();
  }
  let source: TableSource;
  try {
    source = await openTable(name.file, input.bytes);
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    problems.add(error.row, error.column, error.value, error.message);
    return finish();
  }
  receipt.encoding = source.encoding;
  if (source.header.every((h) => h === '')) {
    problems.add(0, '', '', 'the file is empty; expected a header row and one row per record');
    return finish();
  }
  const validator = new RowValidator(table, { province: name.province, day: name.day, month: name.month }, problems, warnings);
  try {
    return finish(validator.run(source, receipt));
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    problems.add(error.row, error.column, error.value, error.message);
    return finish();
  }
}

class ProblemList {
  readonly list: Problem[] = [];
  count = 0;
  add(row: number, column: string, value: string, message: string): void {
    this.count++;
    if (this.list.length < MAX_PROBLEMS) this.list.push({ row, column, value, message });
  }
}

interface FilePeriod { province: string; day?: string; month?: string }

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

  constructor(
    private readonly table: TableDecl,
    private readonly file: FilePeriod,
    private readonly problems: ProblemList,
    private readonly warnings: string[],
  ) {
    this.columns = table.columns;
    this.index = Object.fromEntries(table.columns.map((c, i) => [c.name, i]));
    this.window = table.name === 'service' ? timeWindow(file.day) : undefined;
  }

  run(source: TableSource, receipt: Receipt): Uint8Array | undefined {
    const { table, problems } = this;
    const mapped = this.mapHeader(source.header);
    const checks = this.columns.map((c) => (c.derived ? undefined : checkFor(c)));
    const width = source.header.length;
    const outputIdx = this.columns.map((_, i) => i).filter((i) => !table.partitions.includes(this.columns[i]!.name as 'province'));
    const quoted = this.columns.map((c) => c.type.kind === 'string');
    const output = new ByteWriter(source.utf8 ? source.utf8.bytes.length - source.utf8.start + 65_536 : 65_536);
    output.text(outputIdx.map((i) => this.columns[i]!.name).join(',') + '\n');
    const keys = new KeyTable();
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
        problems.add(rowNo, '', '', `the row has ${cells.length} cells but the header has ${width}; check for a missing or extra separator, or an unquoted line break`);
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
            problems.add(rowNo, column.name, '', `the cell is empty; a ${column.name} is required`);
            failedNow.add(k);
          }
          values[k] = column.default ?? '';
          continue;
        }
        const result = hiddenCharacter(raw) ?? check(raw);
        if (typeof result === 'string') values[k] = result;
        else {
          problems.add(rowNo, this.columns[k]!.name, result.shown ?? raw, result.message);
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
        problems.add(rowNo, label, shown, `'${shown}' appears again (first in row ${first}); ${label} must be unique within the file`);
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

    const fast = source.utf8 && mapped ? this.fastRows(source.utf8, mapped, width, rule, keys, products, selfProducts, output, outputIdx, quoted) : undefined;
    if (fast && source.utf8) {
      // Clean rows are checked on the bytes and copied; any other row (and every row once a
      // problem is found) goes through slowRow, which reports exactly as before.
      const { bytes, start, delimiter } = source.utf8;
      const cells: string[] = [];
      let rowNo = 0;
      let at = start;
      while (at < bytes.length) {
        rowNo++;
        if (problems.count === 0) {
          const next = fast(at, rowNo);
          if (next >= 0) {
            emptyRows += pendingEmpty;
            pendingEmpty = 0;
            rowsRead++;
            at = next;
            continue;
          }
        }
        cells.length = 0;
        at = readCsvRecord(bytes, at, delimiter, cells, rowNo);
        slowRow(cells, rowNo);
      }
    } else source.forEachRow(slowRow);

    receipt.rowsRead = rowsRead;
    if (!mapped) return undefined;
    if (emptyRows > 0) this.warnings.push(`${emptyRows} empty row(s) were ignored`);
    if (rule.operator >= 0) {
      for (const product of [...products].sort()) {
        if (!selfProducts.has(product)) {
          problems.add(0, 'operator', product, `no row has operator 'self' for product ${product}; each product needs exactly one row for this operator`);
        }
      }
    }
    if (rowsRead === 0 && !EMPTY_ALLOWED.has(table.name)) {
      problems.add(0, '', '', `the file has a header but no data rows; a ${table.name} extract cannot be empty — upload the file with its rows`);
    } else if (rowsRead === 0) {
      this.warnings.push(`the file has no data rows: stored as a ${table.name === 'sales' ? 'day without sales events' : 'day without service contacts'}`);
    }
    if (problems.count !== 0) return undefined;
    return output.bytes();
  }

  /**
   * The byte-level reader for clean rows of a UTF-8 CSV: returns a function that checks the
   * record at `at` and, when every cell is already canonical (or a code/value the checks map
   * without complaint) and no rule or key is broken, records it and writes its canonical line,
   * returning where the next record starts. It returns -1, having changed nothing, for any row it
   * does not settle (quotes, blanks to trim, a problem, an empty row, a wrong cell count): the
   * caller then reads that row as text.
   */
  private fastRows(
    source: { bytes: Buffer; delimiter: number },
    mapped: readonly number[],
    width: number,
    rule: ReturnType<RowValidator['ruleIndexes']>,
    keys: KeyTable,
    products: Set<string>,
    selfProducts: Set<string>,
    output: ByteWriter,
    outputIdx: readonly number[],
    quoted: readonly boolean[],
  ): ((at: number, rowNo: number) => number) | undefined {
    const { table, columns, file, window } = this;
    if (!columns.some((c) => c.required && !c.derived)) return undefined;
    const b = source.bytes;
    const N = b.length;
    const d = source.delimiter;
    const n = columns.length;
    const plan = columns.map((c) => (c.derived ? undefined : fastCell(c)));
    const required = columns.map((c) => c.required);
    const empty = columns.map((c) => c.default ?? '');
    const special = new Uint8Array(256);
    for (const c of [d, LF, CR, QUOTE, COMMA]) special[c] = 1;
    const starts = new Int32Array(width + 1);
    const ends = new Int32Array(width + 1);
    const vals: (string | null)[] = new Array<string | null>(n).fill('');
    const vs = new Int32Array(n);
    const ve = new Int32Array(n);
    /** 1 when the output bytes of column k are its input cell's bytes (set per row). */
    const same = new Uint8Array(n);
    const nOut = outputIdx.length;
    const outSource = outputIdx.map((k) => (columns[k]!.derived ? -1 : mapped[k]!));
    const runs = d === COMMA;
    const val = (k: number): string => vals[k] ?? b.toString('utf8', vs[k], ve[k]);
    const appendKey = (k: number): void => {
      const v = vals[k] as string | null;
      if (v === null) keys.appendBytes(b, vs[k]!, ve[k]!);
      else keys.appendText(v);
    };
    const keyCols = table.key.map((c) => this.index[c]!);
    const singleKey = keyCols.length === 1 ? keyCols[0]! : -1;
    const expectedDay = rule.dayColumn >= 0 ? (table.fileGrain === 'month' ? file.month : file.day) : undefined;
    const expectedDayBytes = expectedDay === undefined ? undefined : Buffer.from(expectedDay);

    return (at, rowNo) => {
      // cells of the record, without quotes
      let i = at;
      let c = 0;
      let next: number;
      for (;;) {
        if (c === width) return -1;
        const s = i;
        let x = 0;
        while (i < N) {
          x = b[i]!;
          if (special[x] !== 0) {
            if (x === d || x === LF || x === CR) break;
            return -1;
          }
          i++;
        }
        starts[c] = s;
        ends[c] = i;
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
        const settled = cell.bytes(b, s, e);
        if (settled === true) {
          vals[k] = null;
          same[k] = 1;
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
      if (rule.province >= 0 && val(rule.province) !== file.province) return -1;
      if (expectedDayBytes !== undefined) {
        const k = rule.dayColumn;
        const v = vals[k] as string | null;
        if (v === null ? !sameBytes(b, vs[k]!, ve[k]!, expectedDayBytes) : v !== expectedDay) return -1;
      }
      if (rule.subSegment >= 0 && vals[rule.subSegment] !== '' && val(rule.segment) !== 'enterprise') return -1;
      if (rule.accountManager >= 0 && vals[rule.accountManager] === '' && val(rule.channel) === 'direct') return -1;
      if (rule.agent >= 0 && vals[rule.agent] === '' && val(rule.channel) === 'agent') return -1;
      if (rule.prevFee >= 0 && vals[rule.prevFee] === '') {
        const type = val(rule.eventType);
        if (type === 'upgrade' || type === 'downgrade') return -1;
      }
      if (rule.customer >= 0) {
        const k = rule.customer;
        const v = vals[k] as string | null;
        if (v === null ? looksLikePersonalBytes(b, vs[k]!, ve[k]!) : looksLikeMobile(v) || looksLikeIdCard(v)) return -1;
      }
      if (rule.openedAt >= 0) {
        const opened = val(rule.openedAt);
        if (window && (opened < window.openedFrom || opened >= window.openedTo)) return -1;
        for (const k of [rule.firstResponse, rule.resolved]) {
          const v = val(k);
          if (v !== '' && (v < opened || (window && v >= window.laterTo))) return -1;
        }
      }
      if (rule.end >= 0) {
        const end = val(rule.end);
        if (end !== '' && end < val(rule.start)) return -1;
      }
      if (rule.openedDate >= 0) vals[rule.openedDate] = openedDate(val(rule.openedAt));

      // the key: a duplicate is reported by the text path
      keys.begin();
      if (singleKey >= 0) appendKey(singleKey);
      else {
        for (const k of keyCols) {
          appendKey(k);
          keys.appendText('\u0001');
        }
      }
      if (keys.firstOrAdd(rowNo) >= 0) return -1;
      if (rule.operator >= 0) {
        const product = val(rule.product);
        products.add(product);
        if (val(rule.operator) === 'self') selfProducts.add(product);
      }

      // the canonical line: cells whose bytes are their canonical form and that are neighbours
      // in the input are copied as one run (comma-separated input only)
      let size = next - at + 1;
      for (let o = 0; o < nOut; o++) {
        const k = outputIdx[o]!;
        if (same[k] === 0) size += (vals[k] as string).length * 3 + 3;
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
          if (e - s > 64) p += b.copy(out, p, s, e);
          else for (let j = s; j < e; j++) out[p++] = b[j]!;
        } else {
          const v = vals[k] as string;
          p = writeText(out, p, quoted[k] ? csvCell(v) : v);
          o++;
        }
      }
      out[p++] = LF;
      output.pos = p;
      return next;
    };
  }

  /** Source cell index per declared column (-1 when absent); undefined when the header is unusable. */
  private mapHeader(header: readonly string[]): number[] | undefined {
    const lookup = headerLookup(this.table);
    const source = this.columns.map(() => -1);
    const seenAs = new Map<number, string>();
    let ok = true;
    header.forEach((cell, at) => {
      const column = lookup.get(cell) ?? lookup.get(cell.toLowerCase());
      if (!column) {
        this.warnings.push(cell === ''
          ? `header cell ${at + 1} is empty; that column was ignored`
          : `unknown column '${cell}' was ignored (expected columns: ${this.table.columns.filter((c) => !c.derived).map((c) => c.name).join(', ')})`);
        return;
      }
      const k = this.index[column.name]!;
      if (source[k]! >= 0) {
        this.problems.add(0, column.name, cell, `column ${column.name} appears twice in the header (as '${seenAs.get(k)}' in cell ${source[k]! + 1} and as '${cell}' in cell ${at + 1}); keep one`);
        ok = false;
        return;
      }
      source[k] = at;
      seenAs.set(k, cell);
    });
    for (const [k, column] of this.columns.entries()) {
      if (column.derived || !column.required || source[k]! >= 0) continue;
      const alias = column.aliases[0] ? ` (${column.aliases[0]})` : '';
      this.problems.add(0, column.name, '', `the required column ${column.name}${alias} is missing from the header`);
      ok = false;
    }
    return ok ? source : undefined;
  }

  private ruleIndexes() {
    const at = (name: string): number => this.index[name] ?? -1;
    return {
      province: at('province'), dayColumn: this.table.dayColumn ? at(this.table.dayColumn) : -1,
      segment: at('segment'), subSegment: at('sub_segment'), channel: at('channel'),
      accountManager: this.table.name === 'sales' ? at('account_manager_id') : -1, agent: at('agent_id'),
      eventType: at('event_type'), prevFee: at('prev_monthly_fee'), customer: at('customer_id'),
      openedAt: at('opened_at'), firstResponse: at('first_response_at'), resolved: at('resolved_at'),
      openedDate: at('opened_date'), start: at('start_date'), end: at('end_date'),
      operator: this.table.name === 'market' ? at('operator') : -1, product: at('product'),
    };
  }

  private rowRules(v: string[], row: number, i: ReturnType<RowValidator['ruleIndexes']>): void {
    if (i.province >= 0 && v[i.province] !== this.file.province) {
      this.flag(v, row, i.province, `'${v[i.province]}' is not the file's province; this file is for ${this.file.province}`);
    }
    if (i.dayColumn >= 0) {
      const expected = this.table.fileGrain === 'month' ? this.file.month : this.file.day;
      if (expected !== undefined && v[i.dayColumn] !== expected) {
        this.flag(v, row, i.dayColumn, `'${v[i.dayColumn]}' is not the file's ${this.table.fileGrain === 'month' ? 'month' : 'day'}; every row of this file must be ${expected}`);
      }
    }
    if (i.subSegment >= 0 && v[i.subSegment] !== '' && v[i.segment] !== 'enterprise') {
      this.flag(v, row, i.subSegment, `'${v[i.subSegment]}' is given for segment ${v[i.segment]}; sub_segment is only for enterprise rows, leave it empty`, i.segment);
    }
    if (i.accountManager >= 0 && v[i.channel] === 'direct' && v[i.accountManager] === '') {
      this.flag(v, row, i.accountManager, 'the cell is empty; account_manager_id is required when channel is direct', i.channel);
    }
    if (i.agent >= 0 && v[i.channel] === 'agent' && v[i.agent] === '') {
      this.flag(v, row, i.agent, 'the cell is empty; agent_id is required when channel is agent', i.channel);
    }
    if (i.prevFee >= 0 && v[i.prevFee] === '' && (v[i.eventType] === 'upgrade' || v[i.eventType] === 'downgrade')) {
      this.flag(v, row, i.prevFee, `the cell is empty; prev_monthly_fee is required for an ${v[i.eventType]} event`, i.eventType);
    }
    if (i.customer >= 0) {
      const id = v[i.customer]!;
      if (looksLikeMobile(id)) this.flag(v, row, i.customer, `'${id}' looks like a mobile phone number; customer_id must be the pseudonymous customer id, never a phone number`);
      else if (looksLikeIdCard(id)) this.flag(v, row, i.customer, `'${id}' looks like an ID-card number; customer_id must be the pseudonymous customer id, never an ID-card number`);
    }
    if (i.openedAt >= 0) {
      const w = this.window;
      const opened = v[i.openedAt]!;
      if (w && opened !== '' && (opened < w.openedFrom || opened >= w.openedTo)) {
        this.flag(v, row, i.openedAt, `'${opened}' (UTC) is ${openedDate(opened)} in Asia/Shanghai, more than a day from the file's day ${w.day}; `
          + `opened_at must be from ${w.openedFirst} to ${w.openedLast}: put a ticket of another day in that day's file, or check the year and month`);
      }
      for (const k of [i.firstResponse, i.resolved]) {
        const name = this.columns[k]!.name;
        if (v[k] !== '' && v[k]! < opened) this.flag(v, row, k, `'${v[k]}' (UTC) is before opened_at ${opened} (UTC); ${name} cannot be earlier than opened_at`, i.openedAt);
        else if (w && v[k] !== '' && v[k]! >= w.laterTo) {
          this.flag(v, row, k, `'${v[k]}' (UTC) is ${openedDate(v[k]!)} in Asia/Shanghai, more than ${LATER_WINDOW_DAYS} days after the file's day ${w.day}; `
            + `${name} must be by ${w.laterLast}: check the year and month`);
        }
      }
    }
    if (i.end >= 0 && v[i.end] !== '' && v[i.end]! < v[i.start]!) {
      this.flag(v, row, i.end, `'${v[i.end]}' is before start_date ${v[i.start]}; end_date cannot be earlier than start_date`, i.start);
    }
  }

  private flag(v: string[], row: number, k: number, message: string, ...inputs: number[]): void {
    // A rule over a cell that already failed its own check would only repeat that problem.
    if (this.failed.has(k) || inputs.some((j) => this.failed.has(j))) return;
    this.problems.add(row, this.columns[k]!.name, v[k]!, message);
  }

  private keyOf(values: string[]): string {
    const key = this.table.key;
    if (key.length === 1) return values[this.index[key[0]!]!]!;
    let text = '';
    for (const c of key) text += values[this.index[c]!] + '\u0001';
    return text;
  }
}

const QUOTE = 34;
const LF = 10;
const CR = 13;
const COMMA = 44;

/**
 * The canonical CSV as UTF-8 bytes, written straight into one buffer that doubles when full
 * (sized from the input, so a large file's output normally fits without growing).
 */
class ByteWriter {
  private buffer: Buffer;
  pos = 0;

  constructor(capacity: number) {
    this.buffer = Buffer.allocUnsafe(capacity);
  }

  /** The buffer, with room for `size` more bytes at `pos`. */
  reserve(size: number): Buffer {
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

  /** The bytes written (copied to a right-sized buffer when much of the room is unused). */
  bytes(): Buffer {
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

/**
 * The keys seen in a file and the first row of each: the keys' UTF-8 bytes in one arena, found
 * through an open-addressing hash table, so a million keys are not a million strings in a Map.
 * A key is built with begin/append…, then firstOrAdd looks it up and records it when new.
 */
class KeyTable {
  private arena = Buffer.allocUnsafe(1 << 16);
  private used = 0;
  private start = 0;
  private offsets = new Int32Array(1024);
  private lengths = new Int32Array(1024);
  private rows = new Int32Array(1024);
  private hashes = new Int32Array(1024);
  private count = 0;
  private slots = new Int32Array(2048).fill(-1);

  begin(): void {
    this.used = this.start;
  }

  appendBytes(b: Buffer, s: number, e: number): void {
    const arena = this.room(e - s);
    let p = this.used;
    for (let j = s; j < e; j++) arena[p++] = b[j]!;
    this.used = p;
  }

  appendText(text: string): void {
    this.used = writeText(this.room(text.length * 3), this.used, text);
  }

  /** The first row of the key built since begin(), or -1 when it is new (it is then recorded for `row`). */
  firstOrAdd(row: number): number {
    const { arena, start, used } = this;
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

  private room(size: number): Buffer {
    if (this.used + size > this.arena.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.arena.length * 2, this.used + size));
      this.arena.copy(grown, 0, 0, this.used);
      this.arena = grown;
    }
    return this.arena;
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

function openedDate(openedAtUtc: string): string {
  return shanghaiDay(new Date(`${openedAtUtc.replace(' ', 'T')}Z`));
}

// ---- byte-level cell checks for the fast reader ----

/**
 * A column as the byte reader sees it: `bytes` returns true when the cell's bytes are already
 * its canonical form, a string when it knows the canonical value, false when undecided (then
 * `check` runs on the cell's text).
 */
interface FastCell {
  bytes(b: Buffer, s: number, e: number): boolean | CodeMatch;
  check: Check;
}

/** A code cell whose bytes are a key of the code list: the code, and whether the bytes are the code itself. */
interface CodeMatch {
  code: string;
  same: boolean;
}

const undecided = (): boolean => false;

function fastCell(column: ColumnDecl): FastCell {
  const check = checkFor(column);
  const type = column.type;
  switch (type.kind) {
    case 'string': {
      if (column.name === 'operator') return { bytes: undecided, check };
      // UTF-8 bytes ≥ UTF-16 units, so a short byte run is within the limit; quotes, commas and
      // line breaks never reach here (the record reader leaves such rows to the text path).
      const max = type.maxLength ?? Infinity;
      return { bytes: (b, s, e) => e - s <= max && plainBytes(b, s, e), check };
    }
    case 'code': {
      const byShape = new Map<number, (CodeMatch & { key: Buffer })[]>();
      for (const [key, code] of codeLookup(type.list)) {
        const bytes = Buffer.from(key);
        const shape = bytes.length * 256 + bytes[0]!;
        const list = byShape.get(shape) ?? [];
        list.push({ key: bytes, code, same: key === code });
        byShape.set(shape, list);
      }
      return {
        bytes: (b, s, e) => {
          const list = byShape.get((e - s) * 256 + b[s]!);
          if (list !== undefined) {
            for (const entry of list) if (sameBytes(b, s, e, entry.key)) return entry;
          }
          return false;
        },
        check,
      };
    }
    case 'date': return { bytes: canonicalDateBytes, check };
    case 'money': return { bytes: canonicalMoneyBytes, check };
    case 'integer': {
      const min = type.min;
      const max = type.max;
      return {
        bytes: (b, s, e) => {
          if (e - s > 15 || (b[s] === 48 && e - s > 1)) return false;
          let value = 0;
          for (let j = s; j < e; j++) {
            const c = b[j]! - 48;
            if (c < 0 || c > 9) return false;
            value = value * 10 + c;
          }
          return (min === undefined || value >= min) && (max === undefined || value <= max);
        },
        check,
      };
    }
    default: return { bytes: undecided, check };
  }
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

/** Digits (no leading zero unless alone), optionally `.` and 1–2 digits: what money() returns unchanged. */
function canonicalMoneyBytes(b: Buffer, s: number, e: number): boolean {
  let j = s;
  while (j < e && b[j]! >= 48 && b[j]! <= 57) j++;
  const intDigits = j - s;
  if (intDigits === 0 || intDigits > MAX_MONEY_DIGITS || (intDigits > 1 && b[s] === 48)) return false;
  if (j === e) return true;
  if (b[j] !== 46) return false;
  const fracDigits = e - j - 1;
  if (fracDigits < 1 || fracDigits > 2) return false;
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
    case 'money': return type.signed ? checkSignedMoney : checkMoney;
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
  const name = HIDDEN_NAMES[c] ? ` (${HIDDEN_NAMES[c]})` : '';
  const shown = v.replace(HIDDEN_ALL, (h) => `<${codePoint(h.charCodeAt(0))}>`);
  const fix = c === 0xfffd
    ? 'the text was damaged when it was converted from another encoding: export it again and save it as CSV UTF-8'
    : 'delete it (retype the cell, or use Excel\'s CLEAN function on the column)';
  const what = c === 0xfffd ? '' : 'an invisible control character ';
  return new Bad(`'${shown}' holds ${what}${codePoint(c)}${name} at position ${at + 1}; ${fix}`, shown);
}

/** False when the UTF-8 bytes may hold a hidden character (any control byte, or a lead byte of one of them). */
function plainBytes(b: Buffer, s: number, e: number): boolean {
  for (let j = s; j < e; j++) {
    const c = b[j]!;
    if (c < 0x20 || c === 0x7f || c === 0xc2 || c === 0xd8 || c === 0xe2 || c === 0xef) return false;
  }
  return true;
}

function tooLong(v: string, max: number): Bad {
  return new Bad(`'${v.slice(0, 20)}…' is ${v.length} characters long; at most ${max} are allowed`);
}

function codeCheck(list: CodeList): Check {
  const lookup = codeLookup(list);
  const codes = Object.keys(list.codes);
  const expected = codes.length > 10
    ? `expected a ${list.name} code such as ${codes.slice(0, 3).join(', ')}`
    : `expected one of ${codes.join(', ')} (or ${codes.map((c) => list.codes[c]!.zh).join(', ')})`;
  return (v) => lookup.get(v) ?? lookup.get(v.toLowerCase()) ?? lookup.get(v.toUpperCase())
    ?? new Bad(`'${v}' is not a ${list.name} code; ${expected}`);
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
  return new Bad(`'${v}' has the year ${String(y).padStart(4, '0')}; expected a year from ${MIN_YEAR} to ${MAX_YEAR}`);
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

function checkDate(v: string): string | Bad {
  const d = readDate(v);
  if (!d || d[3] !== v.length) return new Bad(`'${v}' is not a date; use YYYY-MM-DD, e.g. 2026-11-18`);
  const [y, m, day] = d;
  const year = badYear(v, y);
  if (year) return year;
  if (m < 1 || m > 12 || day < 1 || day > daysIn(y, m)) return new Bad(`'${v}' is not a real day; use YYYY-MM-DD, e.g. 2026-11-18`);
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
  if (y < 0) return new Bad(`'${v}' is not a month; use YYYY-MM, e.g. 2026-11`);
  const year = badYear(v, y);
  if (year) return year;
  if (m < 1 || m > 12) return new Bad(`'${v}' is not a real month; use YYYY-MM with a month 01–12`);
  return `${y}-${pad2(m)}`;
}

/** ISO 8601 (`T` or space; seconds and fraction optional; `Z`/`±HH:MM`/`±HHMM`/`±HH`); no offset = Asia/Shanghai. */
function checkTimestamp(v: string): string | Bad {
  const bad = () => new Bad(`'${v}' is not a timestamp; use ISO 8601 like 2026-11-18 09:30:00 (Asia/Shanghai) or 2026-11-18T01:30:00Z`);
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
    return new Bad(`'${v}' is not a real time; use ISO 8601 like 2026-11-18 09:30:00`);
  }
  const iso = new Date(Date.UTC(y, mo - 1, day, h, mi, s, ms) - offsetMin * 60_000).toISOString();
  return ms === 0 ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}` : `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

const MAX_MONEY_DIGITS = 16;

function checkMoney(v: string): string | Bad {
  return money(v, false);
}

function checkSignedMoney(v: string): string | Bad {
  return money(v, true);
}

/** Plain decimal with at most 2 decimals; canonical form without sign noise or leading zeros. */
function money(v: string, signed: boolean): string | Bad {
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
    if (/^[+-]?\d+,\d{1,2}$/.test(v)) return new Bad(`'${v}' is not a number; use a dot for decimals`);
    if (/^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$/.test(v)) return new Bad(`'${v}' is not a number; write it without thousands separators, e.g. ${v.replace(/,/g, '')}`);
    return new Bad(`'${v}' is not a number; expected an amount in CNY like 129.00`);
  }
  if (fracDigits > 2) return new Bad(`'${v}' has ${fracDigits} decimals; amounts are CNY with at most 2 decimals`);
  let intPart = v.slice(intStart, intEnd);
  let z = 0;
  while (z < intPart.length - 1 && intPart.charCodeAt(z) === 48) z++;
  if (z > 0) intPart = intPart.slice(z);
  if (intPart.length > MAX_MONEY_DIGITS) return new Bad(`'${v}' is too large; at most ${MAX_MONEY_DIGITS} digits before the decimal point`);
  const frac = fracDigits > 0 ? v.slice(intEnd, fracEnd) : '';
  const isZero = (intPart === '' || intPart === '0') && !/[1-9]/.test(frac);
  if (negative && !signed && !isZero) return new Bad(`'${v}' is negative; expected an amount ≥ 0`);
  const body = `${intPart === '' ? '0' : intPart}${frac}`;
  if (!negative || isZero) return body === v ? v : body;
  return `-${body}`;
}

function integerCheck(min: number | undefined, max: number | undefined): Check {
  const range = max !== undefined ? `a whole number from ${min ?? 0} to ${max}` : min !== undefined ? `a whole number ≥ ${min}` : 'a whole number';
  return (v) => {
    let i = 0;
    const c0 = v.charCodeAt(0);
    if (c0 === 45 || c0 === 43) i = 1;
    if (i === v.length || v.length - i > 15 || !allDigits(v, i, v.length)) {
      return new Bad(/^[+-]?\d+\.\d*$/.test(v) ? `'${v}' is not a whole number; expected ${range}` : `'${v}' is not a number; expected ${range}`);
    }
    const n = Number(v);
    if ((min !== undefined && n < min) || (max !== undefined && n > max)) return new Bad(`'${v}' is out of range; expected ${range}`);
    const text = String(n === 0 ? 0 : n);
    return text === v ? v : text;
  };
}

// ---- the readable receipt ----

const LABELS = {
  en: {
    file: 'File', type: 'Type', province: 'Province', day: 'Day', month: 'Month', status: 'Status',
    rows: (read: number, accepted: number) => `Rows read: ${read}, accepted: ${accepted}`,
    statuses: { accepted: 'accepted', rejected: 'rejected', unchanged: 'unchanged (same file already stored)', superseded: 'not stored: a newer upload of this day is already stored' },
    problems: (n: number) => `Problems (${n}):`, warnings: 'Warnings:',
    row: (n: number) => `row ${n}`, column: (c: string) => `column ${c}`, header: 'header', whole: 'file',
    more: (n: number) => `…and ${n} more problem${n === 1 ? '' : 's'}`, encoding: 'Encoding', received: 'Received',
  },
  'zh-CN': {
    file: '文件', type: '类型', province: '省份', day: '日期', month: '月份', status: '状态',
    rows: (read: number, accepted: number) => `读取行数：${read}，接受行数：${accepted}`,
    statuses: { accepted: '已接受', rejected: '已拒绝', unchanged: '未变化（相同文件已存储）', superseded: '未存储：该日已有更新的上传' },
    problems: (n: number) => `问题（${n}）：`, warnings: '提示：',
    row: (n: number) => `第 ${n} 行`, column: (c: string) => `列 ${c}`, header: '表头', whole: '文件',
    more: (n: number) => `……另有 ${n} 个问题`, encoding: '编码', received: '接收时间',
  },
} as const;

/** One problem as a line: `row 14, column monthly_fee: '12,5' is not a number; use a dot for decimals`. */
export function formatProblem(problem: Problem, lang: 'en' | 'zh-CN' = 'en'): string {
  const l = LABELS[lang];
  const where = problem.row > 0 ? l.row(problem.row) : problem.column ? l.header : l.whole;
  const column = problem.column ? `, ${l.column(problem.column)}` : '';
  return `${where}${column}: ${problem.message}`;
}

/** The receipt as readable text (one problem per line, at most MAX_PROBLEMS, then a count). */
export function formatReceipt(receipt: Receipt, lang: 'en' | 'zh-CN' = 'en'): string {
  const l = LABELS[lang];
  const lines = [
    `${l.file}: ${receipt.file}`,
    `${l.type}: ${receipt.type} (${TABLES[receipt.type].titleZh})`,
    `${l.province}: ${receipt.province}`,
  ];
  if (receipt.day) lines.push(`${l.day}: ${receipt.day}`);
  if (receipt.month) lines.push(`${l.month}: ${receipt.month}`);
  lines.push(`${l.status}: ${l.statuses[receipt.status]}`);
  lines.push(l.rows(receipt.rowsRead, receipt.rowsAccepted));
  if (receipt.encoding) lines.push(`${l.encoding}: ${receipt.encoding}`);
  const received = new Date(receipt.receivedAt);
  lines.push(`${l.received}: ${Number.isNaN(received.getTime()) ? receipt.receivedAt : `${shanghaiDateTime(received)} (Asia/Shanghai)`}`);
  if (receipt.problemCount > 0) {
    lines.push(l.problems(receipt.problemCount));
    for (const problem of receipt.problems) lines.push(`  ${formatProblem(problem, lang)}`);
    if (receipt.problemCount > receipt.problems.length) lines.push(`  ${l.more(receipt.problemCount - receipt.problems.length)}`);
  }
  if (receipt.warnings.length > 0) {
    lines.push(l.warnings);
    for (const warning of receipt.warnings) lines.push(`  ${warning}`);
  }
  return lines.join('\n') + '\n';
}
