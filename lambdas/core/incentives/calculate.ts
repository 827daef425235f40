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
import { SalesEventColumns, type EventProfile } from './event-columns.js';
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

/** The same with the events as columns (the job reads them so: no object per event). */
export interface ColumnarIncentiveInput extends Omit<IncentiveInput, 'events'> {
  /** Each event once (SalesEventColumns.addPacked skips the copy a second query returns). */
  columns: SalesEventColumns;
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
export function creditOf(event: EventProfile, plan: Plan): Credit | undefined {
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

const eventField: Record<WhenKey, (e: EventProfile) => string | null> = {
  eventType: (e) => e.eventType, product: (e) => e.product, segment: (e) => e.segment,
  subSegment: (e) => e.subSegment, channel: (e) => e.channel, province: (e) => e.province,
};

function matches(rule: PlanRule, event: EventProfile): boolean {
  if (event.eventType === 'churn') return false;
  for (const key of WHEN_KEY_NAMES) {
    const allowed = rule.when[key];
    if (!allowed) continue;
    const value = eventField[key](event);
    if (value === null || !allowed.includes(value)) return false;
  }
  return true;
}

/** Tallies the month: one statement per manager, clawbacks, CSAT multiplier, payouts. */
export function computeIncentives(input: IncentiveInput): IncentiveTally {
  const columns = new SalesEventColumns();
  columns.addRecords(input.events);
  return tallyEvents({ ...input, columns });
}

/**
 * What the calculation needs of the events, per event index, derived once per distinct date,
 * profile and manager: order of dates, day numbers, whether a manager id is one (not blank).
 */
class EventView {
  readonly rank: Int32Array;
  readonly day: number[];
  readonly managed: boolean[];

  constructor(readonly ev: SalesEventColumns) {
    const order = ev.dates.map((_, i) => i).sort((a, b) => cmp(ev.dates[a]!, ev.dates[b]!));
    this.rank = new Int32Array(ev.dates.length);
    order.forEach((code, r) => (this.rank[code] = ev.dates[code] === ev.dates[order[r - 1] ?? -1] ? this.rank[order[r - 1]!]! : r));
    this.day = ev.dates.map(dayNumber);
    this.managed = ev.managers.map((m) => m.trim() !== '');
  }

  /** The event's manager code when it names a manager, else -1. */
  managerOf(i: number): number {
    const m = this.ev.manager[i]!;
    return m >= 0 && this.managed[m] ? m : -1;
  }

  /** Events by date, then id, then province (the order statements and clawbacks are taken in). */
  readonly before = (i: number, j: number): number => {
    const ev = this.ev;
    return this.rank[ev.date[i]!]! - this.rank[ev.date[j]!]! || cmp(ev.eventId[i]!, ev.eventId[j]!) || cmp(ev.province(i), ev.province(j));
  };
}

/** computeIncentives over events held as columns. */
export function tallyEvents(input: ColumnarIncentiveInput): IncentiveTally {
  const { period, plan } = input;
  const planForMonth = input.planForMonth ?? (() => plan);
  const ev = input.columns;
  const view = new EventView(ev);
  const { start, end } = period;
  const inPeriod = ev.dates.map((d) => d >= start && d <= end);
  const credits = profileCredits(ev, plan);

  // The month's events with a manager: the first of each manager (listed, a province for those
  // not in the roster) and the credited ones, per manager.
  const firstEvent = new Int32Array(ev.managers.length).fill(-1);
  const creditedEvents: number[][] = [];
  for (let i = 0; i < ev.length; i++) {
    if (!inPeriod[ev.date[i]!]) continue;
    const m = view.managerOf(i);
    if (m < 0) continue;
    const first = firstEvent[m]!;
    if (first < 0 || view.before(i, first) < 0) firstEvent[m] = i;
    if (!credits[ev.profile[i]!]) continue;
    (creditedEvents[m] ??= []).push(i);
  }

  const lines = new Map<string, StatementLine[]>();
  for (let m = 0; m < creditedEvents.length; m++) {
    const own = creditedEvents[m];
    if (!own) continue;
    own.sort(view.before);
    lines.set(ev.managers[m]!, own.map((i) => {
      const credit = credits[ev.profile[i]!]!;
      const p = ev.profiles[ev.profile[i]!]!;
      return {
        eventId: detached(ev.eventId[i]!), ruleId: credit.rule.id, points: credit.value, date: ev.dates[ev.date[i]!]!,
        customerId: detached(ev.customerId[i]!), product: p.product, eventType: p.eventType, clawbackOf: null,
      };
    }));
  }
  const addLine = (managerId: string, line: StatementLine) => {
    const list = lines.get(managerId);
    if (list) list.push(line);
    else lines.set(managerId, [line]);
  };
  for (const c of clawbacks(view, input, planForMonth)) addLine(c.managerId, c.line);

  const rosterById = new Map<string, RosterManager>();
  const duplicates = new Map<string, Set<string>>();
  for (const m of [...input.roster].sort((a, b) => cmp(a.province, b.province) || cmp(a.accountManagerId, b.accountManagerId))) {
    const first = rosterById.get(m.accountManagerId);
    if (first) duplicates.set(m.accountManagerId, (duplicates.get(m.accountManagerId) ?? new Set([first.province])).add(m.province));
    else rosterById.set(m.accountManagerId, m);
  }

  const ids = new Set<string>(lines.keys());
  const eventProvince = new Map<string, string>();
  for (let m = 0; m < firstEvent.length; m++) {
    if (firstEvent[m]! < 0) continue;
    ids.add(ev.managers[m]!);
    eventProvince.set(ev.managers[m]!, ev.province(firstEvent[m]!));
  }
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
    return statement(id, roster, eventProvince.get(id) ?? null, own, scores.get(id), plan);
  });

