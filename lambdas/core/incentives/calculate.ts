/**
 * The incentive calculation of SPEC §4, in exact decimals.
 *
 * Per manager: P = Σ rule points − clawbacks; × CSAT multiplier (applied to the net points
 * whatever their sign — a negative month pays 0 anyway); accelerator on the part above target
 * only; × pointValue; cap; floor at 0; round half-up to 0.01. Only the payout is rounded for
 * computing; other rounded figures are for display.
 *
 * Clawback: a `new` that earned points (> 0, with a manager, under the plan in force in its
 * own month) is reversed when the customer churns the same product 0…N days later (day N
 * included). Churns are taken in date order (then event id) from N days before the period;
 * each reverses the earliest unreversed credited `new` it can reach, so a `new` is reversed
 * at most once and a customer who churns twice reverses at most the credits it has. Only
 * churns inside the period produce lines (on the credited manager, dated on the churn).
 * The look-back is bounded: `new` events from 2N days before the period and churns from N
 * days before are read (see queries/incentive_clawback_events.sql).
 */
import { Decimal } from 'decimal.js';
import { dayNumber, monthOf, type Period } from '../period.js';
import { WHEN_KEY_NAMES, type Plan, type PlanRule, type WhenKey } from './plan.js';
import type {
  DataProblems, IncentiveTally, ManagerStatement, RosterManager, SalesEventRecord, StatementLine, TicketScore,
} from './types.js';

const D = Decimal.clone({ precision: 50, rounding: Decimal.ROUND_HALF_UP });
type Dec = InstanceType<typeof D>;

export interface IncentiveInput {
  /** The month being computed. */
  period: Period;
  /** The plan in force on the period's first day. */
  plan: Plan;
  /** The plan that credited an earlier `new` (for clawbacks across a plan change); defaults to `plan`. */
  planForMonth?: (monthFirstDay: string) => Plan | undefined;
  /** Sales events: the period's events and the look-back `new` and churn events, in any order. */
  events: readonly SalesEventRecord[];
  tickets: readonly TicketScore[];
  roster: readonly RosterManager[];
}

