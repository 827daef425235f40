/**
 * The HR workbook (REPORT.md). A small tally (≤ LARGE_TALLY_MANAGERS managers): 汇总, one
 * statement sheet per manager, 数据问题, 方案. A large one (a national roster): 汇总, 积分明细
 * (every line of every manager, grouped by manager, the manager on each line so HR filters to
 * one), 数据问题, 方案 — written directly as SpreadsheetML row by row (sheet-writer.ts), so memory
 * does not grow with the lines (20 000 sheets were unworkable: > 5 min and > 2.7 GB).
 */
import { Decimal } from 'decimal.js';
import ExcelJS from 'exceljs';
import { EVENT_TYPES, PRODUCTS, PROVINCES, label } from '../extracts/codes.js';
import { describePlan, type Plan } from './plan.js';
import { columnName, type CellStyle, type RowSink, type SheetWriter, XlsxWriter } from './sheet-writer.js';
import type { IncentiveTally, ManagerStatement } from './types.js';
import { setText } from '../xlsx-safe.js';
import { Utf8Chunks } from './utf8-chunks.js';

const MONEY = '#,##0.00';
const POINTS = '#,##0.00##';
const RED = 'FFC00000';
const FIXED_SHEETS = ['汇总', '数据问题', '方案'];

/** Above this many managers the workbook has one 积分明细 sheet instead of a sheet per manager. */
export const LARGE_TALLY_MANAGERS = 200;
/** Lines per 积分明细 sheet (Excel's limit is 1 048 576 rows); more lines continue on 积分明细-2, -3… */
export const DETAIL_ROWS_PER_SHEET = 1_000_000;

export interface WorkbookLayoutOptions {
  /** Managers above which the large layout is used (default LARGE_TALLY_MANAGERS). */
  largeAbove?: number;
  /** Lines per 积分明细 sheet (default DETAIL_ROWS_PER_SHEET). */
  detailRowsPerSheet?: number;
}

/** Serialises the plain JSON of a tally: fixed key order, no timestamps, so a recompute is byte-identical. */
export function tallyJson(tally: IncentiveTally): string {
  return `${JSON.stringify(tally, null, 2)}\n`;
}

/**
 * The bytes of `tallyJson(tally)` (UTF-8), built in pieces: a national month's JSON is hundreds
 * of MB, more than one JavaScript string may hold. Arrays longer than a few dozen items are
 * written item by item, everything else with JSON.stringify, re-indented to its depth.
 */