  const total = managers.reduce((sum, m) => sum.plus(m.payout), new D(0));
  return {
    period,
    plan: { plan: plan.plan, version: plan.version, effectiveFrom: plan.effectiveFrom, pointValue: plan.pointValue },
    managers,
    total: total.toNumber(),
    dataProblems: dataProblems(view, inPeriod, rosterById, duplicates, managers),
  };
}

/**
 * The text as a string of its own. An id cut from a packed query row is a view of that whole
 * row in V8 (for 13 characters and more), so a line holding it kept the ~100-byte row alive
 * until the files were written and mailed: ~600 000 of them on a national month. Joined and cut
 * again, the view is of an 18-character copy instead.
 */
function detached(text: string): string {
  return ` ${text}`.slice(1);
}

/** What each distinct profile earns under the plan (undefined: no rule matches). */
function profileCredits(ev: SalesEventColumns, plan: Plan): Array<Credit | undefined> {
  return ev.profiles.map((p) => creditOf(p, plan));
}

function lineOrder(a: StatementLine, b: StatementLine): number {
  return cmp(a.date, b.date) || (a.clawbackOf ? 1 : 0) - (b.clawbackOf ? 1 : 0) || cmp(a.eventId, b.eventId) || cmp(a.clawbackOf?.eventId ?? '', b.clawbackOf?.eventId ?? '');
}

interface Credited {
  /** The `new` event's index. */
  event: number;
  manager: number;
  day: number;
  credit: Credit;
  plan: Plan;
  reversed: boolean;
}

