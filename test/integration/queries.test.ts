/**
 * The KPI queries on DuckDB over the fixture lake of test/fixtures/lake (see its README), with
 * every expected figure worked out by hand from those rows.
 *
 * Week 2026-W47 = 2026-11-16 … 2026-11-22; the week before (W46) = 2026-11-09 … 2026-11-15.
 *
 * Revenue, W47 (JL sent the 16th and 17th, not the 18th; GD sent the 16th, 17th and 18th):
 *   JL public/own_hall/mobile     revenue 1000 + (600 + 500)            = 2100, users (100 + (60 + 50)) / 2 = 105
 *   JL enterprise/gov/direct/ict  revenue 500.50 + (500.00 − 0.50)      = 1000, users (10 + (10 + 0)) / 2   = 10
 *   GD household/online/broadband revenue 300 + 300 + 600               = 1200, users (50 + 50 + 80) / 3    = 60
 *   total revenue 4300, activeUsersAvg 175
 * Revenue, W46 (JL sent only the 10th; GD nothing): public 900 / 100 users, enterprise 100 / 10 users
 *   total revenue 1000, activeUsersAvg 110
 * Sales, W47: JL e1–e3 new, e4 churn (public/own_hall/mobile), e5 upgrade (enterprise/gov/direct/ict);
 *   GD g1–g2 new, g3 churn (household/online/broadband). W46: JL p1–p2 new (public/own_hall/mobile).
 * Service, W47 (opened day in Asia/Shanghai; T1's later file wins; T6 is W46, T9 is W48):
 *   T1 JL public hotline complaint  responded in 30 min (met)  score 5
 *   T2 JL public hotline fault      31 min (missed)            score 3
 *   T3 JL enterprise gov direct complaint, no response (missed) score 4
 *   T4 JL public app inquiry        not SLA-eligible           no score
 *   T5 JL public app complaint      10 min (met)               score 2
 *   T7 GD household online fault    29 min (met)               score 5
 *   T8 GD household online complaint 30 min (met)              score 4
 *
 * Growth like with like (SPEC §3), W47 against W46 by weekday:
 *   revenue: JL Mon 16th has no Mon 9th and GD (Mon–Wed) has no W46 day at all, so both are left
 *   out; JL Tue 17th meets JL Tue 10th. Matched: public 1100 / 110 users against 900 / 100,
 *   enterprise 499.50 / 10 against 100 / 10; total 1599.50 / 120 against 1000 / 110.
 *   sales: JL's Mon 16th (e1–e5) has no Mon 9th, JL's Tue 10th (p1, p2) no Tue 17th, GD's Tue 17th
 *   no Tue 10th: no pair remains, so grossAdds growth is null everywhere (nothing comparable).
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbQueryEngine } from '../../lambdas/adapters/duckdb-query-engine.js';
import { computeKpis, computeKpisWithPrevious, kpiRowsParams, marketShareParams, receivedDaysParams, targetsParams, type KpiRequest } from '../../lambdas/core/kpis/kpis.js';
import type { KpiReport, KpiRow } from '../../lambdas/core/kpis/kpi-types.js';
import { parsePeriod } from '../../lambdas/core/period.js';
import type { Row, SqlValue } from '../../lambdas/core/ports.js';
import { writeFixtureLake } from '../fixtures/lake/write-lake.js';

const QUERIES_DIR = join(import.meta.dirname, '..', '..', 'queries');
const NOW = new Date('2026-11-23T01:00:00Z');

let home: string;
let engine: DuckDbQueryEngine;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'telco-kpi-queries-'));
  // GD's sales file of the 19th was accepted with no rows.
  await writeFixtureLake(home, [{ type: 'sales', day: '2026-11-19', province: 'GD' }]);
  engine = new DuckDbQueryEngine(home, QUERIES_DIR);
});

afterAll(async () => {
  await engine.close();
  await rm(home, { recursive: true, force: true });
});

function report(periodId: string, scope: string, extra: Partial<KpiRequest> = {}): Promise<KpiReport> {
  return computeKpis(engine, {
    period: parsePeriod(periodId),
    scope,
    expectedProvinces: ['JL', 'GD'],
    rejectedUploads: [],
    now: NOW,
    ...extra,
  });
}

function row(result: KpiReport, dimension: KpiRow['dimension'], keys: Partial<Pick<KpiRow, 'segment' | 'subSegment' | 'channel' | 'province' | 'product'>> = {}): KpiRow {
  const found = result.rows.filter((r) => r.dimension === dimension
    && Object.entries(keys).every(([k, v]) => r[k as keyof KpiRow] === v));
  expect(found, `${dimension} ${JSON.stringify(keys)}`).toHaveLength(1);
  return found[0]!;
}

describe('kpi_rows for a week, scope ALL', () => {
  it('totals revenue, averages active users over received days only, and derives arpu, adds and growth', async () => {
    // Act
    const result = await report('2026-W47', 'ALL');

    // Assess
    const total = row(result, 'total');
    expect(total.revenue).toBeCloseTo(4300, 9);
    expect(total.revenueShare).toBe(1);
    // JL (100+110)/2 + (10+10)/2 = 115, GD (50+50+80)/3 = 60: JL's missing 18th is not a zero.
    expect(total.activeUsersAvg).toBeCloseTo(175, 9);
    expect(total.arpu).toBeCloseTo(4300 / 175, 9);
    expect(total.grossAdds).toBe(5);
    expect(total.churned).toBe(2);
    expect(total.netAdds).toBe(3);
    expect(total.churnRate).toBeCloseTo(2 / 175, 12);
    // Growth on the matched days only (header): JL Tue 17th against JL Tue 10th.
    expect(total.growthBasis).toBe('matched');
    expect(total.revenueGrowth).toBeCloseTo((1599.5 - 1000) / 1000, 12);
    expect(total.grossAddsGrowth).toBeNull();
    expect(total.activeUsersGrowth).toBeCloseTo((120 - 110) / 110, 12);
    // arpu 1599.50/120 against 1000/110
    expect(total.arpuGrowth).toBeCloseTo((1599.5 / 120 - 1000 / 110) / (1000 / 110), 12);
  });

  it('computes satisfaction, complaints per 10k users and the 30-minute first-response SLA', async () => {
    // Act
    const result = await report('2026-W47', 'ALL');

    // Assess
    const total = row(result, 'total');
    // scored: T1 5, T2 3, T3 4, T5 2, T7 5, T8 4 (T4 has no score; T1's unscored first version is replaced)
    expect(total.responses).toBe(6);
    expect(total.csat).toBeCloseTo(4 / 6, 12);
    expect(total.avgScore).toBeCloseTo(23 / 6, 12);
    // complaints T1, T3, T5, T8 per 175 users
    expect(total.complaintsPer10k).toBeCloseTo((4 * 10_000) / 175, 9);
    // eligible T1, T2, T3, T5, T7, T8; met T1 (exactly 30 min), T5, T7, T8; T2 (31 min) and T3 (none) missed
    expect(total.firstResponseSla).toBeCloseTo(4 / 6, 12);

    const jl = row(result, 'province', { province: 'JL' });
    expect(jl.responses).toBe(4);
    expect(jl.csat).toBeCloseTo(2 / 4, 12);
    expect(jl.avgScore).toBeCloseTo((5 + 3 + 4 + 2) / 4, 12);
    expect(jl.complaintsPer10k).toBeCloseTo((3 * 10_000) / 115, 9);
    // T1 met, T2 missed, T3 missed, T5 met
    expect(jl.firstResponseSla).toBeCloseTo(2 / 4, 12);
  });

  it('gives each province its share of the scope and null growth where the previous week was 0', async () => {
    // Act
    const result = await report('2026-W47', 'ALL');

    // Assess
    const jl = row(result, 'province', { province: 'JL' });
    expect(jl.revenue).toBeCloseTo(3100, 9);
    expect(jl.revenueShare).toBeCloseTo(3100 / 4300, 12);
    expect(jl.activeUsersAvg).toBeCloseTo(115, 9);
    expect(jl.userShare).toBeCloseTo(115 / 175, 12);
    // JL's Monday is left out (no Monday in W46): Tue 17th 1599.50 / 120 users against Tue 10th
    expect(jl.revenueGrowth).toBeCloseTo((1599.5 - 1000) / 1000, 12);
    expect(jl.activeUsersGrowth).toBeCloseTo((120 - 110) / 110, 12);
    expect(jl.growthBasis).toBe('matched');

    const gd = row(result, 'province', { province: 'GD' });
    expect(gd.revenue).toBeCloseTo(1200, 9);
    expect(gd.revenueShare).toBeCloseTo(1200 / 4300, 12);
    expect(gd.userShare).toBeCloseTo(60 / 175, 12);
    // GD had no revenue, no sales in W46: every GD day is left out, nothing remains to compare
    expect(gd.growthBasis).toBe('matched');
    expect(gd.revenueGrowth).toBeNull();
    expect(gd.activeUsersGrowth).toBeNull();
    expect(gd.arpuGrowth).toBeNull();
    expect(gd.grossAddsGrowth).toBeNull();
    expect(gd.grossAdds).toBe(2);
    expect(gd.churnRate).toBeCloseTo(1 / 60, 12);
  });

  it('reports segments and the enterprise sub-segments', async () => {
    // Act
    const result = await report('2026-W47', 'ALL');

    // Assess
    const pub = row(result, 'segment', { segment: 'public' });
    expect(pub.revenue).toBeCloseTo(2100, 9);
    expect(pub.arpu).toBeCloseTo(2100 / 105, 12);
    // matched: Tue 17th 1100 / 110 users = 10 against Tue 10th 900/100 = 9
    expect(pub.revenueGrowth).toBeCloseTo((1100 - 900) / 900, 12);
    expect(pub.arpuGrowth).toBeCloseTo((10 - 9) / 9, 12);
    expect(pub.grossAddsGrowth).toBeNull();
    // T1 5, T2 3, T5 2; complaints T1, T5; SLA T1 met, T2 missed, T5 met
    expect(pub.csat).toBeCloseTo(1 / 3, 12);
    expect(pub.complaintsPer10k).toBeCloseTo((2 * 10_000) / 105, 9);
    expect(pub.firstResponseSla).toBeCloseTo(2 / 3, 12);

    const enterprise = row(result, 'segment', { segment: 'enterprise' });
    // matched: Tue 17th 500.00 − 0.50 against Tue 10th 100
    expect(enterprise.revenueGrowth).toBeCloseTo((499.5 - 100) / 100, 12);
    expect(enterprise.growthBasis).toBe('matched');
    expect(enterprise.grossAdds).toBe(0);
    // no `new` in either week: 0 against 0
    expect(enterprise.grossAddsGrowth).toBeNull();
    expect(enterprise.firstResponseSla).toBe(0);

    const subSegments = result.rows.filter((r) => r.dimension === 'subSegment');
    expect(subSegments.map((r) => r.subSegment)).toEqual(['gov']);
    const gov = subSegments[0]!;
    expect(gov.revenue).toBeCloseTo(1000, 9);
    expect(gov.revenueShare).toBeCloseTo(1000 / 4300, 12);
    expect(gov.activeUsersAvg).toBeCloseTo(10, 9);
    expect(gov.arpu).toBeCloseTo(100, 9);
    expect(gov.responses).toBe(1);
    expect(gov.complaintsPer10k).toBeCloseTo(10_000 / 10, 9);
  });

  it('has no complaint rate by channel and no service figures by product', async () => {
    // Act
    const result = await report('2026-W47', 'ALL');

    // Assess
    for (const r of result.rows.filter((x) => ['channel', 'segmentChannel', 'product'].includes(x.dimension))) {
      expect(r.complaintsPer10k, `${r.dimension} ${r.channel ?? r.product}`).toBeNull();
    }
    for (const r of result.rows.filter((x) => x.dimension === 'product')) {
      expect([r.responses, r.csat, r.avgScore, r.firstResponseSla]).toEqual([null, null, null, null]);
    }
    // hotline is only a contact channel: no revenue or users, but T1 (met, 5) and T2 (missed, 3)
    const hotline = row(result, 'channel', { channel: 'hotline' });
    expect(hotline.revenue).toBe(0);
    expect(hotline.arpu).toBeNull();
    expect(hotline.responses).toBe(2);
    expect(hotline.csat).toBeCloseTo(1 / 2, 12);
    expect(hotline.firstResponseSla).toBeCloseTo(1 / 2, 12);
    const mobile = row(result, 'product', { product: 'mobile' });
    expect(mobile.revenue).toBeCloseTo(2100, 9);
    expect(mobile.grossAdds).toBe(3);
    expect(mobile.churned).toBe(1);
    const publicOwnHall = row(result, 'segmentChannel', { segment: 'public', channel: 'own_hall' });
    expect(publicOwnHall.netAdds).toBe(2);
    // a channel on the matched basis: own_hall is JL public, Tue 17th 1100 against Tue 10th 900
    const ownHall = row(result, 'channel', { channel: 'own_hall' });
    expect(ownHall.revenueGrowth).toBeCloseTo((1100 - 900) / 900, 12);
    expect(ownHall.growthBasis).toBe('matched');
    // app and hotline carry only tickets: nothing of theirs was left out
    expect(hotline.growthBasis).toBe('all');
  });

  it('orders rows by dimension, then revenue descending, then keys', async () => {
    // Act
    const result = await report('2026-W47', 'ALL');

    // Assess
    expect(result.rows.map((r) => [r.dimension, r.segment ?? r.subSegment ?? r.province ?? r.product ?? '', r.channel ?? ''].join(':'))).toEqual([
      'total::',
      'segment:public:', 'segment:household:', 'segment:enterprise:',
      'subSegment:gov:',
      'channel::own_hall', 'channel::online', 'channel::direct', 'channel::app', 'channel::hotline',
      'segmentChannel:public:own_hall', 'segmentChannel:household:online', 'segmentChannel:enterprise:direct',
      'segmentChannel:public:app', 'segmentChannel:public:hotline',
      'province:JL:', 'province:GD:',
      'product:mobile:', 'product:broadband:', 'product:ict:',
    ]);
  });
});

describe('kpi_rows for one province', () => {
  it('limits every figure and share to the scope', async () => {
    // Act
    const result = await report('2026-W47', 'JL');

    // Assess
    const total = row(result, 'total');
    expect(total.revenue).toBeCloseTo(3100, 9);
    expect(total.activeUsersAvg).toBeCloseTo(115, 9);
    expect(total.responses).toBe(4);
    expect(result.rows.filter((r) => r.dimension === 'province').map((r) => [r.province, r.revenueShare])).toEqual([['JL', 1]]);
    expect(row(result, 'segment', { segment: 'public' }).revenueShare).toBeCloseTo(2100 / 3100, 12);
    expect(result.rows.some((r) => r.segment === 'household' || r.product === 'broadband')).toBe(false);
    expect(result.scope).toBe('JL');
  });
});

describe('kpi_rows for a month', () => {
  it('averages over the month’s received days and compares with the previous month', async () => {
    // Act
    const result = await report('2026-11', 'ALL');

    // Assess
    const total = row(result, 'total');
    // November: W46 + W47 revenue = 1000 + 4300; October: JL 10-31 only, 530
    expect(total.revenue).toBeCloseTo(5300, 9);
    // JL sent the 10th, 16th and 17th: (110 + 110 + 120) / 3; GD 60
    expect(total.activeUsersAvg).toBeCloseTo(340 / 3 + 60, 9);
    // Like with like by day of month: JL's 10th, 16th, 17th and GD's days have no October
    // counterpart received, and October's 31st has none in November (kept, not missing): no
    // day of both months remains, so nothing is comparable and growth is null, not −100 %.
    expect(total.growthBasis).toBe('matched');
    expect(total.revenueGrowth).toBeNull();
    expect(total.activeUsersGrowth).toBeNull();
    expect(total.arpuGrowth).toBeNull();
    // p1, p2, e1–e3, g1, g2 against none in October
    expect(total.grossAdds).toBe(7);
    expect(total.grossAddsGrowth).toBeNull();
    // T1–T9 but T4 scored: 4, 5, 3, 4, 2, 5, 4, 1 → ≥ 4: T6, T1, T3, T7, T8
    expect(total.responses).toBe(8);
    expect(total.csat).toBeCloseTo(5 / 8, 12);
    expect(total.avgScore).toBeCloseTo(28 / 8, 12);
    expect(result.period).toEqual({ kind: 'month', id: '2026-11', start: '2026-11-01', end: '2026-11-30' });
  });
});

describe('market_share', () => {
  it('gives each operator its share of the province × product market, quality index and growth', async () => {
    // Act
    const result = await report('2026-11', 'ALL');

    // Assess: GD broadband first, this operator first, competitors by revenue
    expect(result.market.map((m) => `${m.province}:${m.product}:${m.operator}`)).toEqual([
      'GD:broadband:self', 'GD:broadband:cmcc', 'JL:mobile:self', 'JL:mobile:cmcc', 'JL:mobile:cucc',
    ]);
    const self = result.market.find((m) => m.province === 'JL' && m.operator === 'self')!;
    // JL mobile market: revenue 600 + 300 + 100 = 1000, users 30 + 60 + 10 = 100
    expect(self).toMatchObject({ month: '2026-11', revenue: 600, users: 30 });
    expect(self.revenueShare).toBeCloseTo(0.6, 12);
    expect(self.userShare).toBeCloseTo(0.3, 12);
    expect(self.qualityIndex).toBeCloseTo(0.6 / 0.3, 12);
    // October: 500 revenue, 25 users
    expect(self.revenueGrowth).toBeCloseTo((600 - 500) / 500, 12);
    expect(self.usersGrowth).toBeCloseTo((30 - 25) / 25, 12);
    const cmcc = result.market.find((m) => m.province === 'JL' && m.operator === 'cmcc')!;
    expect(cmcc.qualityIndex).toBeCloseTo(0.3 / 0.6, 12);
    expect(cmcc.revenueGrowth).toBe(0);
    const cucc = result.market.find((m) => m.operator === 'cucc')!;
    expect(cucc.revenueGrowth).toBeNull();
    expect(cucc.usersGrowth).toBeNull();
  });

  it('uses the month of a week’s last day, else the month before, else nothing', async () => {
    // Act
    const w47 = await report('2026-W47', 'JL');
    const w49 = await report('2026-W49', 'ALL'); // 2026-11-30 … 2026-12-06: no December data yet
    const w30 = await report('2026-W30', 'ALL'); // July: no market data at all

    // Assess
    expect(w47.market.map((m) => `${m.month}:${m.province}:${m.operator}`)).toEqual(['2026-11:JL:self', '2026-11:JL:cmcc', '2026-11:JL:cucc']);
    expect(new Set(w49.market.map((m) => m.month))).toEqual(new Set(['2026-11']));
    expect(w49.market).toHaveLength(5);
    expect(w30.market).toEqual([]);
  });
});

describe('completeness', () => {
  const rejected = (type: string, province: string, day: string) => ({
    type, province, day, file: `${type}_${province}_${day.replaceAll('-', '')}.csv`,
    receivedAt: `${day}T12:00:00Z`, problemCount: 3, firstProblem: 'row 2, column revenue: \'1,5\' is not a number',
  });

  it('lists days received and missing per province and type, with rejected uploads not since replaced', async () => {
    // Prepare
    const rejectedUploads = [
      rejected('revenue', 'JL', '2026-11-18'), // no accepted file that day: listed
      rejected('revenue', 'JL', '2026-11-16'), // replaced by an accepted file: not listed
      rejected('revenue', 'JL', '2026-11-25'), // another week
      rejected('sales', 'GD', '2026-11-20'),
    ];

    // Act
    const result = await report('2026-W47', 'ALL', { expectedProvinces: ['JL', 'GD', 'SC'], rejectedUploads });

    // Assess
    const jlRevenue = result.completeness.find((c) => c.province === 'JL' && c.type === 'revenue')!;
    expect(jlRevenue).toMatchObject({ daysExpected: 7, daysReceived: 2, missingDays: ['2026-11-18', '2026-11-19', '2026-11-20', '2026-11-21', '2026-11-22'] });
    expect(jlRevenue.rejectedUploads).toEqual([{
      file: 'revenue_JL_20261118.csv', day: '2026-11-18', receivedAt: '2026-11-18T12:00:00Z', problemCount: 3,
      firstProblem: 'row 2, column revenue: \'1,5\' is not a number',
    }]);
    // the file of the 23rd (T5, T9) lies outside the week
    const jlService = result.completeness.find((c) => c.province === 'JL' && c.type === 'service')!;
    expect(jlService.daysReceived).toBe(2);
    // GD's empty sales file of the 19th has no rows the query can see: without the lake listing it reads as missing
    const gdSales = result.completeness.find((c) => c.province === 'GD' && c.type === 'sales')!;
    expect(gdSales.missingDays).toEqual(['2026-11-16', '2026-11-18', '2026-11-19', '2026-11-20', '2026-11-21', '2026-11-22']);
    expect(gdSales.rejectedUploads.map((r) => r.day)).toEqual(['2026-11-20']);
    const sc = result.completeness.filter((c) => c.province === 'SC');
    expect(sc.map((c) => [c.type, c.daysReceived, c.missingDays.length])).toEqual([['sales', 0, 7], ['revenue', 0, 7], ['service', 0, 7]]);
    expect(result.completeness.map((c) => `${c.province}:${c.type}`)).toEqual([
      'JL:sales', 'JL:revenue', 'JL:service', 'GD:sales', 'GD:revenue', 'GD:service', 'SC:sales', 'SC:revenue', 'SC:service',
    ]);
  });

  it('counts an accepted empty file as received when the lake listing is given', async () => {
    // Act
    const result = await report('2026-W47', 'ALL', { storedPartitions: [{ type: 'sales', province: 'GD', day: '2026-11-19' }] });

    // Assess
    const gdSales = result.completeness.find((c) => c.province === 'GD' && c.type === 'sales')!;
    expect(gdSales.daysReceived).toBe(2);
    expect(gdSales.missingDays).not.toContain('2026-11-19');
  });

  it('covers only the scope province for a provincial report', async () => {
    // Act
    const result = await report('2026-W47', 'JL', { rejectedUploads: [rejected('sales', 'GD', '2026-11-20')] });

    // Assess
    expect(result.completeness.map((c) => `${c.province}:${c.type}`)).toEqual(['JL:sales', 'JL:revenue', 'JL:service']);
    expect(result.completeness.every((c) => c.rejectedUploads.length === 0)).toBe(true);
    expect(result.generatedAt).toBe('2026-11-23T01:00:00.000Z');
  });
});

describe('every query in queries/', () => {
  it('runs on an empty lake', async () => {
    // Prepare
    const emptyHome = await mkdtemp(join(tmpdir(), 'telco-kpi-empty-'));
    const empty = new DuckDbQueryEngine(emptyHome, QUERIES_DIR);
    const week = parsePeriod('2026-W47');
    const known: Record<string, SqlValue[]> = {
      kpi_rows: kpiRowsParams(week, 'ALL'),
      received_days: receivedDaysParams(week.start, week.end, 'ALL'),
      market_share: marketShareParams('2026-11', 'ALL'),
      targets: targetsParams(week, 'ALL'),
    };
    const names = (await readdir(QUERIES_DIR)).filter((f) => f.endsWith('.sql')).map((f) => f.slice(0, -4));

    try {
      for (const name of names) {
        // Act: queries owned elsewhere get a day string for each `?`
        const params = known[name] ?? Array.from({ length: await placeholderCount(name) }, () => '2026-11-16');
        const rows = await empty.run(name, params);

        // Assess: nothing stored, so none of ours has a group to report
        if (name in known) expect(rows, name).toEqual([]);
        else expect(Array.isArray(rows), name).toBe(true);
      }
      expect(names).toEqual(expect.arrayContaining(['kpi_rows', 'received_days', 'market_share', 'targets']));
    } finally {
      await empty.close();
      await rm(emptyHome, { recursive: true, force: true });
    }
  });
});

async function placeholderCount(name: string): Promise<number> {
  const sql = (await readFile(join(QUERIES_DIR, `${name}.sql`), 'utf8'))
    .replace(/--[^\n]*/g, '')
    .replace(/'(?:[^']|'')*'/g, "''");
  return (sql.match(/\?/g) ?? []).length;
}