export function tallyJsonBytes(tally: IncentiveTally): Uint8Array {
  const parts: Buffer[] = [];
  const out = new Utf8Chunks(1 << 22, (bytes) => parts.push(bytes));
  prettyJson(tally, 0, (text) => out.write(text));
  out.write('\n');
  out.flush();
  const bytes = Buffer.concat(parts);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** Arrays longer than this are written item by item (a batch at a time) instead of in one JSON.stringify. */
const CHUNKED_ARRAY = 4096;
/** Items of a long array stringified per call: up to this many, or this weight (see `weight`). */
const JSON_BATCH = 256;
const JSON_BATCH_WEIGHT = 16_384;

function hasLongArray(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > CHUNKED_ARRAY;
  if (value === null || typeof value !== 'object') return false;
  return Object.values(value).some((v) => Array.isArray(v) && v.length > CHUNKED_ARRAY);
}

/** About how much JSON an item makes: 1, plus the length of each array it holds (a manager's lines). */
function weight(value: unknown): number {
  if (value === null || typeof value !== 'object') return 1;
  let w = 1;
  for (const v of Object.values(value)) if (Array.isArray(v)) w += v.length;
  return w;
}

/**
 * The items as JSON.stringify(…, null, 2) writes them inside an array at `depth`: each indented
 * for depth + 1, joined by `,\n`. Stringifies the items wrapped in `depth` arrays and cuts the
 * wrappers' lines off, so nothing is re-indented.
 */
function itemsJson(items: readonly unknown[], depth: number): string {
  let wrapped: unknown = items;
  for (let i = 0; i < depth; i++) wrapped = [wrapped];
  const text = JSON.stringify(wrapped, null, 2);
  let from = 0;
  for (let i = 0; i <= depth; i++) from = text.indexOf('\n', from) + 1;
  let to = text.length;
  for (let i = 0; i <= depth; i++) to = text.lastIndexOf('\n', to - 1);
  return text.slice(from, to);
}

/** Writes what `JSON.stringify(value, null, 2)` would, at `depth` levels of indentation, in pieces. */
function prettyJson(value: unknown, depth: number, emit: (text: string) => void): void {
  if (!hasLongArray(value)) {
    const text = JSON.stringify(value, null, 2);
    emit(depth === 0 ? text : text.replaceAll('\n', `\n${'  '.repeat(depth)}`));
    return;
  }
  const inner = `\n${'  '.repeat(depth + 1)}`;
  if (Array.isArray(value)) {
    emit('[');
    for (let i = 0; i < value.length;) {
      const item: unknown = value[i];
      if (hasLongArray(item)) {
        emit(i === 0 ? inner : `,${inner}`);
        prettyJson(item, depth + 1, emit);
        i++;
        continue;
      }
      let end = i + 1;
      let batch = weight(item);
      while (end < value.length && end - i < JSON_BATCH && batch < JSON_BATCH_WEIGHT && !hasLongArray(value[end])) batch += weight(value[end++]);
      emit(i === 0 ? '\n' : ',\n');
      emit(itemsJson(value.slice(i, end), depth));
      i = end;
    }
    emit(`\n${'  '.repeat(depth)}]`);
    return;
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined && typeof v !== 'function');
  emit('{');
  entries.forEach(([key, v], i) => {
    emit(`${i === 0 ? inner : `,${inner}`}${JSON.stringify(key)}: `);
    prettyJson(v, depth + 1, emit);
  });
  emit(`\n${'  '.repeat(depth)}}`);
}

/**
 * Builds the workbook; `now` only stamps the file's properties. Up to `largeAbove` managers one
 * statement sheet each, above that the streamed large layout (see the module comment).
 */
export async function buildIncentiveWorkbook(tally: IncentiveTally, plan: Plan, now: Date, options: WorkbookLayoutOptions = {}): Promise<Uint8Array> {
  if (tally.managers.length > (options.largeAbove ?? LARGE_TALLY_MANAGERS)) {
    return buildLargeWorkbook(tally, plan, now, options.detailRowsPerSheet ?? DETAIL_ROWS_PER_SHEET);
  }
  const wb = new ExcelJS.Workbook();
  wb.creator = 'telco-kpi';
  wb.created = now;
  wb.modified = now;

  const sheetNames = statementSheetNames(tally.managers);
  const rule = ruleNamer(plan);
  summarySheet(wb, tally, sheetNames);
  for (const manager of tally.managers) statementSheet(wb, manager, sheetNames.get(manager.accountManagerId)!, tally, rule);
  problemsSheet(wb, tally);
  planSheet(wb, tally, plan);

  return new Uint8Array(await wb.xlsx.writeBuffer());
}

/** Sheet names from manager ids: Excel's forbidden characters replaced, ≤ 31 chars, unique ignoring case. */
export function statementSheetNames(managers: readonly { accountManagerId: string }[]): Map<string, string> {
  const used = new Set(FIXED_SHEETS.map((s) => s.toLowerCase()));
  const names = new Map<string, string>();
  for (const { accountManagerId } of managers) {
    const base = accountManagerId.replace(/[\\/?*[\]:]/g, '_').replace(/^'+|'+$/g, '').slice(0, 31) || '经理';
    let name = base;
    for (let n = 2; used.has(name.toLowerCase()); n++) {
      const suffix = `~${n}`;
      name = base.slice(0, 31 - suffix.length) + suffix;
    }
    used.add(name.toLowerCase());
    names.set(accountManagerId, name);
  }
  return names;
}

/** A4 landscape, one page wide, `titleRows` (`3:3`) repeated at the top of every printed page. */
export function printSetup(titleRows: string): Partial<ExcelJS.PageSetup> {
  return { paperSize: 9, orientation: 'landscape', fitToPage: true, fitToWidth: 1, fitToHeight: 0, printTitlesRow: titleRows };
}

/** The name HR reads for a rule id: the plan's Chinese `name` (or description), else the id. */
function ruleNamer(plan: Plan): (id: string) => string {
  const names = new Map(plan.rules.map((r) => [r.id, r.name ?? r.description ?? r.id]));
  return (id) => names.get(id) ?? id;
}

function header(ws: ExcelJS.Worksheet, rowNumber: number, titles: readonly string[]): void {
  const row = ws.getRow(rowNumber);
  titles.forEach((t, i) => {
    const cell = row.getCell(i + 1);
    setText(cell, t);
    cell.font = { bold: true };
    cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFDDEBF7' } };
  });
}

function num(cell: ExcelJS.Cell, value: number | null, format: string): void {
  cell.value = value;
  cell.numFmt = format;
}

function provinceLabel(code: string | null): string {
  return code ? `${label(PROVINCES, code, 'zh-CN')} ${code}` : '';
}

function summarySheet(wb: ExcelJS.Workbook, tally: IncentiveTally, sheetNames: Map<string, string>): void {
  const ws = wb.addWorksheet('汇总', { views: [{ state: 'frozen', ySplit: 3 }] });
  setText(ws.getCell('A1'), `客户经理激励核算 ${tally.period.id}（方案 ${tally.plan.plan} 第 ${tally.plan.version} 版，每积分 ${tally.plan.pointValue} 元）`);
  ws.getCell('A1').font = { bold: true, size: 14 };
  const titles = ['工号', '姓名', '省份', '班组', '积分', '满意率', '系数', '绩效积分', '封顶前金额', '应发金额', '是否封顶', '明细表', '备注'];
  header(ws, 3, titles);
  let r = 4;
  for (const m of tally.managers) {
    const row = ws.getRow(r++);
    setText(row.getCell(1), m.accountManagerId);
    setText(row.getCell(2), m.name);
    setText(row.getCell(3), provinceLabel(m.province));
    setText(row.getCell(4), m.team);
    num(row.getCell(5), m.points, POINTS);
    num(row.getCell(6), m.csat, '0.0%');
    num(row.getCell(7), m.multiplier, '0.00##');
    num(row.getCell(8), m.performancePoints, MONEY);
    num(row.getCell(9), m.amountBeforeCap, MONEY);
    num(row.getCell(10), m.payout, MONEY);
    setText(row.getCell(11), m.capped ? '是' : '否');
    setText(row.getCell(12), sheetNames.get(m.accountManagerId)!);
    setText(row.getCell(13), m.inRoster ? '' : '不在名册，见“数据问题”');
  }
  const totalRow = ws.getRow(r);
  setText(totalRow.getCell(1), '合计');
  setText(totalRow.getCell(2), `${tally.managers.length} 人`);
  num(totalRow.getCell(5), sumExact(tally.managers.map((m) => m.points)), POINTS);
  num(totalRow.getCell(10), tally.total, MONEY);
  totalRow.font = { bold: true };
  ws.columns = [14, 12, 12, 14, 12, 10, 8, 12, 14, 14, 10, 16, 26].map((width) => ({ width }));
  ws.autoFilter = { from: { row: 3, column: 1 }, to: { row: 3, column: titles.length } };
  ws.pageSetup = printSetup('1:3');
}

function statementSheet(wb: ExcelJS.Workbook, m: ManagerStatement, name: string, tally: IncentiveTally, rule: (id: string) => string): void {
  const ws = wb.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 3 }] });
  setText(ws.getCell('A1'), `${m.accountManagerId} ${m.name ?? '（不在名册）'} · ${provinceLabel(m.province)} ${m.team ?? ''} · ${tally.period.id} 积分明细`);
  ws.getCell('A1').font = { bold: true, size: 13 };
  header(ws, 3, ['流水号', '日期', '客户', '产品', '业务类型', '规则', '积分', '说明']);
  let r = 4;
  for (const line of m.lines) {
    const row = ws.getRow(r++);
    setText(row.getCell(1), line.eventId);
    setText(row.getCell(2), line.date);
    setText(row.getCell(3), line.customerId);
    setText(row.getCell(4), label(PRODUCTS, line.product, 'zh-CN'));
    setText(row.getCell(5), label(EVENT_TYPES, line.eventType, 'zh-CN'));
    setText(row.getCell(6), line.clawbackOf ? `扣回：${rule(line.clawbackOf.ruleId)}` : rule(line.ruleId));
    num(row.getCell(7), line.points, POINTS);
    if (line.clawbackOf) {
      const o = line.clawbackOf;
      setText(row.getCell(8), `扣回原新装 ${o.eventId}（${o.date}，规则“${rule(o.ruleId)}”，方案第 ${o.planVersion} 版）`);
      row.font = { color: { argb: RED } };
    } else {
      setText(row.getCell(8), '');
    }
  }
  r++;
  const facts: Array<[string, number | null, string]> = [
    ['合计积分', m.points, POINTS],
    ['评分工单数', m.scoredTickets, '0'],
    ['满意率（4分及以上）', m.csat, '0.0%'],
    ['满意度系数', m.multiplier, '0.00##'],
    ['绩效积分', m.performancePoints, MONEY],
    ['积分单价（元）', tally.plan.pointValue, MONEY],
    ['封顶前金额（元）', m.amountBeforeCap, MONEY],
    ['应发金额（元）', m.payout, MONEY],
  ];
  for (const [title, value, format] of facts) {
    const row = ws.getRow(r++);
    setText(row.getCell(6), title);
    row.getCell(6).font = { bold: true };
    num(row.getCell(7), value, format);
  }
  if (m.capped) setText(ws.getRow(r - 1).getCell(8), '已封顶');
  ws.columns = [18, 12, 16, 10, 10, 32, 12, 50].map((width) => ({ width }));
  ws.pageSetup = printSetup('3:3');
}

