/**
 * Report periods (ISO week Monday–Sunday, or calendar month) and day arithmetic, always in
 * Asia/Shanghai (UTC+8, no daylight saving) whatever the machine's time zone.
 */

export type PeriodKind = 'week' | 'month';

export interface Period {
  kind: PeriodKind;
  /** `2026-W47` or `2026-11`. */
  id: string;
  /** First day, `YYYY-MM-DD`. */
  start: string;
  /** Last day, inclusive. */
  end: string;
}

export class PeriodError extends Error {
  override name = 'PeriodError';
}

const SHANGHAI_OFFSET_MS = 8 * 3600 * 1000;
const DAY_MS = 86_400_000;

/** Days since 1970-01-01 of a `YYYY-MM-DD` date. */
export function dayNumber(day: string): number {
  return Math.floor(Date.parse(`${day}T00:00:00Z`) / DAY_MS);
}

/** The `YYYY-MM-DD` date of a day number. */
export function dayFromNumber(n: number): string {
  return new Date(n * DAY_MS).toISOString().slice(0, 10);
}

export function addDays(day: string, days: number): string {
  return dayFromNumber(dayNumber(day) + days);
}

/** Every day from start to end inclusive. */
export function daysBetween(start: string, end: string): string[] {
  const days: string[] = [];
  for (let n = dayNumber(start); n <= dayNumber(end); n++) days.push(dayFromNumber(n));
  return days;
}

/** The calendar day in Asia/Shanghai of an instant. */
export function shanghaiDay(instant: Date): string {
  return new Date(instant.getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10);
}

/** `YYYY-MM-DD HH:mm` in Asia/Shanghai, for footers and receipts; `YYYY-MM-DD HH:mm:ss` with `seconds`. */
export function shanghaiDateTime(instant: Date, options: { seconds?: boolean } = {}): string {
  return new Date(instant.getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(0, options.seconds ? 19 : 16).replace('T', ' ');
}

/** ISO weekday 1 (Monday) … 7 (Sunday) of a date. */
export function isoWeekday(day: string): number {
  const d = new Date(`${day}T00:00:00Z`).getUTCDay();
  return d === 0 ? 7 : d;
}

/** The ISO week holding a date. */
export function weekOf(day: string): Period {
  const monday = addDays(day, 1 - isoWeekday(day));
  const thursday = addDays(monday, 3);
  const year = Number(thursday.slice(0, 4));
  const firstThursdayOrdinal = Math.floor((dayNumber(thursday) - dayNumber(`${year}-01-01`)) / 7) + 1;
  const id = `${year}-W${String(firstThursdayOrdinal).padStart(2, '0')}`;
  return { kind: 'week', id, start: monday, end: addDays(monday, 6) };
}

/** The calendar month holding a date. */
export function monthOf(day: string): Period {
  const id = day.slice(0, 7);
  const [y, m] = id.split('-').map(Number) as [number, number];
  const next = m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, '0')}-01`;
  return { kind: 'month', id, start: `${id}-01`, end: addDays(next, -1) };
}

/** Parses `2026-W47` or `2026-11`; throws a PeriodError saying the expected form. */
export function parsePeriod(id: string): Period {
  const week = /^(\d{4})-W(\d{2})$/.exec(id);
  if (week) {
    const year = Number(week[1]);
    const n = Number(week[2]);
    // The Monday of ISO week 1 is the Monday of the week holding 4 January.
    const week1 = weekOf(`${year}-01-04`);
    const period = weekOf(addDays(week1.start, (n - 1) * 7));
    if (n < 1 || period.id !== id) throw new PeriodError(`'${id}' is not a week of ${year}: ISO years have weeks W01 to W52 or W53`);
    return period;
  }
  const month = /^(\d{4})-(\d{2})$/.exec(id);
  if (month) {
    const m = Number(month[2]);
    if (m < 1 || m > 12) throw new PeriodError(`'${id}' is not a month: use YYYY-MM with a month 01–12`);
    return monthOf(`${id}-01`);
  }
  throw new PeriodError(`'${id}' is not a period: use an ISO week like 2026-W47 or a month like 2026-11`);
}

/** The period just before (previous week or month). */
export function previousPeriod(period: Period): Period {
  return period.kind === 'week' ? weekOf(addDays(period.start, -7)) : monthOf(addDays(period.start, -1));
}

/** The latest ISO week that has fully ended by `now` in Asia/Shanghai. */
export function latestFullWeek(now: Date): Period {
  return weekOf(addDays(weekOf(shanghaiDay(now)).start, -1));
}

/** The latest calendar month that has fully ended by `now` in Asia/Shanghai. */
export function latestFullMonth(now: Date): Period {
  return monthOf(addDays(monthOf(shanghaiDay(now)).start, -1));
}

/** Parses an ISO 8601 timestamp; one without offset is Asia/Shanghai time. Undefined if invalid. */
export function parseTimestamp(text: string): Date | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s = '00', frac = '', zone] = m;
  let offset = '+08:00';
  if (zone) offset = zone === 'Z' ? 'Z' : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone;
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${s}${frac.slice(0, 4)}${offset}`;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return undefined;
  // Reject overflowing fields (2026-02-30) that Date silently rolls over.
  if (!isValidDay(`${y}-${mo}-${d}`) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined;
  return date;
}

/** True for a real calendar day in `YYYY-MM-DD` form. */
export function isValidDay(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const t = Date.parse(`${text}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === text;
}
