import { describe, expect, it } from 'vitest';
import {
  computeKpis, computeKpisWithPrevious, kpiRowsParams, together, KpiRequestError, marketShareParams, packageMixParams, QueryResultError, receivedDaysParams, targetsParams, targetsWindow, watchListParams,
} from '../../lambdas/core/kpis/kpis.js';
import { parsePeriod } from '../../lambdas/core/period.js';
import type { QueryEngine, Row, SqlValue } from '../../lambdas/core/ports.js';

/** A QueryEngine that answers each query name with fixed rows and records the calls. */
class FixedAnswers implements QueryEngine {
  readonly calls: Array<{ name: string; params: readonly SqlValue[] }> = [];
  constructor(private readonly answers: Record<string, Row[]>) {}
  async run(name: string, params: readonly SqlValue[]): Promise<Row[]> {
    this.calls.push({ name, params });
    return this.answers[name] ?? [];
  }
  async close(): Promise<void> {}
}

const request = { scope: 'ALL', expectedProvinces: ['JL'], rejectedUploads: [], now: new Date('2026-12-01T00:00:00Z') };

describe('kpi query parameters', () => {
  it('binds the week, the week before and the widened service file days in the order of kpi_rows.sql', () => {
    // Act
    const params = kpiRowsParams(parsePeriod('2026-W47'), 'JL');

    // Assess
    const block = ['2026-11-16', '2026-11-22', 'JL', '2026-11-09', '2026-11-15', 'JL'];
    const tickets = ['2026-11-08', '2026-11-23', '2026-11-09', '2026-11-22', 'JL'];
    expect(params).toEqual(['week:7:7', ...block, ...block, ...tickets, ...tickets, '2026-11-16']);
  });

  it('binds a month against the previous month, across a year end', () => {
    // Act
    const kpi = kpiRowsParams(parsePeriod('2026-01'), 'ALL');
    const market = marketShareParams('2026-01', 'GD');

    // Assess
    expect(kpi.slice(0, 3)).toEqual(['month:31:31', '2026-01-01', '2026-01-31']);
    expect(kpi.slice(4, 6)).toEqual(['2025-12-01', '2025-12-31']);
    expect(kpi.slice(13, 17)).toEqual(['2025-11-30', '2026-02-01', '2025-12-01', '2026-01-31']);
    expect(kpi.slice(18, 22)).toEqual(['2025-11-30', '2026-02-01', '2025-12-01', '2026-01-31']);
    expect(kpi[23]).toBe('2026-01-01');
    expect(kpi).toHaveLength(24);
    // every pair of adjacent months has a period_shape row in kpi_rows.sql
    expect(['2026-03', '2026-04', '2026-05', '2028-02', '2028-03', '2026-02'].map((m) => kpiRowsParams(parsePeriod(m), 'ALL')[0]))
      .toEqual(['month:31:28', 'month:30:31', 'month:31:30', 'month:29:31', 'month:31:29', 'month:28:31']);
    expect(market).toEqual(['2026-01', 'GD', 'GD', '2025-12', 'GD', 'GD']);
  });

  it('repeats the range and scope for each daily type in received_days.sql', () => {
    // Act
    const params = receivedDaysParams('2026-11-01', '2026-11-30', 'ALL');

    // Assess
    expect(params).toEqual(Array.from({ length: 3 }, () => ['2026-11-01', '2026-11-30', 'ALL', 'ALL']).flat());
  });
});

