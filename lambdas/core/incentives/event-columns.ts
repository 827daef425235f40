/**
 * Sales events held as columns for the calculation: a national month is over a million events,
 * and an object of twelve fields per event was seconds of splitting, sorting and garbage.
 *
 * Per event: its id, customer, a date code, a manager code and a profile code. A profile is
 * everything a plan rule reads (province, segment, sub-segment, channel, product, event type,
 * fees): a month has few distinct ones, so each is matched against the rules once, not once per
 * event. Dates, profiles and managers are checked once per distinct value, at the first row
 * that has it, so a bad row is reported by its row number, field and value.
 */
import { EVENT_FIELD_SEPARATOR, EVENT_FIELDS, IncentiveDataError } from './rows.js';
import type { SalesEventRecord } from './types.js';

/** What a rule can read of an event. */
export type EventProfile = Pick<SalesEventRecord,
  'province' | 'segment' | 'subSegment' | 'channel' | 'product' | 'eventType' | 'monthlyFee' | 'prevMonthlyFee'>;

const DAY = /^\d{4}-\d{2}-\d{2}/;
const MONEY = /^-?\d+(\.\d+)?$/;
/** Stands for null in a record's profile key ('' and null are different values); records' keys start with it. */
const NULL_MARK = '\u0000';

function fail(query: string, index: number, column: string, value: unknown, expected: string): never {
  throw new IncentiveDataError(`${query} row ${index + 1}, column ${column}: ${JSON.stringify(value ?? null)} is not valid; expected ${expected}`);
}

export class SalesEventColumns {
  /** Per event. */
  readonly eventId: string[] = [];
  readonly customerId: string[] = [];
  /** Index into `dates`. */
  readonly date: number[] = [];
  /** Index into `profiles`. */
  readonly profile: number[] = [];
  /** Index into `managers`; -1 when the event names none (null). */
  readonly manager: number[] = [];

  /** Distinct values. */
  readonly dates: string[] = [];
  readonly profiles: EventProfile[] = [];
  readonly managers: string[] = [];

  private readonly dateCodes = new Map<string, number>();
  private readonly profileCodes = new Map<string, number>();
  private readonly managerCodes = new Map<string, number>();

  get length(): number {
    return this.eventId.length;
  }

  /** The event as a record (for messages and the rare path that needs one). */
  record(i: number): SalesEventRecord {
    const m = this.manager[i]!;
    return {
      eventId: this.eventId[i]!, eventDate: this.dates[this.date[i]!]!, customerId: this.customerId[i]!,
      ...this.profiles[this.profile[i]!]!, accountManagerId: m < 0 ? null : this.managers[m]!,
    } as SalesEventRecord;
  }

  /** Province of event i. */
  province(i: number): string {
    return this.profiles[this.profile[i]!]!.province;
  }

  private dateCode(text: string): number {
    return textCode(this.dateCodes, this.dates, text);
  }

  private managerCode(id: string | null): number {
    return id === null ? -1 : textCode(this.managerCodes, this.managers, id);
  }

  private profileCode(key: string, make: () => EventProfile): number {
    let code = this.profileCodes.get(key);
    if (code === undefined) {
      code = this.profiles.length;
      this.profiles.push(make());
      this.profileCodes.set(key, code);
    }
    return code;
  }

  private push(eventId: string, date: number, customerId: string, profile: number, manager: number): void {
    this.eventId.push(eventId);
    this.date.push(date);
    this.customerId.push(customerId);
    this.profile.push(profile);
    this.manager.push(manager);
  }

