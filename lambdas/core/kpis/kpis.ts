/** Runs the KPI queries of SPEC §3 and assembles the `kpis.json` report of SPEC §5. */
import { PROVINCE_CODES, SEGMENTS, TARGET_KPI_CODES, type TargetKpi } from '../extracts/codes.js';
import { TelcoKpiError } from '../errors.js';
import {
  DIMENSIONS, WATCH_SIGNALS, type BundlePenetration, type CompletenessRow, type Dimension, type ExtractKind, type FeeBand, type KpiReport, type KpiRow,
  type MarketRow, type MigrationRow, type PackageBandRow, type PackageMix, type TargetRow, type WatchListRow, type WatchSignal, type WatchSignalKind,
  type RevenueTrend, type TrendWeek,
} from './kpi-types.js';
import { addDays, daysBetween, monthOf, previousPeriod, weekOf, type Period } from '../period.js';
import type { QueryEngine, Row, SqlValue } from '../ports.js';
import { DEFAULT_PACKAGES, DEFAULT_WATCH_LIST, MAX_FEE_BAND_EDGES, type PackageSettings, type WatchListSettings } from '../settings.js';

/** An upload that was rejected whole (from its receipt). */
export interface RejectedUpload {
  type: string;
  province: string;
  day: string;
  file: string;
  receivedAt: string;
  problemCount: number;
  firstProblem: string;
}

/** A stored lake partition (`lake/<type>/dt=<day>/province=<province>/`), from the lake listing. */
export interface StoredPartition {
  type: string;
  province: string;
  day: string;
}

export interface KpiRequest {
  period: Period;
  /** `ALL` or a province code. */
  scope: string;
  /** Provinces whose daily extracts a complete period needs (settings `provinces`). */
  expectedProvinces: readonly string[];
  rejectedUploads: readonly RejectedUpload[];
  /**
   * Stored partitions of the daily types, when the caller listed the lake: an accepted file
   * with no rows is then a received day (the queries only see days that hold rows).
   */
  storedPartitions?: readonly StoredPartition[];
  /** The watch list's threshold and windows (settings `watchList`; defaults when absent). */
  watchList?: WatchListSettings;
  /** The package bands (settings `packages`; defaults when absent). */
  packages?: PackageSettings;
  now: Date;
}

/** The request names a scope that is neither `ALL` nor a province code. */
export class KpiRequestError extends TelcoKpiError {}

/** A query answered with a column missing or a value of the wrong type. */
export class QueryResultError extends TelcoKpiError {}

export const DAILY_TYPES: readonly ExtractKind[] = ['sales', 'revenue', 'service'];

/** Parameters of `kpi_rows.sql`, in binding order. */
export function kpiRowsParams(period: Period, scope: string): SqlValue[] {
  const prev = previousPeriod(period);
  const block = [period.start, period.end, scope, prev.start, prev.end, scope];
  const tickets = [addDays(prev.start, -1), addDays(period.end, 1), prev.start, period.end, scope];
  return [periodShape(period), ...block, ...block, ...tickets, ...tickets, period.start];
}

/** `week:7:7`, or `month:<days of the month>:<days of the month before>` (kpi_rows' period_shape). */
export function periodShape(period: Period): string {
  const prev = previousPeriod(period);
  return `${period.kind}:${daysBetween(period.start, period.end).length}:${daysBetween(prev.start, prev.end).length}`;
}

/** Parameters of `received_days.sql`, in binding order (`start` may be earlier than the period's, for the targets' month). */
export function receivedDaysParams(start: string, end: string, scope: string): SqlValue[] {
  const block = [start, end, scope, scope];
  return [...block, ...block, ...block];
}

/** How many weeks the revenue trend shows, the report's week included (SPEC §10 Charts). */
export const TREND_WEEKS = 13;

/** Parameters of `revenue_trend.sql`, in binding order: the TREND_WEEKS weeks ending with the week. */
export function revenueTrendParams(week: Period, scope: string): SqlValue[] {
  return [addDays(week.start, -7 * (TREND_WEEKS - 1)), week.end, scope, scope];
}

/** Parameters of `market_share.sql`, in binding order (`month` is `YYYY-MM`). */
export function marketShareParams(month: string, scope: string): SqlValue[] {
  return [month, scope, scope, previousMonth(month), scope, scope];
}

