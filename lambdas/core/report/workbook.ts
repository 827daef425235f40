/** The weekly/monthly executive KPI workbook (REPORT.md), built in memory from a KpiReport. */
import type ExcelJS from 'exceljs';
import { PROVINCES, PRODUCTS, SUB_SEGMENTS, label } from '../extracts/codes.js';
import {
  currentPreviousLabels, extractLabel, kpiDefinitions, periodLabel, scopeLabel, shortDay, t,
  type LabelKey, type Lang,
} from './i18n.js';
import type { CompletenessRow, ExtractKind, KpiReport, KpiRow, MarketRow, PackageMix, TargetRow, WatchListRow } from '../kpis/kpi-types.js';
import { daysBetween, isoWeekday, shanghaiDateTime } from '../period.js';
import {
  comparableNote, dataStatusLine, dataStatusShort, groupName, judge, latestDataDay, marketSelfLines, missingProvinceDays, percentDigits, reportHeadline, rowsOf,
  shownChange, summaryTiles, watchSignalsText, whatMovedLines,
  type ChangeKind, type Tile, type TileUnit,
} from './model.js';
import { setText } from '../xlsx-safe.js';
import type { ReportChart } from './charts.js';
import { CUMULATIVE_KPIS, missingDaysText, targetKpiName, targetSegmentName, targetsWindowNote, targetVerdict } from './targets.js';

export interface ReportWorkbookOptions {
  lang: Lang;
  runId: string;
  /** The latest day the figures cover; defaults to the latest day any extract was received. */
  dataAsOf?: string;
  /** Last period's report: when given, the summary's last-period column comes from it. */
  previous?: KpiReport;
  /** The charts (charts.ts), placed in 概览 to the right of its tables, their figures under them. */
  charts?: readonly ReportChart[];
}

/** Shown for a value that is null (no data or not applicable); never 0. */
export const NULL_TEXT = '–';

export const NUM_FMT = {
  money: '#,##0.00',
  wan: '#,##0.0',
  count: '#,##0',
  users: '#,##0',
  pct: '0.0%',
  decimal: '0.00',
  rate: '#,##0.00',
  relative: '"▲"0.0%;"▼"0.0%;0.0%',
  absolute: '"▲"#,##0;"▼"#,##0;0',
} as const;

/** Change of a fraction in percentage points; the value stored is points (0.3 = 0.3 pp), with the mail's decimals. */
function pointsFormat(lang: Lang, digits: 1 | 2): string {
  const unit = t(lang, 'pointsUnit');
  const n = digits === 2 ? '0.00' : '0.0';
  return `"▲"${n}"${unit}";"▼"${n}"${unit}";${n}"${unit}"`;
}

const COLOR = {
  headerFill: 'FF1F4E79',
  headerFont: 'FFFFFFFF',
  good: 'FF1E7B34',
  bad: 'FFC0392B',
  muted: 'FF808080',
  missingFill: 'FFFFC7CE',
  missingFont: 'FF9C0006',
  receivedFont: 'FF1E7B34',
  title: 'FF1F4E79',
};

const THIN = { style: 'thin' as const, color: { argb: 'FFD0D7E5' } };

type Value = number | string | null;
type ColumnKind = 'text' | 'money' | 'pct' | 'count' | 'users' | 'decimal' | 'rate' | 'growth' | 'rank';

interface Column<T> {
  header: string;
  kind: ColumnKind;
  get: (row: T) => Value;
  /** For growth columns: whether up is good for this KPI (churn up is bad). */
  higherIsBetter?: boolean;
}

/** Display width of text in Excel character units: CJK and full-width characters count double. */
function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += (ch.codePointAt(0) ?? 0) >= 0x2e80 ? 2 : 1;
  return width;
}

function formattedWidth(kind: ColumnKind, value: Value): number {
  if (value == null) return 2;
  if (typeof value === 'string') return displayWidth(value);
  const digits = String(Math.round(Math.abs(value))).length;
  switch (kind) {
    case 'money': return digits + Math.floor((digits - 1) / 3) + 4;
    case 'count': case 'users': case 'rank': return digits + Math.floor((digits - 1) / 3) + 1;
    default: return 9;
  }
}

function numFmtOf(kind: ColumnKind): string | undefined {
  switch (kind) {
    case 'money': return NUM_FMT.money;
    case 'pct': return NUM_FMT.pct;
    case 'count': case 'rank': return NUM_FMT.count;
    case 'users': return NUM_FMT.users;
    case 'decimal': return NUM_FMT.decimal;
    case 'rate': return NUM_FMT.rate;
    case 'growth': return NUM_FMT.relative;
    default: return undefined;
  }
}

/** A number with its format, or the en dash for null. */
function putNumber(cell: ExcelJS.Cell, value: number | null, numFmt: string): void {
  if (value == null || !Number.isFinite(value)) {
    putNull(cell);
    return;
  }
  cell.value = value;
  cell.numFmt = numFmt;
}

function putNull(cell: ExcelJS.Cell): void {
  cell.value = NULL_TEXT;
  cell.alignment = { horizontal: 'center' };
  cell.font = { color: { argb: COLOR.muted } };
}

/** A change with ▲/▼ and green or red by whether the move is good for that KPI. */
function putChange(cell: ExcelJS.Cell, change: number | null, kind: ChangeKind, higherIsBetter: boolean, lang: Lang): void {
  if (change == null || !Number.isFinite(change)) {
    putNull(cell);
    return;
  }
  // A change that shows as 0 is stored as 0, so Excel picks the format's arrowless zero section.
  const shown = shownChange(kind, change);
  const value = shown === 0 ? 0 : change;
  if (kind === 'points') {
    cell.value = value * 100;
    cell.numFmt = pointsFormat(lang, percentDigits(change));
  } else {
    cell.value = value;
    cell.numFmt = kind === 'relative' ? NUM_FMT.relative : NUM_FMT.absolute;
  }
  const verdict = judge(shown, higherIsBetter);
  if (verdict !== 'flat') cell.font = { color: { argb: verdict === 'good' ? COLOR.good : COLOR.bad } };
}

function styleHeader(row: ExcelJS.Row): void {
  row.eachCell((cell) => {
    cell.font = { bold: true, color: { argb: COLOR.headerFont } };
    cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: COLOR.headerFill } };
    cell.alignment = { vertical: 'middle', horizontal: 'center', wrapText: true };
    cell.border = { top: THIN, bottom: THIN, left: THIN, right: THIN };
  });
  row.height = 22;
}

