import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeIncentives, tallyTickets } from '../../lambdas/core/incentives/calculate.js';
import { loadPlans, planFor } from '../../lambdas/core/incentives/plan.js';
import type { RosterManager, SalesEventRecord } from '../../lambdas/core/incentives/types.js';
import { parsePeriod } from '../../lambdas/core/period.js';

const GOLDEN = join(import.meta.dirname, '../fixtures/incentives/golden');

interface ExpectedMonth {
  plan?: number;
  total: number;
  unknownManagers?: string[];
  managers: Array<{
    accountManagerId: string; points: number; multiplier: number; payout: number; capped: boolean;
    performancePoints?: number;
    lines: Array<{ eventId: string; ruleId: string; points: number; original?: string }>;
  }>;
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

function loadCase(dir: string) {
  const plans = loadPlans(readdirSync(dir).filter((n) => n.startsWith('plan') && n.endsWith('.yaml'))
    .map((name) => ({ name, text: readFileSync(join(dir, name), 'utf8') })));
  const events: SalesEventRecord[] = readJson<Array<Record<string, string | null>>>(join(dir, 'events.json')).map((e) => ({
    eventId: e.event_id!, eventDate: e.event_date!, province: e.province ?? 'JL', customerId: e.customer_id!,
    segment: e.segment ?? 'public', subSegment: e.sub_segment ?? null, channel: e.channel ?? 'direct',
    product: e.product!, eventType: e.event_type!, monthlyFee: e.monthly_fee!, prevMonthlyFee: e.prev_monthly_fee ?? null,
    accountManagerId: e.account_manager_id ?? null,
  }));
  const tickets = existsSync(join(dir, 'tickets.json'))
    ? readJson<Array<{ account_manager_id: string; satisfaction: number | null; month?: string }>>(join(dir, 'tickets.json'))
    : [];
  const roster = readJson<Array<Record<string, string | null>>>(join(dir, 'roster.json')).map((r): RosterManager => ({
    accountManagerId: r.account_manager_id!, name: r.name!, province: r.province!, city: r.city!, team: r.team!,
    role: r.role!, startDate: r.start_date!, endDate: r.end_date ?? null,
  }));
  const expected = readJson<Record<string, ExpectedMonth>>(join(dir, 'expected.json'));
  return { plans, events, tickets, roster, expected };
}

const cases = readdirSync(GOLDEN, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();

describe('incentive golden cases', () => {
  it('has the cases the issue asks for', () => {
    expect(cases).toEqual(expect.arrayContaining([
      'rule-kinds', 'clawback-day-n', 'clawback-day-n-plus-1', 'churn-twice', 'target-and-cap',
      'csat-multiplier', 'negative-floored', 'plan-change',
    ]));
  });

  for (const name of cases) {
    const { plans, events, tickets, roster, expected } = loadCase(join(GOLDEN, name));
    for (const [month, want] of Object.entries(expected)) {
      it(`${name} ${month}`, () => {
        // Prepare
        const period = parsePeriod(month);
        const plan = planFor(plans, period.start);
        const monthTickets = tallyTickets(tickets.filter((t) => t.month === undefined || t.month === month)
          .map((t) => ({ accountManagerId: t.account_manager_id, satisfaction: t.satisfaction })));

        // Act
        const tally = computeIncentives({
          period, plan, planForMonth: (day) => planFor(plans, day), events, tickets: monthTickets, roster,
        });

        // Assess
        if (want.plan !== undefined) expect(tally.plan.version).toBe(want.plan);
        const got = tally.managers.map((m) => ({
          accountManagerId: m.accountManagerId, points: m.points, multiplier: m.multiplier, payout: m.payout, capped: m.capped,
          ...(want.managers.find((w) => w.accountManagerId === m.accountManagerId)?.performancePoints !== undefined ? { performancePoints: m.performancePoints } : {}),
          lines: m.lines.map((l) => ({ eventId: l.eventId, ruleId: l.ruleId, points: l.points, ...(l.clawbackOf ? { original: l.clawbackOf.eventId } : {}) })),
        }));
        expect(got).toEqual(want.managers);
        expect(tally.total).toBe(want.total);
        if (want.unknownManagers) expect(tally.dataProblems.unknownManagers.map((u) => u.accountManagerId)).toEqual(want.unknownManagers);
      });
    }
  }
});
