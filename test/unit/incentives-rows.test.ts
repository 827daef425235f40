import { describe, expect, it } from 'vitest';
import { EVENT_FIELD_SEPARATOR, IncentiveDataError, salesEventsFromColumns, toSalesEvents } from '../../lambdas/core/incentives/rows.js';

const packed = (...fields: string[]) => fields.join(EVENT_FIELD_SEPARATOR);
const E1 = packed('S1', '2026-11-05', 'JL', 'C1', 'public', '', 'direct', 'mobile', 'new', '58.00', '', 'AM1');
const E2 = packed('S2', '2026-11-06', 'JL', 'C2', 'enterprise', 'finance', 'direct', 'mobile', 'upgrade', '99.00', '58.00', 'AM1');

describe('sales events read as a column', () => {
  it('gives the records the row form gives, a repeated field kept once', () => {
    // Act
    const fromColumns = salesEventsFromColumns({ event: [E1, E2] }, 'q');

    // Assess
    expect(fromColumns).toEqual(toSalesEvents([{ event: E1 }, { event: E2 }], 'q'));
    expect(fromColumns[1]).toMatchObject({ subSegment: 'finance', prevMonthlyFee: '58.00', accountManagerId: 'AM1' });
    expect(fromColumns[0]).toMatchObject({ subSegment: null, prevMonthlyFee: null });
  });

  it('an empty result is no events; a result without the event column is refused with the columns it had', () => {
    expect(salesEventsFromColumns({}, 'q')).toEqual([]);
    expect(salesEventsFromColumns({ event: [] }, 'q')).toEqual([]);
    expect(() => salesEventsFromColumns({ event_id: ['S1'] }, 'incentive_sales_events'))
      .toThrow(new IncentiveDataError('incentive_sales_events returned columns event_id; expected event (missing event)'));
  });

  it('names the row and field of a bad value, as the row form does', () => {
    const bad = packed('S3', '2026-11-07', 'JL', 'C3', 'public', '', 'direct', 'mobile', 'new', '58', '12,00', 'AM1');
    expect(() => salesEventsFromColumns({ event: [E1, bad] }, 'q')).toThrow(/q row 2, column prev_monthly_fee: "12,00" is not valid/);
    expect(() => salesEventsFromColumns({ event: [E1, null] }, 'q')).toThrow(/q row 2, column event: null is not valid/);
  });
});
