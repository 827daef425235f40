/**
 * What the workbook and the e-mail both show, derived once from a KpiReport: the summary
 * tiles with last period and change, the missing province-days, and what moved most.
 */
import { CHANNELS, PRODUCTS, PROVINCES, SEGMENTS, SUB_SEGMENTS, label } from '../extracts/codes.js';
import { extractLabel, periodLabel, scopeLabel, shortDay, t, type Lang, type LabelKey } from './i18n.js';
import type { CompletenessRow, Dimension, ExtractKind, GrowthBasis, KpiReport, KpiRow, WatchListRow, WatchSignal } from '../kpis/kpi-types.js';
import { daysBetween } from '../period.js';

export type TileKey = 'revenue' | 'arpu' | 'activeUsers' | 'grossAdds' | 'netAdds' | 'churnRate' | 'csat' | 'complaintsPer10k' | 'firstResponseSla';

/** How a tile is displayed: money in 万元, yuan, users in 万户, counts, fractions as %, a rate per 10k. */
export type TileUnit = 'wanYuan' | 'yuan' | 'wanUsers' | 'count' | 'fraction' | 'per10k';

/** `relative`: (cur − prev) / prev; `points`: cur − prev of a fraction; `absolute`: cur − prev. */
export type ChangeKind = 'relative' | 'points' | 'absolute';

export interface Tile {
  key: TileKey;
  label: LabelKey;
  unit: TileUnit;
  current: number | null;
  previous: number | null;
  change: number | null;
  changeKind: ChangeKind;
  higherIsBetter: boolean;
  /** `matched` when the change is a growth on the like-for-like days (可比口径), SPEC §3. */
  basis: GrowthBasis;
}

interface TileSpec {
  key: TileKey;
  label: LabelKey;
  unit: TileUnit;
  value: (row: KpiRow) => number | null;
  growth?: (row: KpiRow) => number | null;
  /** The extract whose missing days a growth leaves out (revenue, or sales for gross adds). */
  growthType?: 'revenue' | 'sales';
  changeKind: ChangeKind;
  higherIsBetter: boolean;
}

const TILE_SPECS: readonly TileSpec[] = [
  { key: 'revenue', label: 'revenue', unit: 'wanYuan', value: (r) => r.revenue, growth: (r) => r.revenueGrowth, growthType: 'revenue', changeKind: 'relative', higherIsBetter: true },
  { key: 'arpu', label: 'arpu', unit: 'yuan', value: (r) => r.arpu, growth: (r) => r.arpuGrowth, growthType: 'revenue', changeKind: 'relative', higherIsBetter: true },
  { key: 'activeUsers', label: 'activeUsers', unit: 'wanUsers', value: (r) => r.activeUsersAvg, growth: (r) => r.activeUsersGrowth, growthType: 'revenue', changeKind: 'relative', higherIsBetter: true },
  { key: 'grossAdds', label: 'grossAdds', unit: 'count', value: (r) => r.grossAdds, growth: (r) => r.grossAddsGrowth, growthType: 'sales', changeKind: 'relative', higherIsBetter: true },
  { key: 'netAdds', label: 'netAdds', unit: 'count', value: (r) => r.netAdds, changeKind: 'absolute', higherIsBetter: true },
  { key: 'churnRate', label: 'churnRate', unit: 'fraction', value: (r) => r.churnRate, changeKind: 'points', higherIsBetter: false },
  { key: 'csat', label: 'csat', unit: 'fraction', value: (r) => r.csat, changeKind: 'points', higherIsBetter: true },
  { key: 'complaintsPer10k', label: 'complaintsPer10k', unit: 'per10k', value: (r) => r.complaintsPer10k, changeKind: 'relative', higherIsBetter: false },
  { key: 'firstResponseSla', label: 'firstResponseSla', unit: 'fraction', value: (r) => r.firstResponseSla, changeKind: 'points', higherIsBetter: true },
];

/** How each tile is shown (its label and unit), in tile order, without figures. */
export function tileShapes(): Array<Pick<Tile, 'key' | 'label' | 'unit'>> {
  return TILE_SPECS.map(({ key, label: name, unit }) => ({ key, label: name, unit }));
}