function pageSetup(ws: ExcelJS.Worksheet, headerRow: number): void {
  ws.pageSetup = {
    orientation: 'landscape', paperSize: 9, fitToPage: true, fitToWidth: 1, fitToHeight: 0,
    printTitlesRow: `${headerRow}:${headerRow}`,
    margins: { left: 0.4, right: 0.4, top: 0.6, bottom: 0.6, header: 0.3, footer: 0.3 },
  };
}

/**
 * Writes a detail table with its header at `headerRow`: typed cells, widths that fit the
 * longest label, a filter on the header and the header row frozen.
 */
function writeTable<T>(ws: ExcelJS.Worksheet, headerRow: number, columns: readonly Column<T>[], rows: readonly T[], lang: Lang): void {
  const header = ws.getRow(headerRow);
  columns.forEach((col, i) => setText(header.getCell(i + 1), col.header));
  styleHeader(header);
  const widths = columns.map((col) => Math.max(displayWidth(col.header) + 2, 8));
  rows.forEach((item, r) => {
    const row = ws.getRow(headerRow + 1 + r);
    columns.forEach((col, i) => {
      const cell = row.getCell(i + 1);
      const value = col.get(item);
      if (col.kind === 'growth') {
        putChange(cell, typeof value === 'number' ? value : null, 'relative', col.higherIsBetter ?? true, lang);
      } else if (col.kind === 'text') {
        if (value == null || value === '') putNull(cell);
        else setText(cell, value);
      } else if (typeof value === 'string') {
        setText(cell, value);
      } else {
        putNumber(cell, value, numFmtOf(col.kind) ?? NUM_FMT.decimal);
      }
      cell.border = { bottom: THIN };
      widths[i] = Math.max(widths[i] ?? 8, formattedWidth(col.kind, value) + 2);
    });
  });
  columns.forEach((_, i) => { ws.getColumn(i + 1).width = Math.min(widths[i] ?? 10, 60); });
  if (columns.length > 0) {
    ws.autoFilter = { from: { row: headerRow, column: 1 }, to: { row: headerRow + Math.max(rows.length, 1), column: columns.length } };
  }
  ws.views = [{ state: 'frozen', xSplit: 1, ySplit: headerRow, activeCell: `B${headerRow + 1}` }];
  pageSetup(ws, headerRow);
}

function titleRow(ws: ExcelJS.Worksheet, text: string): void {
  const cell = ws.getCell('A1');
  setText(cell, text);
  cell.font = { bold: true, size: 14, color: { argb: COLOR.title } };
}

function tileValue(unit: TileUnit, value: number | null): { value: number | null; numFmt: string } {
  switch (unit) {
    case 'wanYuan': return { value: value == null ? null : value / 10_000, numFmt: NUM_FMT.wan };
    case 'wanUsers': return { value: value == null ? null : value / 10_000, numFmt: NUM_FMT.wan };
    case 'yuan': return { value, numFmt: NUM_FMT.money };
    case 'count': return { value, numFmt: NUM_FMT.count };
    case 'fraction': return { value, numFmt: value != null && percentDigits(value) === 2 ? '0.00%' : NUM_FMT.pct };
    case 'per10k': return { value, numFmt: NUM_FMT.rate };
  }
}

function unitLabel(lang: Lang, unit: TileUnit): string {
  const key: Record<TileUnit, LabelKey> = { wanYuan: 'unitWan', yuan: 'unitYuan', wanUsers: 'unitWanHu', count: 'unitHu', fraction: 'unitPct', per10k: 'unitPer10k' };
  return t(lang, key[unit]);
}

function writeSummary(wb: ExcelJS.Workbook, report: KpiReport, options: ReportWorkbookOptions): void {
  const { lang } = options;
  const ws = wb.addWorksheet(t(lang, 'sheetSummary'));
  titleRow(ws, reportHeadline(report, lang));
  setText(ws.getCell('A2'), dataStatusShort(report, lang));
  const partial = missingProvinceDays(report.completeness).length > 0;
  ws.getCell('A2').font = { bold: partial, color: { argb: partial ? COLOR.bad : COLOR.good } };
  const [cur, prev] = currentPreviousLabels(lang, report.period.kind);
  const headerRow = 4;
  const header = ws.getRow(headerRow);
  [t(lang, 'kpi'), t(lang, 'unit'), cur, prev, t(lang, 'change'), t(lang, 'basis')].forEach((h, i) => setText(header.getCell(i + 1), h));
  styleHeader(header);
  const tiles: Tile[] = summaryTiles(report, options.previous);
  tiles.forEach((tile, i) => {
    const row = ws.getRow(headerRow + 1 + i);
    setText(row.getCell(1), t(lang, tile.label));
    setText(row.getCell(2), unitLabel(lang, tile.unit));
    const current = tileValue(tile.unit, tile.current);
    const previous = tileValue(tile.unit, tile.previous);
    putNumber(row.getCell(3), current.value, current.numFmt);
    putNumber(row.getCell(4), previous.value, previous.numFmt);
    putChange(row.getCell(5), tile.change, tile.changeKind, tile.higherIsBetter, lang);
    if (tile.change == null) putNull(row.getCell(6));
    else setText(row.getCell(6), t(lang, tile.basis === 'matched' ? 'comparable' : 'basisAll'));
    row.eachCell((cell) => { cell.border = { bottom: THIN }; });
  });
  let r = headerRow + tiles.length + 2;
  const comparable = comparableNote(report, lang);
  if (comparable) {
    setText(ws.getCell(`A${r}`), comparable);
    ws.getCell(`A${r}`).font = { color: { argb: COLOR.muted } };
    r += 2;
  }
  setText(ws.getCell(`A${r}`), t(lang, 'whatMoved'));
  ws.getCell(`A${r}`).font = { bold: true };
  for (const line of whatMovedLines(report, lang)) {
    r += 1;
    setText(ws.getCell(`A${r}`), line.text);
    ws.getCell(`A${r}`).font = { color: { argb: line.verdict === 'good' ? COLOR.good : line.verdict === 'bad' ? COLOR.bad : COLOR.muted } };
  }
  r += 2;
  const month = report.period.kind === 'month';
  setText(ws.getCell(`A${r}`), t(lang, options.previous ? (month ? 'previousNoteMonth' : 'previousNote') : (month ? 'derivedNoteMonth' : 'derivedNote')));
  setText(ws.getCell(`A${r + 1}`), t(lang, 'nullNote'));
  ws.getCell(`A${r}`).font = { italic: true, color: { argb: COLOR.muted } };
  ws.getCell(`A${r + 1}`).font = { italic: true, color: { argb: COLOR.muted } };
  ws.getColumn(1).width = 24;
  ws.getColumn(2).width = 12;
  ws.getColumn(3).width = 16;
  ws.getColumn(4).width = 16;
  ws.getColumn(5).width = 16;
  ws.getColumn(6).width = 12;
  ws.views = [{ state: 'frozen', ySplit: headerRow, activeCell: `A${headerRow + 1}` }];
  pageSetup(ws, headerRow);
  placeCharts(wb, ws, options.charts ?? [], headerRow);
}

