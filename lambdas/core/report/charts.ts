/**
 * The pictures of SPEC §10 Charts: the revenue trend of the last 13 weeks and this week's segment ×
 * channel revenue mix, as PNG (vega-lite → SVG → resvg; no browser, no canvas build), with their
 * figures as text for the tables beside them and for mail clients that block images.
 */
import { renderAsync } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { CHANNELS, SEGMENTS, label } from '../extracts/codes.js';
import type { KpiReport, TrendWeek } from '../kpis/kpi-types.js';
import { shortDay, t, type Lang } from './i18n.js';

/** The family name of the font shipped in assets/fonts/wqy-microhei.ttc (its first face). */
export const CHART_FONT_FAMILY = 'WenQuanYi Micro Hei';

/** Every chart is laid out this wide (CSS px): a phone's mail column. */
export const CHART_WIDTH = 600;

export interface ChartOptions {
  lang: Lang;
  /** Font files resvg reads (the CJK font shipped with the project); no system font is loaded. */
  fontFiles: readonly string[];
  fontFamily?: string;
  /** Pixels per CSS px of the PNG (default 2, sharp on phones). */
  scale?: number;
}

export interface ChartTable {
  header: string[];
  rows: string[][];
}

/** One rendered chart, with what a reader who cannot see it needs. */
export interface ReportChart {
  id: 'trend' | 'mix';
  /** `trend.png`: the attachment's file name and the stem of its Content-ID. */
  filename: string;
  png: Uint8Array;
  /** Layout size in CSS px; the PNG is `scale` times as large. */
  width: number;
  height: number;
  title: string;
  /** A one-sentence description with the headline figures (the img alt text). */
  alt: string;
  /** What the chart under it means (grey bands, hollow points and dashed lines). */
  note: string;
  /** The figures the chart draws, as text. */
  table: ChartTable;
}

const INK = '#1f2d3d';
const MUTED = '#6b7785';
const SERIES_COLORS = ['#1f4e79', '#2e86de', '#27ae60', '#e67e22', '#8e44ad', '#c0392b', '#16a085'];
const CHANNEL_COLORS = ['#1f4e79', '#2e86de', '#7fb3e6', '#e67e22', '#27ae60', '#8e44ad', '#f1c40f'];

const grouped1 = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });

/** Yuan as 万元 with one decimal, `–` for no data. */
function wan(value: number | null): string {
  return value == null ? '–' : grouped1.format(value / 10_000);
}

function round1(value: number): number {
  return Math.round(value / 1_000) / 10;
}

/**
 * Vega without a canvas estimates text as 0.8 em a character; a CJK glyph is a full em, so
 * Chinese labels and legends would overlap. Count full-width characters as 1 em, others 0.56.
 */
function installTextWidth(): void {
  const metrics = (vega as unknown as { textMetrics: { width: (item: { fontSize?: number; text?: unknown }, text?: unknown) => number } }).textMetrics;
  metrics.width = (item, text) => {
    const value = text ?? item.text;
    const lines = Array.isArray(value) ? value.map(String) : [String(value ?? '')];
    const size = item.fontSize ?? 11;
    return Math.max(...lines.map((line) => [...line].reduce((w, ch) => w + ((ch.codePointAt(0) ?? 0) >= 0x2e80 ? 1 : 0.56), 0))) * size;
  };
}

function baseConfig(fontFamily: string) {
  return {
    font: fontFamily,
    background: 'white',
    view: { stroke: null },
    // Sizes for a phone: the 600 px picture shows about 360 px wide there, so 13 px reads as 8.
    axis: { labelColor: INK, titleColor: MUTED, labelFontSize: 13, titleFontSize: 13, gridColor: '#e1e6ef', domainColor: '#c4cbd6', tickColor: '#c4cbd6' },
    legend: { labelColor: INK, titleColor: MUTED, labelFontSize: 13, titleFontSize: 13, orient: 'bottom', direction: 'horizontal' },
    title: { color: INK, fontSize: 17, anchor: 'start', subtitleColor: MUTED, subtitleFontSize: 13 },
  };
}