/**
 * The days a period's targets are read over (SPEC §10): the month of the period's last day (a
 * week spanning two months reads the month of its last day), from its first day to the period's
 * end; a month reads itself whole.
 */
export function targetsWindow(period: Period): { month: string; start: string; end: string; windowDays: number; monthDays: number } {
  const month = monthOf(period.end);
  return {
    month: month.id, start: month.start, end: period.end,
    windowDays: daysBetween(month.start, period.end).length, monthDays: daysBetween(month.start, month.end).length,
  };
}

/** Parameters of `targets.sql`, in binding order. */
export function targetsParams(period: Period, scope: string): SqlValue[] {
  const { month, start, end, windowDays, monthDays } = targetsWindow(period);
  const tickets = [addDays(start, -1), addDays(end, 1), start, end, scope];
  return [
    month, scope,
    start, end, scope,
    start, end, scope,
    ...tickets, ...tickets,
    start, end, scope,
    windowDays, monthDays,
  ];
}

/** The extract a target's KPI is computed from (its missing days are that extract's). */
export const TARGET_SOURCE: Readonly<Record<TargetKpi, ExtractKind>> = {
  revenue: 'revenue', arpu: 'revenue', grossAdds: 'sales', netAdds: 'sales', csat: 'service',
};

/**
 * Runs kpi_rows, received_days and market_share for the period and scope and assembles the
 * report. Rows are ordered by dimension (as DIMENSIONS), then revenue descending, then keys.
 */
export async function computeKpis(engine: QueryEngine, request: KpiRequest): Promise<KpiReport> {
  return (await computeKpisWithPrevious(engine, request)).report;
}

/**
 * computeKpis, plus the previous period's figures from the same kpi_rows run (its prev_*
 * columns): `previous.rows` carry the plain figures (no shares or growths), and its market and
 * completeness are empty. Reports use it for the "last period" column without a second scan.
 */
export async function computeKpisWithPrevious(engine: QueryEngine, request: KpiRequest): Promise<{ report: KpiReport; previous: KpiReport }> {
  const { period, scope } = request;
  if (scope !== 'ALL' && !(PROVINCE_CODES as readonly string[]).includes(scope)) {
    throw new KpiRequestError(`scope '${scope}' is not valid: use ALL or a province code such as JL`);
  }
  const before = previousPeriod(period);
  const window = targetsWindow(period);
  // Both periods: the period's completeness, and which days growth compared like with like;
  // from the month's first day when earlier, for the targets' missing days.
  const receivedFrom = window.start < before.start ? window.start : before.start;
  const watchSettings = request.watchList ?? DEFAULT_WATCH_LIST;
  const edges = (request.packages ?? DEFAULT_PACKAGES).bands;
  // The queries do not depend on one another: on Athena, where each waits seconds in a queue and
  // on S3, they overlap (engine.parallel), so the report waits for the slowest instead of their sum.
  const [kpiRows, receivedRows, market, trendRows, watchRows, packageRows, targetRows] = await together(engine.parallel ?? 1, [
    () => engine.run('kpi_rows', kpiRowsParams(period, scope)),
    () => engine.run('received_days', receivedDaysParams(receivedFrom, period.end, scope)),
    () => marketRows(engine, period, scope),
    () => (period.kind === 'week' ? engine.run('revenue_trend', revenueTrendParams(period, scope)) : Promise.resolve(undefined)),
    () => engine.run('watch_list', watchListParams(period, scope, watchSettings)),
    () => engine.run('package_mix', packageMixParams(period, scope, edges)),
    () => engine.run('targets', targetsParams(period, scope)),
  ] as const);
  const trend = trendRows ? toRevenueTrend(trendRows, period, scope, request.expectedProvinces) : undefined;
  const watchList = toWatchList(watchRows, visitWindowStart(period, watchSettings));
  // A type the previous period holds no day of is no data, not zero: its figures there are null ("–").
  const previousTypes = new Set<string>();
  for (const row of receivedRows) {
    const dt = text(row, 'dt', 'received_days');
    if (dt >= before.start && dt <= before.end) previousTypes.add(text(row, 'type', 'received_days'));
  }
  for (const p of request.storedPartitions ?? []) if (p.day >= before.start && p.day <= before.end) previousTypes.add(p.type);
  const rows = kpiRows.map(toKpiRow).sort(compareKpiRows);
  const previousRows = kpiRows.map((row) => withoutMissingTypes(toPreviousKpiRow(row), previousTypes)).sort(compareKpiRows);
  const periodCompleteness = completeness(request, receivedRows);
  const targets = toTargets(targetRows, request, receivedRows);
  const salesReceived = periodCompleteness.some((c) => c.type === 'sales' && c.daysReceived > 0);
  return {
    report: {
      period: { kind: period.kind, id: period.id, start: period.start, end: period.end },
      scope,
      generatedAt: request.now.toISOString(),
      rows,
      market,
      completeness: periodCompleteness,
      ...(trend ? { trend } : {}),
      watchList,
      packages: toPackageMix(packageRows, edges, { rows, previousRows, salesReceived, previousSalesReceived: previousTypes.has('sales') }),
      targets,
      targetsNotSet: targetsNotSet(request, rows, targets),
    },
    previous: {
      period: { kind: before.kind, id: before.id, start: before.start, end: before.end },
      scope,
      generatedAt: request.now.toISOString(),
      rows: previousRows,
      market: [],
      completeness: [],
    },
  };
}

