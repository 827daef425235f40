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
  responses: number | null;
  csat: number | null;
  avgScore: number | null;
  complaintsPer10k: number | null;
  firstResponseSla: number | null;
}

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
  /** Rejected uploads for this province/type/period that no accepted upload has replaced. */
  rejectedUploads: Array<{ file: string; day: string; receivedAt: string; problemCount: number; firstProblem: string }>;
}

export interface KpiReport {
  period: Pick<Period, 'kind' | 'id' | 'start' | 'end'>;
  scope: string;
  generatedAt: string;
  rows: KpiRow[];
  market: MarketRow[];
  completeness: CompletenessRow[];
}