describe('computeKpis', () => {
  it('rejects a scope that is neither ALL nor a province code, before any query', async () => {
    // Prepare
    const engine = new FixedAnswers({});

    // Act
    const result = computeKpis(engine, { ...request, period: parsePeriod('2026-W47'), scope: 'Jilin' });

    // Assess
    await expect(result).rejects.toThrow(KpiRequestError);
    await expect(result).rejects.toThrow(/'Jilin'.*ALL or a province code/);
    expect(engine.calls).toEqual([]);
  });

  it('names the query and column when a result lacks a column', async () => {
    // Prepare
    const engine = new FixedAnswers({ kpi_rows: [{ dimension: 'total', segment: null }] });

    // Act
    const result = computeKpis(engine, { ...request, period: parsePeriod('2026-W47') });

    // Assess
    await expect(result).rejects.toThrow(QueryResultError);
    await expect(result).rejects.toThrow(/kpi_rows returned no column 'sub_segment'/);
  });

  it('reads numbers given as text, as engines that answer in strings do', async () => {
    // Prepare
    const numbers = ['revenue', 'revenue_share', 'active_users_avg', 'user_share', 'arpu', 'gross_adds', 'churned', 'net_adds',
      'churn_rate', 'revenue_growth', 'gross_adds_growth', 'active_users_growth', 'arpu_growth', 'responses', 'csat',
      'avg_score', 'complaints_per_10k', 'first_response_sla'];
    const previous = ['prev_revenue', 'prev_active_users_avg', 'prev_arpu', 'prev_gross_adds', 'prev_churned', 'prev_net_adds',
      'prev_churn_rate', 'prev_responses', 'prev_csat', 'prev_avg_score', 'prev_complaints_per_10k', 'prev_first_response_sla'];
    const kpiRow: Row = { dimension: 'total', segment: null, sub_segment: null, channel: null, province: null, product: null };
    for (const n of [...numbers, ...previous]) kpiRow[n] = null;
    kpiRow.growth_basis = 'all';
    kpiRow.revenue = '4300.5';
    kpiRow.gross_adds = 5;
    const engine = new FixedAnswers({ kpi_rows: [kpiRow] });

    // Act
    const report = await computeKpis(engine, { ...request, period: parsePeriod('2026-11') });

    // Assess
    expect(report.rows).toHaveLength(1);
    expect(report.rows[0]).toMatchObject({ dimension: 'total', revenue: 4300.5, grossAdds: 5, csat: null, subSegment: null });
    expect(Object.keys(report.rows[0]!)).toHaveLength(6 + numbers.length + 1);
    expect(report.rows[0]!.growthBasis).toBe('all');
    expect(engine.calls.map((c) => c.name)).toEqual(['kpi_rows', 'received_days', 'market_share', 'watch_list', 'package_mix', 'targets']);
    expect(report.completeness.map((c) => c.daysExpected)).toEqual([30, 30, 30]);
  });
});

/** FixedAnswers that takes a while per query, as Athena does, and records how many ran at once. */
class SlowAnswers extends FixedAnswers {
  inFlight = 0;
  maxInFlight = 0;
  constructor(answers: Record<string, Row[]>, readonly parallel?: number) {
    super(answers);
  }
  override async run(name: string, params: readonly SqlValue[]): Promise<Row[]> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((resolve) => setTimeout(resolve, 5));
    try {
      return await super.run(name, params);
    } finally {
      this.inFlight--;
    }
  }
}

describe('the period\'s queries together', () => {
  it('overlap on an engine that runs queries at once, at most as many as it says, with the same report as one at a time', async () => {
    // Prepare
    const answers = { received_days: [{ dt: '2026-11-16', type: 'sales', province: 'JL' }] };
    const serial = new SlowAnswers(answers);
    const athenaLike = new SlowAnswers(answers, 3);
    const week = { ...request, period: parsePeriod('2026-W47') };

    // Act
    const one = await computeKpisWithPrevious(serial, week);
    const three = await computeKpisWithPrevious(athenaLike, week);

    // Assess
    expect(serial.maxInFlight).toBe(1);
    expect(athenaLike.maxInFlight).toBe(3);
    expect(three).toEqual(one);
    expect(athenaLike.calls.map((c) => c.name).sort()).toEqual(serial.calls.map((c) => c.name).sort());
    expect(serial.calls.map((c) => c.name)).toEqual(['kpi_rows', 'received_days', 'market_share', 'market_share', 'revenue_trend', 'watch_list', 'package_mix', 'targets']);
  });

  it('gives the results in the jobs\' order, and rejects with the first failure once the started jobs have ended', async () => {
    // Prepare
    const ended: string[] = [];
    const job = (name: string, ms: number, fail = false) => async () => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      ended.push(name);
      if (fail) throw new Error(`${name} failed`);
      return name;
    };

    // Act
    const ordered = await together(2, [job('a', 20), job('b', 1), job('c', 1)] as const);
    ended.length = 0;
    const failed = await together(2, [job('slow', 30), job('bad', 1, true), job('never', 1)] as const).catch((e: Error) => e);

    // Assess
    expect(ordered).toEqual(['a', 'b', 'c']);
    expect((failed as Error).message).toBe('bad failed');
    expect(ended).toEqual(['bad', 'slow']);
  });
});