/** The report's `total` row; undefined when the report has none. */
export function totalRow(report: KpiReport): KpiRow | undefined {
  return report.rows.find((r) => r.dimension === 'total');
}

function changeBetween(kind: ChangeKind, current: number | null, previous: number | null): number | null {
  if (current == null || previous == null) return null;
  if (kind === 'relative') return previous === 0 ? null : (current - previous) / previous;
  return current - previous;
}

/**
 * The summary tiles. With a previous report, last period's figures come from its total row.
 * Without one, last period is derived for the KPIs that carry a growth (prev = cur / (1 + growth))
 * and left null for the others; the change of a growth KPI is always the report's own growth.
 */
export function summaryTiles(report: KpiReport, previous?: KpiReport): Tile[] {
  const cur = totalRow(report);
  const prev = previous ? totalRow(previous) : undefined;
  return TILE_SPECS.map((spec) => {
    const current = cur ? spec.value(cur) : null;
    const growth = cur && spec.growth ? spec.growth(cur) : null;
    let prevValue: number | null = null;
    if (prev) prevValue = spec.value(prev);
    else if (current != null && growth != null && growth !== -1) prevValue = current / (1 + growth);
    const change = spec.growth && growth != null ? growth : changeBetween(spec.changeKind, current, prevValue);
    const matched = spec.growthType !== undefined && growth != null && leftOutPairs(report).some((p) => p.type === spec.growthType);
    return {
      key: spec.key, label: spec.label, unit: spec.unit, current, previous: prevValue, change, changeKind: spec.changeKind,
      higherIsBetter: spec.higherIsBetter, basis: matched ? 'matched' : 'all',
    };
  });
}

export interface LeftOutPair {
  province: string;
  type: ExtractKind;
  day: string;
  previousDay: string;
  missingIn: 'current' | 'previous';
}

/** The province-days the growths left out of both periods (SPEC §3), by type, day, province. */
export function leftOutPairs(report: KpiReport): LeftOutPair[] {
  const order: ExtractKind[] = ['revenue', 'sales', 'service'];
  return report.completeness
    .flatMap((c) => (c.growthLeftOut ?? []).map((p) => ({ province: c.province, type: c.type, ...p })))
    .sort((a, b) => order.indexOf(a.type) - order.indexOf(b.type) || a.day.localeCompare(b.day) || a.province.localeCompare(b.province));
}

/**
 * `可比口径：环比剔除两期同日缺数据的省日——广东 收入日报 11/18（上周 11/11）`, naming each left-out
 * pair; undefined when every growth compared all received days.
 */
export function comparableNote(report: KpiReport, lang: Lang): string | undefined {
  const pairs = leftOutPairs(report);
  if (pairs.length === 0) return undefined;
  const prevWord = t(lang, report.period.kind === 'week' ? 'lastWeek' : 'lastMonth');
  const items = pairs.map((p) => {
    const name = label(PROVINCES, p.province, lang);
    const missing = p.missingIn === 'current' ? shortDay(p.day) : `${prevWord} ${shortDay(p.previousDay)}`;
    const kept = p.missingIn === 'current' ? `${prevWord} ${shortDay(p.previousDay)}` : shortDay(p.day);
    return lang === 'en'
      ? `${name} ${extractLabel(lang, p.type)} ${missing} not received, so ${kept} left out too`
      : `${name} ${extractLabel(lang, p.type)} ${missing} 未收到，${kept} 同时剔除`;
  });
  return lang === 'en'
    ? `${t(lang, 'comparable')}: changes compare like with like, leaving out days one period is missing — ${items.join('; ')}.`
    : `${t(lang, 'comparable')}：环比只比较两期都收到的同日数据——${items.join('；')}。`;
}

/** 'good', 'bad' or 'flat' for a change of a KPI, judged by whether up is good for that KPI. */
/** Decimals a percentage (a ratio, or a change in points) is shown with, in mail and workbook alike: 2 below 1 %, else 1. */
export function percentDigits(fraction: number): 1 | 2 {
  return Math.abs(fraction) < 0.01 ? 2 : 1;
}