async function render(spec: TopLevelSpec, options: ChartOptions): Promise<{ png: Uint8Array; width: number; height: number }> {
  installTextWidth();
  // Errors only: vega-lite warns that a discrete height drops fit-y, which is the layout meant.
  const compiled = compile(spec, { logger: vega.logger(vega.Error) }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    // Drawn on a thread of resvg's own: this thread lays out the next chart meanwhile.
    const image = await renderAsync(svg, {
      fitTo: { mode: 'zoom', value: options.scale ?? 2 },
      font: { fontFiles: [...options.fontFiles], loadSystemFonts: false, defaultFontFamily: options.fontFamily ?? CHART_FONT_FAMILY },
    });
    const scale = options.scale ?? 2;
    return { png: new Uint8Array(image.asPng()), width: Math.round(image.width / scale), height: Math.round(image.height / scale) };
  } finally {
    view.finalize();
  }
}

function segmentOrder(code: string): number {
  const i = Object.keys(SEGMENTS.codes).indexOf(code);
  return i < 0 ? Infinity : i;
}

function channelOrder(code: string): number {
  const i = Object.keys(CHANNELS.codes).indexOf(code);
  return i < 0 ? Infinity : i;
}

function statusText(week: TrendWeek, lang: Lang): string {
  if (week.status === 'missing') return t(lang, 'chartNoData');
  if (week.status === 'partial') return `${t(lang, 'chartPartial')} ${week.provinceDaysReceived}/${week.provinceDaysExpected}`;
  return t(lang, 'complete');
}

