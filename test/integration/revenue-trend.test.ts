/**
 * revenue_trend.sql on DuckDB over the fixture lake of test/fixtures/lake, and the trend that
 * computeKpis makes of it, with the figures worked out by hand from those rows.
 *
 * Report week 2026-W47 (11-16 … 11-22); the 13 weeks are W35 (08-24) … W47. Expected provinces
 * JL and GD: 14 province-days a week for ALL, 7 for JL.
 *   W44 (10-26 … 11-01): JL 10-31 public 530.00                               1 province-day
 *   W45 (11-02 … 11-08): nothing received — a missing week between two with data
 *   W46 (11-09 … 11-15): JL 11-10 public 900.00, enterprise 100.00           1 province-day
 *   W47: JL public 1000 + 600 + 500 = 2100, enterprise 500.50 + 500.00 − 0.50 = 1000;
 *        GD household 300 + 300 + 600 = 1200; total 4300                     5 province-days
 *   W35 … W43: nothing received.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbQueryEngine } from '../../lambdas/adapters/duckdb-query-engine.js';
import { computeKpis, revenueTrendParams, TREND_WEEKS } from '../../lambdas/core/kpis/kpis.js';
import { parsePeriod } from '../../lambdas/core/period.js';
import { writeFixtureLake } from '../fixtures/lake/write-lake.js';

const QUERIES_DIR = join(import.meta.dirname, '..', '..', 'queries');
const NOW = new Date('2026-11-23T01:00:00Z');
const W47 = parsePeriod('2026-W47');

let home: string;
let engine: DuckDbQueryEngine;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'telco-kpi-trend-'));
  await writeFixtureLake(home);
  engine = new DuckDbQueryEngine(home, QUERIES_DIR);
});

afterAll(async () => {
  await engine.close();
  await rm(home, { recursive: true, force: true });
});

const request = (scope: string) => ({ period: W47, scope, expectedProvinces: ['JL', 'GD'], rejectedUploads: [], now: NOW });

describe('revenue_trend.sql', () => {
  it('binds the 13 weeks ending with the report week', () => {
    expect(revenueTrendParams(W47, 'ALL')).toEqual(['2026-08-24', '2026-11-22', 'ALL', 'ALL']);
  });

  it('gives one total and one row per segment for each week with rows, and no row for a week without', async () => {
    // Act
    const rows = await engine.run('revenue_trend', revenueTrendParams(W47, 'ALL'));
    // Assess
    const key = (r: Record<string, unknown>) => `${r.week_start} ${r.dimension} ${r.segment ?? '-'}`;
    const sorted = [...rows].sort((a, b) => key(a).localeCompare(key(b)));
    expect(sorted).toEqual([
      { week_start: '2026-10-26', dimension: 'segment', segment: 'public', revenue: 530, province_days: 1 },
      { week_start: '2026-10-26', dimension: 'total', segment: null, revenue: 530, province_days: 1 },
      { week_start: '2026-11-09', dimension: 'segment', segment: 'enterprise', revenue: 100, province_days: 1 },
      { week_start: '2026-11-09', dimension: 'segment', segment: 'public', revenue: 900, province_days: 1 },
      { week_start: '2026-11-09', dimension: 'total', segment: null, revenue: 1000, province_days: 1 },
      { week_start: '2026-11-16', dimension: 'segment', segment: 'enterprise', revenue: 1000, province_days: 5 },
      { week_start: '2026-11-16', dimension: 'segment', segment: 'household', revenue: 1200, province_days: 5 },
      { week_start: '2026-11-16', dimension: 'segment', segment: 'public', revenue: 2100, province_days: 5 },
      { week_start: '2026-11-16', dimension: 'total', segment: null, revenue: 4300, province_days: 5 },
    ]);
  });
});

describe('computeKpis trend', () => {
  it('marks a week with no data received as missing (null), never as a revenue of 0', async () => {
    // Act
    const { trend } = await computeKpis(engine, request('ALL'));
    // Assess
    expect(trend?.weeks).toHaveLength(TREND_WEEKS);
    const weeks = trend!.weeks;
    expect(weeks[0]).toMatchObject({ week: '2026-W35', start: '2026-08-24', end: '2026-08-30', status: 'missing', revenue: null });
    expect(weeks.at(-1)).toMatchObject({ week: '2026-W47', revenue: 4300, provinceDaysReceived: 5, provinceDaysExpected: 14, status: 'partial' });
    expect(weeks.at(-1)!.segments).toEqual([
      { segment: 'public', revenue: 2100 }, { segment: 'household', revenue: 1200 }, { segment: 'enterprise', revenue: 1000 },
    ]);
    const w45 = weeks.find((w) => w.week === '2026-W45')!;
    expect(w45).toMatchObject({ status: 'missing', revenue: null, provinceDaysReceived: 0 });
    expect(w45.segments.every((s) => s.revenue === null)).toBe(true);
    // A received week without household rows reads 0 for household: the data arrived and held none.
    expect(weeks.find((w) => w.week === '2026-W46')!.segments).toEqual([
      { segment: 'public', revenue: 900 }, { segment: 'household', revenue: 0 }, { segment: 'enterprise', revenue: 100 },
    ]);
    expect(weeks.filter((w) => w.status === 'missing').map((w) => w.week)).toEqual([
      '2026-W35', '2026-W36', '2026-W37', '2026-W38', '2026-W39', '2026-W40', '2026-W41', '2026-W42', '2026-W43', '2026-W45',
    ]);
  });

  it('keeps to the scope: JL alone, 7 province-days a week', async () => {
    const { trend } = await computeKpis(engine, request('JL'));
    expect(trend!.weeks.at(-1)).toMatchObject({ revenue: 3100, provinceDaysReceived: 2, provinceDaysExpected: 7, status: 'partial' });
    expect(trend!.weeks.at(-1)!.segments).toEqual([{ segment: 'public', revenue: 2100 }, { segment: 'enterprise', revenue: 1000 }]);
  });

  it('is not computed for a month', async () => {
    const report = await computeKpis(engine, { ...request('ALL'), period: parsePeriod('2026-11') });
    expect(report.trend).toBeUndefined();
  });
});
