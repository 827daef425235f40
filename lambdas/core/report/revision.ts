/**
 * What a revision says it changed (issue 11, SPEC §5): the run ledger keeps a small summary of
 * each report a list received (its tiles, each province's revenue, the file behind every
 * province-day it read, the province-days it missed); a revision compares the list's last one with
 * its own and opens the mail with the figures that moved, old → new, and why: extracts that came
 * late, or a day whose file was replaced by a correction.
 */
import { PROVINCES, TARGET_KPI_CODES, label, type TargetKpi } from '../extracts/codes.js';
import type { Receipt } from '../extracts/validate.js';
import type { ExtractKind, KpiReport } from '../kpis/kpi-types.js';
import { monthOf, shanghaiDateTime } from '../period.js';
import { extractLabel, periodLabel, shortDay, t, type Lang } from './i18n.js';
import { formatTileValue, tileTitle } from './mail.js';
import { summaryTiles, tileShapes, type TileKey } from './model.js';
import { formatTargetValue, targetKpiName, targetSegmentName } from './targets.js';

/** What the ledger keeps of a delivered report (JSON, a few KB). */
export interface RevisionSummary {
  /** The total's tile values. */
  tiles: Partial<Record<TileKey, number | null>>;
  /** Each province's revenue in a national (ALL) report; empty for a province's own (its total says it). */
  provinceRevenue: Record<string, number | null>;
  /** The stored file behind each province-day the figures read: `JL revenue 2026-11-18` → its SHA-256, name and upload time. */
  sources: Record<string, { sha256: string; file: string; uploadedAt: string }>;
  /** Province-days the report was missing, as `JL 2026-11-18 revenue`. */
  missing: string[];
  /**
   * The month's targets the report read, `JL ALL revenue` → target (absent in summaries kept before
   * targets existed: nothing is compared then). Their file is in `sources` as `JL targets 2026-11`.
   */
  targets?: Record<string, number>;
}

const DAILY: readonly ExtractKind[] = ['sales', 'revenue', 'service'];

/** The summary of a report, from its figures and the receipts of the days it (and its comparison period) read. */
export function revisionSummary(report: KpiReport, previous: KpiReport | undefined, receipts: readonly Receipt[], missing: readonly string[]): RevisionSummary {
  const tiles: RevisionSummary['tiles'] = {};
  for (const tile of summaryTiles(report, previous)) tiles[tile.key] = tile.current;
  const provinceRevenue: Record<string, number | null> = {};
  if (report.scope === 'ALL') for (const row of report.rows) if (row.dimension === 'province' && row.province) provinceRevenue[row.province] = row.revenue;
  const from = previous?.period.start ?? report.period.start;
  const targetMonth = monthOf(report.period.end).id;
  /** The source key of a receipt the figures read (a daily file of the periods, or the month's targets), else undefined. */
  const sourceKey = (r: Receipt): string | undefined => {
    if (r.type === 'targets') return r.month === targetMonth ? `${r.province} targets ${targetMonth}` : undefined;
    if (!DAILY.includes(r.type as ExtractKind) || !r.day || r.day < from || r.day > report.period.end) return undefined;
    return `${r.province} ${r.type} ${r.day}`;
  };
  const latest = new Map<string, Receipt>();
  for (const r of receipts) {
    if ((r.status !== 'accepted' && r.status !== 'unchanged') || (report.scope !== 'ALL' && r.province !== report.scope)) continue;
    const key = sourceKey(r);
    if (key === undefined) continue;
    const held = latest.get(key);
    if (!held || uploaded(r) >= uploaded(held)) latest.set(key, r);
  }
  const sources: RevisionSummary['sources'] = {};
  for (const [key, r] of [...latest.entries()].sort(([a], [b]) => a.localeCompare(b))) sources[key] = { sha256: r.sha256, file: r.file, uploadedAt: uploaded(r) };
  const targets: Record<string, number> = {};
  for (const row of report.targets ?? []) targets[`${row.province} ${row.segment} ${row.kpi}`] = row.target;
  return { tiles, provinceRevenue, sources, missing: [...missing], targets };
}

const uploaded = (r: Receipt) => r.uploadedAt ?? r.receivedAt;

