import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeIncentives, tallyEvents } from '../../lambdas/core/incentives/calculate.js';
import { SalesEventColumns } from '../../lambdas/core/incentives/event-columns.js';
import { loadPlans } from '../../lambdas/core/incentives/plan.js';
import { EVENT_FIELD_SEPARATOR } from '../../lambdas/core/incentives/rows.js';
import { parsePeriod } from '../../lambdas/core/period.js';
import type { SalesEventRecord } from '../../lambdas/core/incentives/types.js';

const [PLAN] = loadPlans([{ name: 'spec-plan.yaml', text: readFileSync(join(import.meta.dirname, '../fixtures/incentives/spec-plan.yaml'), 'utf8') }]);
const packed = (...fields: string[]) => fields.join(EVENT_FIELD_SEPARATOR);
/** A packed event as a record, read here field by field (the calculation's other input form). */
function record(event: string): SalesEventRecord {
  const [eventId, eventDate, province, customerId, segment, subSegment, channel, product, eventType, monthlyFee, prev, manager] = event.split(EVENT_FIELD_SEPARATOR) as string[];
  return {
    eventId: eventId!, eventDate: eventDate!, province: province!, customerId: customerId!, segment: segment!, subSegment: subSegment || null,
    channel: channel!, product: product!, eventType: eventType!, monthlyFee: monthlyFee!, prevMonthlyFee: prev || null, accountManagerId: manager || null,
  };
}
const ROSTER = [{ accountManagerId: 'AM1', name: '甲', province: 'JL', city: '长春', team: 'T', role: 'account_manager', startDate: '2024-01-01', endDate: null }];

// The look-back query's rows (a September `new`, the November churn that reverses it) and the month's (the same churn again).
const CLAWBACK = [
  packed('S0', '2026-09-20', 'JL', 'C0', 'public', '', 'direct', 'mobile', 'new', '58.00', '', 'AM1'),
  packed('S9', '2026-11-10', 'JL', 'C0', 'public', '', 'direct', 'mobile', 'churn', '0.00', '', 'AM2'),
];
const MONTH = [
  packed('S2', '2026-11-06', 'JL', 'C2', 'enterprise', 'finance', 'direct', 'mobile', 'upgrade', '99.00', '58.00', 'AM1'),
  packed('S1', '2026-11-05', 'JL', 'C1', 'public', '', 'direct', 'bundle', 'new', '129.00', '', 'AM1'),
  packed('S9', '2026-11-10', 'JL', 'C0', 'public', '', 'direct', 'mobile', 'churn', '0.00', '', 'AM2'),
  packed('S9', '2026-11-10', 'GD', 'C5', 'public', '', 'direct', 'mobile', 'new', '58.00', '', 'AM3'),
];

describe('SalesEventColumns', () => {
  it('keeps one copy of an event both sales queries return, and tallies as the records do', () => {
    // Prepare
    const columns = new SalesEventColumns();

    // Act
    columns.addPacked(CLAWBACK, 'incentive_clawback_events');
    columns.addPacked(MONTH, 'incentive_sales_events');
    const period = parsePeriod('2026-11');
    const fromColumns = tallyEvents({ period, plan: PLAN!, columns, tickets: [], roster: ROSTER });
    const records = [...MONTH, ...CLAWBACK].map(record);
    const fromRecords = computeIncentives({ period, plan: PLAN!, events: records, tickets: [], roster: ROSTER });

    // Assess: S9 of JL once (S9 of GD is another event), the September credit reversed once
    expect(columns.length).toBe(5);
    expect(columns.record(1)).toEqual(records[2]);
    expect(fromColumns).toEqual(fromRecords);
    const am1 = fromColumns.managers.find((m) => m.accountManagerId === 'AM1')!;
    expect(am1.lines.filter((l) => l.clawbackOf)).toEqual([expect.objectContaining({ eventId: 'S9', clawbackOf: expect.objectContaining({ eventId: 'S0' }) })]);
    expect(fromColumns.dataProblems.unknownManagerEvents.map((e) => `${e.eventId} ${e.province}`)).toEqual(['S9 GD', 'S9 JL']);
  });

  it('reads the same events a slice at a time', async () => {
    // Prepare
    const whole = new SalesEventColumns();
    const sliced = new SalesEventColumns();

    // Act
    whole.addPacked(CLAWBACK, 'c');
    whole.addPacked(MONTH, 'm');
    await sliced.addPackedInSlices(CLAWBACK, 'c', 1);
    await sliced.addPackedInSlices(MONTH, 'm', 3);

    // Assess
    expect(sliced.length).toBe(5);
    expect(Array.from({ length: sliced.length }, (_, i) => sliced.record(i))).toEqual(Array.from({ length: whole.length }, (_, i) => whole.record(i)));
    await expect(new SalesEventColumns().addPackedInSlices([MONTH[0], MONTH[1], null], 'q', 2)).rejects.toThrow(/^q row 3, column event: null/);
  });

  it('names the row and field of a bad value, as rows.ts does', () => {
    const bad = packed('S3', '2026-11-07', 'JL', 'C3', 'public', '', 'direct', 'mobile', 'new', '58', '12,00', 'AM1');
    expect(() => new SalesEventColumns().addPacked([MONTH[0], bad], 'q')).toThrow(/^q row 2, column prev_monthly_fee: "12,00" is not valid/);
    expect(() => new SalesEventColumns().addPacked([MONTH[0], null], 'q')).toThrow(/^q row 2, column event: null is not valid/);
    expect(() => new SalesEventColumns().addPacked([`${MONTH[0]}${EVENT_FIELD_SEPARATOR}x`], 'q')).toThrow(/q row 1, column event: .* got 13$/);
    expect(() => new SalesEventColumns().addPacked([packed('S4', '11/07/2026', 'JL', 'C', 's', '', 'c', 'p', 'new', '1', '', 'A')], 'q'))
      .toThrow(/^q row 1, column event_date: "11\/07\/2026" is not valid; expected a date YYYY-MM-DD$/);
  });
});