/**
 * Runs `jobs`, at most `limit` at a time, in their order; resolves to their results in that order.
 * The first failure rejects, once the jobs already started have ended (none is left running unseen).
 */
export async function together<T extends readonly unknown[]>(limit: number, jobs: { readonly [K in keyof T]: () => Promise<T[K]> }): Promise<T> {
  const results: unknown[] = new Array(jobs.length);
  let next = 0;
  let failed: { error: unknown } | undefined;
  const worker = async () => {
    while (next < jobs.length && !failed) {
      const i = next++;
      try {
        results[i] = await jobs[i]!();
      } catch (error) {
        failed ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, jobs.length)) }, worker));
  if (failed) throw failed.error;
  return results as unknown as T;
}

/** The first day of the window in which a key account's manager must have visited (its last `visitWeeks` weeks). */
function visitWindowStart(period: Period, settings: WatchListSettings): string {
  return addDays(period.end, -(settings.visitWeeks * 7 - 1));
}

/** Parameters of `watch_list.sql`, in binding order. */
export function watchListParams(period: Period, scope: string, settings: WatchListSettings): SqlValue[] {
  const holdingsStart = addDays(period.end, -(settings.holdingsDays - 1));
  const visitStart = visitWindowStart(period, settings);
  const serviceStart = addDays(visitStart < period.start ? visitStart : period.start, -1);
  return [
    holdingsStart, period.end, scope, scope, settings.feeThreshold,
    period.start, period.end,
    serviceStart, addDays(period.end, 1), scope, scope,
    period.start, period.end, Math.round(settings.faultResolveHours * 60),
    visitStart, period.end,
  ];
}

/** Parameters of `package_mix.sql`, in binding order: unused edge slots are null. */
export function packageMixParams(period: Period, scope: string, edges: readonly number[]): SqlValue[] {
  if (edges.length > MAX_FEE_BAND_EDGES) throw new KpiRequestError(`${edges.length} fee band edges: package_mix.sql takes at most ${MAX_FEE_BAND_EDGES}`);
  const prev = previousPeriod(period);
  const slots = Array.from({ length: MAX_FEE_BAND_EDGES }, (_, i) => edges[i] ?? null);
  return [periodShape(period), period.start, period.end, scope, scope, prev.start, prev.end, scope, scope, ...slots];
}

/** The bands the edges make: `<39`, `39–89`, `89–129`, `≥129` for [39, 89, 129]. */
export function feeBands(edges: readonly number[]): FeeBand[] {
  const bands: FeeBand[] = [];
  for (let band = 0; band <= edges.length; band++) {
    const lower = band === 0 ? null : edges[band - 1]!;
    const upper = band === edges.length ? null : edges[band]!;
    const label = lower === null ? `<${upper}` : upper === null ? `≥${lower}` : `${lower}–${upper}`;
    bands.push({ band, label, lower, upper });
  }
  return bands;
}

/**
 * revenue_trend rows as the TREND_WEEKS weeks ending with the report's week, oldest first; a week
 * the query has no row for is `missing` (revenue null), one with fewer province-days than 7 × the
 * scope's provinces is `partial`.
 */