/** The 数据问题 and 方案 sheets: the same rows in the small workbook (exceljs) and the large one (direct). */
const PROBLEMS_SHEET = { name: '数据问题', widths: [16, 18, 12, 12, 16, 10, 10], printTitles: '1:1' } as const;
const PLAN_SHEET = { name: '方案', widths: [110], printTitles: '1:1' } as const;

function problemsRows(sink: RowSink, tally: IncentiveTally): void {
  const p = tally.dataProblems;
  let r = 1;
  const title = (text: string) => sink.row(r++, [text], 'bold');
  title(`不在名册的客户经理（${p.unknownManagers.length}）：已照常计算并列入汇总，请核对名册`);
  if (p.unknownManagers.length === 0) sink.row(r++, ['无']);
  else {
    sink.row(r++, ['工号', '本月销售笔数', '积分'], 'header');
    for (const u of p.unknownManagers) sink.row(r++, [u.accountManagerId, { n: u.events, style: 'count' }, { n: u.points, style: 'points' }]);
  }
  r++;
  title(`工号不在名册的销售（${p.unknownManagerEvents.length}）`);
  if (p.unknownManagerEvents.length === 0) sink.row(r++, ['无']);
  else {
    sink.row(r++, ['工号', '流水号', '日期', '省份', '客户', '产品', '业务类型'], 'header');
    for (const e of p.unknownManagerEvents) {
      sink.row(r++, [e.accountManagerId, { inline: e.eventId }, e.eventDate, provinceLabel(e.province), { inline: e.customerId },
        label(PRODUCTS, e.product, 'zh-CN'), label(EVENT_TYPES, e.eventType, 'zh-CN')]);
    }
  }
  r++;
  title(`多个省份名册中重复的工号（${p.duplicateRosterIds.length}）：按省份代码排序取第一个`);
  if (p.duplicateRosterIds.length === 0) sink.row(r++, ['无']);
  for (const d of p.duplicateRosterIds) sink.row(r++, [d.accountManagerId, d.provinces.join(', ')]);
}

