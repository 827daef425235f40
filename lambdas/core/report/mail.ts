/** The executive report e-mail: subject, phone-first HTML and its plain-text twin. */
import { t, missingSuffix, currentPreviousLabels, type Lang } from './i18n.js';
import type { KpiReport } from '../kpis/kpi-types.js';
import type { MailAttachment } from '../ports.js';
import type { ChartTable, ReportChart } from './charts.js';
import { shanghaiDateTime } from '../period.js';
import {
  comparableNote, dataStatusLine, joinDot, judge, latestDataDay, marketSelfLines, missingProvinceDays, percentDigits, reportHeadline, shownChange, summaryTiles,
  watchListLine, whatMovedLines,
  type Tile,
} from './model.js';
import { targetsBlock } from './targets.js';

export interface ReportMailOptions {
  lang: Lang;
  runId: string;
  /** The attachment's file name (`report.xlsx`). */
  workbookName: string;
  /** Where the workbook is kept besides the attachment (a path or URL), shown in the footer. */
  workbookPath?: string;
  /** A corrected resend of a period already sent: the subject says 【修订】. */
  revision?: boolean;
  /** What the revision changed against the version the list received (revision.ts); the mail opens with them. */
  revisionLines?: readonly string[];
  /** Overrides the missing province-days taken from the report's completeness (display labels). */
  partial?: { missing: string[] };
  /** The latest day the figures cover; defaults to the latest day any extract was received. */
  dataAsOf?: string;
  /** Last period's report, for the last-period figures of KPIs without a growth. */
  previous?: KpiReport;
  /** The charts (charts.ts) in this mail's language, shown inline with their figures beside them. */
  charts?: readonly ReportChart[];
}

export interface ReportMail {
  subject: string;
  html: string;
  text: string;
  /** The charts as inline images, referenced from the HTML by their `cid`. */
  images: MailAttachment[];
}

/** The Content-ID of a chart in a run's mail: `trend.20261123T010751Z-3f9a@telco-kpi`. */
export function chartCid(chart: Pick<ReportChart, 'id'>, runId: string): string {
  return `${chart.id}.${runId.replace(/[^A-Za-z0-9-]/g, '')}@telco-kpi`;
}

/** The mail column is 600 px with 16 px padding each side: the picture's width inside it. */
const MAIL_IMAGE_WIDTH = 568;

function chartTableHtml(table: ChartTable): string {
  const cell = 'padding:3px 6px;border-bottom:1px solid #e1e6ef;text-align:left;vertical-align:top;';
  const e = escapeHtml;
  return `<table role="presentation" style="border-collapse:collapse;width:100%;font-size:12px;line-height:1.4;color:${COLORS.ink};">`
    + `<tr>${table.header.map((h) => `<th style="${cell}color:${COLORS.muted};font-weight:normal;">${e(h)}</th>`).join('')}</tr>`
    + table.rows.map((row) => `<tr>${row.map((v) => `<td style="${cell}">${e(v)}</td>`).join('')}</tr>`).join('')
    + '</table>';
}

/** A chart inline (by cid) with its note and, for clients that block images, its figures as a table. */
function chartHtml(chart: ReportChart, runId: string): string {
  const e = escapeHtml;
  const height = Math.round((chart.height * MAIL_IMAGE_WIDTH) / chart.width);
  return `<div style="margin:16px 0;">`
    + `<img src="cid:${e(chartCid(chart, runId))}" width="${MAIL_IMAGE_WIDTH}" height="${height}" alt="${e(chart.alt)}" style="display:block;width:100%;max-width:${MAIL_IMAGE_WIDTH}px;height:auto;border:0;background:#ffffff;">`
    + `<p style="margin:4px 0 6px;font-size:12px;line-height:1.5;color:${COLORS.muted};">${e(chart.note)}</p>`
    + `<div style="font-size:12px;font-weight:bold;margin:0 0 2px;">${e(chart.title)}</div>`
    + chartTableHtml(chart.table)
    + `</div>`;
}

function chartText(chart: ReportChart): string[] {
  return [chart.title, chart.table.header.join('  '), ...chart.table.rows.map((row) => row.join('  ')), chart.note, ''];
}

const COLORS = { good: '#1e7b34', bad: '#c0392b', flat: '#6b7785', ink: '#1f2d3d', muted: '#6b7785', okBg: '#e8f5ec', warnBg: '#fdecea' };

/** HTML-escapes text for element content and attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/**
 * An operators' notice as HTML a phone shows without sideways scrolling: the subject as a heading
 * and one wrapped paragraph per line of the text (run ids and job keys break anywhere).
 */