function toRevenueTrend(rows: readonly Row[], week: Period, scope: string, expectedProvinces: readonly string[]): RevenueTrend {
  const q = 'revenue_trend';
  const byWeek = new Map<string, { total: number | null; provinceDays: number; segments: Map<string, number> }>();
  const seen = new Set<string>();
  for (const row of rows) {
    const start = text(row, 'week_start', q);
    const entry = byWeek.get(start) ?? { total: null, provinceDays: optionalNumber(row, 'province_days', q) ?? 0, segments: new Map<string, number>() };
    byWeek.set(start, entry);
    const dimension = text(row, 'dimension', q);
    const revenue = optionalNumber(row, 'revenue', q) ?? 0;
    if (dimension === 'total') entry.total = revenue;
    else if (dimension === 'segment') {
      const segment = text(row, 'segment', q);
      entry.segments.set(segment, revenue);
      seen.add(segment);
    } else throw new QueryResultError(`${q} returned dimension '${dimension}': expected total or segment`);
  }
  const order = Object.keys(SEGMENTS.codes);
  const segments = [...seen].sort((a, b) => (order.indexOf(a) + 1 || Infinity) - (order.indexOf(b) + 1 || Infinity) || compareText(a, b));
  const expected = 7 * (scope === 'ALL' ? new Set(expectedProvinces).size : 1);
  const weeks: TrendWeek[] = [];
  for (let i = TREND_WEEKS - 1; i >= 0; i--) {
    const w = weekOf(addDays(week.start, -7 * i));
    const entry = byWeek.get(w.start);
    const received = entry?.provinceDays ?? 0;
    weeks.push({
      week: w.id,
      start: w.start,
      end: w.end,
      revenue: entry ? entry.total ?? 0 : null,
      segments: segments.map((segment) => ({ segment, revenue: entry ? entry.segments.get(segment) ?? 0 : null })),
      provinceDaysReceived: received,
      provinceDaysExpected: expected,
      status: !entry ? 'missing' : received < expected ? 'partial' : 'complete',
    });
  }
  return { weeks };
}

const TARGET_SEGMENT_ORDER: readonly string[] = ['ALL', ...Object.keys(SEGMENTS.codes)];

/**
 * targets rows, ordered by province, segment (ALL first) and KPI. An accepted file without rows
 * is a received day here too, as in completeness: the query sees only days with rows, so such
 * days the lake listing names are taken off its missing days.
 */
function toTargets(rows: readonly Row[], request: KpiRequest, receivedRows: readonly Row[]): TargetRow[] {
  const q = 'targets';
  const { start, end } = targetsWindow(request.period);
  const withRows = new Set(receivedRows.map((r) => partitionId(text(r, 'type', 'received_days'), text(r, 'province', 'received_days'), text(r, 'dt', 'received_days'))));
  const emptyDays = new Map<string, number>();
  for (const p of request.storedPartitions ?? []) {
    if (p.day < start || p.day > end || withRows.has(partitionId(p.type, p.province, p.day))) continue;
    const key = `${p.type}/${p.province}`;
    emptyDays.set(key, (emptyDays.get(key) ?? 0) + 1);
  }
  return rows.map((row): TargetRow => {
    const kpi = text(row, 'kpi', q);
    if (!(TARGET_KPI_CODES as readonly string[]).includes(kpi)) throw new QueryResultError(`${q} returned kpi '${kpi}': expected one of ${TARGET_KPI_CODES.join(', ')}`);
    const province = text(row, 'province', q);
    const missing = optionalNumber(row, 'missing_days', q) ?? 0;
    return {
      month: text(row, 'month', q),
      province,
      segment: text(row, 'segment', q),
      kpi: kpi as TargetKpi,
      target: optionalNumber(row, 'target', q) ?? 0,
      actualToDate: optionalNumber(row, 'actual_to_date', q),
      completion: optionalNumber(row, 'completion', q),
      timeProgress: optionalNumber(row, 'time_progress', q) ?? 0,
      gap: optionalNumber(row, 'gap', q),
      missingDays: Math.max(0, missing - (emptyDays.get(`${TARGET_SOURCE[kpi as TargetKpi]}/${province}`) ?? 0)),
    };
  }).sort((a, b) => compareText(a.province, b.province)
    || TARGET_SEGMENT_ORDER.indexOf(a.segment) - TARGET_SEGMENT_ORDER.indexOf(b.segment)
    || TARGET_KPI_CODES.indexOf(a.kpi) - TARGET_KPI_CODES.indexOf(b.kpi));
}

