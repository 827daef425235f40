/** Plain records the incentive calculation reads and the tally it produces. */
import type { Period } from '../period.js';

/** One sales event as read from the lake; money as exact decimal strings ('129.00'). */
export interface SalesEventRecord {
  eventId: string;
  eventDate: string;
  province: string;
  customerId: string;
  segment: string;
  subSegment: string | null;
  channel: string;
  product: string;
  eventType: string;
  monthlyFee: string;
  prevMonthlyFee: string | null;
  accountManagerId: string | null;
}

/** A manager's scored tickets of the period: `satisfied` counts scores ≥ 4. */
export interface TicketScore {
  accountManagerId: string;
  scored: number;
  satisfied: number;
}

export interface RosterManager {
  accountManagerId: string;
  name: string;
  province: string;
  city: string;
  team: string;
  role: string;
  startDate: string;
  endDate: string | null;
}

/** The event a clawback line reverses. */
export interface ClawbackOrigin {
  eventId: string;
  date: string;
  ruleId: string;
  planVersion: number;
}

/** One line of a manager's statement: a credit (rule points) or a clawback (negative). */
export interface StatementLine {
  eventId: string;
  ruleId: string;
  /** Exact points of the line (a clawback is negative). */
  points: number;
  date: string;
  customerId: string;
  product: string;
  eventType: string;
  /** Set on clawback lines: the credited `new` that the churn `eventId` reverses. */
  clawbackOf: ClawbackOrigin | null;
}

export interface ManagerStatement {
  accountManagerId: string;
  /** From the roster; null when the manager is not in it (see dataProblems). */
  name: string | null;
  province: string | null;
  team: string | null;
  inRoster: boolean;
  /** Σ line points (credits − clawbacks), exact. */
  points: number;
  scoredTickets: number;
  satisfiedTickets: number;
  /** Share of scored tickets with score ≥ 4, rounded to 0.0001 for display; null when none scored. */
  csat: number | null;
  /** The CSAT factor applied (1 when no band matched or no ticket was scored). */
  multiplier: number;
  /** Points after multiplier and accelerator, rounded half-up to 0.01 for display. */
  performancePoints: number;
  /** performancePoints × pointValue before cap and floor, rounded half-up to 0.01 for display. */
  amountBeforeCap: number;
  capped: boolean;
  /** CNY, after cap and floor at 0, rounded half-up to 0.01. */
  payout: number;
  lines: StatementLine[];
}

export interface UnknownManager {
  accountManagerId: string;
  events: number;
  points: number;
}

export interface UnknownManagerEvent {
  eventId: string;
  eventDate: string;
  province: string;
  accountManagerId: string;
  customerId: string;
  product: string;
  eventType: string;
}

export interface DataProblems {
  /** Managers credited or named in the period's events but missing from the roster. */
  unknownManagers: UnknownManager[];
  /** Every event of the period whose manager is not in the roster (listed, never dropped). */
  unknownManagerEvents: UnknownManagerEvent[];
  /** Roster ids that appear in more than one province's roster (the first province is used). */
  duplicateRosterIds: Array<{ accountManagerId: string; provinces: string[] }>;
}

/** The whole tally of one month: the content of incentives.json. */
export interface IncentiveTally {
  period: Period;
  plan: { plan: string; version: number; effectiveFrom: string; pointValue: number };
  managers: ManagerStatement[];
  /** Σ payout, CNY. */
  total: number;
  dataProblems: DataProblems;
}