describe('targets', () => {
  it('reads a week spanning two months over the month of its last day, and a month whole', () => {
    // Act: 2026-W49 is Monday 11-30 to Sunday 12-06
    const week = targetsWindow(parsePeriod('2026-W49'));
    const month = targetsWindow(parsePeriod('2026-11'));
    const params = targetsParams(parsePeriod('2026-W49'), 'JL');

    // Assess
    expect(week).toEqual({ month: '2026-12', start: '2026-12-01', end: '2026-12-06', windowDays: 6, monthDays: 31 });
    expect(month).toEqual({ month: '2026-11', start: '2026-11-01', end: '2026-11-30', windowDays: 30, monthDays: 30 });
    expect(params).toEqual([
      '2026-12', 'JL',
      '2026-12-01', '2026-12-06', 'JL',
      '2026-12-01', '2026-12-06', 'JL',
      '2026-11-30', '2026-12-07', '2026-12-01', '2026-12-06', 'JL',
      '2026-11-30', '2026-12-07', '2026-12-01', '2026-12-06', 'JL',
      '2026-12-01', '2026-12-06', 'JL',
      6, 31,
    ]);
  });

  it('orders targets by province, ALL before segments, KPIs as listed; takes accepted empty files off the missing days; names provinces without targets', async () => {
    // Prepare
    const row = (province: string, segment: string, kpi: string, missing: number): Row => ({
      month: '2026-12', province, segment, kpi, target: '100', actual_to_date: '50.5', completion: 0.505, time_progress: 0.5, gap: 0.005, missing_days: missing,
    });
    const engine = new FixedAnswers({
      targets: [row('JL', 'public', 'revenue', 2), row('JL', 'ALL', 'csat', 1), row('JL', 'ALL', 'revenue', 2), row('GD', 'ALL', 'grossAdds', 0)],
      received_days: [{ type: 'revenue', province: 'JL', dt: '2026-12-01' }],
    });
    const storedPartitions = [
      { type: 'revenue', province: 'JL', day: '2026-12-01' }, // has rows: the query saw it
      { type: 'revenue', province: 'JL', day: '2026-12-02' }, // accepted with no rows
      { type: 'revenue', province: 'JL', day: '2026-11-30' }, // before the month
    ];

    // Act
    const report = await computeKpis(engine, { ...request, expectedProvinces: ['JL', 'GD', 'SC'], storedPartitions, period: parsePeriod('2026-W49') });

    // Assess
    expect(report.targets!.map((t) => [t.province, t.segment, t.kpi, t.missingDays])).toEqual([
      ['GD', 'ALL', 'grossAdds', 0], ['JL', 'ALL', 'revenue', 1], ['JL', 'ALL', 'csat', 1], ['JL', 'public', 'revenue', 1],
    ]);
    expect(report.targets![1]).toEqual({ month: '2026-12', province: 'JL', segment: 'ALL', kpi: 'revenue', target: 100, actualToDate: 50.5, completion: 0.505, timeProgress: 0.5, gap: 0.005, missingDays: 1 });
    expect(report.targetsNotSet).toEqual(['SC']);
    // received_days covers the week before (growth) and the month to date (targets), whichever starts first
    expect(engine.calls.find((c) => c.name === 'received_days')!.params.slice(0, 2)).toEqual(['2026-11-23', '2026-12-06']);
    const late = new FixedAnswers({});
    await computeKpis(late, { ...request, period: parsePeriod('2026-W48') });
    expect(late.calls.find((c) => c.name === 'received_days')!.params.slice(0, 2)).toEqual(['2026-11-01', '2026-11-29']);
  });

  it('rejects a KPI the query should never return', async () => {
    // Prepare
    const engine = new FixedAnswers({ targets: [{ month: '2026-12', province: 'JL', segment: 'ALL', kpi: 'profit', target: 1, actual_to_date: null, completion: null, time_progress: 0.1, gap: null, missing_days: 0 }] });

    // Act
    const result = computeKpis(engine, { ...request, period: parsePeriod('2026-W49') });

    // Assess
    await expect(result).rejects.toThrow(/targets returned kpi 'profit'/);
  });
});

describe('watch list and package mix parameters', () => {
  it('bind the holdings window, threshold, period, service days, fault minutes and visit window in the order of watch_list.sql', () => {
    // Act: a week, the default settings (4-week visit window from 10-26, one year of holdings)
    const params = watchListParams(parsePeriod('2026-W47'), 'GD', { feeThreshold: 3334, faultResolveHours: 2, visitWeeks: 4, holdingsDays: 365 });
    // Assess
    expect(params).toEqual(['2025-11-23', '2026-11-22', 'GD', 'GD', 3334, '2026-11-16', '2026-11-22', '2026-10-25', '2026-11-23', 'GD', 'GD',
      '2026-11-16', '2026-11-22', 120, '2026-10-26', '2026-11-22']);
  });

  it('bind six band edge slots, the unused ones null, after the shape and both periods', () => {
    // Act
    const params = packageMixParams(parsePeriod('2026-11'), 'ALL', [39, 89, 129]);
    // Assess
    expect(params).toEqual(['month:30:31', '2026-11-01', '2026-11-30', 'ALL', 'ALL', '2026-10-01', '2026-10-31', 'ALL', 'ALL', 39, 89, 129, null, null, null]);
    expect(() => packageMixParams(parsePeriod('2026-11'), 'ALL', [1, 2, 3, 4, 5, 6, 7])).toThrow(KpiRequestError);
  });
});