/** The scope's provinces (expected, or with figures) that set no target for the month. */
function targetsNotSet(request: KpiRequest, rows: readonly KpiRow[], targets: readonly TargetRow[]): string[] {
  const set = new Set(targets.map((t) => t.province));
  const provinces = request.scope === 'ALL'
    ? new Set([...request.expectedProvinces, ...rows.filter((r) => r.dimension === 'province' && r.province).map((r) => r.province!)])
    : new Set([request.scope]);
  return [...provinces].filter((p) => !set.has(p)).sort();
}

/** watch_list rows (one per customer × signal) as one row per customer, ranked by fee at stake; noVisit carries the window's first day. */
function toWatchList(rows: readonly Row[], visitStart: string): WatchListRow[] {
  const q = 'watch_list';
  const byCustomer = new Map<string, WatchListRow>();
  for (const row of rows) {
    const province = text(row, 'province', q);
    const customerId = text(row, 'customer_id', q);
    const key = `${province}|${customerId}`;
    let entry = byCustomer.get(key);
    if (!entry) {
      entry = {
        province, customerId,
        subSegment: optionalText(row, 'sub_segment', q),
        accountManagerId: optionalText(row, 'account_manager_id', q),
        feeAtStake: optionalNumber(row, 'fee_at_stake', q) ?? 0,
        productsHeld: optionalNumber(row, 'products_held', q) ?? 0,
        signals: [],
      };
      byCustomer.set(key, entry);
    }
    const signal = text(row, 'signal', q);
    if (!(WATCH_SIGNALS as readonly string[]).includes(signal)) throw new QueryResultError(`${q} returned signal '${signal}': expected one of ${WATCH_SIGNALS.join(', ')}`);
    entry.signals.push({
      signal: signal as WatchSignalKind,
      day: optionalText(row, 'signal_day', q),
      product: optionalText(row, 'product', q),
      ref: optionalText(row, 'ref', q),
      feeBefore: optionalNumber(row, 'fee_before', q),
      feeAfter: optionalNumber(row, 'fee_after', q),
      ...(signal === 'noVisit' ? { since: visitStart } : {}),
    });
  }
  const bySignal = (a: WatchSignal, b: WatchSignal) => compareText(a.day, b.day)
    || WATCH_SIGNALS.indexOf(a.signal) - WATCH_SIGNALS.indexOf(b.signal) || compareText(a.ref, b.ref);
  return [...byCustomer.values()]
    .map((r) => ({ ...r, signals: r.signals.sort(bySignal) }))
    .sort((a, b) => b.feeAtStake - a.feeAtStake || compareText(a.province, b.province) || compareText(a.customerId, b.customerId));
}

interface PackageContext {
  rows: readonly KpiRow[];
  previousRows: readonly KpiRow[];
  /** Whether the period (and the one before) holds any sales day: without, new adds are no data, not 0. */
  salesReceived: boolean;
  previousSalesReceived: boolean;
}

