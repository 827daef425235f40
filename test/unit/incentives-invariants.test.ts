import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { computeIncentives } from '../../lambdas/core/incentives/calculate.js';
import { loadPlans } from '../../lambdas/core/incentives/plan.js';
import type { RosterManager, SalesEventRecord, TicketScore } from '../../lambdas/core/incentives/types.js';
import { tallyJson } from '../../lambdas/core/incentives/workbook.js';
import { addDays, daysBetween, parsePeriod } from '../../lambdas/core/period.js';

const [PLAN] = loadPlans([{ name: 'spec-plan.yaml', text: readFileSync(join(import.meta.dirname, '../fixtures/incentives/spec-plan.yaml'), 'utf8') }]);
const MONTHS = ['2026-08', '2026-09', '2026-10', '2026-11'];

/** mulberry32: a small seeded generator, so a failure reproduces. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generate(seed: number) {
  const rnd = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
  const money = (max: number) => (Math.floor(rnd() * max * 100) / 100).toFixed(2);
  const managers = Array.from({ length: 8 }, (_, i) => `AM${String(i + 1).padStart(3, '0')}`);
  const roster: RosterManager[] = managers.slice(0, 7).map((id, i) => ({
    accountManagerId: id, name: i === 0 ? '=HYPERLINK("x")' : `经理${i}`, province: pick(['JL', 'GD']), city: '长春',
    team: `组${i % 3}`, role: 'account_manager', startDate: '2025-01-01', endDate: null,
  }));
  const events: SalesEventRecord[] = [];
  const news: SalesEventRecord[] = [];
  let n = 0;
  for (const day of daysBetween('2026-08-01', '2026-11-30')) {
    for (let k = 0; k < 6; k++) {
      const type = pick(['new', 'new', 'new', 'upgrade', 'downgrade', 'renewal', 'churn']);
      const product = pick(['mobile', 'bundle', 'broadband']);
      const base = news.length > 0 && rnd() < 0.7 ? pick(news) : undefined;
      const fee = money(300);
      const event: SalesEventRecord = {
        eventId: `E${String(++n).padStart(6, '0')}`, eventDate: day, province: pick(['JL', 'GD']),
        customerId: type === 'new' || !base ? `C${Math.floor(rnd() * 400)}` : base.customerId,
        segment: pick(['public', 'household', 'enterprise']), subSegment: null, channel: pick(['direct', 'own_hall']),
        product: type === 'new' || !base ? product : base.product, eventType: type, monthlyFee: fee,
        prevMonthlyFee: type === 'upgrade' || type === 'downgrade' ? money(300) : null,
        accountManagerId: rnd() < 0.85 ? pick(managers) : null,
      };
      events.push(event);
      if (type === 'new') news.push(event);
    }
  }
  const tickets: TicketScore[] = managers.slice(0, 6).map((id) => {
    const scored = Math.floor(rnd() * 20);
    return { accountManagerId: id, scored, satisfied: Math.floor(rnd() * (scored + 1)) };
  });
  return { events, tickets, roster };
}

function shuffled<T>(list: readonly T[], seed: number): T[] {
  const rnd = random(seed);
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function tallyOf(month: string, data: ReturnType<typeof generate>, events = data.events) {
  const period = parsePeriod(month);
  // What the queries return: the month's events plus the look-back window.
  const from = addDays(period.start, -2 * PLAN!.clawback!.withinDays);
  const window = events.filter((e) => e.eventDate >= from && e.eventDate <= period.end);
  return computeIncentives({ period, plan: PLAN!, events: window, tickets: data.tickets, roster: data.roster });
}

describe('incentive invariants on generated data', () => {
  for (const seed of [1, 7, 2026]) {
    it(`seed ${seed}: lines sum to statements, statements to the total, payouts within [0, cap] at 0.01`, () => {
      // Prepare
      const data = generate(seed);

      for (const month of MONTHS) {
        // Act
        const tally = tallyOf(month, data);

        // Assess
        expect(tally.managers.length).toBeGreaterThan(0);
        for (const m of tally.managers) {
          const lines = m.lines.reduce((s, l) => s.plus(l.points), new Decimal(0));
          expect(lines.equals(m.points)).toBe(true);
          expect(m.payout).toBeGreaterThanOrEqual(0);
          expect(m.payout).toBeLessThanOrEqual(PLAN!.cap!);
          expect(new Decimal(m.payout).decimalPlaces()).toBeLessThanOrEqual(2);
        }
        const total = tally.managers.reduce((s, m) => s.plus(m.payout), new Decimal(0));
        expect(total.equals(tally.total)).toBe(true);
      }
    });

    it(`seed ${seed}: a credited new is reversed at most once across months`, () => {
      const data = generate(seed);
      const reversed = MONTHS.flatMap((month) => tallyOf(month, data).managers.flatMap((m) => m.lines))
        .filter((l) => l.clawbackOf).map((l) => l.clawbackOf!.eventId);
      expect(reversed.length).toBeGreaterThan(0);
      expect(new Set(reversed).size).toBe(reversed.length);
    });

    it(`seed ${seed}: recomputing a past month from the same rows in another order gives byte-identical JSON`, () => {
      const data = generate(seed);
      const first = tallyJson(tallyOf('2026-10', data));
      const again = tallyJson(tallyOf('2026-10', data, shuffled(data.events, seed + 1)));
      expect(again).toBe(first);
      expect(first).not.toContain('generatedAt');
    });
  }
});