export function noticeHtml(subject: string, body: string): string {
  const paragraphs = body.split('\n').filter((line) => line.trim() !== '')
    .map((line) => `<p style="margin:0 0 10px;overflow-wrap:anywhere;word-break:break-word">${escapeHtml(line)}</p>`);
  return '<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"></head>'
    + '<body style="margin:0;padding:12px;font-family:-apple-system,\'PingFang SC\',\'Microsoft YaHei\',sans-serif;font-size:15px;line-height:1.5;color:#222">'
    + `<h1 style="font-size:17px;margin:0 0 12px;overflow-wrap:anywhere">${escapeHtml(subject)}</h1>${paragraphs.join('')}</body></html>`;
}

function missingCount(report: KpiReport, options: Pick<ReportMailOptions, 'partial'>): number {
  return options.partial ? options.partial.missing.length : missingProvinceDays(report.completeness).length;
}

/**
 * `【周报】营销KPI 2026年第47周（11/16–11/22）· 全国`, with `· 缺2个省日数据` when province-days
 * are missing and `【修订】` in front of a revision; `【月报】… 2026年11月` for a month.
 */
export function reportSubject(report: KpiReport, options: Pick<ReportMailOptions, 'lang' | 'revision' | 'partial'>): string {
  const { lang } = options;
  const kind = t(lang, report.period.kind === 'week' ? 'weekly' : 'monthly');
  const prefix = lang === 'en'
    ? `${options.revision ? `[${t(lang, 'revision')}] ` : ''}[${kind}] `
    : `${options.revision ? `【${t(lang, 'revision')}】` : ''}【${kind}】`;
  const missing = report.marketOnly ? 0 : missingCount(report, options);
  const parts = [reportHeadline(report, lang)];
  if (missing > 0) parts.push(missingSuffix(lang, missing));
  return prefix + joinDot(parts);
}

function statusLine(report: KpiReport, options: ReportMailOptions): { text: string; complete: boolean } {
  const { lang } = options;
  if (report.marketOnly) return { text: t(lang, 'marketOnlyNote'), complete: false };
  if (options.partial) {
    if (options.partial.missing.length === 0) return { text: t(lang, 'statusComplete'), complete: true };
    return { text: `${t(lang, 'statusPartial')}${lang === 'en' ? ' ' : ''}${options.partial.missing.join(lang === 'en' ? '; ' : '；')}`, complete: false };
  }
  return { text: dataStatusLine(report, lang), complete: missingProvinceDays(report.completeness).length === 0 };
}