/** package_mix rows as the bands and migration of kpis.json, with bundle penetration from kpi_rows. */
function toPackageMix(rows: readonly Row[], edges: readonly number[], context: PackageContext): PackageMix {
  const q = 'package_mix';
  const bands = feeBands(edges);
  const labelOf = (band: number) => bands[band]?.label ?? String(band);
  const parsed = rows.map((row) => {
    const flow = text(row, 'flow', q);
    if (flow !== 'new' && flow !== 'move') throw new QueryResultError(`${q} returned flow '${flow}': expected new or move`);
    const basis = text(row, 'growth_basis', q);
    if (basis !== 'all' && basis !== 'matched') throw new QueryResultError(`${q} returned growth_basis '${basis}': expected all or matched`);
    return {
      flow,
      fromBand: optionalNumber(row, 'from_band', q),
      toBand: optionalNumber(row, 'to_band', q) ?? 0,
      events: optionalNumber(row, 'events', q) ?? 0,
      upgrades: optionalNumber(row, 'upgrades', q) ?? 0,
      downgrades: optionalNumber(row, 'downgrades', q) ?? 0,
      share: optionalNumber(row, 'share', q),
      feeSum: optionalNumber(row, 'fee_sum', q) ?? 0,
      avgFee: optionalNumber(row, 'avg_fee', q),
      feeChange: optionalNumber(row, 'fee_change', q) ?? 0,
      prevEvents: optionalNumber(row, 'prev_events', q) ?? 0,
      eventsGrowth: optionalNumber(row, 'events_growth', q),
      growthBasis: basis as 'all' | 'matched',
    };
  });
  const newRows = parsed.filter((r) => r.flow === 'new');
  const anyNew = newRows.some((r) => r.events > 0);
  const cur = (n: number) => (context.salesReceived ? n : null);
  const prev = (n: number) => (context.previousSalesReceived ? n : null);
  const bandRows: PackageBandRow[] = bands.map((band) => {
    const r = newRows.find((x) => x.toBand === band.band);
    return {
      ...band,
      newAdds: cur(r?.events ?? 0),
      share: r?.share ?? (context.salesReceived && anyNew ? 0 : null),
      feeSum: cur(r?.feeSum ?? 0),
      avgFee: r?.avgFee ?? null,
      prevNewAdds: prev(r?.prevEvents ?? 0),
      newAddsGrowth: r?.eventsGrowth ?? null,
      growthBasis: r?.growthBasis ?? 'all',
    };
  });
  const migration: MigrationRow[] = parsed
    .filter((r) => r.flow === 'move' && r.fromBand !== null)
    .map((r) => ({
      fromBand: r.fromBand!, toBand: r.toBand, fromLabel: labelOf(r.fromBand!), toLabel: labelOf(r.toBand),
      upgrades: r.upgrades, downgrades: r.downgrades, events: r.events, prevEvents: r.prevEvents,
      eventsGrowth: r.eventsGrowth, growthBasis: r.growthBasis, feeChange: r.feeChange,
    }))
    .sort((a, b) => a.fromBand - b.fromBand || a.toBand - b.toBand);
  return { edges: [...edges], bands: bandRows, migration, bundlePenetration: bundlePenetration(context) };
}

/** Bundle share of new adds and of active users, from kpi_rows' product and total rows. */
function bundlePenetration(context: PackageContext): BundlePenetration {
  const share = (rows: readonly KpiRow[], value: (r: KpiRow) => number | null): number | null => {
    const total = rows.find((r) => r.dimension === 'total');
    const whole = total ? value(total) : null;
    if (whole == null || whole === 0) return null;
    const bundle = rows.find((r) => r.dimension === 'product' && r.product === 'bundle');
    return (bundle ? value(bundle) ?? 0 : 0) / whole;
  };
  return {
    newAdds: share(context.rows, (r) => r.grossAdds),
    prevNewAdds: share(context.previousRows, (r) => r.grossAdds),
    activeUsers: share(context.rows, (r) => r.activeUsersAvg),
    prevActiveUsers: share(context.previousRows, (r) => r.activeUsersAvg),
  };
}

/** For a month, that month; for a week, the month of its last day, or the month before when that one has no market data yet. */
async function marketRows(engine: QueryEngine, period: Period, scope: string): Promise<MarketRow[]> {
  const months = period.kind === 'month' ? [period.id] : [monthOf(period.end).id, previousMonth(monthOf(period.end).id)];
  for (const month of months) {
    const rows = await engine.run('market_share', marketShareParams(month, scope));
    if (rows.length > 0) return rows.map(toMarketRow).sort(compareMarketRows);
  }
  return [];
}