describe('kpi_rows previous-period columns', () => {
  it('give the same figures as computing the previous week on its own', async () => {
    // Prepare
    const request: KpiRequest = { period: parsePeriod('2026-W47'), scope: 'ALL', expectedProvinces: ['JL', 'GD'], rejectedUploads: [], now: NOW };
    // Act
    const { previous } = await computeKpisWithPrevious(engine, request);
    const direct = await computeKpis(engine, { ...request, period: parsePeriod('2026-W46') });
    // Assess: W46 by hand is revenue 1000, activeUsersAvg 110, grossAdds 2 (p1, p2), T6 scored.
    expect(previous.period.id).toBe('2026-W46');
    const plain = ['revenue', 'activeUsersAvg', 'arpu', 'grossAdds', 'churned', 'netAdds', 'churnRate', 'responses', 'csat', 'avgScore', 'complaintsPer10k', 'firstResponseSla'] as const;
    const pick = (r: KpiRow) => Object.fromEntries(plain.map((k) => [k, r[k]]));
    const key = (r: KpiRow) => [r.dimension, r.segment, r.subSegment, r.channel, r.province, r.product].join('|');
    const directByKey = new Map(direct.rows.map((r) => [key(r), pick(r)]));
    const previousTotal = previous.rows.find((r) => r.dimension === 'total')!;
    expect(previousTotal.revenue).toBe(1000);
    expect(previousTotal.activeUsersAvg).toBeCloseTo(110, 9);
    expect(previousTotal.grossAdds).toBe(2);
    for (const row of previous.rows.filter((r) => (r.revenue ?? 0) !== 0 || (r.grossAdds ?? 0) !== 0)) {
      expect(pick(row), key(row)).toEqual(directByKey.get(key(row)));
    }
    expect(previousTotal.revenueGrowth).toBeNull();
  });
});

