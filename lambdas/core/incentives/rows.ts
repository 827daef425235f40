/** Query rows (DuckDB or Athena) checked once and turned into the calculation's records. */
import { z } from 'zod';
import { TelcoKpiError } from '../errors.js';
import type { Row } from '../ports.js';
import type { RosterManager, SalesEventRecord, TicketScore } from './types.js';

/** A query returned a row the incentive calculation cannot use. */
export class IncentiveDataError extends TelcoKpiError {}

const text = z.union([z.string(), z.number()]).transform(String);
const optionalText = z.union([z.string(), z.number(), z.null()]).transform((v) => (v === null || v === '' ? null : String(v)));
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}/, 'a date YYYY-MM-DD').transform((v) => v.slice(0, 10));
const money = z.union([z.string(), z.number()]).transform(String).refine((v) => /^-?\d+(\.\d+)?$/.test(v), 'an exact decimal like 129.00');
const count = z.union([z.number(), z.string()]).transform(Number).refine((n) => Number.isInteger(n) && n >= 0, 'a count ≥ 0');

const salesRow = z.object({
  event_id: text, event_date: day, province: text, customer_id: text, segment: text,
  sub_segment: optionalText, channel: text, product: text, event_type: text,
  monthly_fee: money, prev_monthly_fee: money.nullable(), account_manager_id: optionalText,
});
const ticketRow = z.object({ account_manager_id: text, scored: count, satisfied: count });
const rosterRow = z.object({
  account_manager_id: text, name: text, province: text, city: text, team: text, role: text,
  start_date: day, end_date: day.nullable(),
});

function parseRows<S extends z.ZodType>(schema: S, rows: readonly Row[], query: string): Array<z.output<S>> {
  return rows.map((row, i) => {
    const result = schema.safeParse(row);
    if (!result.success) {
      const issue = result.error.issues[0]!;
      const column = issue.path.join('.');
      throw new IncentiveDataError(`${query} row ${i + 1}, column ${column}: ${JSON.stringify((row as Record<string, unknown>)[column] ?? null)} is not valid; expected ${issue.message}`);
    }
    return result.data;
  });
}

export function toSalesEvents(rows: readonly Row[], query: string): SalesEventRecord[] {
  return parseRows(salesRow, rows, query).map((r) => ({
    eventId: r.event_id, eventDate: r.event_date, province: r.province, customerId: r.customer_id,
    segment: r.segment, subSegment: r.sub_segment, channel: r.channel, product: r.product,
    eventType: r.event_type, monthlyFee: r.monthly_fee, prevMonthlyFee: r.prev_monthly_fee,
    accountManagerId: r.account_manager_id,
  }));
}

export function toTicketScores(rows: readonly Row[], query: string): TicketScore[] {
  return parseRows(ticketRow, rows, query).map((r) => ({ accountManagerId: r.account_manager_id, scored: r.scored, satisfied: r.satisfied }));
}

export function toRoster(rows: readonly Row[], query: string): RosterManager[] {
  return parseRows(rosterRow, rows, query).map((r) => ({
    accountManagerId: r.account_manager_id, name: r.name, province: r.province, city: r.city,
    team: r.team, role: r.role, startDate: r.start_date, endDate: r.end_date,
  }));
}