export interface RevisionChanges {
  /** When the version being revised went out. */
  sentAt?: string;
  moved: Array<{ what: string; before: string; after: string }>;
  /** Province-days that came after the last version (`JL revenue 2026-11-18`). */
  late: string[];
  /** Province-days whose file was replaced. */
  corrected: Array<{ day: string; before: string; after: string; uploadedAt: string }>;
}

/** What changed between the version the list received and this one, formatted as the mail shows figures. */
export function revisionChanges(before: RevisionSummary | undefined, after: RevisionSummary, lang: Lang, sentAt?: string): RevisionChanges {
  const changes: RevisionChanges = { ...(sentAt ? { sentAt } : {}), moved: [], late: [], corrected: [] };
  if (!before) return changes;
  const tiles = new Map(tileShapes().map((tile) => [tile.key, tile]));
  for (const [key, value] of Object.entries(after.tiles) as Array<[TileKey, number | null]>) {
    const tile = tiles.get(key);
    if (!tile || !(key in before.tiles)) continue;
    const [old, now] = [formatTileValue(tile, before.tiles[key] ?? null), formatTileValue(tile, value)];
    if (old !== now) changes.moved.push({ what: tileTitle(tile, lang), before: old, after: now });
  }
  const revenue = tiles.get('revenue')!;
  const byProvince = Object.keys(before.provinceRevenue).length > 0;
  for (const province of Object.keys(after.provinceRevenue).sort()) {
    if (!byProvince) break;
    const [old, now] = [formatTileValue(revenue, before.provinceRevenue[province] ?? null), formatTileValue(revenue, after.provinceRevenue[province] ?? null)];
    if (old !== now) changes.moved.push({ what: `${label(PROVINCES, province, lang)} ${tileTitle(revenue, lang)}`, before: old, after: now });
  }
  if (before.targets && after.targets) {
    const keys = [...new Set([...Object.keys(before.targets), ...Object.keys(after.targets)])].sort(compareTargetKeys);
    for (const key of keys) {
      const [province = '', segment = '', kpi = ''] = key.split(' ');
      // Revenue in 万元 as the revenue tile shows it; the others in their unit as 指标完成 shows them.
      const format = (v: number | undefined) => (kpi === 'revenue' ? formatTileValue(revenue, v ?? null) : formatTargetValue(kpi as TargetKpi, v ?? null));
      const [old, now] = [format(before.targets[key]), format(after.targets[key])];
      if (old === now) continue;
      const who = [label(PROVINCES, province, lang), segment === 'ALL' ? '' : targetSegmentName(segment, lang)].filter(Boolean).join(' ');
      const unit = kpi !== 'revenue' ? '' : lang === 'en' ? ' (10k CNY)' : '（万元）';
      const name = `${targetKpiName(kpi, lang)}${lang === 'en' ? ' target' : '目标'}${unit}`;
      changes.moved.push({ what: `${who} ${name}`, before: old, after: now });
    }
  }
  for (const [key, source] of Object.entries(after.sources)) {
    // A summary kept before targets existed holds no targets files: those are not late.
    if (!before.targets && key.split(' ')[1] === 'targets') continue;
    const held = before.sources[key];
    if (!held) changes.late.push(key);
    else if (held.sha256 !== source.sha256) changes.corrected.push({ day: key, before: held.file, after: source.file, uploadedAt: source.uploadedAt });
  }
  return changes;
}

/** Targets in the order of the sheet 指标完成: province, the whole province before its segments, KPIs as listed. */
function compareTargetKeys(a: string, b: string): number {
  const [pa = '', sa = '', ka = ''] = a.split(' ');
  const [pb = '', sb = '', kb = ''] = b.split(' ');
  const kpis: readonly string[] = TARGET_KPI_CODES;
  return pa.localeCompare(pb) || Number(sa !== 'ALL') - Number(sb !== 'ALL') || sa.localeCompare(sb) || kpis.indexOf(ka) - kpis.indexOf(kb);
}

/** A month's targets file as readers say it: `吉林 11月月度指标` / `JL targets for November`. */
function targetsLabel(province: string, month: string, lang: Lang): string {
  const name = periodLabel(lang, { kind: 'month', id: month, start: `${month}-01`, end: `${month}-01` });
  return lang === 'en' ? `${label(PROVINCES, province, lang)} targets for ${name}` : `${label(PROVINCES, province, lang)} ${name}月度指标`;
}

