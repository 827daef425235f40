import { describe, expect, it } from 'vitest';
import { SalesEventColumns } from '../../lambdas/core/incentives/event-columns.js';
import { EVENT_FIELD_SEPARATOR, IncentiveDataError, packedEventColumn, packedEventRows } from '../../lambdas/core/incentives/rows.js';

const packed = (...fields: string[]) => fields.join(EVENT_FIELD_SEPARATOR);
const E1 = packed('S1', '2026-11-05', 'JL', 'C1', 'public', '', 'direct', 'mobile', 'new', '58.00', '', 'AM1');
const E2 = packed('S2', '2026-11-06', 'JL', 'C2', 'enterprise', 'finance', 'direct', 'mobile', 'upgrade', '99.00', '58.00', 'AM1');

/** The events of a sales query's packed column, as SalesEventColumns holds them. */
function eventsOf(packedEvents: readonly unknown[], query: string) {
  const columns = new SalesEventColumns();
  columns.addPacked(packedEvents, query);
  return { columns, records: Array.from({ length: columns.length }, (_, i) => columns.record(i)) };
}

describe('sales events read as a column', () => {
  it('gives the events the row form gives, a repeated field kept once', () => {
    // Act
    const fromColumns = eventsOf(packedEventColumn({ event: [E1, E2] }, 'q'), 'q');
    const fromRows = eventsOf(packedEventRows([{ event: E1 }, { event: E2 }], 'q'), 'q');

    // Assess
    expect(fromColumns.records).toEqual(fromRows.records);
    expect(fromColumns.records[1]).toMatchObject({ subSegment: 'finance', prevMonthlyFee: '58.00', accountManagerId: 'AM1' });
    expect(fromColumns.records[0]).toMatchObject({ subSegment: null, prevMonthlyFee: null });
    expect(fromColumns.columns.managers).toEqual(['AM1']);
  });

  it('an empty result is no events; a result without the event column is refused with the columns it had', () => {
    expect(eventsOf(packedEventColumn({}, 'q'), 'q').records).toEqual([]);
    expect(eventsOf(packedEventColumn({ event: [] }, 'q'), 'q').records).toEqual([]);
    expect(() => packedEventColumn({ event_id: ['S1'] }, 'incentive_sales_events'))
      .toThrow(new IncentiveDataError('incentive_sales_events returned columns event_id; expected event (missing event)'));
  });

  it('names the row and field of a bad value, as the row form does', () => {
    const bad = packed('S3', '2026-11-07', 'JL', 'C3', 'public', '', 'direct', 'mobile', 'new', '58', '12,00', 'AM1');
    expect(() => eventsOf(packedEventColumn({ event: [E1, bad] }, 'q'), 'q')).toThrow(/q row 2, column prev_monthly_fee: "12,00" is not valid/);
    expect(() => eventsOf(packedEventColumn({ event: [E1, null] }, 'q'), 'q')).toThrow(/q row 2, column event: null is not valid/);
    expect(() => eventsOf(packedEventRows([{ event: E1 }, { event: bad }], 'q'), 'q')).toThrow(/q row 2, column prev_monthly_fee: "12,00" is not valid/);
  });
});
