/** The shape of `kpis.json` (SPEC §5): the same figures the workbook and the e-mail show. */
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
  /**
   * Set on a month that holds only `market` data (SPEC §5): the report is its market-share view,
   * `rows` is empty and no revenue, users, sales or service figure is shown.
   */
  marketOnly?: true;
}