/**
 * A change rounded as it is shown (relative 0.1 %, points with percentDigits, counts whole), so
 * a change that reads `0.0` is no change: no arrow and no colour.
 */
export function shownChange(kind: ChangeKind, change: number): number {
  const scale = kind === 'absolute' ? 1 : 100 * 10 ** (kind === 'points' ? percentDigits(change) : 1);
  const shown = Math.round(Math.abs(change) * scale) / scale;
  return shown === 0 ? 0 : Math.sign(change) * shown;
}

export function judge(change: number | null, higherIsBetter: boolean): 'good' | 'bad' | 'flat' {
  if (change == null || change === 0) return 'flat';
  return (change > 0) === higherIsBetter ? 'good' : 'bad';
}

export interface MissingProvinceDay {
  province: string;
  day: string;
  types: ExtractKind[];
}

/** Every province-day with at least one daily extract missing, by day then province. */
export function missingProvinceDays(completeness: readonly CompletenessRow[]): MissingProvinceDay[] {
  const byKey = new Map<string, MissingProvinceDay>();
  for (const row of completeness) {
    for (const day of row.missingDays) {
      const key = `${day}|${row.province}`;
      const entry = byKey.get(key) ?? { province: row.province, day, types: [] };
      if (!entry.types.includes(row.type)) entry.types.push(row.type);
      byKey.set(key, entry);
    }
  }
  const order: ExtractKind[] = ['sales', 'revenue', 'service'];
  return [...byKey.values()]
    .map((m) => ({ ...m, types: [...m.types].sort((a, b) => order.indexOf(a) - order.indexOf(b)) }))
    .sort((a, b) => a.day.localeCompare(b.day) || a.province.localeCompare(b.province));
}

/** The latest day of the period for which some province's extract was received; the period end when nothing is tracked or the month is market-only. */
export function latestDataDay(report: KpiReport): string {
  const days = daysBetween(report.period.start, report.period.end);
  // The market extract covers the whole month.
  if (report.completeness.length === 0 || report.marketOnly) return report.period.end;
  for (const day of [...days].reverse()) {
    if (report.completeness.some((c) => c.daysReceived > 0 && !c.missingDays.includes(day))) return day;
  }
  return report.period.start;
}

/** The name of a row's group in the report language: `政企-直销`, `吉林`, `移动`, `合计`. */
export function groupName(row: KpiRow, lang: Lang): string {
  switch (row.dimension) {
    case 'total': return lang === 'en' ? 'Total' : '合计';
    case 'segment': return label(SEGMENTS, row.segment, lang);
    case 'subSegment': return label(SUB_SEGMENTS, row.subSegment, lang);
    case 'channel': return label(CHANNELS, row.channel, lang);
    case 'segmentChannel': return `${label(SEGMENTS, row.segment, lang)}-${label(CHANNELS, row.channel, lang)}`;
    case 'province': return label(PROVINCES, row.province, lang);
    case 'product': return label(PRODUCTS, row.product, lang);
  }
}

export interface Mover {
  dimension: Dimension;
  row: KpiRow;
  /**
   * Revenue change in CNY, cur − cur / (1 + growth): for a matched growth, the like-for-like
   * change applied to the period's revenue.
   */
  delta: number;
  growth: number;
}

/**
 * Per dimension, the group whose revenue moved most in yuan (not in percent, so a tiny group
 * with a large percentage does not crowd out a large one). Groups without growth are skipped.
 */
export function biggestMover(report: KpiReport, dimension: Dimension): Mover | undefined {
  let best: Mover | undefined;
  for (const row of report.rows) {
    // A null growth is no comparable change (no previous figures, or nothing comparable left):
    // never ranked. A matched growth is comparable: missing days were left out of both sides.
    if (row.dimension !== dimension || row.revenue == null || row.revenueGrowth == null || row.revenueGrowth === -1) continue;
    const delta = row.revenue - row.revenue / (1 + row.revenueGrowth);
    if (!best || Math.abs(delta) > Math.abs(best.delta)) best = { dimension, row, delta, growth: row.revenueGrowth };
  }
  return best;
}