/** First column of the charts in 概览 (H): the tables use A–F, G is a gap. */
export const CHART_COLUMN = 8;
/** exceljs' default row height (15 pt) in pixels, to stack pictures without overlap. */
const ROW_PX = 20;

/**
 * The charts in 概览, one under the other from the first table row in column H (beside the KPI table,
 * never over it), each followed by its figures as a table, so the numbers stay beside the picture.
 */
function placeCharts(wb: ExcelJS.Workbook, ws: ExcelJS.Worksheet, charts: readonly ReportChart[], firstRow: number): void {
  // Below the frozen header rows, so a picture never straddles the split.
  let row = firstRow + 1;
  const widths = new Map<number, number>();
  ws.getColumn(CHART_COLUMN - 1).width = 3;
  for (const chart of charts) {
    const image = wb.addImage({ buffer: Buffer.from(chart.png) as unknown as ExcelJS.Buffer, extension: 'png' });
    ws.addImage(image, { tl: { col: CHART_COLUMN - 1, row: row - 1 }, ext: { width: chart.width, height: chart.height }, editAs: 'oneCell' });
    row += Math.ceil(chart.height / ROW_PX) + 1;
    const title = ws.getCell(row, CHART_COLUMN);
    setText(title, chart.title);
    title.font = { bold: true };
    row += 1;
    [chart.table.header, ...chart.table.rows].forEach((values, i) => {
      values.forEach((value, j) => {
        const cell = ws.getCell(row + i, CHART_COLUMN + j);
        setText(cell, value);
        if (i === 0) cell.font = { bold: true, color: { argb: COLOR.muted } };
        cell.border = { bottom: THIN };
        // A table's last column runs on into the empty cells to its right (the mix's channel list)
        // instead of widening a column the other table shares.
        const last = j === values.length - 1;
        if (!last || i === 0) widths.set(j, Math.max(widths.get(j) ?? 8, Math.min(16, displayWidth(value) + 2)));
      });
    });
    row += chart.table.rows.length + 1;
    const note = ws.getCell(row, CHART_COLUMN);
    setText(note, chart.note);
    note.font = { italic: true, color: { argb: COLOR.muted } };
    row += 2;
  }
  for (const [j, width] of widths) ws.getColumn(CHART_COLUMN + j).width = width;
}

/** 概览 of a market-only month: what the report is and why, and this operator's shares; no KPI table. */
function writeMarketOnlySummary(wb: ExcelJS.Workbook, report: KpiReport, lang: Lang): void {
  const ws = wb.addWorksheet(t(lang, 'sheetSummary'));
  titleRow(ws, reportHeadline(report, lang));
  setText(ws.getCell('A2'), t(lang, 'marketOnlyNote'));
  ws.getCell('A2').font = { bold: true, color: { argb: COLOR.bad } };
  setText(ws.getCell('A4'), t(lang, 'sheetMarket'));
  ws.getCell('A4').font = { bold: true };
  marketSelfLines(report, lang).forEach((line, i) => setText(ws.getCell(`A${5 + i}`), line));
  ws.getColumn(1).width = 100;
  pageSetup(ws, 1);
}

const L = (lang: Lang, key: LabelKey): string => t(lang, key);

/** The basis of a row's growths: 可比口径 (matched days) or 全部日期; `–` when it has no growth. */
function basisColumn(lang: Lang): Column<KpiRow> {
  return {
    header: L(lang, 'basis'),
    kind: 'text',
    get: (r) => (r.revenueGrowth == null && r.grossAddsGrowth == null ? null : L(lang, r.growthBasis === 'matched' ? 'comparable' : 'basisAll')),
  };
}

function writeSegmentChannel(wb: ExcelJS.Workbook, report: KpiReport, lang: Lang): void {
  const ws = wb.addWorksheet(L(lang, 'sheetSegmentChannel'));
  const cols: Column<KpiRow>[] = [
    { header: L(lang, 'segment'), kind: 'text', get: (r) => groupName({ ...r, dimension: 'segment' }, lang) },
    { header: L(lang, 'channel'), kind: 'text', get: (r) => groupName({ ...r, dimension: 'channel' }, lang) },
    { header: L(lang, 'revenueYuan'), kind: 'money', get: (r) => r.revenue },
    { header: L(lang, 'revenueShare'), kind: 'pct', get: (r) => r.revenueShare },
    { header: L(lang, 'revenueGrowth'), kind: 'growth', get: (r) => r.revenueGrowth },
    { header: L(lang, 'activeUsers'), kind: 'users', get: (r) => r.activeUsersAvg },
    { header: L(lang, 'arpu'), kind: 'money', get: (r) => r.arpu },
    { header: L(lang, 'grossAdds'), kind: 'count', get: (r) => r.grossAdds },
    { header: L(lang, 'netAdds'), kind: 'count', get: (r) => r.netAdds },
    { header: L(lang, 'csat'), kind: 'pct', get: (r) => r.csat },
  ];
  writeTable(ws, 1, cols, rowsOf(report, 'segmentChannel'), lang);
}

function completenessNote(rows: readonly CompletenessRow[], lang: Lang): { text: string; complete: boolean } {
  const missing = missingProvinceDays(rows);
  if (rows.length === 0) return { text: NULL_TEXT, complete: false };
  if (missing.length === 0) return { text: `✓ ${L(lang, 'complete')}`, complete: true };
  const detail = missing.map((m) => `${m.types.map((k) => extractLabel(lang, k)).join('/')} ${shortDay(m.day)}`).join(lang === 'en' ? ', ' : '，');
  return lang === 'en'
    ? { text: `✗ ${missing.length} day${missing.length === 1 ? '' : 's'} missing (${detail})`, complete: false }
    : { text: `✗ 缺${missing.length}天（${detail}）`, complete: false };
}

