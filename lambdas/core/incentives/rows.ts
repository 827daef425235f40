/**
 * Query rows (DuckDB or Athena) checked and turned into the calculation's records with plain
 * code: a month of a national roster is over a million sales rows, so no schema library runs
 * per row. The sales queries pack each event into one text column `event` (fields joined by
 * chr(31), see queries/incentive_sales_events.sql); the column's presence is checked here once,
 * each row's field count, date and money shape as SalesEventColumns (event-columns.ts) splits it.
 */
import { TelcoKpiError } from '../errors.js';
import type { Columns, Row } from '../ports.js';
import type { RosterManager, TicketScore } from './types.js';

/** A query returned a row the incentive calculation cannot use. */
export class IncentiveDataError extends TelcoKpiError {}

/** The separator of the packed `event` column (ASCII unit separator, chr(31)). */
export const EVENT_FIELD_SEPARATOR = '\u001f';
/** The fields of the packed `event` column, in order. */
export const EVENT_FIELDS = [
  'event_id', 'event_date', 'province', 'customer_id', 'segment', 'sub_segment', 'channel', 'product',
  'event_type', 'monthly_fee', 'prev_monthly_fee', 'account_manager_id',
] as const;

const DAY = /^\d{4}-\d{2}-\d{2}/;

function fail(query: string, index: number, column: string, value: unknown, expected: string): never {
  throw new IncentiveDataError(`${query} row ${index + 1}, column ${column}: ${JSON.stringify(value ?? null)} is not valid; expected ${expected}`);
}

function requireColumns(rows: readonly Row[], query: string, columns: readonly string[]): void {
  const first = rows[0];
  if (!first) return;
  const missing = columns.filter((c) => !(c in first));
  if (missing.length > 0) {
    throw new IncentiveDataError(`${query} returned columns ${Object.keys(first).join(', ') || '(none)'}; expected ${columns.join(', ')} (missing ${missing.join(', ')})`);
  }
}

function text(value: unknown, query: string, index: number, column: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return fail(query, index, column, value, 'a text or number');
}

function day(value: unknown, query: string, index: number, column: string): string {
  if (typeof value !== 'string' || !DAY.test(value)) return fail(query, index, column, value, 'a date YYYY-MM-DD');
  return value.length === 10 ? value : value.slice(0, 10);
}

function count(value: unknown, query: string, index: number, column: string): number {
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) return fail(query, index, column, value, 'a count ≥ 0');
  return n;
}

/** The packed `event` values of a sales query's rows (the column checked once). */
export function packedEventRows(rows: readonly Row[], query: string): unknown[] {
  requireColumns(rows, query, ['event']);
  return rows.map((r) => r.event);
}

/** The packed `event` column of a sales query read as columns; none for an empty result without it. */
export function packedEventColumn(columns: Columns, query: string): readonly unknown[] {
  const names = Object.keys(columns);
  const packed = columns.event;
  if (!packed) {
    if (names.every((n) => columns[n]!.length === 0)) return [];
    throw new IncentiveDataError(`${query} returned columns ${names.join(', ') || '(none)'}; expected event (missing event)`);
  }
  return packed;
}

export function toTicketScores(rows: readonly Row[], query: string): TicketScore[] {
  requireColumns(rows, query, ['account_manager_id', 'scored', 'satisfied']);
  return rows.map((r, i) => ({
    accountManagerId: text(r.account_manager_id, query, i, 'account_manager_id'),
    scored: count(r.scored, query, i, 'scored'),
    satisfied: count(r.satisfied, query, i, 'satisfied'),
  }));
}

export function toRoster(rows: readonly Row[], query: string): RosterManager[] {
  requireColumns(rows, query, ['account_manager_id', 'name', 'province', 'city', 'team', 'role', 'start_date', 'end_date']);
  return rows.map((r, i) => ({
    accountManagerId: text(r.account_manager_id, query, i, 'account_manager_id'),
    name: text(r.name, query, i, 'name'),
    province: text(r.province, query, i, 'province'),
    city: text(r.city, query, i, 'city'),
    team: text(r.team, query, i, 'team'),
    role: text(r.role, query, i, 'role'),
    startDate: day(r.start_date, query, i, 'start_date'),
    endDate: r.end_date === null || r.end_date === undefined ? null : day(r.end_date, query, i, 'end_date'),
  }));
}