const grouped = (digits: number) => new Intl.NumberFormat('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** A tile's figure as readers see it: 万元 and 万户 with one decimal, yuan with two, ratios as %. */
export function formatTileValue(tile: Pick<Tile, 'unit'>, value: number | null): string {
  if (value == null || !Number.isFinite(value)) return '–';
  switch (tile.unit) {
    case 'wanYuan': case 'wanUsers': return grouped(1).format(value / 10_000);
    case 'yuan': return grouped(2).format(value);
    case 'count': return grouped(0).format(value);
    case 'fraction': return `${grouped(percentDigits(value)).format(value * 100)}%`;
    case 'per10k': return grouped(2).format(value);
  }
}

/** `▲12.4%`, `▼0.3个百分点` / `▼0.3 pp`, `▲120`; `–` when there is no change to show. */
export function formatChange(tile: Pick<Tile, 'changeKind'>, change: number | null, lang: Lang): string {
  if (change == null || !Number.isFinite(change)) return '–';
  const shown = shownChange(tile.changeKind, change);
  const arrow = shown > 0 ? '▲' : shown < 0 ? '▼' : '';
  const size = Math.abs(change);
  switch (tile.changeKind) {
    case 'relative': return `${arrow}${grouped(1).format(size * 100)}%`;
    case 'points': return `${arrow}${grouped(percentDigits(change)).format(size * 100)}${lang === 'en' ? ' pp' : '个百分点'}`;
    case 'absolute': return `${arrow}${grouped(0).format(size)}`;
  }
}

/** `（可比口径）` / ` (like for like)` after a change computed on the matched days. */
function basisMark(tile: Tile, lang: Lang): string {
  if (tile.basis !== 'matched') return '';
  return lang === 'en' ? ` (${t(lang, 'comparable')})` : `（${t(lang, 'comparable')}）`;
}

/** `收入（万元）` / `Revenue (10k CNY)`: a tile's name with its unit. */
export function tileTitle(tile: Pick<Tile, 'label' | 'unit'>, lang: Lang): string {
  const name = t(lang, tile.label);
  if (tile.unit === 'wanYuan') return lang === 'en' ? `${name} (10k CNY)` : `${name}（万元）`;
  if (tile.unit === 'wanUsers') return lang === 'en' ? `${name} (10k)` : `${name}（万户）`;
  return name;
}

interface FooterFacts {
  generatedAt: string;
  dataAsOf: string;
  runId: string;
  workbook: string;
}

function footerFacts(report: KpiReport, options: ReportMailOptions): FooterFacts {
  const { lang } = options;
  const generated = new Date(report.generatedAt);
  const generatedAt = Number.isNaN(generated.getTime())
    ? report.generatedAt
    : lang === 'en' ? `${shanghaiDateTime(generated)} (${t(lang, 'shanghaiTime')})` : `${shanghaiDateTime(generated)}（${t(lang, 'shanghaiTime')}）`;
  const attached = lang === 'en' ? `${options.workbookName} (${t(lang, 'attached')})` : `${options.workbookName}（${t(lang, 'attached')}）`;
  const workbook = options.workbookPath ? `${options.workbookPath} · ${attached}` : attached;
  return { generatedAt, dataAsOf: options.dataAsOf ?? latestDataDay(report), runId: options.runId, workbook };
}

/** How many key accounts are at risk (`重点客户预警：8户`) and the five with the most at stake. */
function watchListSummary(report: KpiReport, lang: Lang): { heading: string; lines: string[] } | undefined {
  if (!report.watchList) return undefined;
  const count = report.watchList.length;
  const heading = lang === 'en'
    ? `${t(lang, 'watchCount')}: ${count} ${t(lang, 'households')}${count > 5 ? ' (top 5 by fee at stake; all in the workbook)' : ''}`
    : `${t(lang, 'watchCount')}：${count}${t(lang, 'households')}${count > 5 ? '（月费规模前5户，全部见附件）' : ''}`;
  return { heading, lines: report.watchList.slice(0, 5).map((row) => watchListLine(row, lang)) };
}

/** Subject, HTML (single column, inline styles, no external assets) and text of the report e-mail. */
export function composeReportMail(report: KpiReport, options: ReportMailOptions): ReportMail {
  const { lang } = options;
  const subject = reportSubject(report, options);
  const status = statusLine(report, options);
  const headline = reportHeadline(report, lang);
  // A market-only month has no KPI figures: its body is the market lines, never tiles of "–".
  const tiles = report.marketOnly ? [] : summaryTiles(report, options.previous);
  const [, prevLabel] = currentPreviousLabels(lang, report.period.kind);
  const changeLabel = t(lang, 'change');
  const moved = report.marketOnly ? [] : whatMovedLines(report, lang);
  const marketLines = report.marketOnly ? marketSelfLines(report, lang) : [];
  const comparable = comparableNote(report, lang);
  const footer = footerFacts(report, options);
  const watch = watchListSummary(report, lang);
  const targets = targetsBlock(report, lang);
  const colon = lang === 'en' ? ': ' : '：';
  const charts = report.marketOnly ? [] : options.charts ?? [];
  const footerLines: Array<[string, string]> = [
    [t(lang, 'generatedAt'), footer.generatedAt],
    [t(lang, 'dataAsOf'), footer.dataAsOf],
    [t(lang, 'runId'), footer.runId],
    [t(lang, 'workbook'), footer.workbook],
  ];

  const revised = options.revision ? options.revisionLines ?? [] : [];
  const textLines: string[] = [
    ...revised,
    ...(revised.length > 0 ? [''] : []),
    `${status.complete ? '✓' : '⚠'} ${status.text}`,
    '',
    headline,
    '',
    ...tiles.map((tile) => `${tileTitle(tile, lang)}${colon}${formatTileValue(tile, tile.current)}  ${prevLabel} ${formatTileValue(tile, tile.previous)}  ${changeLabel} ${formatChange(tile, tile.change, lang)}${basisMark(tile, lang)}`),
    '',
    ...(targets ? [`${targets.heading}${colon}${targets.note}`, ...targets.lines.map((l) => `- ${l.text}`), ...(targets.more ? [targets.more] : []), ...(targets.notSet ? [targets.notSet] : []), ''] : []),
    ...(comparable ? [comparable, ''] : []),
    ...(report.marketOnly ? [t(lang, 'sheetMarket'), ...marketLines.map((l) => `- ${l}`)] : [t(lang, 'whatMoved'), ...moved.map((m) => `- ${m.text}`)]),
    '',
    ...charts.flatMap(chartText),
    ...(watch ? [watch.heading, ...watch.lines.map((l) => `- ${l}`), ''] : []),
    ...footerLines.map(([k, v]) => `${k}${colon}${v}`),
  ];

  const e = escapeHtml;
  const statusHtml = `<p style="margin:0 0 12px;padding:10px 12px;border-radius:6px;font-size:14px;line-height:1.5;background:${status.complete ? COLORS.okBg : COLORS.warnBg};color:${status.complete ? COLORS.good : COLORS.bad};font-weight:bold;">${status.complete ? '✓' : '⚠'} ${e(status.text)}</p>`;
  const tilesHtml = tiles.map((tile) => {
    const color = COLORS[judge(tile.change == null ? null : shownChange(tile.changeKind, tile.change), tile.higherIsBetter)];
    return `<div style="background:#ffffff;border:1px solid #e1e6ef;border-radius:8px;padding:10px 12px;margin:0 0 8px;">`
      + `<div style="font-size:13px;color:${COLORS.muted};">${e(tileTitle(tile, lang))}</div>`
      + `<div style="font-size:22px;font-weight:bold;color:${COLORS.ink};line-height:1.3;">${e(formatTileValue(tile, tile.current))}</div>`
      + `<div style="font-size:13px;color:${COLORS.muted};">${e(prevLabel)} ${e(formatTileValue(tile, tile.previous))} · ${e(changeLabel)} `
      + `<span style="color:${color};font-weight:bold;">${e(formatChange(tile, tile.change, lang))}</span>${e(basisMark(tile, lang))}</div>`
      + `</div>`;
  }).join('\n');
  const targetsHtml = targets
    ? `<h2 style="font-size:15px;margin:16px 0 4px;">${e(targets.heading)}</h2>\n`
      + `<p style="margin:0 0 6px;font-size:13px;line-height:1.5;color:${COLORS.muted};">${e(targets.note)}</p>\n`
      + (targets.lines.length > 0
        ? `<ul style="margin:0 0 8px;padding-left:20px;font-size:14px;line-height:1.5;">\n${targets.lines.map((l) => `<li style="margin:0 0 4px;color:${COLORS[l.verdict === 'flat' ? 'muted' : l.verdict]};">${e(l.text)}</li>`).join('\n')}\n</ul>\n`
        : '')
      + [targets.more, targets.notSet].filter((x) => x).map((x) => `<p style="margin:0 0 8px;font-size:13px;color:${COLORS.muted};">${e(x)}</p>\n`).join('')
    : '';
  const movedHtml = report.marketOnly
    ? marketLines.map((l) => `<li style="margin:0 0 4px;">${e(l)}</li>`).join('\n')
    : moved.map((m) => `<li style="margin:0 0 4px;color:${COLORS[m.verdict]};">${e(m.text)}</li>`).join('\n');
  const footerHtml = footerLines.map(([k, v]) => `${e(k)}${e(colon)}${e(v)}`).join('<br>\n');
  const html = `<!DOCTYPE html>
<html lang="${e(lang)}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${e(subject)}</title></head>
<body style="margin:0;padding:0;background:#f4f6f9;">
<div style="max-width:600px;margin:0 auto;padding:16px;font-family:-apple-system,'PingFang SC','Microsoft YaHei','Helvetica Neue',Arial,sans-serif;color:${COLORS.ink};">
${revised.length > 0 ? `<div style="margin:0 0 12px;padding:10px 12px;border-radius:6px;border:2px solid ${COLORS.bad};font-size:14px;line-height:1.6;">${revised.map((line, i) => (i === 0 ? `<strong>${e(line)}</strong>` : e(line))).join('<br>\n')}</div>\n` : ''}${statusHtml}
<h1 style="font-size:18px;line-height:1.4;margin:0 0 12px;">${e(headline)}</h1>
${tilesHtml}
${targetsHtml}${comparable ? `<p style="margin:0 0 12px;font-size:13px;line-height:1.5;color:${COLORS.muted};">${e(comparable)}</p>\n` : ''}<h2 style="font-size:15px;margin:16px 0 6px;">${e(t(lang, report.marketOnly ? 'sheetMarket' : 'whatMoved'))}</h2>
<ul style="margin:0 0 16px;padding-left:20px;font-size:14px;line-height:1.5;">
${movedHtml}
</ul>
${charts.map((chart) => `${chartHtml(chart, options.runId)}\n`).join('')}${watch ? `<h2 style="font-size:15px;margin:16px 0 6px;">${e(watch.heading)}</h2>\n<ul style="margin:0 0 16px;padding-left:20px;font-size:14px;line-height:1.5;">\n${watch.lines.map((l) => `<li style="margin:0 0 4px;">${e(l)}</li>`).join('\n')}\n</ul>\n` : ''}<p style="font-size:12px;line-height:1.6;color:${COLORS.muted};border-top:1px solid #e1e6ef;padding-top:10px;margin:0;">
${footerHtml}
</p>
</div>
</body>
</html>
`;
  const images = charts.map((chart) => ({ filename: chart.filename, content: chart.png, contentType: 'image/png', cid: chartCid(chart, options.runId) }));
  return { subject, html, text: `${textLines.join('\n')}\n`, images };
}