function writeProvinces(wb: ExcelJS.Workbook, report: KpiReport, lang: Lang): void {
  const ws = wb.addWorksheet(L(lang, 'sheetProvinces'));
  const ranked = rowsOf(report, 'province').sort((a, b) => (b.revenue ?? -Infinity) - (a.revenue ?? -Infinity));
  const cols: Column<KpiRow>[] = [
    { header: L(lang, 'rank'), kind: 'rank', get: (r) => ranked.indexOf(r) + 1 },
    { header: L(lang, 'province'), kind: 'text', get: (r) => groupName(r, lang) },
    { header: L(lang, 'revenueYuan'), kind: 'money', get: (r) => r.revenue },
    { header: L(lang, 'revenueGrowth'), kind: 'growth', get: (r) => r.revenueGrowth },
    basisColumn(lang),
    { header: L(lang, 'revenueShare'), kind: 'pct', get: (r) => r.revenueShare },
    { header: L(lang, 'arpu'), kind: 'money', get: (r) => r.arpu },
    { header: L(lang, 'activeUsers'), kind: 'users', get: (r) => r.activeUsersAvg },
    { header: L(lang, 'netAdds'), kind: 'count', get: (r) => r.netAdds },
    { header: L(lang, 'csat'), kind: 'pct', get: (r) => r.csat },
    { header: L(lang, 'dataComplete'), kind: 'text', get: (r) => completenessNote(report.completeness.filter((c) => c.province === r.province), lang).text },
  ];
  writeTable(ws, 1, cols, ranked, lang);
  ranked.forEach((r, i) => {
    const note = completenessNote(report.completeness.filter((c) => c.province === r.province), lang);
    const cell = ws.getRow(2 + i).getCell(cols.length);
    cell.font = { color: { argb: note.complete ? COLOR.receivedFont : COLOR.missingFont }, bold: !note.complete };
    if (!note.complete) cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: COLOR.missingFill } };
  });
}

function writeProducts(wb: ExcelJS.Workbook, report: KpiReport, lang: Lang): void {
  const ws = wb.addWorksheet(L(lang, 'sheetProducts'));
  const cols: Column<KpiRow>[] = [
    { header: L(lang, 'product'), kind: 'text', get: (r) => label(PRODUCTS, r.product, lang) },
    { header: L(lang, 'revenueYuan'), kind: 'money', get: (r) => r.revenue },
    { header: L(lang, 'revenueGrowth'), kind: 'growth', get: (r) => r.revenueGrowth },
    basisColumn(lang),
    { header: L(lang, 'revenueShare'), kind: 'pct', get: (r) => r.revenueShare },
    { header: L(lang, 'activeUsers'), kind: 'users', get: (r) => r.activeUsersAvg },
    { header: L(lang, 'userShare'), kind: 'pct', get: (r) => r.userShare },
    { header: L(lang, 'arpu'), kind: 'money', get: (r) => r.arpu },
    { header: L(lang, 'grossAdds'), kind: 'count', get: (r) => r.grossAdds },
    { header: L(lang, 'churned'), kind: 'count', get: (r) => r.churned },
    { header: L(lang, 'netAdds'), kind: 'count', get: (r) => r.netAdds },
    { header: L(lang, 'churnRate'), kind: 'pct', get: (r) => r.churnRate },
  ];
  writeTable(ws, 1, cols, rowsOf(report, 'product'), lang);
}

function writeSubSegments(wb: ExcelJS.Workbook, report: KpiReport, lang: Lang): void {
  const ws = wb.addWorksheet(L(lang, 'sheetSubSegments'));
  const cols: Column<KpiRow>[] = [
    { header: L(lang, 'subSegment'), kind: 'text', get: (r) => groupName(r, lang) },
    { header: L(lang, 'revenueYuan'), kind: 'money', get: (r) => r.revenue },
    { header: L(lang, 'revenueGrowth'), kind: 'growth', get: (r) => r.revenueGrowth },
    basisColumn(lang),
    { header: L(lang, 'revenueShare'), kind: 'pct', get: (r) => r.revenueShare },
    { header: L(lang, 'activeUsers'), kind: 'users', get: (r) => r.activeUsersAvg },
    { header: L(lang, 'arpu'), kind: 'money', get: (r) => r.arpu },
    { header: L(lang, 'grossAdds'), kind: 'count', get: (r) => r.grossAdds },
    { header: L(lang, 'netAdds'), kind: 'count', get: (r) => r.netAdds },
    { header: L(lang, 'churnRate'), kind: 'pct', get: (r) => r.churnRate },
    { header: L(lang, 'csat'), kind: 'pct', get: (r) => r.csat },
    { header: L(lang, 'complaintsPer10k'), kind: 'rate', get: (r) => r.complaintsPer10k },
  ];
  writeTable(ws, 1, cols, rowsOf(report, 'subSegment'), lang);
}

function writeService(wb: ExcelJS.Workbook, report: KpiReport, lang: Lang): void {
  const ws = wb.addWorksheet(L(lang, 'sheetService'));
  const rows = [...rowsOf(report, 'total'), ...rowsOf(report, 'segment'), ...rowsOf(report, 'subSegment'), ...rowsOf(report, 'channel')];
  const dimensionName = (r: KpiRow): string => (r.dimension === 'channel' ? L(lang, 'contactChannel') : L(lang, `dimension_${r.dimension}`));
  const cols: Column<KpiRow>[] = [
    { header: L(lang, 'dimension'), kind: 'text', get: dimensionName },
    { header: L(lang, 'group'), kind: 'text', get: (r) => groupName(r, lang) },
    { header: L(lang, 'responses'), kind: 'count', get: (r) => r.responses },
    { header: L(lang, 'csat'), kind: 'pct', get: (r) => r.csat },
    { header: L(lang, 'avgScore'), kind: 'decimal', get: (r) => r.avgScore },
    { header: L(lang, 'complaintsPer10k'), kind: 'rate', get: (r) => r.complaintsPer10k },
    { header: L(lang, 'firstResponseSla'), kind: 'pct', get: (r) => r.firstResponseSla },
  ];
  writeTable(ws, 1, cols, rows, lang);
}

