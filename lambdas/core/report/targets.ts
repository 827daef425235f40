/** The words of 指标完成 (SPEC §10): shared by the workbook's sheet and the e-mail's block. */
import { PROVINCES, SEGMENTS, TARGET_KPIS, label, type TargetKpi } from '../extracts/codes.js';
import type { KpiReport, TargetRow } from '../kpis/kpi-types.js';
import { daysBetween, monthOf } from '../period.js';
import { periodLabel, shortDay, t, type Lang } from './i18n.js';

/** KPIs that accumulate over the month: behind time progress is bad news (red). */
export const CUMULATIVE_KPIS: ReadonlySet<TargetKpi> = new Set(['revenue', 'grossAdds', 'netAdds']);

export type TargetVerdict = 'good' | 'bad' | 'flat';

/**
 * A cumulative KPI (revenue, adds) is red when behind time progress; a rate (ARPU, CSAT), which does
 * not accumulate over the month, is red when below its target, whatever the day; green otherwise;
 * flat when there is no figure.
 */
export function targetVerdict(row: Pick<TargetRow, 'kpi' | 'gap' | 'completion'>): TargetVerdict {
  if (!CUMULATIVE_KPIS.has(row.kpi)) {
    if (row.completion == null || !Number.isFinite(row.completion)) return 'flat';
    return Math.round(row.completion * 1000) < 1000 ? 'bad' : 'good';
  }
  if (row.gap == null || !Number.isFinite(row.gap)) return 'flat';
  return row.gap < 0 && Math.round(row.gap * 1000) !== 0 ? 'bad' : 'good';
}

export function targetKpiName(kpi: string, lang: Lang): string {
  return label(TARGET_KPIS, kpi, lang);
}

