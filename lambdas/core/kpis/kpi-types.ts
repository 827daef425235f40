/** The shape of `kpis.json` (SPEC §5): the same figures the workbook and the e-mail show. */
import type { TargetKpi } from '../extracts/codes.js';
import type { Period } from '../period.js';

export type Dimension = 'total' | 'segment' | 'subSegment' | 'channel' | 'segmentChannel' | 'province' | 'product';
export const DIMENSIONS: readonly Dimension[] = ['total', 'segment', 'subSegment', 'channel', 'segmentChannel', 'province', 'product'];

/** One group's KPIs; ratios are fractions (0.123 = 12.3 %), money in CNY at full precision. */
export interface KpiRow {
  dimension: Dimension;
  segment: string | null;
  subSegment: string | null;
  channel: string | null;
  province: string | null;
  product: string | null;
  revenue: number | null;
  revenueShare: number | null;
  activeUsersAvg: number | null;
  userShare: number | null;
  arpu: number | null;
  grossAdds: number | null;
  churned: number | null;
  netAdds: number | null;
  churnRate: number | null;
  revenueGrowth: number | null;
  grossAddsGrowth: number | null;
  activeUsersGrowth: number | null;
  arpuGrowth: number | null;
  /**
   * `matched` when some province-days of this group were left out of both sides of its growths
   * because the same day of the other period was not received (SPEC §3, like with like); `all`
   * when every received day was compared.
   */
  growthBasis: GrowthBasis;
  responses: number | null;
  csat: number | null;
  avgScore: number | null;
  complaintsPer10k: number | null;
  firstResponseSla: number | null;
}

export type GrowthBasis = 'all' | 'matched';

export interface MarketRow {
  month: string;
  province: string;
  product: string;
  operator: string;
  revenue: number;
  revenueShare: number | null;
  users: number;
  userShare: number | null;
  qualityIndex: number | null;
  revenueGrowth: number | null;
  usersGrowth: number | null;
}

export type ExtractKind = 'sales' | 'revenue' | 'service';

/** One province × daily extract type in the period: what arrived and what did not. */
export interface CompletenessRow {
  province: string;
  type: ExtractKind;
  daysExpected: number;
  daysReceived: number;
  missingDays: string[];
  /**
   * For sales and revenue: the i-th days of the period and of the period before of which only one
   * was received, so that this province's rows of both were left out of the growths (SPEC §3,
   * like with like; `missingIn` says which side was not received). Empty for service.
   */
  growthLeftOut: GrowthLeftOut[];
  /** Rejected uploads for this province/type/period that no accepted upload has replaced. */
  rejectedUploads: Array<{ file: string; day: string; receivedAt: string; problemCount: number; firstProblem: string }>;
}

/** How much of a week's revenue extracts arrived: all province-days, some, or none. */
export type TrendWeekStatus = 'complete' | 'partial' | 'missing';

/** One week of the revenue trend; revenue is null when no revenue day of the week was received. */
export interface TrendWeek {
  /** `2026-W47`. */
  week: string;
  start: string;
  end: string;
  revenue: number | null;
  /**
   * Revenue per segment code, every segment the window holds, in SEGMENTS order: 0 for a segment
   * without rows in a received week, null throughout a missing week.
   */
  segments: Array<{ segment: string; revenue: number | null }>;
  provinceDaysReceived: number;
  /** 7 × the provinces of the scope. */
  provinceDaysExpected: number;
  status: TrendWeekStatus;
}

/** The weekly revenue trend of a report (oldest week first, the report's week last). */
export interface RevenueTrend {
  weeks: TrendWeek[];
}

export interface GrowthLeftOut {
  day: string;
  previousDay: string;
  missingIn: 'current' | 'previous';
}