function writeMarket(wb: ExcelJS.Workbook, report: KpiReport, lang: Lang): void {
  const ws = wb.addWorksheet(L(lang, 'sheetMarket'));
  const selfFirst = (r: MarketRow): number => (r.operator === 'self' ? 0 : 1);
  const rows = [...report.market].sort((a, b) => a.month.localeCompare(b.month) || a.province.localeCompare(b.province)
    || a.product.localeCompare(b.product) || selfFirst(a) - selfFirst(b) || (b.revenue - a.revenue));
  const cols: Column<MarketRow>[] = [
    { header: L(lang, 'month'), kind: 'text', get: (r) => r.month },
    { header: L(lang, 'province'), kind: 'text', get: (r) => label(PROVINCES, r.province, lang) },
    { header: L(lang, 'product'), kind: 'text', get: (r) => label(PRODUCTS, r.product, lang) },
    { header: L(lang, 'operator'), kind: 'text', get: (r) => (r.operator === 'self' ? L(lang, 'self') : r.operator) },
    { header: L(lang, 'marketRevenue'), kind: 'money', get: (r) => r.revenue },
    { header: L(lang, 'marketRevenueShare'), kind: 'pct', get: (r) => r.revenueShare },
    { header: L(lang, 'marketUsers'), kind: 'count', get: (r) => r.users },
    { header: L(lang, 'marketUserShare'), kind: 'pct', get: (r) => r.userShare },
    { header: L(lang, 'qualityIndex'), kind: 'decimal', get: (r) => r.qualityIndex },
    { header: L(lang, 'revenueGrowth'), kind: 'growth', get: (r) => r.revenueGrowth },
    { header: L(lang, 'usersGrowth'), kind: 'growth', get: (r) => r.usersGrowth },
  ];
  writeTable(ws, 1, cols, rows, lang);
  rows.forEach((r, i) => {
    if (r.operator === 'self') ws.getRow(2 + i).eachCell((cell) => { cell.font = { ...cell.font, bold: true }; });
  });
}

const WEEKDAYS_ZH = ['一', '二', '三', '四', '五', '六', '日'];
const WEEKDAYS_EN = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

function writeCompleteness(wb: ExcelJS.Workbook, report: KpiReport, lang: Lang): void {
  const ws = wb.addWorksheet(L(lang, 'sheetCompleteness'));
  titleRow(ws, `${L(lang, 'sheetCompleteness')} · ${periodLabel(lang, report.period)}`);
  setText(ws.getCell('A2'), L(lang, 'gridLegend'));
  ws.getCell('A2').font = { color: { argb: COLOR.muted } };
  const days = daysBetween(report.period.start, report.period.end);
  const provinces = [...new Set(report.completeness.map((c) => c.province))]
    .sort((a, b) => Object.keys(PROVINCES.codes).indexOf(a) - Object.keys(PROVINCES.codes).indexOf(b));
  let r = 4;
  for (const kind of ['sales', 'revenue', 'service'] as ExtractKind[]) {
    setText(ws.getCell(`A${r}`), extractLabel(lang, kind));
    ws.getCell(`A${r}`).font = { bold: true, size: 12 };
    r += 1;
    const header = ws.getRow(r);
    setText(header.getCell(1), L(lang, 'province'));
    days.forEach((day, i) => {
      const weekday = (lang === 'en' ? WEEKDAYS_EN : WEEKDAYS_ZH)[isoWeekday(day) - 1] ?? '';
      setText(header.getCell(2 + i), lang === 'en' ? `${shortDay(day)} ${weekday}` : `${shortDay(day)} 周${weekday}`);
    });
    setText(header.getCell(days.length + 2), L(lang, 'daysReceived'));
    styleHeader(header);
    for (const province of provinces) {
      r += 1;
      const row = ws.getRow(r);
      setText(row.getCell(1), label(PROVINCES, province, lang));
      const entry = report.completeness.find((c) => c.province === province && c.type === kind);
      days.forEach((day, i) => {
        const cell = row.getCell(2 + i);
        cell.alignment = { horizontal: 'center' };
        cell.border = { top: THIN, bottom: THIN, left: THIN, right: THIN };
        if (!entry) {
          putNull(cell);
        } else if (entry.missingDays.includes(day)) {
          cell.value = '✗';
          cell.font = { bold: true, color: { argb: COLOR.missingFont } };
          cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: COLOR.missingFill } };
        } else {
          cell.value = '✓';
          cell.font = { color: { argb: COLOR.receivedFont } };
        }
      });
      const count = row.getCell(days.length + 2);
      if (entry) setText(count, `${entry.daysReceived}/${entry.daysExpected}`);
      else putNull(count);
      count.alignment = { horizontal: 'center' };
      if (entry && entry.daysReceived < entry.daysExpected) count.font = { bold: true, color: { argb: COLOR.missingFont } };
    }
    r += 2;
  }
  if (missingProvinceDays(report.completeness).length > 0) {
    // The whole list of missing province-days lives here; 概览 says how many and points here.
    const last = Math.max(days.length + 2, 13);
    ws.mergeCells(r, 1, r, last);
    const cell = ws.getCell(`A${r}`);
    setText(cell, dataStatusLine(report, lang));
    cell.alignment = { wrapText: true, vertical: 'top' };
    cell.font = { color: { argb: COLOR.bad } };
    ws.getRow(r).height = 15 * Math.max(1, Math.ceil(displayWidth(dataStatusLine(report, lang)) / (last * 9)));
    r += 2;
  }
  setText(ws.getCell(`A${r}`), L(lang, 'rejectedUploads'));
  ws.getCell(`A${r}`).font = { bold: true, size: 12 };
  r += 1;
  const rejected = report.completeness.flatMap((c) => c.rejectedUploads.map((u) => ({ ...u, province: c.province, type: c.type })));
  if (rejected.length === 0) {
    setText(ws.getCell(`A${r}`), L(lang, 'noRejected'));
  } else {
    const header = ws.getRow(r);
    // The table shares its columns with the day grid above: long texts span several day
    // columns (merged) instead of widening one day column out of the grid.
    const last = Math.max(days.length + 2, 13);
    const spans: Array<[number, number]> = [[1, 1], [2, 2], [3, 3], [4, 5], [6, 7], [8, 8], [9, last]];
    const heads = [L(lang, 'province'), L(lang, 'type'), L(lang, 'day'), L(lang, 'file'), L(lang, 'receivedAt'), L(lang, 'problemCount'), L(lang, 'firstProblem')];
    const r0 = r;
    const place = (rowNumber: number, values: Array<(cell: ExcelJS.Cell) => void>) => {
      spans.forEach(([from, to], i) => {
        if (to > from) ws.mergeCells(rowNumber, from, rowNumber, to);
        const cell = ws.getRow(rowNumber).getCell(from);
        values[i]!(cell);
        if (rowNumber > r0) cell.alignment = { ...cell.alignment, vertical: 'top' };
      });
    };
    place(r, heads.map((h) => (cell) => setText(cell, h)));
    styleHeader(header);
    for (const u of rejected) {
      r += 1;
      const at = new Date(u.receivedAt);
      place(r, [
        (cell) => setText(cell, label(PROVINCES, u.province, lang)),
        (cell) => setText(cell, extractLabel(lang, u.type)),
        (cell) => setText(cell, u.day),
        (cell) => setText(cell, u.file),
        (cell) => setText(cell, Number.isNaN(at.getTime()) ? u.receivedAt : shanghaiDateTime(at)),
        (cell) => putNumber(cell, u.problemCount, NUM_FMT.count),
        (cell) => { setText(cell, u.firstProblem); cell.alignment = { wrapText: true, vertical: 'top' }; },
      ]);
      ws.getRow(r).height = 15 * Math.max(1, Math.ceil(displayWidth(u.firstProblem) / 44));
    }
  }
  ws.getColumn(1).width = 14;
  for (let i = 0; i < days.length; i++) ws.getColumn(2 + i).width = days.length > 7 ? 9 : 12;
  ws.getColumn(days.length + 2).width = Math.max(ws.getColumn(days.length + 2).width ?? 0, 16);
  for (let c = days.length + 3; c <= 13; c++) ws.getColumn(c).width = 10;
  ws.views = [{ state: 'frozen', xSplit: 1, ySplit: 2, activeCell: 'B3' }];
  pageSetup(ws, 2);
}