function clawbacks(
  view: EventView,
  input: ColumnarIncentiveInput,
  planForMonth: (monthFirstDay: string) => Plan | undefined,
): Array<{ managerId: string; line: StatementLine }> {
  const { period, plan } = input;
  const withinDays = plan.clawback?.withinDays;
  if (withinDays === undefined) return [];
  const ev = view.ev;
  const periodStart = dayNumber(period.start);
  const upToEnd = ev.dates.map((d) => d <= period.end);

  // One pass over the events: the churns that can claw back, and the managed `new` events up to the period's end.
  const churns: number[] = [];
  const churned = new Set<string>();
  const news: number[] = [];
  for (let i = 0; i < ev.length; i++) {
    const date = ev.date[i]!;
    if (!upToEnd[date]) continue;
    const eventType = ev.profiles[ev.profile[i]!]!.eventType;
    if (eventType === 'churn') {
      if (view.day[date]! < periodStart - withinDays) continue;
      churns.push(i);
      churned.add(ev.customerId[i]!);
    } else if (eventType === 'new' && view.managerOf(i) >= 0) {
      news.push(i);
    }
  }
  if (churns.length === 0) return [];

  // Credited `new` events of the customers that churn, by customer, each list in event order.
  const credited = new Map<string, Credited[]>();
  const plans = new Map<string, Array<Credit | undefined> | undefined>([[period.start, profileCredits(ev, plan)]]);
  const plansByMonth = new Map<string, Plan | undefined>([[period.start, plan]]);
  for (const i of news) {
    const customer = ev.customerId[i]!;
    if (!churned.has(customer)) continue;
    const month = monthOf(ev.dates[ev.date[i]!]!).start;
    if (!plans.has(month)) {
      const p = planForMonth(month);
      plansByMonth.set(month, p);
      plans.set(month, p ? profileCredits(ev, p) : undefined);
    }
    const credit = plans.get(month)?.[ev.profile[i]!];
    if (!credit || !credit.points.greaterThan(0)) continue;
    const entry: Credited = { event: i, manager: view.managerOf(i), day: view.day[ev.date[i]!]!, credit, plan: plansByMonth.get(month)!, reversed: false };
    const list = credited.get(customer);
    if (list) list.push(entry);
    else credited.set(customer, [entry]);
  }
  for (const list of credited.values()) if (list.length > 1) list.sort((a, b) => view.before(a.event, b.event));

  const out: Array<{ managerId: string; line: StatementLine }> = [];
  const reaching = churns.filter((i) => credited.has(ev.customerId[i]!)).sort(view.before);
  for (const churn of reaching) {
    const candidates = credited.get(ev.customerId[churn]!)!;
    const churnDay = view.day[ev.date[churn]!]!;
    const product = ev.profiles[ev.profile[churn]!]!.product;
    let match: Credited | undefined;
    for (const c of candidates) {
      if (!c.reversed && ev.profiles[ev.profile[c.event]!]!.product === product && churnDay - c.day >= 0 && churnDay - c.day <= withinDays) {
        match = c;
        break;
      }
    }
    if (!match) continue;
    match.reversed = true;
    const churnDate = ev.dates[ev.date[churn]!]!;
    if (churnDate < period.start) continue;
    out.push({
      managerId: ev.managers[match.manager]!,
      line: {
        eventId: detached(ev.eventId[churn]!), ruleId: 'clawback', points: match.credit.points.negated().toNumber(), date: churnDate,
        customerId: detached(ev.customerId[churn]!), product, eventType: ev.profiles[ev.profile[churn]!]!.eventType,
        clawbackOf: { eventId: detached(ev.eventId[match.event]!), date: ev.dates[ev.date[match.event]!]!, ruleId: match.credit.rule.id, planVersion: match.plan.version },
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
  view: EventView,
  inPeriod: readonly boolean[],
  rosterById: ReadonlyMap<string, RosterManager>,
  duplicates: ReadonlyMap<string, Set<string>>,
  managers: readonly ManagerStatement[],
): DataProblems {
  const ev = view.ev;
  const unknown = ev.managers.map((id) => !rosterById.has(id));
  const found: number[] = [];
  for (let i = 0; i < ev.length; i++) {
    if (!inPeriod[ev.date[i]!]) continue;
    const m = view.managerOf(i);
    if (m >= 0 && unknown[m]) found.push(i);
  }
  const unknownManagerEvents: DataProblems['unknownManagerEvents'] = found.sort(view.before).map((i) => {
    const p = ev.profiles[ev.profile[i]!]!;
    return {
      eventId: detached(ev.eventId[i]!), eventDate: ev.dates[ev.date[i]!]!, province: p.province, accountManagerId: ev.managers[ev.manager[i]!]!,
      customerId: detached(ev.customerId[i]!), product: p.product, eventType: p.eventType,
    };
  });
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