/** `全省` / `Whole province` for ALL, else the segment's name. */
export function targetSegmentName(segment: string, lang: Lang): string {
  return segment === 'ALL' ? t(lang, 'wholeProvince') : label(SEGMENTS, segment, lang);
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const grouped = (digits: number) => new Intl.NumberFormat('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** A target or a figure in its KPI's unit: yuan for revenue and ARPU, users for adds, % for CSAT. */
export function formatTargetValue(kpi: TargetKpi, value: number | null): string {
  if (value == null || !Number.isFinite(value)) return '–';
  if (kpi === 'csat') return pct(value);
  if (kpi === 'grossAdds' || kpi === 'netAdds') return grouped(0).format(value);
  return grouped(2).format(value);
}

/** The month the targets are read for and its days to the period's end. */
export function targetsWindowFacts(report: Pick<KpiReport, 'period'>): { month: string; start: string; end: string; windowDays: number; monthDays: number; crossesMonth: boolean } {
  const month = monthOf(report.period.end);
  return {
    month: month.id, start: month.start, end: report.period.end,
    windowDays: daysBetween(month.start, report.period.end).length,
    monthDays: daysBetween(month.start, month.end).length,
    crossesMonth: report.period.start < month.start,
  };
}

/**
 * `2026年12月指标，按 12/1–12/6 累计，时序进度 19.4%（已过 6/31 天）`, and for a week spanning two
 * months `；本周跨月，按本周最后一天所在月份（12月）计`.
 */
export function targetsWindowNote(report: Pick<KpiReport, 'period'>, lang: Lang): string {
  const w = targetsWindowFacts(report);
  const monthName = periodLabel(lang, { kind: 'month', id: w.month, start: w.start, end: w.end });
  const progress = pct(w.windowDays / w.monthDays);
  const range = `${shortDay(w.start)}–${shortDay(w.end)}`;
  if (lang === 'en') {
    return `Targets of ${monthName}, to date over ${range}; time elapsed ${progress} (${w.windowDays}/${w.monthDays} days)`
      + (w.crossesMonth ? `; this week spans two months and reads the month of its last day (${monthName})` : '');
  }
  return `${monthName}指标，按 ${range} 累计，时序进度 ${progress}（已过 ${w.windowDays}/${w.monthDays} 天）`
    + (w.crossesMonth ? `；本周跨月，按本周最后一天所在月份（${monthName}）计` : '');
}

/** `缺1天数据` / `1 day missing`. */
export function missingDaysText(days: number, lang: Lang): string {
  return lang === 'en' ? `${days} day${days === 1 ? '' : 's'} missing` : `缺${days}天数据`;
}

/**
 * One target in words: `收入完成率 62.3%，时序进度 66.7%，落后 4.4 个百分点`; for a rate that does
 * not accumulate, `满意度 66.7%，目标 80.0%，完成率 83.3%`, `ARPU 121.41，目标 127.22，完成率 95.4%`; a KPI without a figure says so.
 * `who` names the province and/or segment in front (`吉林`, `吉林·政企`).
 */
export function targetLine(row: TargetRow, lang: Lang, who = ''): { text: string; verdict: TargetVerdict } {
  const name = targetKpiName(row.kpi, lang);
  const lead = who ? `${who} ` : '';
  const missing = row.missingDays > 0 ? (lang === 'en' ? ` (${missingDaysText(row.missingDays, lang)})` : `（${missingDaysText(row.missingDays, lang)}）`) : '';
  if (row.actualToDate == null || row.completion == null) {
    const text = lang === 'en'
      ? `${lead}${name}: no figure this month so far (target ${formatTargetValue(row.kpi, row.target)})${missing}`
      : `${lead}${name}：本月至今无数据，未计算完成率（目标 ${formatTargetValue(row.kpi, row.target)}）${missing}`;
    return { text, verdict: 'flat' };
  }
  const verdict = targetVerdict(row);
  if (!CUMULATIVE_KPIS.has(row.kpi)) {
    // A rate is read against its target, not against the days gone.
    const value = (x: number) => (row.kpi === 'csat' ? pct(x) : formatTargetValue(row.kpi, x));
    const text = lang === 'en'
      ? `${lead}${name} ${value(row.actualToDate)}, target ${value(row.target)}: ${pct(row.completion)} of target${missing}`
      : `${lead}${name} ${value(row.actualToDate)}，目标 ${value(row.target)}，完成率 ${pct(row.completion)}${missing}`;
    return { text, verdict };
  }
  const points = Math.abs(row.gap ?? 0) * 100;
  const shown = points.toFixed(1);
  const level = shown === '0.0';
  const behind = (row.gap ?? 0) < 0;
  if (lang === 'en') {
    const where = level ? 'level with time' : `${shown} pp ${behind ? 'behind' : 'ahead'}`;
    return { text: `${lead}${name} ${pct(row.completion)} of target, time elapsed ${pct(row.timeProgress)}: ${where}${missing}`, verdict };
  }
  const where = level ? '与时序进度持平' : `${behind ? '落后' : '领先'} ${shown} 个百分点`;
  return { text: `${lead}${name}完成率 ${pct(row.completion)}，时序进度 ${pct(row.timeProgress)}，${where}${missing}`, verdict };
}

/** `吉林`, `吉林·政企`, `政企` or '' — what a line names in front for this scope. */
export function targetWho(row: Pick<TargetRow, 'province' | 'segment'>, scope: string, lang: Lang): string {
  const parts: string[] = [];
  if (scope === 'ALL') parts.push(label(PROVINCES, row.province, lang));
  if (row.segment !== 'ALL') parts.push(targetSegmentName(row.segment, lang));
  return parts.join(lang === 'en' ? ' · ' : '·');
}

/** At most this many target lines in the e-mail (three provinces' five KPIs); the workbook has them all. */
export const MAIL_TARGET_LINES = 15;

export interface TargetsBlock {
  heading: string;
  note: string;
  lines: Array<{ text: string; verdict: TargetVerdict }>;
  /** `其余 3 条见附件“指标完成”`, when lines were left out. */
  more?: string;
  /** `未设指标：浙江`, when a province of the scope set none. */
  notSet?: string;
}

/**
 * The e-mail's 指标完成 block. One province: its targets for the province and each segment. All
 * provinces: each province's own targets (segment ALL; its segment targets when it set only
 * those), whole provinces at a time, the one furthest behind on revenue first, up to
 * MAIL_TARGET_LINES lines; provinces without targets named. Undefined when the report carries no
 * targets field or nothing to say.
 */
export function targetsBlock(report: KpiReport, lang: Lang): TargetsBlock | undefined {
  if (!report.targets || report.marketOnly) return undefined;
  const notSetList = report.targetsNotSet ?? [];
  if (report.targets.length === 0 && notSetList.length === 0) return undefined;
  let rows: TargetRow[];
  if (report.scope === 'ALL') {
    const byProvince = new Map<string, TargetRow[]>();
    for (const r of report.targets) byProvince.set(r.province, [...(byProvince.get(r.province) ?? []), r]);
    const groups = [...byProvince.values()].map((all) => (all.some((r) => r.segment === 'ALL') ? all.filter((r) => r.segment === 'ALL') : all));
    const revenueGap = (group: TargetRow[]) => group.find((r) => r.kpi === 'revenue' && r.segment === 'ALL')?.gap ?? Infinity;
    groups.sort((a, b) => revenueGap(a) - revenueGap(b) || (a[0]!.province < b[0]!.province ? -1 : 1));
    rows = [];
    for (const group of groups) {
      if (rows.length > 0 && rows.length + group.length > MAIL_TARGET_LINES) break;
      rows.push(...group.slice(0, MAIL_TARGET_LINES));
    }
  } else {
    rows = report.targets.slice(0, MAIL_TARGET_LINES);
  }
  const lines = rows.map((r) => targetLine(r, lang, targetWho(r, report.scope, lang)));
  const left = report.targets.length - lines.length;
  const sheet = t(lang, 'sheetTargets');
  const names = notSetList.map((p) => label(PROVINCES, p, lang));
  return {
    heading: sheet,
    note: targetsWindowNote(report, lang),
    lines,
    ...(left > 0 ? { more: lang === 'en' ? `${left} more in the workbook (${sheet})` : `其余 ${left} 条见附件“${sheet}”` } : {}),
    ...(names.length > 0 ? { notSet: lang === 'en' ? `${t(lang, 'targetsNotSet')}: ${names.join(', ')}` : `${t(lang, 'targetsNotSet')}：${names.join('、')}` } : {}),
  };
}