function writeDefinitions(wb: ExcelJS.Workbook, report: KpiReport, options: ReportWorkbookOptions): void {
  const { lang } = options;
  const ws = wb.addWorksheet(L(lang, 'sheetDefinitions'));
  const header = ws.getRow(1);
  setText(header.getCell(1), L(lang, 'item'));
  setText(header.getCell(2), L(lang, 'value'));
  styleHeader(header);
  const generated = new Date(report.generatedAt);
  const facts: Array<[string, string]> = [
    [L(lang, 'period'), `${periodLabel(lang, report.period)} ${report.period.start} – ${report.period.end} (${report.period.id})`],
    [L(lang, 'scope'), `${scopeLabel(lang, report.scope)} (${report.scope})`],
    [L(lang, 'runId'), options.runId],
    [L(lang, 'generatedAt'), Number.isNaN(generated.getTime()) ? report.generatedAt : `${shanghaiDateTime(generated)}（${L(lang, 'shanghaiTime')}）`],
    [L(lang, 'dataAsOf'), options.dataAsOf ?? latestDataDay(report)],
  ];
  let r = 1;
  for (const [k, v] of facts) {
    r += 1;
    setText(ws.getCell(`A${r}`), k);
    setText(ws.getCell(`B${r}`), v);
    ws.getCell(`A${r}`).font = { bold: true };
  }
  r += 2;
  const defHeader = ws.getRow(r);
  setText(defHeader.getCell(1), L(lang, 'kpi'));
  setText(defHeader.getCell(2), L(lang, 'definition'));
  styleHeader(defHeader);
  for (const def of [...kpiDefinitions(lang), { name: NULL_TEXT, definition: L(lang, 'nullNote') }]) {
    r += 1;
    setText(ws.getCell(`A${r}`), def.name);
    setText(ws.getCell(`B${r}`), def.definition);
    ws.getCell(`A${r}`).alignment = { vertical: 'top' };
    ws.getCell(`B${r}`).alignment = { wrapText: true, vertical: 'top' };
  }
  ws.getColumn(1).width = 18;
  ws.getColumn(2).width = 100;
  ws.views = [{ state: 'frozen', ySplit: 1, activeCell: 'A2' }];
  pageSetup(ws, 1);
}

/** 重点客户预警: key accounts at risk ranked by fee at stake, their signals with dates (SPEC §10). */
function writeWatchList(wb: ExcelJS.Workbook, rows: readonly WatchListRow[], lang: Lang): void {
  const ws = wb.addWorksheet(L(lang, 'sheetWatchList'));
  const cols: Column<WatchListRow>[] = [
    { header: L(lang, 'rank'), kind: 'rank', get: (r) => rows.indexOf(r) + 1 },
    { header: L(lang, 'province'), kind: 'text', get: (r) => label(PROVINCES, r.province, lang) },
    { header: L(lang, 'customer'), kind: 'text', get: (r) => r.customerId },
    { header: L(lang, 'subSegment'), kind: 'text', get: (r) => (r.subSegment ? label(SUB_SEGMENTS, r.subSegment, lang) : null) },
    { header: L(lang, 'accountManager'), kind: 'text', get: (r) => r.accountManagerId },
    { header: L(lang, 'feeAtStake'), kind: 'money', get: (r) => r.feeAtStake },
    { header: L(lang, 'productsHeld'), kind: 'count', get: (r) => r.productsHeld },
    { header: L(lang, 'signalCount'), kind: 'count', get: (r) => r.signals.length },
    { header: L(lang, 'signals'), kind: 'text', get: (r) => watchSignalsText(r, lang) },
  ];
  writeTable(ws, 1, cols, rows, lang);
  const note = ws.getCell(`A${rows.length + 3}`);
  setText(note, rows.length === 0 ? L(lang, 'watchNone') : L(lang, 'watchNote'));
  note.font = { italic: true, color: { argb: COLOR.muted } };
}

/** The number format of a target or figure in its KPI's unit (as the other sheets: yuan, users, %). */
function targetNumFmt(kpi: TargetRow['kpi']): string {
  if (kpi === 'csat') return NUM_FMT.pct;
  if (kpi === 'grossAdds' || kpi === 'netAdds') return NUM_FMT.count;
  return NUM_FMT.money;
}

/**
 * 指标完成 (SPEC §10): per province × segment × KPI the month's target, the figure to date,
 * completion, time progress and the gap (red when a cumulative KPI is behind time, green
 * otherwise); rows with days missing marked; provinces without targets listed as 未设指标.
 */