interface Credit {
  rule: PlanRule;
  points: Dec;
  /** `points` as a JS number (what a line stores). */
  value: number;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * What a rule earns depends only on the rule and the event's fees, and a month has few distinct
 * fees, so each (rule, fee, previous fee) is computed once in decimals and reused: a national
 * month credits over a million events.
 */
const creditCache = new WeakMap<PlanRule, Map<string, Credit>>();

/** The first rule matching the event and what it earns; undefined when no rule matches. */
export function creditOf(event: SalesEventRecord, plan: Plan): Credit | undefined {
  const rule = plan.rules.find((r) => matches(r, event));
  if (!rule) return undefined;
  let cache = creditCache.get(rule);
  if (!cache) creditCache.set(rule, (cache = new Map()));
  const key = event.prevMonthlyFee === null ? event.monthlyFee : `${event.monthlyFee}|${event.prevMonthlyFee}`;
  let credit = cache.get(key);
  if (!credit) {
    let points = new D(rule.points ?? 0);
    if (rule.pointsPerMonthlyFee !== undefined) points = points.plus(new D(rule.pointsPerMonthlyFee).times(event.monthlyFee));
    if (rule.pointsPerFeeIncrease !== undefined && event.prevMonthlyFee !== null) {
      const increase = D.max(0, new D(event.monthlyFee).minus(event.prevMonthlyFee));
      points = points.plus(new D(rule.pointsPerFeeIncrease).times(increase));
    }
    credit = { rule, points, value: points.toNumber() };
    cache.set(key, credit);
  }
  return credit;
}

const eventField: Record<WhenKey, (e: SalesEventRecord) => string | null> = {
  eventType: (e) => e.eventType, product: (e) => e.product, segment: (e) => e.segment,
  subSegment: (e) => e.subSegment, channel: (e) => e.channel, province: (e) => e.province,
};

function matches(rule: PlanRule, event: SalesEventRecord): boolean {
  if (event.eventType === 'churn') return false;
  for (const key of WHEN_KEY_NAMES) {
    const allowed = rule.when[key];
    if (!allowed) continue;
    const value = eventField[key](event);
    if (value === null || !allowed.includes(value)) return false;
  }
  return true;
}

function hasManager(e: SalesEventRecord): e is SalesEventRecord & { accountManagerId: string } {
  return e.accountManagerId !== null && e.accountManagerId.trim() !== '';
}

function byDateThenId(a: SalesEventRecord, b: SalesEventRecord): number {
  return cmp(a.eventDate, b.eventDate) || cmp(a.eventId, b.eventId) || cmp(a.province, b.province);
}

/** Tallies the month: one statement per manager, clawbacks, CSAT multiplier, payouts. */
export function computeIncentives(input: IncentiveInput): IncentiveTally {
  const { period, plan } = input;
  const planForMonth = input.planForMonth ?? (() => plan);
  const events = sortedUnique(input.events);
  const inPeriod = (day: string) => day >= period.start && day <= period.end;

  const lines = new Map<string, StatementLine[]>();
  const addLine = (managerId: string, line: StatementLine) => {
    const list = lines.get(managerId);
    if (list) list.push(line);
    else lines.set(managerId, [line]);
  };

  // The month's events with a manager: credits, the managers listed, a province for those not in the roster.
  const firstEvent = new Map<string, SalesEventRecord>();
  const { start, end } = period;
  for (const event of events) {
    if (event.eventDate < start || event.eventDate > end || !hasManager(event)) continue;
    if (!firstEvent.has(event.accountManagerId)) firstEvent.set(event.accountManagerId, event);
    const credit = creditOf(event, plan);
    if (!credit) continue;
    addLine(event.accountManagerId, {
      eventId: event.eventId, ruleId: credit.rule.id, points: credit.value, date: event.eventDate,
      customerId: event.customerId, product: event.product, eventType: event.eventType, clawbackOf: null,
    });
  }

  for (const c of clawbacks(events, input, planForMonth)) addLine(c.managerId, c.line);

  const rosterById = new Map<string, RosterManager>();
  const duplicates = new Map<string, Set<string>>();
  for (const m of [...input.roster].sort((a, b) => cmp(a.province, b.province) || cmp(a.accountManagerId, b.accountManagerId))) {
    const first = rosterById.get(m.accountManagerId);
    if (first) duplicates.set(m.accountManagerId, (duplicates.get(m.accountManagerId) ?? new Set([first.province])).add(m.province));
    else rosterById.set(m.accountManagerId, m);
  }

  const ids = new Set<string>(lines.keys());
  for (const id of firstEvent.keys()) ids.add(id);
  for (const m of rosterById.values()) {
    if (m.startDate <= period.end && (m.endDate === null || m.endDate >= period.start)) ids.add(m.accountManagerId);
  }

  const scores = new Map<string, { scored: number; satisfied: number }>();
  for (const t of input.tickets) {
    const s = scores.get(t.accountManagerId) ?? { scored: 0, satisfied: 0 };
    scores.set(t.accountManagerId, { scored: s.scored + t.scored, satisfied: s.satisfied + t.satisfied });
  }

  const managers: ManagerStatement[] = [...ids].sort(cmp).map((id) => {
    const roster = rosterById.get(id);
    const own = (lines.get(id) ?? []).sort(lineOrder);
    return statement(id, roster, firstEvent.get(id)?.province ?? null, own, scores.get(id), plan);
  });

  const total = managers.reduce((sum, m) => sum.plus(m.payout), new D(0));
  return {
    period,
    plan: { plan: plan.plan, version: plan.version, effectiveFrom: plan.effectiveFrom, pointValue: plan.pointValue },
    managers,
    total: total.toNumber(),
    dataProblems: dataProblems(events, inPeriod, rosterById, duplicates, managers),
  };
}

function lineOrder(a: StatementLine, b: StatementLine): number {
  return cmp(a.date, b.date) || (a.clawbackOf ? 1 : 0) - (b.clawbackOf ? 1 : 0) || cmp(a.eventId, b.eventId) || cmp(a.clawbackOf?.eventId ?? '', b.clawbackOf?.eventId ?? '');
}

/**
 * Sorts by date, id, province and keeps the first copy (in input order) of each event: the sort
 * is stable, so copies end up next to each other in input order. The job's input is two runs
 * already in this order, which the sort merges in linear time.
 */
function sortedUnique(events: readonly SalesEventRecord[]): SalesEventRecord[] {
  const sorted = [...events].sort(byDateThenId);
  const out: SalesEventRecord[] = [];
  let last: SalesEventRecord | undefined;
  for (const e of sorted) {
    if (last && byDateThenId(last, e) === 0) continue;
    out.push(e);
    last = e;
  }
  return out;
}

interface Credited {
  event: SalesEventRecord & { accountManagerId: string };
  day: number;
  credit: Credit;
  plan: Plan;
  reversed: boolean;
}

function clawbacks(
  events: readonly SalesEventRecord[],
  input: IncentiveInput,
  planForMonth: (monthFirstDay: string) => Plan | undefined,
): Array<{ managerId: string; line: StatementLine }> {
  const { period, plan } = input;
  const withinDays = plan.clawback?.withinDays;
  if (withinDays === undefined) return [];
  const periodStart = dayNumber(period.start);
  // Day numbers once per date: a month has few dates and many events.
  const dayNumbers = new Map<string, number>();
  const dayOf = (date: string): number => {
    let n = dayNumbers.get(date);
    if (n === undefined) dayNumbers.set(date, (n = dayNumber(date)));
    return n;
  };

  // One pass over the events: the churns that can claw back, and the managed `new` events up to the period's end.
  const churns: SalesEventRecord[] = [];
  const churned = new Set<string>();
  const news: Array<SalesEventRecord & { accountManagerId: string }> = [];
  for (const e of events) {
    if (e.eventDate > period.end) continue;
    if (e.eventType === 'churn') {
      if (dayOf(e.eventDate) < periodStart - withinDays) continue;
      churns.push(e);
      churned.add(e.customerId);
    } else if (e.eventType === 'new' && hasManager(e)) {
      news.push(e);
    }
  }
  if (churns.length === 0) return [];

  // Credited `new` events of the customers that churn, by customer, each list in event order.
  const credited = new Map<string, Credited[]>();
  const plans = new Map<string, Plan | undefined>([[period.start, plan]]);
  for (const e of news) {
    if (!churned.has(e.customerId)) continue;
    const month = monthOf(e.eventDate).start;
    if (!plans.has(month)) plans.set(month, planForMonth(month));
    const creditingPlan = plans.get(month);
    if (!creditingPlan) continue;
    const credit = creditOf(e, creditingPlan);
    if (!credit || !credit.points.greaterThan(0)) continue;
    const list = credited.get(e.customerId);
    const entry: Credited = { event: e, day: dayOf(e.eventDate), credit, plan: creditingPlan, reversed: false };
    if (list) list.push(entry);
    else credited.set(e.customerId, [entry]);
  }

  const out: Array<{ managerId: string; line: StatementLine }> = [];
  for (const churn of churns) {
    const candidates = credited.get(churn.customerId);
    if (!candidates) continue;
    const churnDay = dayOf(churn.eventDate);
    let match: Credited | undefined;
    for (const c of candidates) {
      if (!c.reversed && c.event.product === churn.product && churnDay - c.day >= 0 && churnDay - c.day <= withinDays) {
        match = c;
        break;
      }
    }
    if (!match) continue;
    match.reversed = true;
    if (churn.eventDate < period.start) continue;
    out.push({
      managerId: match.event.accountManagerId,
      line: {
        eventId: churn.eventId, ruleId: 'clawback', points: match.credit.points.negated().toNumber(), date: churn.eventDate,
        customerId: churn.customerId, product: churn.product, eventType: churn.eventType,
        clawbackOf: { eventId: match.event.eventId, date: match.event.eventDate, ruleId: match.credit.rule.id, planVersion: match.plan.version },
      },
    });
  }
  return out;
}

/**
 * Σ line points, exact. Each line's points are a decimal with at most 6 places (≤ 4-decimal
 * rates × 2-decimal fees), so they are summed as integer millionths; a line that is not such a
 * number, or a sum beyond 15 digits, falls back to decimal addition. Same value either way.
 */
export function sumPoints(lines: readonly StatementLine[]): Dec {
  let micro = 0;
  for (const l of lines) {
    const m = Math.round(l.points * 1e6);
    micro += m;
    if (m / 1e6 !== l.points || Math.abs(m) >= 1e15 || Math.abs(micro) >= 1e15) {
      return lines.reduce((sum, x) => sum.plus(x.points), new D(0));
    }
  }
  return new D(micro).dividedBy(1e6);
}

function statement(
  id: string,
  roster: RosterManager | undefined,
  eventProvince: string | null,
  lines: StatementLine[],
  score: { scored: number; satisfied: number } | undefined,
  plan: Plan,
): ManagerStatement {
  const points = sumPoints(lines);
  const scored = score?.scored ?? 0;
  const satisfied = score?.satisfied ?? 0;
  const csat = scored > 0 ? new D(satisfied).dividedBy(scored) : null;
  const band = csat === null ? undefined : plan.multipliers.find((b) => (b.atLeast !== undefined ? csat.gte(b.atLeast) : csat.lt(b.below!)));
  const multiplier = new D(band?.factor ?? 1);

  let performance = points.times(multiplier);
  if (plan.target && performance.greaterThan(plan.target.points)) {
    const target = new D(plan.target.points);
    performance = target.plus(performance.minus(target).times(plan.target.acceleratorAbove));
  }
  const amount = performance.times(plan.pointValue);
  const capped = plan.cap !== undefined && amount.greaterThan(plan.cap);
  const afterCap = capped ? new D(plan.cap!) : amount;
  const payout = D.max(afterCap, 0).toDecimalPlaces(2, Decimal.ROUND_HALF_UP);

  return {
    accountManagerId: id,
    name: roster?.name ?? null,
    province: roster?.province ?? eventProvince,
    team: roster?.team ?? null,
    inRoster: roster !== undefined,
    points: points.toNumber(),
    scoredTickets: scored,
    satisfiedTickets: satisfied,
    csat: csat === null ? null : csat.toDecimalPlaces(4, Decimal.ROUND_HALF_UP).toNumber(),
    multiplier: multiplier.toNumber(),
    performancePoints: performance.toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toNumber(),
    amountBeforeCap: amount.toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toNumber(),
    capped,
    payout: payout.toNumber(),
    lines,
  };
}

function dataProblems(
  events: readonly SalesEventRecord[],
  inPeriod: (day: string) => boolean,
  rosterById: ReadonlyMap<string, RosterManager>,
  duplicates: ReadonlyMap<string, Set<string>>,
  managers: readonly ManagerStatement[],
): DataProblems {
  const unknownManagerEvents: DataProblems['unknownManagerEvents'] = [];
  for (const e of events) {
    if (!inPeriod(e.eventDate) || !hasManager(e) || rosterById.has(e.accountManagerId)) continue;
    unknownManagerEvents.push({
      eventId: e.eventId, eventDate: e.eventDate, province: e.province, accountManagerId: e.accountManagerId,
      customerId: e.customerId, product: e.product, eventType: e.eventType,
    });
  }
  const perManager = new Map<string, number>();
  for (const e of unknownManagerEvents) perManager.set(e.accountManagerId, (perManager.get(e.accountManagerId) ?? 0) + 1);
  const unknownManagers = managers.filter((m) => !m.inRoster).map((m) => ({
    accountManagerId: m.accountManagerId,
    events: perManager.get(m.accountManagerId) ?? 0,
    points: m.points,
  }));
  const duplicateRosterIds = [...duplicates].sort(([a], [b]) => cmp(a, b))
    .map(([accountManagerId, provinces]) => ({ accountManagerId, provinces: [...provinces].sort(cmp) }));
  return { unknownManagers, unknownManagerEvents, duplicateRosterIds };
}

/** Counts a list of tickets into per-manager scores (tickets without a score or manager are skipped). */
export function tallyTickets(tickets: ReadonlyArray<{ accountManagerId: string | null; satisfaction: number | null }>): TicketScore[] {
  const scores = new Map<string, TicketScore>();
  for (const t of tickets) {
    if (!t.accountManagerId || t.satisfaction === null) continue;
    const s = scores.get(t.accountManagerId) ?? { accountManagerId: t.accountManagerId, scored: 0, satisfied: 0 };
    s.scored += 1;
    if (t.satisfaction >= 4) s.satisfied += 1;
    scores.set(t.accountManagerId, s);
  }
  return [...scores.values()].sort((a, b) => cmp(a.accountManagerId, b.accountManagerId));
}