function completeness(request: KpiRequest, receivedRows: readonly Row[]): CompletenessRow[] {
  const { period, scope } = request;
  const days = daysBetween(period.start, period.end);
  const before = previousPeriod(period);
  const previousDays = daysBetween(before.start, before.end);
  const withRows = new Set<string>();
  for (const row of receivedRows) {
    withRows.add(partitionId(text(row, 'type', 'received_days'), text(row, 'province', 'received_days'), text(row, 'dt', 'received_days')));
  }
  const received = new Set(withRows);
  for (const p of request.storedPartitions ?? []) received.add(partitionId(p.type, p.province, p.day));

  /**
   * The pairs kpi_rows left out of growth (its header): the i-th day of each period is day i − 1
   * after the start (weekday for a week, day of month for a month); days only one period has are
   * kept. It decides on rows, as the query does, not on the lake listing.
   */
  const leftOut = (type: ExtractKind, province: string): CompletenessRow['growthLeftOut'] => {
    if (type === 'service') return [];
    const has = (day: string) => withRows.has(partitionId(type, province, day));
    if (![...days, ...previousDays].some(has)) return [];
    const pairs: CompletenessRow['growthLeftOut'] = [];
    for (let i = 0; i < Math.min(days.length, previousDays.length); i++) {
      const day = days[i]!;
      const previousDay = previousDays[i]!;
      if (has(day) !== has(previousDay)) pairs.push({ day, previousDay, missingIn: has(day) ? 'previous' : 'current' });
    }
    return pairs;
  };

  const provinces = scope === 'ALL' ? [...new Set(request.expectedProvinces)] : [scope];
  const result: CompletenessRow[] = [];
  for (const province of provinces) {
    for (const type of DAILY_TYPES) {
      const has = (day: string) => received.has(partitionId(type, province, day));
      const rejectedUploads = request.rejectedUploads
        .filter((r) => r.type === type && r.province === province && r.day >= period.start && r.day <= period.end && !has(r.day))
        .sort((a, b) => compareText(a.day, b.day) || compareText(a.receivedAt, b.receivedAt) || compareText(a.file, b.file))
        .map(({ file, day, receivedAt, problemCount, firstProblem }) => ({ file, day, receivedAt, problemCount, firstProblem }));
      const missingDays = days.filter((day) => !has(day));
      result.push({
        province,
        type,
        daysExpected: days.length,
        daysReceived: days.length - missingDays.length,
        missingDays,
        growthLeftOut: leftOut(type, province),
        rejectedUploads,
      });
    }
  }
  return result;
}

const KPI_NUMBER_COLUMNS = [
  ['revenue', 'revenue'], ['revenueShare', 'revenue_share'], ['activeUsersAvg', 'active_users_avg'],
  ['userShare', 'user_share'], ['arpu', 'arpu'], ['grossAdds', 'gross_adds'], ['churned', 'churned'],
  ['netAdds', 'net_adds'], ['churnRate', 'churn_rate'], ['revenueGrowth', 'revenue_growth'],
  ['grossAddsGrowth', 'gross_adds_growth'], ['activeUsersGrowth', 'active_users_growth'],
  ['arpuGrowth', 'arpu_growth'], ['responses', 'responses'], ['csat', 'csat'], ['avgScore', 'avg_score'],
  ['complaintsPer10k', 'complaints_per_10k'], ['firstResponseSla', 'first_response_sla'],
] as const satisfies ReadonlyArray<readonly [keyof KpiRow, string]>;

function toKpiRow(row: Row): KpiRow {
  const dimension = text(row, 'dimension', 'kpi_rows');
  if (!(DIMENSIONS as readonly string[]).includes(dimension)) {
    throw new QueryResultError(`kpi_rows returned dimension '${dimension}': expected one of ${DIMENSIONS.join(', ')}`);
  }
  const kpi = {
    dimension: dimension as Dimension,
    segment: optionalText(row, 'segment', 'kpi_rows'),
    subSegment: optionalText(row, 'sub_segment', 'kpi_rows'),
    channel: optionalText(row, 'channel', 'kpi_rows'),
    province: optionalText(row, 'province', 'kpi_rows'),
    product: optionalText(row, 'product', 'kpi_rows'),
  } as KpiRow;
  for (const [key, column] of KPI_NUMBER_COLUMNS) kpi[key] = optionalNumber(row, column, 'kpi_rows');
  const basis = text(row, 'growth_basis', 'kpi_rows');
  if (basis !== 'all' && basis !== 'matched') throw new QueryResultError(`kpi_rows returned growth_basis '${basis}': expected all or matched`);
  kpi.growthBasis = basis;
  return kpi;
}

const PREVIOUS_NUMBER_COLUMNS = [
  ['revenue', 'prev_revenue'], ['activeUsersAvg', 'prev_active_users_avg'], ['arpu', 'prev_arpu'],
  ['grossAdds', 'prev_gross_adds'], ['churned', 'prev_churned'], ['netAdds', 'prev_net_adds'],
  ['churnRate', 'prev_churn_rate'], ['responses', 'prev_responses'], ['csat', 'prev_csat'],
  ['avgScore', 'prev_avg_score'], ['complaintsPer10k', 'prev_complaints_per_10k'],
  ['firstResponseSla', 'prev_first_response_sla'],
] as const satisfies ReadonlyArray<readonly [keyof KpiRow, string]>;