function writeTargets(wb: ExcelJS.Workbook, report: KpiReport, rows: readonly TargetRow[], lang: Lang): void {
  const ws = wb.addWorksheet(L(lang, 'sheetTargets'));
  titleRow(ws, `${L(lang, 'sheetTargets')} · ${periodLabel(lang, report.period)}`);
  const headerAt = 5;
  const heads = [L(lang, 'province'), L(lang, 'segment'), L(lang, 'kpi'), L(lang, 'monthTarget'), L(lang, 'actualToDate'),
    L(lang, 'completion'), L(lang, 'timeProgress'), L(lang, 'gap'), L(lang, 'missingDays'), L(lang, 'note')];
  // The window and the legend span the table, wrapped, so the page stays as wide as the table.
  ([[2, targetsWindowNote(report, lang), { bold: true }], [3, L(lang, 'targetsLegend'), { color: { argb: COLOR.muted } }]] as const).forEach(([row, text, font]) => {
    ws.mergeCells(row, 1, row, heads.length);
    const cell = ws.getCell(`A${row}`);
    setText(cell, text);
    cell.font = font;
    cell.alignment = { wrapText: true, vertical: 'top' };
    ws.getRow(row).height = 15 * Math.max(1, Math.ceil(displayWidth(text) / 130));
  });
  headerRow(ws, headerAt, heads);
  // The gap reads `▼12.0个百分点`.
  const widths = heads.map((h, i) => Math.max(displayWidth(h) + 2, i === 7 ? 16 : 10));
  const width = (i: number, text: string) => { widths[i] = Math.max(widths[i]!, displayWidth(text) + 2); };
  let r = headerAt;
  for (const target of rows) {
    const row = ws.getRow(++r);
    const texts = [label(PROVINCES, target.province, lang), targetSegmentName(target.segment, lang), targetKpiName(target.kpi, lang)];
    texts.forEach((text, i) => { setText(row.getCell(i + 1), text); width(i, text); });
    const numFmt = targetNumFmt(target.kpi);
    putNumber(row.getCell(4), target.target, numFmt);
    putNumber(row.getCell(5), target.actualToDate, numFmt);
    putNumber(row.getCell(6), target.completion, NUM_FMT.pct);
    putNumber(row.getCell(7), target.timeProgress, NUM_FMT.pct);
    const gap = row.getCell(8);
    // A rate (ARPU, CSAT) does not accumulate: its gap against the days gone means nothing, so none is shown.
    if (target.gap == null || !Number.isFinite(target.gap) || !CUMULATIVE_KPIS.has(target.kpi)) putNull(gap);
    else {
      // Points, stored ×100 as the other sheets' changes of ratios; 0 when it shows as 0.0.
      const points = Math.round(target.gap * 1000) === 0 ? 0 : target.gap * 100;
      gap.value = points;
      gap.numFmt = pointsFormat(lang, 1);
    }
    const verdict = targetVerdict(target);
    if (verdict !== 'flat') {
      const color = { argb: verdict === 'bad' ? COLOR.bad : COLOR.good };
      gap.font = { bold: verdict === 'bad', color };
      row.getCell(6).font = { color };
    }
    putNumber(row.getCell(9), target.missingDays, NUM_FMT.count);
    const notes: string[] = [];
    if (target.missingDays > 0) notes.push(missingDaysText(target.missingDays, lang));
    if (target.actualToDate == null) notes.push(lang === 'en' ? 'no figure yet' : '本月至今无数据');
    if (notes.length > 0) {
      setText(row.getCell(10), notes.join(lang === 'en' ? '; ' : '；'));
      width(9, notes.join('；'));
    }
    if (target.missingDays > 0) {
      for (const c of [5, 9, 10]) {
        const cell = row.getCell(c);
        cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: COLOR.missingFill } };
        cell.font = { ...cell.font, color: { argb: COLOR.missingFont } };
      }
    }
    for (let c = 1; c <= heads.length; c++) row.getCell(c).border = { bottom: THIN };
    widths[3] = Math.max(widths[3]!, formattedWidth('money', target.target) + 2);
    widths[4] = Math.max(widths[4]!, formattedWidth('money', target.actualToDate) + 2);
  }
  for (const province of report.targetsNotSet ?? []) {
    const row = ws.getRow(++r);
    setText(row.getCell(1), label(PROVINCES, province, lang));
    for (let c = 2; c <= 9; c++) putNull(row.getCell(c));
    setText(row.getCell(10), L(lang, 'targetsNotSet'));
    row.getCell(10).font = { bold: true, color: { argb: COLOR.muted } };
    for (let c = 1; c <= heads.length; c++) row.getCell(c).border = { bottom: THIN };
  }
  if (rows.length === 0 && (report.targetsNotSet ?? []).length === 0) setText(ws.getCell(`A${++r}`), L(lang, 'targetsNone'));
  const missingRows = rows.some((x) => x.missingDays > 0);
  if (missingRows) {
    const note = ws.getCell(`A${r + 2}`);
    setText(note, L(lang, 'targetsMissingNote'));
    note.font = { italic: true, color: { argb: COLOR.muted } };
  }
  widths.forEach((w, i) => { ws.getColumn(i + 1).width = Math.min(w, 40); });
  ws.autoFilter = { from: { row: headerAt, column: 1 }, to: { row: Math.max(r, headerAt + 1), column: heads.length } };
  ws.views = [{ state: 'frozen', xSplit: 1, ySplit: headerAt, activeCell: `B${headerAt + 1}` }];
  pageSetup(ws, headerAt);
}

/** `上周新增用户` / `Last week gross adds`. */
function joinWords(lang: Lang, a: string, b: string): string {
  return lang === 'en' ? `${a} ${b.toLowerCase()}` : `${a}${b}`;
}

/** A header row of plain labels at `row`, columns from 1. */
function headerRow(ws: ExcelJS.Worksheet, row: number, headers: readonly string[]): void {
  const r = ws.getRow(row);
  headers.forEach((h, i) => setText(r.getCell(i + 1), h));
  styleHeader(r);
}

function sectionTitle(ws: ExcelJS.Worksheet, row: number, text: string): void {
  setText(ws.getCell(`A${row}`), text);
  ws.getCell(`A${row}`).font = { bold: true, size: 12 };
}

