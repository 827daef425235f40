/**
 * Growth like with like (SPEC §3) on small lakes built here, every figure worked by hand.
 *
 * Lake A, a week with one province-day of revenue missing (W47 = 11-16 … 11-22 against W46 = 11-09 … 11-15):
 *   JL public/own_hall/mobile       W46 100/day, 10 users; W47 110/day, 11 users; every day
 *   JL household/own_hall/broadband W46  50/day,  5 users; W47  60/day,  6 users; every day
 *   GD household/online/broadband   W46 200/day, 20 users (Wed 11-11: 27 users); W47 180/day, 24 users,
 *                                   but no revenue on Wed 11-18
 *   sales: JL 2 `new` a day in W47, 1 in W46; GD 1 a day in both; every day (nothing missing)
 *   Own figures keep every day: W47 revenue 770 + 420 + 6 × 180 = 2270, users 11 + 6 + 24 = 41.
 *   Matched: GD's Wed 11-11 is left out of W46 too: W46 700 + 350 + 6 × 200 = 2250, users 10 + 5 + 20 = 35
 *   (all days would be 2450 and 15 + (6 × 20 + 27) / 7 = 36).
 *
 * Lake B, December (31 days) against November (30), revenue only, 12/day and 2 users in December,
 * 10/day and 1 user in November:
 *   JL every day of both: 31 × 12 = 372 against 300, the 31st has no counterpart and is kept → basis all
 *   GD no revenue on Dec 5th: 30 × 12 = 360 against 29 × 10 = 290 (Nov 5th left out) → matched
 *   SC no revenue on Dec 31st: a day November does not have, so nothing is missing: 360 against 300 → all
 *
 * Lake C, a week with one day of sales missing (JL only):
 *   revenue every day: W46 100/day, 10 users; W47 120/day, 10 users → 840 against 700, basis all for revenue
 *   sales: W46 1 `new` a day; W47 2 a day but no sales file with rows on Fri 11-20:
 *   12 against 6 (Fri 11-13 left out; all days would be 7). W45 has no data at all.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbQueryEngine } from '../../lambdas/adapters/duckdb-query-engine.js';
import { computeKpis, computeKpisWithPrevious } from '../../lambdas/core/kpis/kpis.js';
import type { KpiReport, KpiRow } from '../../lambdas/core/kpis/kpi-types.js';
import { daysBetween, parsePeriod } from '../../lambdas/core/period.js';
import { buildReportWorkbook, NULL_TEXT } from '../../lambdas/core/report/workbook.js';
import { writeFixtureLake } from '../fixtures/lake/write-lake.js';

const QUERIES_DIR = join(import.meta.dirname, '..', '..', 'queries');
const NOW = new Date('2027-01-04T01:00:00Z');
const CITY: Record<string, string> = { JL: 'CC', GD: 'GZ', SC: 'CD' };

const REVENUE_HEADER = 'dt,province,date,city,segment,sub_segment,channel,product,revenue,active_users';
const SALES_HEADER = 'dt,province,event_id,event_date,city,customer_id,segment,sub_segment,channel,account_manager_id,agent_id,product,package,event_type,monthly_fee,prev_monthly_fee,one_off_fee';

function revenueLine(day: string, province: string, segment: string, channel: string, product: string, revenue: number, users: number): string {
  return `${day},${province},${day},${CITY[province]},${segment},,${channel},${product},${revenue.toFixed(2)},${users}`;
}

let serial = 0;
function salesLines(day: string, province: string, count: number): string[] {
  return Array.from({ length: count }, () => {
    serial += 1;
    return `${day},${province},s${serial},${day},${CITY[province]},C${serial},public,,own_hall,,,mobile,m-59,new,59.00,,0`;
  });
}

interface Lake {
  home: string;
  engine: DuckDbQueryEngine;
}

async function buildLake(revenue: string[], sales: string[]): Promise<Lake> {
  const home = await mkdtemp(join(tmpdir(), 'telco-kpi-lfl-'));
  const source = join(home, 'csv');
  await mkdir(source);
  await writeFile(join(source, 'revenue.csv'), `${[REVENUE_HEADER, ...revenue].join('\n')}\n`);
  await writeFile(join(source, 'sales.csv'), `${[SALES_HEADER, ...sales].join('\n')}\n`);
  await writeFixtureLake(home, [], source);
  return { home, engine: new DuckDbQueryEngine(home, QUERIES_DIR) };
}

async function dropLake(lake: Lake | undefined): Promise<void> {
  if (!lake) return;
  await lake.engine.close();
  await rm(lake.home, { recursive: true, force: true });
}

function report(lake: Lake, periodId: string, scope: string, expectedProvinces: string[]): Promise<KpiReport> {
  return computeKpis(lake.engine, { period: parsePeriod(periodId), scope, expectedProvinces, rejectedUploads: [], now: NOW });
}

function row(result: KpiReport, dimension: KpiRow['dimension'], keys: Partial<Pick<KpiRow, 'segment' | 'channel' | 'province'>> = {}): KpiRow {
  const found = result.rows.filter((r) => r.dimension === dimension && Object.entries(keys).every(([k, v]) => r[k as keyof KpiRow] === v));
  expect(found, `${dimension} ${JSON.stringify(keys)}`).toHaveLength(1);
  return found[0]!;
}

const W46 = daysBetween('2026-11-09', '2026-11-15');
const W47 = daysBetween('2026-11-16', '2026-11-22');

describe('a week where one province misses one day of revenue', () => {
  let lake: Lake | undefined;
  beforeAll(async () => {
    const revenue: string[] = [];
    const sales: string[] = [];
    for (const day of W46) {
      revenue.push(revenueLine(day, 'JL', 'public', 'own_hall', 'mobile', 100, 10));
      revenue.push(revenueLine(day, 'JL', 'household', 'own_hall', 'broadband', 50, 5));
      revenue.push(revenueLine(day, 'GD', 'household', 'online', 'broadband', 200, day === '2026-11-11' ? 27 : 20));
      sales.push(...salesLines(day, 'JL', 1), ...salesLines(day, 'GD', 1));
    }
    for (const day of W47) {
      revenue.push(revenueLine(day, 'JL', 'public', 'own_hall', 'mobile', 110, 11));
      revenue.push(revenueLine(day, 'JL', 'household', 'own_hall', 'broadband', 60, 6));
      if (day !== '2026-11-18') revenue.push(revenueLine(day, 'GD', 'household', 'online', 'broadband', 180, 24));
      sales.push(...salesLines(day, 'JL', 2), ...salesLines(day, 'GD', 1));
    }
    lake = await buildLake(revenue, sales);
  });
  afterAll(() => dropLake(lake));

  it('leaves GD’s Wednesday out of both weeks for the total’s growth, and keeps it in the week’s own figures', async () => {
    // Act
    const result = await report(lake!, '2026-W47', 'ALL', ['JL', 'GD']);

    // Assess
    const total = row(result, 'total');
    expect(total.revenue).toBeCloseTo(2270, 9);
    expect(total.activeUsersAvg).toBeCloseTo(41, 9);
    expect(total.growthBasis).toBe('matched');
    expect(total.revenueGrowth).toBeCloseTo((2270 - 2250) / 2250, 12);
    expect(total.activeUsersGrowth).toBeCloseTo((41 - 35) / 35, 9);
    expect(total.arpuGrowth).toBeCloseTo((2270 / 41 - 2250 / 35) / (2250 / 35), 9);
    // sales were all received: 21 against 14, not matched
    expect(total.grossAddsGrowth).toBeCloseTo((21 - 14) / 14, 12);
  });

  it('compares the province, a segment and a channel on the matched basis, and other groups on all days', async () => {
    // Act
    const result = await report(lake!, '2026-W47', 'ALL', ['JL', 'GD']);

    // Assess
    const gd = row(result, 'province', { province: 'GD' });
    expect(gd.revenue).toBeCloseTo(1080, 9);
    expect(gd.growthBasis).toBe('matched');
    expect(gd.revenueGrowth).toBeCloseTo((1080 - 1200) / 1200, 12);
    expect(gd.activeUsersGrowth).toBeCloseTo((24 - 20) / 20, 9);
    const jl = row(result, 'province', { province: 'JL' });
    expect(jl.growthBasis).toBe('all');
    expect(jl.revenueGrowth).toBeCloseTo((1190 - 1050) / 1050, 12);
    // household = JL own_hall + GD online: 420 + 1080 against 350 + 1200
    const household = row(result, 'segment', { segment: 'household' });
    expect(household.growthBasis).toBe('matched');
    expect(household.revenueGrowth).toBeCloseTo((1500 - 1550) / 1550, 12);
    const online = row(result, 'channel', { channel: 'online' });
    expect(online.growthBasis).toBe('matched');
    expect(online.revenueGrowth).toBeCloseTo((1080 - 1200) / 1200, 12);
    const pub = row(result, 'segment', { segment: 'public' });
    expect(pub.growthBasis).toBe('all');
    expect(pub.revenueGrowth).toBeCloseTo((770 - 700) / 700, 12);
  });

  it('names the left-out pair in the completeness of the province and type', async () => {
    // Act
    const result = await report(lake!, '2026-W47', 'ALL', ['JL', 'GD']);

    // Assess
    const leftOut = result.completeness.filter((c) => c.growthLeftOut.length > 0).map((c) => [c.province, c.type, c.growthLeftOut]);
    expect(leftOut).toEqual([['GD', 'revenue', [{ day: '2026-11-18', previousDay: '2026-11-11', missingIn: 'current' }]]]);
  });
});

describe('a month against the month before', () => {
  let lake: Lake | undefined;
  beforeAll(async () => {
    const revenue: string[] = [];
    for (const province of ['JL', 'GD', 'SC']) {
      for (const day of daysBetween('2026-11-01', '2026-11-30')) revenue.push(revenueLine(day, province, 'public', 'own_hall', 'mobile', 10, 1));
      for (const day of daysBetween('2026-12-01', '2026-12-31')) {
        if ((province === 'GD' && day === '2026-12-05') || (province === 'SC' && day === '2026-12-31')) continue;
        revenue.push(revenueLine(day, province, 'public', 'own_hall', 'mobile', 12, 2));
      }
    }
    lake = await buildLake(revenue, []);
  });
  afterAll(() => dropLake(lake));

  it('keeps the 31st, which November does not have, and leaves out the day of month one month missed', async () => {
    // Act
    const result = await report(lake!, '2026-12', 'ALL', ['JL', 'GD', 'SC']);

    // Assess
    const jl = row(result, 'province', { province: 'JL' });
    expect(jl.revenue).toBeCloseTo(372, 9);
    expect(jl.growthBasis).toBe('all');
    expect(jl.revenueGrowth).toBeCloseTo((372 - 300) / 300, 12);
    const sc = row(result, 'province', { province: 'SC' });
    expect(sc.growthBasis).toBe('all');
    expect(sc.revenueGrowth).toBeCloseTo((360 - 300) / 300, 12);
    const gd = row(result, 'province', { province: 'GD' });
    expect(gd.revenue).toBeCloseTo(360, 9);
    expect(gd.growthBasis).toBe('matched');
    expect(gd.revenueGrowth).toBeCloseTo((360 - 290) / 290, 12);
    const total = row(result, 'total');
    expect(total.growthBasis).toBe('matched');
    expect(total.revenueGrowth).toBeCloseTo((1092 - 890) / 890, 12);
    // every province averages 2 users in December against 1 in November, on any basis
    expect(total.activeUsersGrowth).toBeCloseTo(1, 9);
    expect(total.grossAddsGrowth).toBeNull();
    expect(result.completeness.find((c) => c.province === 'GD' && c.type === 'revenue')!.growthLeftOut)
      .toEqual([{ day: '2026-12-05', previousDay: '2026-11-05', missingIn: 'current' }]);
    expect(result.completeness.find((c) => c.province === 'SC' && c.type === 'revenue')!.growthLeftOut).toEqual([]);
  });

  it('speaks of 上月 in a monthly workbook', async () => {
    // Act
    const { report: result, previous } = await computeKpisWithPrevious(lake!.engine, {
      period: parsePeriod('2026-12'), scope: 'ALL', expectedProvinces: ['JL', 'GD', 'SC'], rejectedUploads: [], now: NOW,
    });
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(await buildReportWorkbook(result, { lang: 'zh-CN', runId: 'run-12', previous })) as never);

    // Assess
    const summary = wb.getWorksheet('概览')!;
    expect(summary.getRow(4).values).toEqual([undefined, '指标', '单位', '本月', '上月', '环比', '环比口径']);
    const texts: string[] = [];
    summary.eachRow((r) => texts.push(String(r.getCell(1).value)));
    expect(texts.join('\n')).not.toContain('上周');
    expect(texts.join('\n')).toContain('上月数值取自上一期报告');
    expect(texts.join('\n')).toContain('广东 收入日报 12/5 未收到，上月 11/5 同时剔除');
  });

  it('compares a complete province on every day', async () => {
    // Act
    const result = await report(lake!, '2026-12', 'JL', ['JL']);

    // Assess
    expect(row(result, 'total').growthBasis).toBe('all');
    expect(row(result, 'total').revenueGrowth).toBeCloseTo(0.24, 12);
  });
});

describe('a week with one day of sales missing', () => {
  let lake: Lake | undefined;
  beforeAll(async () => {
    const revenue: string[] = [];
    const sales: string[] = [];
    for (const day of W46) {
      revenue.push(revenueLine(day, 'JL', 'public', 'own_hall', 'mobile', 100, 10));
      sales.push(...salesLines(day, 'JL', 1));
    }
    for (const day of W47) {
      revenue.push(revenueLine(day, 'JL', 'public', 'own_hall', 'mobile', 120, 10));
      if (day !== '2026-11-20') sales.push(...salesLines(day, 'JL', 2));
    }
    lake = await buildLake(revenue, sales);
  });
  afterAll(() => dropLake(lake));

  it('matches grossAdds growth and leaves revenue growth on all days', async () => {
    // Act
    const result = await report(lake!, '2026-W47', 'JL', ['JL']);

    // Assess
    const total = row(result, 'total');
    expect(total.grossAdds).toBe(12);
    expect(total.grossAddsGrowth).toBeCloseTo((12 - 6) / 6, 12);
    expect(total.revenueGrowth).toBeCloseTo((840 - 700) / 700, 12);
    expect(total.activeUsersGrowth).toBeCloseTo(0, 12);
    expect(total.growthBasis).toBe('matched');
    expect(result.completeness.filter((c) => c.growthLeftOut.length > 0).map((c) => [c.type, c.growthLeftOut])).toEqual([
      ['sales', [{ day: '2026-11-20', previousDay: '2026-11-13', missingIn: 'current' }]],
    ]);
  });

  it('gives null growth when the previous week has no data at all', async () => {
    // Act: W46 against W45, which holds nothing
    const { report: result, previous } = await computeKpisWithPrevious(lake!.engine, {
      period: parsePeriod('2026-W46'), scope: 'ALL', expectedProvinces: ['JL'], rejectedUploads: [], now: NOW,
    });
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(await buildReportWorkbook(result, { lang: 'zh-CN', runId: 'run-w46', previous })) as never);

    // Assess
    const total = row(result, 'total');
    expect(total.revenue).toBeCloseTo(700, 9);
    expect([total.revenueGrowth, total.activeUsersGrowth, total.arpuGrowth, total.grossAddsGrowth]).toEqual([null, null, null, null]);
    // W45 has no data: its figures are null, never 0
    const before = row(previous, 'total');
    expect([before.revenue, before.activeUsersAvg, before.grossAdds, before.netAdds, before.responses]).toEqual([null, null, null, null, null]);
    // the summary sheet read back: 上周 and 环比 are "–" for every tile (7 new a day, 700 revenue this week)
    const summary = wb.getWorksheet('概览')!;
    expect(summary.getRow(4).values).toEqual([undefined, '指标', '单位', '本周', '上周', '环比', '环比口径']);
    for (let r = 5; r <= 13; r++) {
      const tile = summary.getRow(r);
      expect([tile.getCell(4).value, tile.getCell(5).value], String(tile.getCell(1).value)).toEqual([NULL_TEXT, NULL_TEXT]);
    }
    expect(summary.getRow(5).getCell(3).value).toBeCloseTo(0.07, 9);
    expect(summary.getRow(9).getCell(3).value).toBe(7);
  });
});