function planRows(sink: RowSink, tally: IncentiveTally, plan: Plan): void {
  sink.row(1, [`核算月份：${tally.period.id}（${tally.period.start} 至 ${tally.period.end}），使用当月第一天生效的方案版本`], 'bold');
  describePlan(plan).forEach((line, i) => sink.row(i + 3, [line], 'wrapTop'));
}

const EXCEL_STYLES: Record<CellStyle, Partial<ExcelJS.Style>> = {
  text: {},
  title: { font: { bold: true, size: 14 } },
  header: { font: { bold: true }, fill: { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFDDEBF7' } } },
  points: { numFmt: POINTS },
  percent: { numFmt: '0.0%' },
  factor: { numFmt: '0.00##' },
  money: { numFmt: MONEY },
  bold: { font: { bold: true } },
  boldPoints: { numFmt: POINTS, font: { bold: true } },
  boldMoney: { numFmt: MONEY, font: { bold: true } },
  red: { font: { color: { argb: RED } } },
  redPoints: { numFmt: POINTS, font: { color: { argb: RED } } },
  count: { numFmt: '0' },
  wrapTop: { alignment: { wrapText: true, vertical: 'top' } },
};

/** Rows into an exceljs worksheet (the small workbook): texts through setText, styles copied per cell. */
function excelSink(ws: ExcelJS.Worksheet): RowSink {
  const apply = (cell: ExcelJS.Cell, style: CellStyle) => {
    if (style !== 'text') cell.style = structuredClone(EXCEL_STYLES[style]);
  };
  return {
    row(rowNumber, values, textStyle = 'text') {
      const row = ws.getRow(rowNumber);
      values.forEach((v, i) => {
        if (v === null || v === '') return;
        const cell = row.getCell(i + 1);
        if (typeof v === 'string') {
          setText(cell, v);
          apply(cell, textStyle);
        } else if ('inline' in v) {
          setText(cell, v.inline);
          apply(cell, textStyle);
        } else {
          cell.value = v.n;
          apply(cell, v.style);
        }
      });
    },
  };
}

function problemsSheet(wb: ExcelJS.Workbook, tally: IncentiveTally): void {
  const ws = wb.addWorksheet(PROBLEMS_SHEET.name, { pageSetup: printSetup(PROBLEMS_SHEET.printTitles) });
  problemsRows(excelSink(ws), tally);
  ws.columns = PROBLEMS_SHEET.widths.map((width) => ({ width }));
}

function planSheet(wb: ExcelJS.Workbook, tally: IncentiveTally, plan: Plan): void {
  const ws = wb.addWorksheet(PLAN_SHEET.name, { pageSetup: printSetup(PLAN_SHEET.printTitles) });
  planRows(excelSink(ws), tally, plan);
  ws.getColumn(1).width = PLAN_SHEET.widths[0];
}

function sumExact(values: readonly number[]): number {
  return values.reduce((sum, v) => sum.plus(v), new Decimal(0)).toNumber();
}

// ---------------------------------------------------------------------------------------------
// Large tallies: written directly as SpreadsheetML (sheet-writer.ts), row after row. exceljs's
// streaming writer spent ~18 s of a national month (620 k lines) building a model object per
// cell and re-encoding styles; this writes the same cells, styles and sheet setup as text.

/** Where each manager's lines are on the 积分明细 sheets: sheet index, first and last row. */
interface DetailPlace { sheet: number; first: number; last: number }

const DETAIL_FIRST_ROW = 4;
const DETAIL_TITLES = ['工号', '姓名', '流水号', '日期', '客户', '产品', '业务类型', '规则', '积分', '说明'];
const SUMMARY_TITLES = ['工号', '姓名', '省份', '班组', '积分', '满意率', '系数', '绩效积分', '封顶前金额', '应发金额', '是否封顶', '明细位置', '备注'];

function detailSheetName(index: number, count: number): string {
  return count === 1 ? '积分明细' : `积分明细-${index + 1}`;
}

/** Lays the managers' lines out on sheets of at most `perSheet` lines, a manager kept on one sheet when it fits. */
function detailLayout(tally: IncentiveTally, perSheet: number): { places: Map<string, DetailPlace[]>; sheets: number } {
  const places = new Map<string, DetailPlace[]>();
  let sheet = 0;
  let used = 0;
  for (const m of tally.managers) {
    let left = m.lines.length;
    if (left === 0) continue;
    if (used > 0 && used + left > perSheet && left <= perSheet) {
      sheet++;
      used = 0;
    }
    const list: DetailPlace[] = [];
    while (left > 0) {
      if (used === perSheet) {
        sheet++;
        used = 0;
      }
      const take = Math.min(left, perSheet - used);
      list.push({ sheet, first: DETAIL_FIRST_ROW + used, last: DETAIL_FIRST_ROW + used + take - 1 });
      used += take;
      left -= take;
    }
    places.set(m.accountManagerId, list);
  }
  return { places, sheets: sheet + 1 };
}

async function buildLargeWorkbook(tally: IncentiveTally, plan: Plan, now: Date, perSheet: number): Promise<Uint8Array> {
  const xlsx = new XlsxWriter(now);
  const layout = detailLayout(tally, Math.max(1, perSheet));
  const place = (id: string) => {
    const list = layout.places.get(id);
    if (!list) return '无明细';
    return list.map((p) => `${detailSheetName(p.sheet, layout.sheets)} 第 ${p.first}–${p.last} 行`).join('；');
  };
  const rule = ruleNamer(plan);

  await xlsx.sheet({
    name: '汇总', widths: [14, 12, 12, 14, 12, 10, 8, 12, 14, 14, 10, 28, 26], frozenRows: 3, printTitles: '1:3',
    autoFilter: `A3:${columnName(SUMMARY_TITLES.length - 1)}${3 + tally.managers.length}`,
  }, (ws) => summaryRows(ws, tally, place));
  for (let sheet = 0; sheet < layout.sheets; sheet++) {
    let lastRow = DETAIL_FIRST_ROW - 1;
    for (const list of layout.places.values()) for (const p of list) if (p.sheet === sheet) lastRow = Math.max(lastRow, p.last);
    await xlsx.sheet({
      name: detailSheetName(sheet, layout.sheets), widths: [14, 12, 18, 12, 16, 10, 10, 32, 12, 50], frozenRows: 3, printTitles: '3:3',
      autoFilter: `A3:${columnName(DETAIL_TITLES.length - 1)}${lastRow}`,
    }, (ws) => detailRows(ws, tally, layout.places, sheet, layout.sheets, rule));
  }
  await xlsx.sheet(PROBLEMS_SHEET, (ws) => problemsRows(ws, tally));
  await xlsx.sheet(PLAN_SHEET, (ws) => planRows(ws, tally, plan));
  return xlsx.finish();
}

async function summaryRows(ws: SheetWriter, tally: IncentiveTally, place: (id: string) => string): Promise<void> {
  ws.row(1, [`客户经理激励核算 ${tally.period.id}（方案 ${tally.plan.plan} 第 ${tally.plan.version} 版，每积分 ${tally.plan.pointValue} 元）；每位客户经理的明细见“积分明细”表（按工号筛选）`], 'title');
  ws.row(3, SUMMARY_TITLES, 'header');
  let r = 4;
  for (const m of tally.managers) {
    const full = ws.row(r++, [
      m.accountManagerId, m.name, provinceLabel(m.province), m.team,
      { n: m.points, style: 'points' }, { n: m.csat, style: 'percent' }, { n: m.multiplier, style: 'factor' },
      { n: m.performancePoints, style: 'money' }, { n: m.amountBeforeCap, style: 'money' }, { n: m.payout, style: 'money' },
      m.capped ? '是' : '否', place(m.accountManagerId), m.inRoster ? '' : '不在名册，见“数据问题”',
    ]);
    if (full) await ws.flush();
  }
  ws.row(r, [
    '合计', `${tally.managers.length} 人`, null, null, { n: sumExact(tally.managers.map((m) => m.points)), style: 'boldPoints' },
    null, null, null, null, { n: tally.total, style: 'boldMoney' },
  ], 'bold');
}

async function detailRows(ws: SheetWriter, tally: IncentiveTally, places: ReadonlyMap<string, DetailPlace[]>, sheet: number, sheets: number, rule: (id: string) => string): Promise<void> {
  ws.row(1, [`${tally.period.id} 积分明细${sheets > 1 ? `（第 ${sheet + 1}/${sheets} 表）` : ''}：每行一笔，按工号筛选即为该客户经理的明细；扣回行标红并注明原新装`], 'title');
  ws.row(3, DETAIL_TITLES, 'header');
  for (const m of tally.managers) {
    const list = places.get(m.accountManagerId);
    if (!list) continue;
    const name = m.name ?? '（不在名册）';
    let offset = 0;
    for (const p of list) {
      if (p.sheet === sheet) {
        for (let r = p.first; r <= p.last; r++) {
          const line = m.lines[offset + r - p.first]!;
          const o = line.clawbackOf;
          const full = ws.row(r, [
            m.accountManagerId, name, { inline: line.eventId }, line.date, { inline: line.customerId },
            label(PRODUCTS, line.product, 'zh-CN'), label(EVENT_TYPES, line.eventType, 'zh-CN'),
            o ? `扣回：${rule(o.ruleId)}` : rule(line.ruleId),
            { n: line.points, style: o ? 'redPoints' : 'points' },
            o ? { inline: `扣回原新装 ${o.eventId}（${o.date}，规则“${rule(o.ruleId)}”，方案第 ${o.planVersion} 版）` } : '',
          ], o ? 'red' : 'text');
          if (full) await ws.flush();
        }
      }
      offset += p.last - p.first + 1;
    }
  }
}