/** Rows of one dimension in code-list order (the order readers know), unknown codes last. */
export function rowsOf(report: KpiReport, dimension: Dimension): KpiRow[] {
  const rank = (list: Record<string, unknown>, code: string | null): number => {
    const i = code == null ? -1 : Object.keys(list).indexOf(code);
    return i < 0 ? 999 : i;
  };
  const key = (r: KpiRow): number[] => [
    rank(SEGMENTS.codes, r.segment), rank(SUB_SEGMENTS.codes, r.subSegment), rank(CHANNELS.codes, r.channel),
    rank(PROVINCES.codes, r.province), rank(PRODUCTS.codes, r.product),
  ];
  return report.rows.filter((r) => r.dimension === dimension).sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return (ka[i] ?? 0) - (kb[i] ?? 0);
    return 0;
  });
}

/** Joins title parts with ` · `, without the space after a full-width closing bracket (`（11/16–11/22）· 全国`). */
export function joinDot(parts: readonly string[]): string {
  return parts.reduce((acc, part) => (acc === '' ? part : `${acc}${/[）】]$/.test(acc) ? '' : ' '}· ${part}`), '');
}

/** The title line shared by the summary sheet and the e-mail subject; a market-only month says so. */
export function reportHeadline(report: KpiReport, lang: Lang): string {
  const parts = [`${t(lang, 'reportTitle')} ${periodLabel(lang, report.period)}`, scopeLabel(lang, report.scope)];
  if (report.marketOnly) parts.push(t(lang, 'marketOnly'));
  return joinDot(parts);
}

/** For a market-only month: `吉林 移动 本公司 收入份额 60.0% · 用户份额 30.0% · 用户质量指数 2.00`, one per province × product. */
export function marketSelfLines(report: KpiReport, lang: Lang): string[] {
  const pct = (v: number | null) => (v == null ? '–' : `${(v * 100).toFixed(1)}%`);
  return report.market.filter((m) => m.operator === 'self').map((m) => {
    const name = `${label(PROVINCES, m.province, lang)} ${label(PRODUCTS, m.product, lang)} ${t(lang, 'self')}`;
    const index = m.qualityIndex == null ? '–' : m.qualityIndex.toFixed(2);
    return `${name} ${t(lang, 'marketRevenueShare')} ${pct(m.revenueShare)} · ${t(lang, 'marketUserShare')} ${pct(m.userShare)} · ${t(lang, 'qualityIndex')} ${index}`;
  });
}

/** The data status sentence: complete, or the missing province-days named. */
export function dataStatusLine(report: KpiReport, lang: Lang): string {
  const missing = missingProvinceDays(report.completeness);
  if (missing.length === 0) return t(lang, 'statusComplete');
  const sep = lang === 'en' ? '; ' : '；';
  const items = missing.map((m) => {
    const types = m.types.map((k) => extractLabel(lang, k)).join(lang === 'en' ? ', ' : '、');
    return lang === 'en'
      ? `${label(PROVINCES, m.province, lang)} ${shortDay(m.day)} (${types})`
      : `${label(PROVINCES, m.province, lang)} ${shortDay(m.day)}（${types}）`;
  });
  return `${t(lang, 'statusPartial')}${lang === 'en' ? ' ' : ''}${items.join(sep)}`;
}

/**
 * The data status in one short line for the overview sheet (a long list of missing days would
 * shrink its printed page): how many province-days are missing per province, and where the list is.
 */