/** The trend chart: the total as a thick line and each segment as a thin one; no-data weeks are grey bands. */
async function trendChart(report: KpiReport, options: ChartOptions): Promise<ReportChart | undefined> {
  const weeks = report.trend?.weeks ?? [];
  if (weeks.length === 0 || weeks.every((w) => w.status === 'missing')) return undefined;
  const { lang } = options;
  const total = t(lang, 'total');
  const segments = weeks[0]!.segments.map((s) => s.segment);
  const seriesNames = [total, ...segments.map((s) => label(SEGMENTS, s, lang))];
  const labels = weeks.map((w) => shortDay(w.start));
  const points = weeks.flatMap((w, i) => [
    { i, series: total, value: w.revenue == null ? null : round1(w.revenue), status: w.status },
    ...w.segments.map((s) => ({ i, series: label(SEGMENTS, s.segment, lang), value: s.revenue == null ? null : round1(s.revenue), status: w.status })),
  ]);
  const missing = weeks.map((w, i) => ({ i0: i - 0.5, i1: i + 0.5, i, status: w.status })).filter((w) => w.status === 'missing');
  const height = 230;
  const x = {
    field: 'i', type: 'quantitative' as const, title: t(lang, 'chartWeekStarting'),
    scale: { domain: [-0.5, weeks.length - 0.5], nice: false, zero: false },
    axis: { values: weeks.map((_, i) => i), labelExpr: `${JSON.stringify(labels)}[datum.value]`, labelAngle: -45, grid: false },
  };
  const color = { field: 'series', type: 'nominal' as const, title: null, scale: { domain: seriesNames, range: SERIES_COLORS.slice(0, seriesNames.length) }, legend: { symbolType: 'stroke', symbolStrokeWidth: 3 } };
  /** The lines of the series; the dashed one is thinner, drawn under the solid one and out of the legend. */
  const line = (values: typeof points, { dashed }: { dashed: boolean }) => ({
    data: { values },
    mark: { type: 'line', invalid: 'break-paths-show-domains', ...(dashed ? { strokeDash: [4, 3] } : {}) },
    encoding: {
      x,
      y: { field: 'value', type: 'quantitative', title: null, axis: { format: ',.0f' } },
      color: dashed ? { ...color, legend: null } : color,
      strokeWidth: { condition: { test: `datum.series === ${JSON.stringify(total)}`, value: dashed ? 2 : 3 }, value: dashed ? 1 : 1.5 },
    },
  });
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: CHART_WIDTH,
    height,
    autosize: { type: 'fit-x', contains: 'padding' },
    padding: { left: 8, right: 12, top: 8, bottom: 8 },
    title: { text: t(lang, 'chartTrendTitle') },
    config: baseConfig(options.fontFamily ?? CHART_FONT_FAMILY),
    layer: [
      {
        data: { values: missing },
        mark: { type: 'rect', color: '#eceff4' },
        encoding: { x: { ...x, field: 'i0' }, x2: { field: 'i1' }, y: { value: 0 }, y2: { value: height } },
      },
      {
        data: { values: missing },
        mark: { type: 'text', angle: 270, color: MUTED, fontSize: 12, baseline: 'middle', align: 'right', dx: -4 },
        encoding: { x: { ...x, field: 'i' }, y: { value: 0 }, text: { value: t(lang, 'chartNoData') } },
      },
      // A line into or out of a partial week is dashed: its drop or jump is missing days, not a change.
      line(points, { dashed: true }),
      line(points.map((p) => (p.status === 'partial' ? { ...p, value: null } : p)), { dashed: false }),
      {
        data: { values: points.filter((p) => p.value != null) },
        mark: { type: 'point', filled: true, size: 36, strokeWidth: 1.5 },
        encoding: {
          x,
          y: { field: 'value', type: 'quantitative' },
          fill: { condition: { test: "datum.status === 'partial'", value: 'white' }, field: 'series', type: 'nominal', scale: color.scale, legend: null },
          stroke: { field: 'series', type: 'nominal', scale: color.scale, legend: null },
          shape: { value: 'circle' },
        },
      },
    ],
    resolve: { legend: { color: 'independent', fill: 'independent', stroke: 'independent' } },
  } as unknown as TopLevelSpec;
  const { png, width, height: h } = await render(spec, options);
  const current = weeks.at(-1)!;
  const before = weeks.at(-2);
  const colon = lang === 'en' ? ': ' : '：';
  const sep = lang === 'en' ? '; ' : '；';
  const alt = `${t(lang, 'chartTrendAlt')}${colon}${[
    `${t(lang, 'thisWeek')} ${wan(current.revenue)}${current.status === 'complete' ? '' : `（${statusText(current, lang)}）`}`,
    ...(before ? [`${t(lang, 'lastWeek')} ${wan(before.revenue)}${before.status === 'complete' ? '' : `（${statusText(before, lang)}）`}`] : []),
  ].join(sep)}`;
  return {
    id: 'trend',
    filename: 'trend.png',
    png, width, height: h,
    title: t(lang, 'chartTrendTitle'),
    alt: lang === 'en' ? alt.replace(/（/g, ' (').replace(/）/g, ')') : alt,
    note: t(lang, 'chartTrendNote'),
    table: {
      header: [t(lang, 'weekStart'), total, ...segments.map((s) => label(SEGMENTS, s, lang)), t(lang, 'dataStatus')],
      rows: weeks.map((w) => [shortDay(w.start), wan(w.revenue), ...w.segments.map((s) => wan(s.revenue)), statusText(w, lang)]),
    },
  };
}

