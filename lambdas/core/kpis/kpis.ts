/** Runs the KPI queries of SPEC §3 and assembles the `kpis.json` report of SPEC §5. */
import { PROVINCE_CODES } from '../extracts/codes.js';
import { TelcoKpiError } from '../errors.js';
import { DIMENSIONS, type CompletenessRow, type Dimension, type ExtractKind, type KpiReport, type KpiRow, type MarketRow } from './kpi-types.js';
import { addDays, daysBetween, monthOf, previousPeriod, type Period } from '../period.js';
import type { QueryEngine, Row, SqlValue } from '../ports.js';

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
  const block = [period.start, period.end, scope, scope, prev.start, prev.end, scope, scope];
  return [periodShape(period), ...block, ...block, addDays(prev.start, -1), addDays(period.end, 1), prev.start, period.end, scope, scope, period.start];
}

/** `week:7:7`, or `month:<days of the month>:<days of the month before>` (kpi_rows' period_shape). */
export function periodShape(period: Period): string {
  const prev = previousPeriod(period);
  return `${period.kind}:${daysBetween(period.start, period.end).length}:${daysBetween(prev.start, prev.end).length}`;
}

/** Parameters of `received_days.sql`, in binding order. */
export function receivedDaysParams(start: string, end: string, scope: string): SqlValue[] {
  const block = [start, end, scope, scope];
  return [...block, ...block, ...block];
}

/** Parameters of `market_share.sql`, in binding order (`month` is `YYYY-MM`). */
export function marketShareParams(month: string, scope: string): SqlValue[] {
  return [month, scope, scope, previousMonth(month), scope, scope];
}

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
  const kpiRows = await engine.run('kpi_rows', kpiRowsParams(period, scope));
  const before = previousPeriod(period);
  // Both periods: the period's completeness, and which days growth compared like with like.
  const receivedRows = await engine.run('received_days', receivedDaysParams(before.start, period.end, scope));
  const market = await marketRows(engine, period, scope);
  // A type the previous period holds no day of is no data, not zero: its figures there are null ("–").
  const previousTypes = new Set<string>();
  for (const row of receivedRows) {
    const dt = text(row, 'dt', 'received_days');
    if (dt >= before.start && dt <= before.end) previousTypes.add(text(row, 'type', 'received_days'));
  }
  for (const p of request.storedPartitions ?? []) if (p.day >= before.start && p.day <= before.end) previousTypes.add(p.type);
  return {
    report: {
      period: { kind: period.kind, id: period.id, start: period.start, end: period.end },
      scope,
      generatedAt: request.now.toISOString(),
      rows: kpiRows.map(toKpiRow).sort(compareKpiRows),
      market,
      completeness: completeness(request, receivedRows),
    },
    previous: {
      period: { kind: before.kind, id: before.id, start: before.start, end: before.end },
      scope,
      generatedAt: request.now.toISOString(),
      rows: kpiRows.map((row) => withoutMissingTypes(toPreviousKpiRow(row), previousTypes)).sort(compareKpiRows),
      market: [],
      completeness: [],
    },
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