export function dataStatusShort(report: KpiReport, lang: Lang): string {
  const missing = missingProvinceDays(report.completeness);
  if (missing.length === 0) return t(lang, 'statusComplete');
  const perProvince = new Map<string, number>();
  for (const m of missing) perProvince.set(m.province, (perProvince.get(m.province) ?? 0) + 1);
  const counts = [...perProvince].map(([p, n]) => `${label(PROVINCES, p, lang)} ${n}`);
  return lang === 'en'
    ? `Data incomplete: ${missing.length} province-day(s) missing (${counts.join(', ')}); the list is on the ${t(lang, 'sheetCompleteness')} sheet.`
    : `数据不完整：缺 ${missing.length} 个省日（${counts.join('、')}），明细见“${t(lang, 'sheetCompleteness')}”表。`;
}

export interface MovedLine {
  text: string;
  verdict: 'good' | 'bad' | 'flat';
}

/** `政企-直销 收入环比 ▲12.4%（+15.2万元）`, for segment × channel, channel and province. */
export function whatMovedLines(report: KpiReport, lang: Lang): MovedLine[] {
  const lines: MovedLine[] = [];
  for (const dimension of ['segmentChannel', 'channel', 'province'] as const) {
    const mover = biggestMover(report, dimension);
    if (!mover) continue;
    const arrow = mover.growth > 0 ? '▲' : mover.growth < 0 ? '▼' : '';
    const pct = `${arrow}${(Math.abs(mover.growth) * 100).toFixed(1)}%`;
    const sign = mover.delta >= 0 ? '+' : '−';
    const name = groupName(mover.row, lang);
    const text = lang === 'en'
      ? `${name} revenue ${pct} (${sign}CNY ${(Math.abs(mover.delta) / 1000).toFixed(0)}k)`
      : `${name} 收入环比 ${pct}（${sign}${(Math.abs(mover.delta) / 10_000).toFixed(1)}万元）`;
    const mark = mover.row.growthBasis === 'matched' ? (lang === 'en' ? ` [${t(lang, 'comparable')}]` : `【${t(lang, 'comparable')}】`) : '';
    lines.push({ text: `${text}${mark}`, verdict: judge(mover.growth, true) });
  }
  return lines;
}


const yuan = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

/** `降档 11/18（行业应用 5,000→4,000）`, `部分产品离网 11/19（移动）`, `投诉 11/17`, `客户经理未按期拜访（10/26 起无拜访）`. */
export function watchSignalText(signal: WatchSignal, lang: Lang): string {
  const name = t(lang, `signal_${signal.signal}`);
  const day = signal.day ? ` ${shortDay(signal.day)}` : '';
  const product = signal.product ? label(PRODUCTS, signal.product, lang) : '';
  let detail = '';
  if (signal.signal === 'downgrade' && signal.feeBefore != null && signal.feeAfter != null) {
    detail = `${product} ${yuan.format(signal.feeBefore)}→${yuan.format(signal.feeAfter)}`.trim();
  } else if (signal.signal === 'partialChurn') {
    detail = product;
  } else if (signal.signal === 'noVisit' && signal.since) {
    detail = lang === 'en' ? `none since ${shortDay(signal.since)}` : `${shortDay(signal.since)} 起无拜访`;
  }
  if (!detail) return `${name}${day}`;
  return lang === 'en' ? `${name}${day} (${detail})` : `${name}${day}（${detail}）`;
}

/** All of a key account's signals in one line, in day order. */
export function watchSignalsText(row: WatchListRow, lang: Lang): string {
  return row.signals.map((s) => watchSignalText(s, lang)).join(lang === 'en' ? '; ' : '；');
}

/** `广东 大企业 K03 月费¥4,000（客户经理 GD0001）：降档 11/18（行业应用 5,000→4,000）`, for the mail's top five. */
export function watchListLine(row: WatchListRow, lang: Lang): string {
  const who = [label(PROVINCES, row.province, lang), row.subSegment ? label(SUB_SEGMENTS, row.subSegment, lang) : '', row.customerId].filter(Boolean).join(' ');
  const manager = row.accountManagerId ?? '–';
  return lang === 'en'
    ? `${who} CNY ${yuan.format(row.feeAtStake)}/month (account manager ${manager}): ${watchSignalsText(row, lang)}`
    : `${who} 月费¥${yuan.format(row.feeAtStake)}（客户经理 ${manager}）：${watchSignalsText(row, lang)}`;
}