/** The mix chart: one stacked bar per segment, split by channel, with the segment's total at its end. */
async function mixChart(report: KpiReport, options: ChartOptions): Promise<ReportChart | undefined> {
  const { lang } = options;
  const cells = report.rows.filter((r) => r.dimension === 'segmentChannel' && r.segment && r.channel && r.revenue != null);
  if (cells.length === 0) return undefined;
  const bySegment = new Map<string, { code: string; total: number; channels: Array<{ code: string; revenue: number }> }>();
  for (const r of cells) {
    const entry = bySegment.get(r.segment!) ?? { code: r.segment!, total: 0, channels: [] };
    entry.total += r.revenue!;
    entry.channels.push({ code: r.channel!, revenue: r.revenue! });
    bySegment.set(r.segment!, entry);
  }
  const segments = [...bySegment.values()].sort((a, b) => segmentOrder(a.code) - segmentOrder(b.code) || (a.code < b.code ? -1 : 1));
  for (const s of segments) s.channels.sort((a, b) => b.revenue - a.revenue);
  const channels = [...new Set(cells.map((r) => r.channel!))].sort((a, b) => channelOrder(a) - channelOrder(b) || (a < b ? -1 : 1));
  const channelNames = channels.map((c) => label(CHANNELS, c, lang));
  const segmentNames = segments.map((s) => label(SEGMENTS, s.code, lang));
  const bars = cells.map((r) => ({
    segment: label(SEGMENTS, r.segment, lang), channel: label(CHANNELS, r.channel, lang), value: round1(r.revenue!), order: channelOrder(r.channel!),
  }));
  const totals = segments.map((s) => ({ segment: label(SEGMENTS, s.code, lang), value: round1(s.total), text: wan(s.total) }));
  const y = { field: 'segment', type: 'nominal' as const, title: null, sort: segmentNames, axis: { labelFontSize: 14, labelPadding: 6 } };
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: CHART_WIDTH,
    height: { step: 48 },
    autosize: { type: 'fit-x', contains: 'padding' },
    padding: { left: 8, right: 12, top: 8, bottom: 8 },
    title: { text: t(lang, 'chartMixTitle') },
    config: { ...baseConfig(options.fontFamily ?? CHART_FONT_FAMILY), legend: { ...baseConfig(options.fontFamily ?? CHART_FONT_FAMILY).legend, columns: 4, columnPadding: 12 } },
    layer: [
      {
        data: { values: bars },
        mark: { type: 'bar', height: 30 },
        encoding: {
          y,
          x: { field: 'value', type: 'quantitative', stack: 'zero', title: null, axis: { format: ',.0f' } },
          color: { field: 'channel', type: 'nominal', title: null, scale: { domain: channelNames, range: CHANNEL_COLORS.slice(0, channelNames.length) } },
          order: { field: 'order', type: 'quantitative' },
        },
      },
      {
        data: { values: totals },
        mark: { type: 'text', align: 'left', dx: 4, color: INK, fontSize: 13, fontWeight: 'bold' },
        encoding: { y, x: { field: 'value', type: 'quantitative' }, text: { field: 'text' } },
      },
    ],
  } as unknown as TopLevelSpec;
  const { png, width, height } = await render(spec, options);
  const colon = lang === 'en' ? ': ' : '：';
  const dot = ' · ';
  const sep = lang === 'en' ? '; ' : '；';
  return {
    id: 'mix',
    filename: 'mix.png',
    png, width, height,
    title: t(lang, 'chartMixTitle'),
    alt: `${t(lang, 'chartMixAlt')}${colon}${segments.map((s) => `${label(SEGMENTS, s.code, lang)} ${wan(s.total)}`).join(sep)}`,
    note: t(lang, 'chartMixNote'),
    table: {
      header: [t(lang, 'segment'), t(lang, 'total'), t(lang, 'channel')],
      rows: segments.map((s) => [label(SEGMENTS, s.code, lang), wan(s.total), s.channels.map((c) => `${label(CHANNELS, c.code, lang)} ${wan(c.revenue)}`).join(dot)]),
    },
  };
}

/** Draws a report's charts in a language (ReportDeps.charts): built at a composition root with the font files. */
export interface ChartRenderer {
  (report: KpiReport, lang: Lang): Promise<ReportChart[]>;
  /** Starts loading what drawing needs (vega, resvg) when the renderer loads it lazily, so it loads while the queries run. */
  preload?(): void;
}

/** A ChartRenderer over the given font files (the CJK font shipped in assets/fonts/). */
export function chartRenderer(fontFiles: readonly string[]): ChartRenderer {
  return (report, lang) => renderReportCharts(report, { lang, fontFiles });
}

/**
 * The charts of a report, in reading order (trend, mix): none for a month or a market-only
 * report (only the weekly report shows pictures), and a chart is left out when it has nothing to draw.
 */
export async function renderReportCharts(report: KpiReport, options: ChartOptions): Promise<ReportChart[]> {
  if (report.period.kind !== 'week' || report.marketOnly) return [];
  const charts = await Promise.all([trendChart(report, options), mixChart(report, options)]);
  return charts.filter((c): c is ReportChart => c !== undefined);
}
