import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbQueryEngine } from '../../lambdas/adapters/duckdb-query-engine.js';
import { computeKpis } from '../../lambdas/core/kpis/kpis.js';
import type { KpiReport, TargetRow } from '../../lambdas/core/kpis/kpi-types.js';
import { parsePeriod } from '../../lambdas/core/period.js';
import { writeFixtureLake } from '../fixtures/lake/write-lake.js';

const QUERIES_DIR = join(import.meta.dirname, '..', '..', 'queries');
const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'targets');

let home: string;
let engine: DuckDbQueryEngine;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'telco-kpi-targets-'));
  await writeFixtureLake(home, [], FIXTURE);
  engine = new DuckDbQueryEngine(home, QUERIES_DIR);
});

afterAll(async () => {
  await engine.close();
  await rm(home, { recursive: true, force: true });
});

function report(periodId: string, scope = 'ALL'): Promise<KpiReport> {
  return computeKpis(engine, { period: parsePeriod(periodId), scope, expectedProvinces: ['JL', 'GD'], rejectedUploads: [], now: new Date('2026-09-07T01:00:00Z') });
}

function target(result: KpiReport, segment: string, kpi: TargetRow['kpi']): TargetRow {
  const found = result.targets!.filter((t) => t.province === 'JL' && t.segment === segment && t.kpi === kpi);
  expect(found, `${segment} ${kpi}`).toHaveLength(1);
  return found[0]!;
}

describe('targets for a week spanning a month end (2026-W36: 08-31 – 09-06)', () => {
  // September's days 1–6 of 30 have gone: the week reads the month of its last day.
  const timeProgress = 6 / 30;

  it('reads September to the week\'s end: revenue per province and segment, without 08-31', async () => {
    // Act
    const result = await report('2026-W36');

    // Assess: 5 received days × (public 100 + enterprise 50), and 20 more public on 09-06
    const all = target(result, 'ALL', 'revenue');
    expect(all).toMatchObject({ month: '2026-09', target: 4000, actualToDate: 770, missingDays: 1 });
    expect(all.completion).toBeCloseTo(770 / 4000, 12);
    expect(all.timeProgress).toBeCloseTo(timeProgress, 12);
    expect(all.gap).toBeCloseTo(0.1925 - 6 / 30, 12);
    expect(all.gap!).toBeLessThan(0); // behind time by 0.75 points
    const publicRevenue = target(result, 'public', 'revenue');
    expect(publicRevenue).toMatchObject({ target: 2000, actualToDate: 520 });
    expect(publicRevenue.completion).toBeCloseTo(0.26, 12);
    expect(publicRevenue.gap).toBeCloseTo(0.26 - 6 / 30, 12);
    const enterpriseRevenue = target(result, 'enterprise', 'revenue');
    expect(enterpriseRevenue).toMatchObject({ target: 1000, actualToDate: 250 });
    expect(enterpriseRevenue.completion).toBeCloseTo(0.25, 12);
  });

  it('counts gross and net adds from September\'s sales only', async () => {
    // Act
    const result = await report('2026-W36');

    // Assess: 3 public new (09-01) + 2 enterprise new (09-02); churn 1 public (09-01) + 1 enterprise (09-05); 08-31's two new are August's
    const gross = target(result, 'ALL', 'grossAdds');
    expect(gross).toMatchObject({ target: 20, actualToDate: 5, missingDays: 1 });
    expect(gross.completion).toBeCloseTo(0.25, 12);
    const enterpriseGross = target(result, 'enterprise', 'grossAdds');
    expect(enterpriseGross).toMatchObject({ target: 8, actualToDate: 2 });
    expect(enterpriseGross.gap).toBeCloseTo(0.25 - 6 / 30, 12);
    const net = target(result, 'ALL', 'netAdds');
    expect(net).toMatchObject({ target: 20, actualToDate: 3 });
    expect(net.completion).toBeCloseTo(0.15, 12);
    expect(net.gap).toBeCloseTo(0.15 - 6 / 30, 12);
  });

  it('gives ARPU over the received days and CSAT over the tickets opened in September', async () => {
    // Act
    const result = await report('2026-W36');

    // Assess: Σ active_users = 5 × 100 + 20 + 5 × 10 = 570 over 5 received days = 114 users; ARPU = 770 / 114
    const arpu = target(result, 'ALL', 'arpu');
    expect(arpu.actualToDate).toBeCloseTo(770 / 114, 12);
    expect(arpu.completion).toBeCloseTo(770 / 114 / 30, 12);
    expect(arpu.missingDays).toBe(1);
    // scored in September: T8 5, T1 5, T2 3, T3 4, T5 2, T6 4 (T4 unscored, T7 August's) → 4 of 6 ≥ 4
    const csat = target(result, 'ALL', 'csat');
    expect(csat.actualToDate).toBeCloseTo(4 / 6, 12);
    expect(csat.completion).toBeCloseTo(4 / 6 / 0.8, 12);
    expect(csat.missingDays).toBe(1);
  });

  it('lists only the month\'s targets, ALL first, and names the province without targets', async () => {
    // Act
    const result = await report('2026-W36');

    // Assess
    expect(result.targets!.map((t) => `${t.province} ${t.segment} ${t.kpi}`)).toEqual([
      'JL ALL revenue', 'JL ALL grossAdds', 'JL ALL netAdds', 'JL ALL arpu', 'JL ALL csat',
      'JL public revenue', 'JL enterprise revenue', 'JL enterprise grossAdds',
    ]);
    expect(result.targetsNotSet).toEqual(['GD']);
    const gd = await report('2026-W36', 'GD');
    expect(gd.targets).toEqual([]);
    expect(gd.targetsNotSet).toEqual(['GD']);
  });
});

describe('targets for a month', () => {
  it('reads the whole month: time progress 100 %, every day not received missing', async () => {
    // Act
    const result = await report('2026-08');

    // Assess: August holds JL revenue of 08-31 only (1000 + 500) against 5000, 30 of its 31 days missing
    expect(result.targets).toHaveLength(1);
    const revenue = result.targets![0]!;
    expect(revenue).toMatchObject({ month: '2026-08', segment: 'ALL', kpi: 'revenue', target: 5000, actualToDate: 1500, timeProgress: 1, missingDays: 30 });
    expect(revenue.completion).toBeCloseTo(0.3, 12);
    expect(revenue.gap).toBeCloseTo(-0.7, 12);
  });

  it('has no figure, not 0, for a KPI whose extract has no day in the window', async () => {
    // Act: 2026-W35 (08-24 – 08-30) reads August 1–30, before JL's only August rows
    const result = await report('2026-W35');

    // Assess
    const revenue = result.targets![0]!;
    expect(revenue).toMatchObject({ actualToDate: null, completion: null, gap: null, missingDays: 30 });
    expect(revenue.timeProgress).toBeCloseTo(30 / 31, 12);
  });
});