describe('the DuckDB engine', () => {
  it('answers queries run at once, each on a connection of its own, as it answers them one by one', async () => {
    // Prepare
    const week = parsePeriod('2026-W47');
    const queries: Array<[string, SqlValue[]]> = [
      ['kpi_rows', kpiRowsParams(week, 'ALL')], ['received_days', receivedDaysParams(week.start, week.end, 'ALL')],
      ['market_share', marketShareParams('2026-11', 'ALL')], ['targets', targetsParams(week, 'ALL')],
    ];
    const oneByOne = [];
    for (const [name, params] of queries) oneByOne.push(await engine.run(name, params));

    // Act
    const atOnce = await Promise.all(queries.map(([name, params]) => engine.run(name, params)));

    // Assess (the queries leave row order to the engine: computeKpis sorts)
    const sorted = (rows: readonly Row[]) => rows.map((r) => JSON.stringify(r)).sort();
    expect(oneByOne[0]!.length).toBeGreaterThan(0);
    expect(atOnce.map(sorted)).toEqual(oneByOne.map(sorted));
  });

  it('reads a type\'s first files stored after its first query (the view stops being the empty relation)', async () => {
    // Prepare
    const fresh = await mkdtemp(join(tmpdir(), 'telco-kpi-queries-fresh-'));
    const own = new DuckDbQueryEngine(fresh, QUERIES_DIR);
    try {
      const before = await own.runSql('select count(*) as n from revenue');

      // Act
      await writeFixtureLake(fresh);
      const after = await own.runSql('select count(*) as n from revenue');

      // Assess
      expect(before).toEqual([{ n: 0 }]);
      expect(Number(after[0]!.n)).toBeGreaterThan(0);
    } finally {
      await own.close();
      await rm(fresh, { recursive: true, force: true });
    }
  });
});