/** The previous period's figures of a kpi_rows row; shares and growths are not computed for it. */
function toPreviousKpiRow(row: Row): KpiRow {
  const kpi = toKpiRow(row);
  for (const [key] of KPI_NUMBER_COLUMNS) kpi[key] = null;
  kpi.growthBasis = 'all';
  for (const [key, column] of PREVIOUS_NUMBER_COLUMNS) kpi[key] = optionalNumber(row, column, 'kpi_rows');
  return kpi;
}

const FIGURES_OF_TYPE: Record<ExtractKind, ReadonlyArray<keyof KpiRow>> = {
  revenue: ['revenue', 'activeUsersAvg', 'arpu', 'churnRate', 'complaintsPer10k'],
  sales: ['grossAdds', 'churned', 'netAdds', 'churnRate'],
  service: ['responses', 'csat', 'avgScore', 'complaintsPer10k', 'firstResponseSla'],
};

/** The previous row with the figures of every daily type the previous period has no day of set to null. */
function withoutMissingTypes(row: KpiRow, present: ReadonlySet<string>): KpiRow {
  const out = { ...row } as Record<keyof KpiRow, unknown>;
  for (const type of DAILY_TYPES) if (!present.has(type)) for (const key of FIGURES_OF_TYPE[type]) out[key] = null;
  return out as KpiRow;
}

function toMarketRow(row: Row): MarketRow {
  const q = 'market_share';
  return {
    month: text(row, 'month', q),
    province: text(row, 'province', q),
    product: text(row, 'product', q),
    operator: text(row, 'operator', q),
    revenue: optionalNumber(row, 'revenue', q) ?? 0,
    revenueShare: optionalNumber(row, 'revenue_share', q),
    users: optionalNumber(row, 'users', q) ?? 0,
    userShare: optionalNumber(row, 'user_share', q),
    qualityIndex: optionalNumber(row, 'quality_index', q),
    revenueGrowth: optionalNumber(row, 'revenue_growth', q),
    usersGrowth: optionalNumber(row, 'users_growth', q),
  };
}

function compareKpiRows(a: KpiRow, b: KpiRow): number {
  return DIMENSIONS.indexOf(a.dimension) - DIMENSIONS.indexOf(b.dimension)
    || (b.revenue ?? -Infinity) - (a.revenue ?? -Infinity)
    || compareText(a.segment, b.segment)
    || compareText(a.subSegment, b.subSegment)
    || compareText(a.channel, b.channel)
    || compareText(a.province, b.province)
    || compareText(a.product, b.product);
}

/** Province, product, then this operator (`self`) first and competitors by revenue. */
function compareMarketRows(a: MarketRow, b: MarketRow): number {
  return compareText(a.province, b.province)
    || compareText(a.product, b.product)
    || Number(b.operator === 'self') - Number(a.operator === 'self')
    || b.revenue - a.revenue
    || compareText(a.operator, b.operator);
}

/** Code-point order (not locale order), nulls last. */
function compareText(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

function previousMonth(month: string): string {
  return monthOf(addDays(`${month}-01`, -1)).id;
}

function partitionId(type: string, province: string, day: string): string {
  return `${type}/${province}/${day}`;
}

function column(row: Row, name: string, query: string): SqlValue {
  if (!(name in row)) throw new QueryResultError(`${query} returned no column '${name}': expected the columns its header comment lists`);
  return row[name] ?? null;
}

function optionalText(row: Row, name: string, query: string): string | null {
  const value = column(row, name, query);
  if (value === null) return null;
  if (typeof value !== 'string') throw new QueryResultError(`${query} column '${name}' is ${JSON.stringify(value)}: expected text`);
  return value;
}

function text(row: Row, name: string, query: string): string {
  const value = optionalText(row, name, query);
  if (value === null) throw new QueryResultError(`${query} column '${name}' is null: expected a value`);
  return value;
}

/** Numbers, or numeric text (engines that answer in strings). */
function optionalNumber(row: Row, name: string, query: string): number | null {
  const value = column(row, name, query);
  if (value === null) return null;
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  if (!Number.isFinite(n)) throw new QueryResultError(`${query} column '${name}' is ${JSON.stringify(value)}: expected a number`);
  return n;
}