/** `JL revenue 2026-11-18` as readers say it: `吉林 11/18 收入日报` / `JL 11/18 revenue extract`; `JL targets 2026-11` as `吉林 2026年11月月度指标`. */
function dayLabel(key: string, lang: Lang): string {
  const [province = '', type = '', day = ''] = key.split(' ');
  if (type === 'targets') return targetsLabel(province, day, lang);
  return `${label(PROVINCES, province, lang)} ${shortDay(day)} ${extractLabel(lang, type as ExtractKind)}`;
}

/** Late province-days grouped as readers scan them: `四川 销售日报 11/16–11/22、收入日报 11/18；广东 …`. */
function lateLabel(keys: readonly string[], lang: Lang): string {
  const byProvince = new Map<string, Map<string, string[]>>();
  const targets = keys.filter((k) => k.split(' ')[1] === 'targets').sort().map((k) => dayLabel(k, lang));
  for (const key of [...keys].filter((k) => k.split(' ')[1] !== 'targets').sort()) {
    const [province = '', type = '', day = ''] = key.split(' ');
    const types = byProvince.get(province) ?? new Map<string, string[]>();
    types.set(type, [...(types.get(type) ?? []), day]);
    byProvince.set(province, types);
  }
  const order: readonly string[] = DAILY;
  return [...byProvince.entries()].map(([province, types]) => {
    const parts = [...types.entries()].sort(([a], [b]) => order.indexOf(a) - order.indexOf(b))
      .map(([type, days]) => `${extractLabel(lang, type as ExtractKind)} ${dayRanges(days)}`);
    return `${label(PROVINCES, province, lang)} ${parts.join(lang === 'en' ? ', ' : '、')}`;
  }).concat(targets).join(lang === 'en' ? '; ' : '；');
}

/** Sorted days as runs of consecutive days: `11/16–11/18, 11/20`. */
function dayRanges(days: readonly string[]): string {
  const runs: string[][] = [];
  for (const day of [...days].sort()) {
    const last = runs.at(-1);
    if (last && Date.parse(`${day}T00:00:00Z`) - Date.parse(`${last.at(-1)}T00:00:00Z`) === 86_400_000) last.push(day);
    else runs.push([day]);
  }
  return runs.map((r) => (r.length === 1 ? shortDay(r[0]!) : `${shortDay(r[0]!)}–${shortDay(r.at(-1)!)}`)).join(', ');
}

/** The lines a revision opens with; the first says it is a revision and of what. */
export function revisionLines(changes: RevisionChanges, lang: Lang): string[] {
  const zh = lang !== 'en';
  const sent = changes.sentAt ? shanghaiDateTime(new Date(changes.sentAt)) : undefined;
  const lines = [zh
    ? `【${t(lang, 'revision')}】本邮件修订${sent ? ` ${sent} 发出` : '此前发出'}的版本，以本邮件为准。`
    : `${t(lang, 'revision')}: this mail replaces the version sent ${sent ? `${sent} (Asia/Shanghai)` : 'earlier'}; use this one.`];
  const sep = zh ? '；' : '; ';
  lines.push(changes.moved.length > 0
    ? `${zh ? '变动：' : 'Changed: '}${changes.moved.map((m) => `${m.what} ${m.before} → ${m.after}`).join(sep)}`
    : zh ? '变动：汇总数字未变，明细有变动（见附件）。' : 'Changed: the headline figures are the same; details changed (see the workbook).');
  const why: string[] = [];
  if (changes.late.length > 0) why.push(`${zh ? '迟到的数据——' : 'late data — '}${lateLabel(changes.late, lang)}`);
  for (const c of changes.corrected) {
    const at = shanghaiDateTime(new Date(c.uploadedAt)).slice(5).replace('-', '/');
    const how = c.after === c.before
      ? (zh ? `${at} 重新上传` : `uploaded again ${at}`)
      : (zh ? `${c.after} 替换 ${c.before}，${at} 上传` : `${c.after} replaced ${c.before}, uploaded ${at}`);
    why.push(zh ? `更正的数据——${dayLabel(c.day, lang)}（${how}）` : `corrected data — ${dayLabel(c.day, lang)} (${how})`);
  }
  if (why.length > 0) lines.push(`${zh ? '原因：' : 'Why: '}${why.join(sep)}`);
  return lines;
}