export interface KpiReport {
  period: Pick<Period, 'kind' | 'id' | 'start' | 'end'>;
  scope: string;
  generatedAt: string;
  rows: KpiRow[];
  market: MarketRow[];
  completeness: CompletenessRow[];
  /** Weekly revenue of the 13 weeks ending with the report's week (SPEC §10 Charts); weekly reports only. */
  trend?: RevenueTrend;
  /**
   * Enterprise key accounts at risk in the period (SPEC §10, 重点客户预警), ranked by fee at stake.
   * Absent only in reports written before it existed.
   */
  watchList?: WatchListRow[];
  /** New adds by fee band, the migration between bands, bundle penetration (SPEC §10, 套餐结构). */
  packages?: PackageMix;
  /**
   * Each monthly target of the scope beside its figure to date (SPEC §10, 指标完成率), for the
   * month of the period's last day. Absent only in reports written before it existed.
   */
  targets?: TargetRow[];
  /** Provinces of the scope that set no target for that month (未设指标: shown so, never as 0 %). */
  targetsNotSet?: string[];
  /**
   * Set on a month that holds only `market` data (SPEC §5): the report is its market-share view,
   * `rows` is empty and no revenue, users, sales or service figure is shown.
   */
  marketOnly?: true;
}

/** One target of a province's month beside the figure to date (SPEC §10). */
export interface TargetRow {
  /** `YYYY-MM`: the month of the period's last day. */
  month: string;
  province: string;
  /** A segment code, or `ALL` for the province as a whole. */
  segment: string;
  kpi: TargetKpi;
  target: number;
  /** The KPI over the month's days up to the period's end that were received; null when none was. */
  actualToDate: number | null;
  /** actualToDate / target. */
  completion: number | null;
  /** Days of the month up to the period's end / days in the month. */
  timeProgress: number;
  /** completion − timeProgress (behind time when negative). */
  gap: number | null;
  /** Days of the month up to the period's end on which the KPI's extract was expected and not received. */
  missingDays: number;
}

export type WatchSignalKind = 'downgrade' | 'partialChurn' | 'complaint' | 'faultSlow' | 'faultOpen' | 'noVisit';
export const WATCH_SIGNALS: readonly WatchSignalKind[] = ['downgrade', 'partialChurn', 'complaint', 'faultSlow', 'faultOpen', 'noVisit'];

/** One warning sign of a key account: the event or ticket behind it and its day (null for noVisit). */
export interface WatchSignal {
  signal: WatchSignalKind;
  day: string | null;
  product: string | null;
  /** The sales event_id or the ticket_id. */
  ref: string | null;
  /** downgrade: prev_monthly_fee → monthly_fee; partialChurn: the churned product's fee → 0. */
  feeBefore: number | null;
  feeAfter: number | null;
  /** noVisit: the first day of the visit window, from which no visit by the account manager came. */
  since?: string;
}

/** A key account (enterprise, fee at stake ≥ threshold) with at least one signal in the period. */
export interface WatchListRow {
  province: string;
  /** Pseudonymous, as uploaded. */
  customerId: string;
  subSegment: string | null;
  accountManagerId: string | null;
  /** CNY a month: the latest monthly_fee of each product still held. */
  feeAtStake: number;
  productsHeld: number;
  signals: WatchSignal[];
}

/** A monthly-fee band: `lower` ≤ fee < `upper` (null: unbounded). */
export interface FeeBand {
  band: number;
  /** `<39`, `39–89`, `≥129`. */
  label: string;
  lower: number | null;
  upper: number | null;
}

/** New adds of one band; figures null when the period has no sales data at all. */
export interface PackageBandRow extends FeeBand {
  newAdds: number | null;
  /** Share of the period's new adds. */
  share: number | null;
  /** Σ monthly_fee of the new adds. */
  feeSum: number | null;
  avgFee: number | null;
  prevNewAdds: number | null;
  newAddsGrowth: number | null;
  growthBasis: GrowthBasis;
}

/** Upgrades and downgrades from one band to another (the same band: a move inside it). */
export interface MigrationRow {
  fromBand: number;
  toBand: number;
  fromLabel: string;
  toLabel: string;
  upgrades: number;
  downgrades: number;
  events: number;
  prevEvents: number;
  eventsGrowth: number | null;
  growthBasis: GrowthBasis;
  /** Σ (monthly_fee − prev_monthly_fee) of the period's moves, CNY a month. */
  feeChange: number;
}

/** Bundle (融合) share of new adds (sales) and of active users (revenue), this period and the one before. */
export interface BundlePenetration {
  newAdds: number | null;
  prevNewAdds: number | null;
  activeUsers: number | null;
  prevActiveUsers: number | null;
}

export interface PackageMix {
  /** The configured edges (CNY a month). */
  edges: number[];
  bands: PackageBandRow[];
  migration: MigrationRow[];
  bundlePenetration: BundlePenetration;
}
