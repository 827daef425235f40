/**
 * The report charts (SPEC §10 Charts) drawn for real with vega-lite and resvg and the CJK font of
 * assets/fonts/, decoded and looked at pixel by pixel: size, not blank, Chinese glyphs drawn.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { chartFontFiles } from '../../lambdas/adapters/chart-fonts.js';
import { FONTS_DIR } from '../../lambdas/config.js';
import type { KpiReport, TrendWeek } from '../../lambdas/core/kpis/kpi-types.js';
import { CHART_WIDTH, renderReportCharts, type ReportChart } from '../../lambdas/core/report/charts.js';
import { colourCount, darkPixels, decodePng } from '../helpers/png.js';

const FONTS = chartFontFiles(FONTS_DIR, 'test');

/** 13 weeks from W35: W35–W37 and W42 not received, W45 and W47 partial (60 of 70 province-days). */
function trendWeeks(): TrendWeek[] {
  return Array.from({ length: 13 }, (_, i) => {
    const start = new Date(Date.UTC(2026, 7, 24 + 7 * i)).toISOString().slice(0, 10);
    const missing = i < 3 || i === 7;
    const partial = i === 10 || i === 12;
    const base = 4_000_000 + i * 80_000;
    return {
      week: `2026-W${35 + i}`, start, end: start,
      revenue: missing ? null : base,
      segments: ([['public', 0.5], ['household', 0.3], ['enterprise', 0.2]] as const).map(([segment, f]) => ({ segment, revenue: missing ? null : base * f })),
      provinceDaysReceived: missing ? 0 : partial ? 60 : 70, provinceDaysExpected: 70,
      status: missing ? 'missing' : partial ? 'partial' : 'complete',
    };
  });
}

let report: KpiReport;

beforeAll(async () => {
  report = { ...JSON.parse(await readFile(join(import.meta.dirname, '..', 'fixtures', 'kpis', 'week.json'), 'utf8')), trend: { weeks: trendWeeks() } };
});

const byId = (charts: ReportChart[], id: string) => charts.find((c) => c.id === id)!;

describe('renderReportCharts', () => {
  it('draws the trend and the mix as PNGs at most 600 px wide, at 2× for sharpness, not blank', async () => {
    // Act
    const charts = await renderReportCharts(report, { lang: 'zh-CN', fontFiles: FONTS });
    // Assess
    expect(charts.map((c) => c.id)).toEqual(['trend', 'mix']);
    for (const chart of charts) {
      const png = decodePng(chart.png);
      expect(chart.width).toBeLessThanOrEqual(CHART_WIDTH);
      expect(chart.width).toBeGreaterThan(500);
      expect(png.width).toBe(chart.width * 2);
      expect(Math.abs(png.height - chart.height * 2)).toBeLessThanOrEqual(1);
      expect(chart.png.byteLength).toBeLessThan(150_000);
      // Not blank: many colours, and lines or bars cover a real share of the picture.
      expect(colourCount(png)).toBeGreaterThan(50);
      expect(darkPixels(png, { x: 0, y: 0, w: png.width, h: png.height }, 200) / (png.width * png.height)).toBeGreaterThan(0.02);
    }
  });

  it('draws the Chinese labels with the shipped font: without it the label regions stay empty', async () => {
    // Act
    const withFont = await renderReportCharts(report, { lang: 'zh-CN', fontFiles: FONTS });
    const noFont = await renderReportCharts(report, { lang: 'zh-CN', fontFiles: [] });
    // Assess: the mix chart's segment labels (公众, 家庭, 政企: Chinese only) left of the bars,
    // and the title (近13周收入趋势（万元）) across the top of the trend
    const labels = { x: 0, y: 60, w: 84, h: 280 };
    const title = { x: 0, y: 0, w: 700, h: 56 };
    const mixWith = decodePng(byId(withFont, 'mix').png);
    const mixWithout = decodePng(byId(noFont, 'mix').png);
    expect(darkPixels(mixWith, labels)).toBeGreaterThan(300);
    expect(darkPixels(mixWithout, labels)).toBe(0);
    expect(darkPixels(decodePng(byId(withFont, 'trend').png), title)).toBeGreaterThan(1000);
    expect(darkPixels(decodePng(byId(noFont, 'trend').png), title)).toBe(0);
  });

  it('gives each chart its figures as text: alt, note and table, the no-data weeks as 无数据', async () => {
    const [trend, mix] = await renderReportCharts(report, { lang: 'zh-CN', fontFiles: FONTS });
    expect(trend!.alt).toBe('近13周收入趋势图：本周 496.0（部分数据 60/70）；上周 488.0');
    expect(trend!.table.header).toEqual(['起始日', '合计', '公众', '家庭', '政企', '数据']);
    expect(trend!.table.rows[0]).toEqual(['8/24', '–', '–', '–', '–', '无数据']);
    expect(trend!.table.rows[3]).toEqual(['9/14', '424.0', '212.0', '127.2', '84.8', '完整']);
    expect(trend!.table.rows[12]).toEqual(['11/16', '496.0', '248.0', '148.8', '99.2', '部分数据 60/70']);
    expect(mix!.table.header).toEqual(['客户群', '合计', '渠道']);
    const segmentChannel = report.rows.filter((r) => r.dimension === 'segmentChannel' && r.segment === 'enterprise');
    const enterprise = segmentChannel.reduce((sum, r) => sum + r.revenue!, 0);
    expect(mix!.table.rows.find((r) => r[0] === '政企')![1]).toBe(new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(enterprise / 10_000));
    expect(mix!.alt).toMatch(/^本周客户群×渠道收入结构图：公众 [\d,.]+；家庭 [\d,.]+；政企 [\d,.]+$/);
  });

  it('speaks English with --lang en', async () => {
    const [trend, mix] = await renderReportCharts(report, { lang: 'en', fontFiles: FONTS });
    expect(trend!.title).toBe('Revenue, last 13 weeks (10k CNY)');
    expect(trend!.alt).toBe('Chart of revenue over the last 13 weeks: This week 496.0 (partial 60/70); Last week 488.0');
    expect(trend!.table.rows[0]!.at(-1)).toBe('no data');
    expect(mix!.table.header).toEqual(['Segment', 'Total', 'Channel']);
  });

  it('draws nothing for a month, and no trend when none of its weeks was received', async () => {
    const month = { ...report, period: { kind: 'month' as const, id: '2026-11', start: '2026-11-01', end: '2026-11-30' } };
    expect(await renderReportCharts(month, { lang: 'zh-CN', fontFiles: FONTS })).toEqual([]);
    const empty = { ...report, trend: { weeks: trendWeeks().map((w) => ({ ...w, status: 'missing' as const, revenue: null })) } };
    expect((await renderReportCharts(empty, { lang: 'zh-CN', fontFiles: FONTS })).map((c) => c.id)).toEqual(['mix']);
  });
});