  /**
   * Adds records, keeping the first copy (in input order) of each event (date, id, province):
   * what the calculation did when it took records.
   */
  addRecords(events: readonly SalesEventRecord[]): void {
    const seen = new Set<string>();
    for (const e of events) {
      const key = `${e.eventDate}${EVENT_FIELD_SEPARATOR}${e.eventId}${EVENT_FIELD_SEPARATOR}${e.province}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const profileKey = [NULL_MARK, e.province, e.segment, e.subSegment ?? NULL_MARK, e.channel, e.product, e.eventType, e.monthlyFee, e.prevMonthlyFee ?? NULL_MARK]
        .join(EVENT_FIELD_SEPARATOR);
      const profile = this.profileCode(profileKey, () => ({
        province: e.province, segment: e.segment, subSegment: e.subSegment, channel: e.channel, product: e.product,
        eventType: e.eventType, monthlyFee: e.monthlyFee, prevMonthlyFee: e.prevMonthlyFee,
      }));
      this.push(e.eventId, this.dateCode(e.eventDate), e.customerId, profile, this.managerCode(e.accountManagerId));
    }
  }

  /**
   * Adds a sales query's packed `event` column (the twelve EVENT_FIELDS of rows.ts joined by
   * chr(31)), each row's field count, date and money shape checked. Each query's events are distinct (one file per type, province and
   * day, its event ids unique); an event already added from another query (the same date, id
   * and province: a churn both sales queries return) is skipped. The earlier events are indexed
   * by id, so add the smaller query first.
   */
  addPacked(packed: readonly unknown[], query: string): void {
    this.addPackedRange(packed, query, 0, packed.length, this.earlierById());
  }

  /**
   * `addPacked` a slice at a time, letting other work proceed between slices (queries the
   * engine runs meanwhile get submitted and run on its own threads).
   */
  async addPackedInSlices(packed: readonly unknown[], query: string, rowsPerSlice = 1 << 16): Promise<void> {
    const earlier = this.earlierById();
    for (let from = 0; from < packed.length; from += rowsPerSlice) {
      this.addPackedRange(packed, query, from, Math.min(packed.length, from + rowsPerSlice), earlier);
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }

  /**
   * Events added so far, by id: a later copy (from another query) is looked up among them. A copy
   * is the same lake row, so it has the same profile: only events of a profile an earlier event
   * has are looked up (on a national month ~1 in 5, the churns; the id lookup was a sixth of the reading).
   */
  private earlierById(): Earlier {
    const before = this.length;
    const byId = new Map<string, number[]>();
    const profiles = new Set<number>();
    for (let i = 0; i < before; i++) {
      const list = byId.get(this.eventId[i]!);
      if (list) list.push(i);
      else byId.set(this.eventId[i]!, [i]);
      profiles.add(this.profile[i]!);
    }
    return { before, byId, profiles };
  }

  private addPackedRange(packed: readonly unknown[], query: string, from: number, to: number, earlierIds: Earlier): void {
    const SEP = EVENT_FIELD_SEPARATOR;
    const { before, byId: earlier, profiles: earlierProfiles } = earlierIds;
    for (let i = from; i < to; i++) {
      const event = packed[i];
      if (typeof event !== 'string') fail(query, i, 'event', event, `the ${EVENT_FIELDS.length} fields joined by chr(31)`);
      const s0 = event.indexOf(SEP);
      const s1 = event.indexOf(SEP, s0 + 1);
      const s2 = event.indexOf(SEP, s1 + 1);
      const s3 = event.indexOf(SEP, s2 + 1);
      const s4 = event.indexOf(SEP, s3 + 1);
      const s5 = event.indexOf(SEP, s4 + 1);
      const s6 = event.indexOf(SEP, s5 + 1);
      const s7 = event.indexOf(SEP, s6 + 1);
      const s8 = event.indexOf(SEP, s7 + 1);
      const s9 = event.indexOf(SEP, s8 + 1);
      const s10 = event.indexOf(SEP, s9 + 1);
      if (s0 < 0 || s1 < 0 || s2 < 0 || s3 < 0 || s4 < 0 || s5 < 0 || s6 < 0 || s7 < 0 || s8 < 0 || s9 < 0 || s10 < 0 || event.indexOf(SEP, s10 + 1) >= 0) {
        const got = event.split(SEP).length;
        fail(query, i, 'event', event, `${EVENT_FIELDS.length} fields joined by chr(31) (${EVENT_FIELDS.join(', ')}), got ${got}`);
      }
      const rawDate = event.slice(s0 + 1, s1);
      let date = this.dateCodes.get(rawDate);
      if (date === undefined) {
        if (!DAY.test(rawDate)) fail(query, i, 'event_date', rawDate, 'a date YYYY-MM-DD');
        date = this.dateCode(rawDate.length === 10 ? rawDate : rawDate.slice(0, 10));
        this.dateCodes.set(rawDate, date);
      }
      const province = event.slice(s1 + 1, s2);
      const profileKey = `${province}${event.slice(s3, s10)}`;
      let profile = this.profileCodes.get(profileKey);
      if (profile === undefined) {
        const monthlyFee = event.slice(s8 + 1, s9);
        if (!MONEY.test(monthlyFee)) fail(query, i, 'monthly_fee', monthlyFee, 'an exact decimal like 129.00');
        const prev = event.slice(s9 + 1, s10);
        if (prev !== '' && !MONEY.test(prev)) fail(query, i, 'prev_monthly_fee', prev, 'an exact decimal like 129.00');
        const subSegment = event.slice(s4 + 1, s5);
        profile = this.profileCode(profileKey, () => ({
          province, segment: event.slice(s3 + 1, s4), subSegment: subSegment === '' ? null : subSegment, channel: event.slice(s5 + 1, s6),
          product: event.slice(s6 + 1, s7), eventType: event.slice(s7 + 1, s8), monthlyFee, prevMonthlyFee: prev === '' ? null : prev,
        }));
      }
      const eventId = event.slice(0, s0);
      if (before > 0 && earlierProfiles.has(profile) && this.isAmong(earlier.get(eventId), date, province)) continue;
      const manager = event.slice(s10 + 1);
      this.push(eventId, date, event.slice(s2 + 1, s3), profile, this.managerCode(manager === '' ? null : manager));
    }
  }

  private isAmong(indices: readonly number[] | undefined, date: number, province: string): boolean {
    if (!indices) return false;
    for (const j of indices) if (this.dates[this.date[j]!] === this.dates[date] && this.province(j) === province) return true;
    return false;
  }
}

/** The events added before a query's: their indices by id, and the profiles they have. */
interface Earlier { before: number; byId: Map<string, number[]>; profiles: Set<number> }

/** The code of `text` in `codes`; the first time, `text` is added to `values` under the next code. */
function textCode(codes: Map<string, number>, values: string[], text: string): number {
  let code = codes.get(text);
  if (code === undefined) {
    code = values.length;
    values.push(text);
    codes.set(text, code);
  }
  return code;
}