/** 套餐结构: bundle penetration, new adds by fee band, and the band migration matrix and list (SPEC §10). */
function writePackages(wb: ExcelJS.Workbook, mix: PackageMix, report: KpiReport, lang: Lang): void {
  const ws = wb.addWorksheet(L(lang, 'sheetPackages'));
  const [cur, prev] = currentPreviousLabels(lang, report.period.kind);
  titleRow(ws, `${L(lang, 'sheetPackages')} · ${periodLabel(lang, report.period)}`);

  let r = 3;
  sectionTitle(ws, r, L(lang, 'bundlePenetration'));
  headerRow(ws, ++r, [L(lang, 'kpi'), cur, prev, L(lang, 'change')]);
  const penetration = mix.bundlePenetration;
  for (const [key, value, before] of [
    ['bundleNewAdds', penetration.newAdds, penetration.prevNewAdds],
    ['bundleActiveUsers', penetration.activeUsers, penetration.prevActiveUsers],
  ] as const) {
    const row = ws.getRow(++r);
    setText(row.getCell(1), L(lang, key));
    putNumber(row.getCell(2), value, NUM_FMT.pct);
    putNumber(row.getCell(3), before, NUM_FMT.pct);
    putChange(row.getCell(4), value != null && before != null ? value - before : null, 'points', true, lang);
  }

  r += 2;
  sectionTitle(ws, r, L(lang, 'newAddsByBand'));
  headerRow(ws, ++r, [L(lang, 'band'), L(lang, 'grossAdds'), L(lang, 'share'), L(lang, 'feeSum'), L(lang, 'avgFee'), joinWords(lang, prev, L(lang, 'grossAdds')), L(lang, 'change'), L(lang, 'basis')]);
  if (mix.bands.every((b) => b.newAdds == null)) setText(ws.getCell(`A${r + 1}`), L(lang, 'noSales'));
  for (const band of mix.bands) {
    const row = ws.getRow(++r);
    setText(row.getCell(1), band.label);
    putNumber(row.getCell(2), band.newAdds, NUM_FMT.count);
    putNumber(row.getCell(3), band.share, NUM_FMT.pct);
    putNumber(row.getCell(4), band.feeSum, NUM_FMT.money);
    putNumber(row.getCell(5), band.avgFee, NUM_FMT.money);
    putNumber(row.getCell(6), band.prevNewAdds, NUM_FMT.count);
    putChange(row.getCell(7), band.newAddsGrowth, 'relative', true, lang);
    if (band.newAddsGrowth == null) putNull(row.getCell(8));
    else setText(row.getCell(8), L(lang, band.growthBasis === 'matched' ? 'comparable' : 'basisAll'));
    row.eachCell((cell) => { cell.border = { bottom: THIN }; });
  }

  r += 2;
  sectionTitle(ws, r, L(lang, 'migrationTitle'));
  const labels = mix.bands.map((b) => b.label);
  headerRow(ws, ++r, [`${L(lang, 'fromBand')} → ${L(lang, 'toBand')}`, ...labels]);
  mix.bands.forEach((from) => {
    const row = ws.getRow(++r);
    setText(row.getCell(1), from.label);
    row.getCell(1).font = { bold: true };
    mix.bands.forEach((to, j) => {
      const cell = row.getCell(2 + j);
      const move = mix.migration.find((m) => m.fromBand === from.band && m.toBand === to.band);
      // A band with no move is a real 0 when the period has sales; without sales it is no data.
      putNumber(cell, move ? move.events : mix.bands[0]!.newAdds == null ? null : 0, NUM_FMT.count);
      cell.border = { top: THIN, bottom: THIN, left: THIN, right: THIN };
      if (move && to.band > from.band) cell.font = { color: { argb: COLOR.good } };
      else if (move && to.band < from.band) cell.font = { color: { argb: COLOR.bad } };
    });
  });

  r += 2;
  sectionTitle(ws, r, L(lang, 'migrationList'));
  headerRow(ws, ++r, [L(lang, 'fromBand'), L(lang, 'toBand'), L(lang, 'upgrades'), L(lang, 'downgrades'), L(lang, 'events'), joinWords(lang, prev, L(lang, 'events')), L(lang, 'change'), L(lang, 'feeChange')]);
  for (const move of mix.migration) {
    const row = ws.getRow(++r);
    setText(row.getCell(1), move.fromLabel);
    setText(row.getCell(2), move.toLabel);
    putNumber(row.getCell(3), move.upgrades, NUM_FMT.count);
    putNumber(row.getCell(4), move.downgrades, NUM_FMT.count);
    putNumber(row.getCell(5), move.events, NUM_FMT.count);
    putNumber(row.getCell(6), move.prevEvents, NUM_FMT.count);
    putChange(row.getCell(7), move.eventsGrowth, 'relative', true, lang);
    putNumber(row.getCell(8), move.feeChange, NUM_FMT.money);
    row.eachCell((cell) => { cell.border = { bottom: THIN }; });
  }
  ws.getColumn(1).width = 26;
  for (let c = 2; c <= 8; c++) ws.getColumn(c).width = 14;
  ws.views = [{ state: 'frozen', ySplit: 1, activeCell: 'A2' }];
  pageSetup(ws, 1);
}

/** exceljs, loaded on the first workbook (or by preloadReportWorkbook): a command that writes none never compiles it. */
const importExcelJs = () => import('exceljs');
let excelJs: ReturnType<typeof importExcelJs> | undefined;
const loadExcelJs = () => (excelJs ??= importExcelJs());

/** Starts loading exceljs, so it compiles while the report's queries run on the engine's threads. */
export function preloadReportWorkbook(): void {
  loadExcelJs().catch(() => undefined);
}

/** Builds the workbook of a KpiReport and returns the .xlsx bytes; no formulas, no I/O. */
export async function buildReportWorkbook(report: KpiReport, options: ReportWorkbookOptions): Promise<Uint8Array> {
  const { lang } = options;
  const { default: excel } = await loadExcelJs();
  const wb = new excel.Workbook();
  const generated = new Date(report.generatedAt);
  const stamp = Number.isNaN(generated.getTime()) ? new Date(0) : generated;
  wb.creator = 'telco-kpi';
  wb.created = stamp;
  wb.modified = stamp;
  wb.title = reportHeadline(report, lang);
  wb.calcProperties = { fullCalcOnLoad: false };
  if (report.marketOnly) {
    writeMarketOnlySummary(wb, report, lang);
    writeMarket(wb, report, lang);
    writeDefinitions(wb, report, options);
    return new Uint8Array((await wb.xlsx.writeBuffer()) as ArrayBuffer);
  }
  writeSummary(wb, report, options);
  writeSegmentChannel(wb, report, lang);
  writeProvinces(wb, report, lang);
  writeProducts(wb, report, lang);
  writeSubSegments(wb, report, lang);
  writeService(wb, report, lang);
  if (report.market.length > 0) writeMarket(wb, report, lang);
  writeCompleteness(wb, report, lang);
  if (report.targets) writeTargets(wb, report, report.targets, lang);
  if (report.watchList) writeWatchList(wb, report.watchList, lang);
  if (report.packages) writePackages(wb, report.packages, report, lang);
  writeDefinitions(wb, report, options);
  const buffer = await wb.xlsx.writeBuffer();
  return new Uint8Array(buffer as ArrayBuffer);
}
