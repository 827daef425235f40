/**
 * Seeded, reproducible sample extracts in the formats of SPEC §2: per province per day a
 * `sales`, `revenue` and `service` file, one `managers` roster per province and one `market`
 * file per province and calendar month, and one `targets` file per province and month except for
 * the provinces of NO_TARGETS (a province that sets none). Same options, same bytes; memory
 * stays flat with `days`.
 */
import { CHANNELS, PRODUCTS, PROVINCE_CODES, type Channel, type Product, type Province, type Segment, type SubSegment } from '../extracts/codes.js';
import { UsageError } from '../errors.js';
import { addDays, dayFromNumber, dayNumber, isValidDay, isoWeekday, monthOf } from '../period.js';
import { CHINESE_NEW_YEAR, COMPETITORS, GIVEN_CHARS, PROVINCE_PROFILES, SURNAMES } from './sample-data.js';
import { EXTRACT_TYPES, TABLES, inputColumns, type ExtractType } from '../extracts/schema.js';

export const SAMPLE_SCALES = ['small', 'province', 'national'] as const;
export type SampleScale = (typeof SAMPLE_SCALES)[number];

export interface SampleSkip {
  type: ExtractType;
  province: string;
  /** The file's day (`managers`: the first day; `market`, `targets`: any day of the month, or `YYYY-MM`). */
  day: string;
}

export interface SampleOptions {
  /** First day, `YYYY-MM-DD`. */
  from: string;
  days: number;
  provinces: Province[];
  seed: number;
  scale: SampleScale;
  /** Files to leave out (a missing day for completeness checks); the other files are unchanged. */
  skip?: SampleSkip[];
}

export interface SampleFile {
  /** `sales_JL_20261118.csv`, `managers_JL_20261101.csv`, `market_JL_202611.csv`. */
  fileName: string;
  type: ExtractType;
  province: string;
  /** UTF-8 CSV with the English headers in schema order (no derived columns), LF line ends. */
  content: string;
  rows: number;
}

interface ScaleProfile {
  /** Cities per province (capped by the province's city list). */
  cities: number;
  /** Sales events per province per day (an average province). */
  sales: number;
  /** Service tickets per province per day (an average province). */
  service: number;
  /** Roster size: per city (small) or per average province. */
  managers: { perCity: number } | { perProvince: number };
  /** Enterprise key accounts per province (SPEC §10 watch list): a portfolio, visits and warning signs. */
  keyAccounts: number;
}

const SCALES: Readonly<Record<SampleScale, ScaleProfile>> = {
  small: { cities: 3, sales: 150, service: 60, managers: { perCity: 15 }, keyAccounts: 12 },
  province: { cities: 9, sales: 3000, service: 2000, managers: { perProvince: 300 }, keyAccounts: 24 },
  national: { cities: 14, sales: 8800, service: 6200, managers: { perProvince: 650 }, keyAccounts: 40 },
};

/** Checks the options and returns the files one by one (nothing is generated before the first `next()`). */
export function generateSample(options: SampleOptions): Generator<SampleFile> {
  const checked = checkSampleOptions(options);
  return generate(checked);
}

/** How many files `generateSample` yields for these options (after skips). */
export function sampleFileCount(options: SampleOptions): number {
  const o = checkSampleOptions(options);
  const months = new Set<string>();
  for (let d = 0; d < o.days; d++) months.add(addDays(o.from, d).slice(0, 7));
  const withTargets = o.provinces.filter((p) => !NO_TARGETS.has(p)).length;
  return o.provinces.length * (1 + months.size + 3 * o.days) + withTargets * months.size - o.skipKeys.size;
}

/** Provinces that set no monthly targets in the sample (a report says 未设指标 for them, never 0 %). */
export const NO_TARGETS: ReadonlySet<string> = new Set(['ZJ']);

/** Parses `sales:JL:2026-11-18` (market and targets may name the month: `market:JL:2026-11`). */
export function parseSkip(text: string): SampleSkip {
  const [type, province, day, extra] = text.trim().split(':');
  if (extra !== undefined || !type || !province || !day) {
    throw new UsageError(`--skip '${text}' is not type:PROVINCE:YYYY-MM-DD (e.g. sales:JL:2026-11-18)`);
  }
  return { type: type as ExtractType, province: province.toUpperCase(), day };
}

interface CheckedOptions extends Required<SampleOptions> {
  skipKeys: Set<string>;
}

function checkSampleOptions(options: SampleOptions): CheckedOptions {
  const { from, days, provinces, seed, scale } = options;
  if (typeof from !== 'string' || !isValidDay(from)) throw new UsageError(`--from '${String(from)}' is not a day: use YYYY-MM-DD, e.g. 2026-11-01`);
  if (!Number.isInteger(days) || days <= 0) throw new UsageError(`--days '${String(days)}' is not a whole number of days ≥ 1`);
  if (days > 3660) throw new UsageError(`--days ${days} is more than ten years; use at most 3660`);
  if (!Number.isInteger(seed)) throw new UsageError(`--seed '${String(seed)}' is not an integer`);
  if (!SAMPLE_SCALES.includes(scale)) throw new UsageError(`--scale '${String(scale)}' is not one of ${SAMPLE_SCALES.join(', ')}`);
  if (!Array.isArray(provinces) || provinces.length === 0) throw new UsageError('--provinces is empty: name at least one province code, e.g. JL,GD');
  const seen = new Set<string>();
  for (const p of provinces) {
    if (!(PROVINCE_CODES as string[]).includes(p)) throw new UsageError(`province '${p}' is not a province code; use one of ${PROVINCE_CODES.join(', ')}`);
    if (seen.has(p)) throw new UsageError(`province '${p}' is named twice`);
    seen.add(p);
  }
  const last = addDays(from, days - 1);
  const skipKeys = new Set<string>();
  for (const s of options.skip ?? []) {
    const where = `${s.type}:${s.province}:${s.day}`;
    if (!(EXTRACT_TYPES as readonly string[]).includes(s.type)) throw new UsageError(`--skip ${where}: '${s.type}' is not an extract type; use one of ${EXTRACT_TYPES.join(', ')}`);
    if (!seen.has(s.province)) throw new UsageError(`--skip ${where}: province '${s.province}' is not among the generated provinces (${provinces.join(',')})`);
    let key = s.day;
    if (s.type === 'targets' && NO_TARGETS.has(s.province)) throw new UsageError(`--skip ${where}: the sample writes no targets for ${s.province}`);
    if (s.type === 'market' || s.type === 'targets') {
      const month = /^\d{4}-\d{2}$/.test(s.day) ? s.day : isValidDay(s.day) ? s.day.slice(0, 7) : '';
      if (!month || month < from.slice(0, 7) || month > last.slice(0, 7)) throw new UsageError(`--skip ${where}: expected a month (YYYY-MM) from ${from.slice(0, 7)} to ${last.slice(0, 7)}`);
      key = month;
    } else if (!isValidDay(s.day) || s.day < from || s.day > last) {
      throw new UsageError(`--skip ${where}: expected a day (YYYY-MM-DD) from ${from} to ${last}`);
    } else if (s.type === 'managers' && s.day !== from) {
      throw new UsageError(`--skip ${where}: the roster is the first day's file; use ${from}`);
    }
    skipKeys.add(`${s.type}|${s.province}|${key}`);
  }
  return { from, days, provinces: [...provinces], seed, scale, skip: options.skip ?? [], skipKeys };
}

// ---------------------------------------------------------------------------------------------
// Random numbers: cyrb128 turns (seed, stream name) into a state, sfc32 draws from it. Each file
// has its own stream, so skipping or reordering files never changes another file's bytes.

class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, stream: string) {
    const key = `${seed}|${stream}`;
    let h1 = 1779033703, h2 = 3144134277, h3 = 1013904242, h4 = 2773480762;
    for (let i = 0; i < key.length; i++) {
      const k = key.charCodeAt(i);
      h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
      h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
      h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
      h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
    }
    h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
    h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
    h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
    h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
    h1 ^= h2 ^ h3 ^ h4;
    this.a = h1; this.b = h2 ^ h1; this.c = h3 ^ h1; this.d = h4 ^ h1;
    for (let i = 0; i < 12; i++) this.next();
  }

  /** Uniform in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  int(n: number): number { return Math.floor(this.next() * n); }
  between(lo: number, hi: number): number { return lo + this.next() * (hi - lo); }
  chance(p: number): boolean { return this.next() < p; }
  pick<T>(items: readonly T[]): T { return items[this.int(items.length)]!; }

  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** Index drawn from a cumulative weight array (last entry = total). */
  weighted(cdf: ArrayLike<number>, length = cdf.length): number {
    const x = this.next() * cdf[length - 1]!;
    let lo = 0, hi = length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! > x) hi = mid; else lo = mid + 1;
    }
    return lo;
  }
}

function cumulative(weights: readonly number[]): number[] {
  let sum = 0;
  return weights.map((w) => (sum += w));
}

// ---------------------------------------------------------------------------------------------
// The market model: who buys what through which channel, and what it costs.

const CHANNEL_LIST = Object.keys(CHANNELS.codes) as Channel[];
const PRODUCT_LIST = Object.keys(PRODUCTS.codes) as Product[];
const CH = Object.fromEntries(CHANNEL_LIST.map((c, i) => [c, i])) as Record<Channel, number>;
const PR = Object.fromEntries(PRODUCT_LIST.map((p, i) => [p, i])) as Record<Product, number>;

interface SegmentKey { segment: Segment; sub: SubSegment | ''; share: number; arpuFactor: number }

const ENTERPRISE_SUBS: ReadonlyArray<[SubSegment, number, number]> = [
  // sub_segment, share of enterprise users, ARPU factor
  ['gov', 0.10, 1.4], ['finance', 0.07, 1.6], ['large', 0.10, 1.8], ['sme', 0.33, 0.8],
  ['transport_energy', 0.10, 1.5], ['cluster_high', 0.10, 1.2], ['cluster_general', 0.20, 0.7],
];
const SEGMENT_KEYS: readonly SegmentKey[] = [
  { segment: 'public', sub: '', share: 0.64, arpuFactor: 1 },
  { segment: 'household', sub: '', share: 0.27, arpuFactor: 1 },
  ...ENTERPRISE_SUBS.map(([sub, share, arpuFactor]): SegmentKey => ({ segment: 'enterprise', sub, share: 0.09 * share, arpuFactor })),
];
const NSEG = SEGMENT_KEYS.length;
const NCH = CHANNEL_LIST.length;
const NPR = PRODUCT_LIST.length;
const CELLS_PER_CITY = NSEG * NCH * NPR;

/** `segment,sub_segment,channel` per (segment key, channel). */
const SEGMENT_CHANNEL_LABELS = SEGMENT_KEYS.flatMap((k) => CHANNEL_LIST.map((c) => `${k.segment},${k.sub},${c}`));

/** Acquisition channel mix by segment, in CHANNEL_LIST order (direct … app). */
const CHANNEL_MIX: Record<Segment, readonly number[]> = {
  //            direct own_hall partner_hall agent online hotline app
  public: [0.02, 0.24, 0.20, 0.24, 0.10, 0.05, 0.15],
  household: [0.12, 0.26, 0.16, 0.18, 0.08, 0.08, 0.12],
  enterprise: [0.72, 0.09, 0.03, 0.07, 0.04, 0.03, 0.02],
};
/** Product mix by segment, in PRODUCT_LIST order (mobile broadband fixed bundle ict). */
const PRODUCT_MIX: Record<Segment, readonly number[]> = {
  public: [0.72, 0.08, 0.04, 0.155, 0.005],
  household: [0.10, 0.30, 0.05, 0.549, 0.001],
  enterprise: [0.36, 0.14, 0.14, 0.12, 0.24],
};
/** Monthly ARPU (CNY) by segment and product. */
const ARPU: Record<Segment, readonly number[]> = {
  public: [52, 65, 18, 169, 300],
  household: [68, 85, 22, 199, 260],
  enterprise: [95, 180, 35, 259, 1800],
};
const CHANNEL_ARPU = [1.1, 1.0, 1.0, 0.9, 0.95, 1.0, 0.95];

/** Sales by weekday (Mon … Sun) per channel: halls peak on Saturday, direct sales rest at the weekend. */
const CHANNEL_WEEKDAY: readonly (readonly number[])[] = [
  [1.05, 1.10, 1.10, 1.05, 1.00, 0.30, 0.15], // direct
  [0.95, 0.90, 0.90, 0.95, 1.05, 1.35, 0.75], // own_hall
  [0.95, 0.90, 0.90, 0.95, 1.05, 1.30, 0.80], // partner_hall
  [1.00, 1.00, 1.00, 1.00, 1.05, 1.15, 0.70], // agent
  [1.00, 1.00, 1.00, 1.00, 1.00, 0.95, 0.85], // online
  [1.10, 1.05, 1.00, 1.00, 1.00, 0.70, 0.50], // hotline
  [1.00, 1.00, 1.00, 1.00, 1.05, 1.00, 0.90], // app
];

const EVENT_TYPES = ['new', 'upgrade', 'downgrade', 'renewal', 'churn'] as const;
type EventType = (typeof EVENT_TYPES)[number];
const EVENT_MIX: Record<Segment, number[]> = {
  public: cumulative([0.40, 0.12, 0.06, 0.12, 0.30]),
  household: cumulative([0.38, 0.16, 0.05, 0.16, 0.25]),
  enterprise: cumulative([0.35, 0.15, 0.04, 0.30, 0.16]),
};

/** Package tiers (monthly fee, CNY) by product. */
const FEES: readonly (readonly number[])[] = [
  [29, 39, 59, 79, 99, 129, 169, 199], // mobile
  [50, 70, 100, 120, 150], // broadband
  [15, 20, 25, 30], // fixed
  [129, 169, 199, 229, 299, 399], // bundle
  [500, 800, 1200, 2000, 3000, 5000], // ict
];
const BUNDLE_FAMILY: Record<number, string> = { 129: 'e8', 169: 'e9', 199: 'e9', 229: 'A8', 299: 'A8', 399: 'e9' };
const ICT_FAMILY: Record<number, string> = { 500: 'iot', 800: 'cloud', 1200: 'video', 2000: 'sdwan', 3000: 'idc', 5000: 'dict' };
/** Tier skew: > 1 favours cheap tiers, < 1 dear ones. */
const FEE_SKEW: Record<Segment, number> = { public: 1.6, household: 1.0, enterprise: 0.6 };

const PACKAGE_NAMES: readonly (ReadonlyMap<number, string>)[] = FEES.map((tiers, p) => new Map(tiers.map((fee) => [fee, packageName(p, fee)])));

function packageName(product: number, fee: number): string {
  switch (product) {
    case 0: return `5G-${fee}`;
    case 1: return `FTTH-${fee}`;
    case 2: return `fixed-${fee}`;
    case 3: return `${BUNDLE_FAMILY[fee] ?? 'e9'}-${fee}`;
    default: return `${ICT_FAMILY[fee] ?? 'ict'}-${fee}`;
  }
}

const TICKET_CATEGORIES = ['inquiry', 'fault', 'complaint', 'visit'] as const;
const TICKET_MIX = cumulative([0.44, 0.26, 0.14, 0.16]);
const TICKET_SEGMENT_MIX = cumulative([0.64, 0.26, 0.10]);
/** Contact channel of non-visit tickets (CHANNEL_LIST order). */
const TICKET_CHANNEL_MIX = cumulative([0.02, 0.16, 0.06, 0.02, 0.10, 0.48, 0.16]);
/** Ticket opening by hour of day. */
const HOUR_MIX = cumulative([0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.5, 1.5, 4, 8, 9, 8, 5, 6, 8, 8, 8, 7, 5, 4, 4, 3, 1.5, 0.7]);
const VISIT_HOUR_MIX = cumulative([0, 0, 0, 0, 0, 0, 0, 0, 1, 4, 5, 4, 1, 2, 5, 5, 4, 2, 0.5, 0, 0, 0, 0, 0]);
/** Satisfaction 1…5 by category. */
const SCORE_MIX: Record<(typeof TICKET_CATEGORIES)[number], number[]> = {
  inquiry: cumulative([0.02, 0.03, 0.08, 0.25, 0.62]),
  fault: cumulative([0.05, 0.06, 0.14, 0.30, 0.45]),
  complaint: cumulative([0.12, 0.12, 0.20, 0.26, 0.30]),
  visit: cumulative([0.01, 0.02, 0.07, 0.30, 0.60]),
};

/** Population^0.7 relative to the average province: GD ≈ 2.1, XZ ≈ 0.17. */
const SIZE_FACTOR: Readonly<Record<Province, number>> = (() => {
  const raw = PROVINCE_CODES.map((p) => PROVINCE_PROFILES[p].population ** 0.7);
  const mean = raw.reduce((a, b) => a + b, 0) / raw.length;
  return Object.fromEntries(PROVINCE_CODES.map((p, i) => [p, raw[i]! / mean])) as Record<Province, number>;
})();

const TREND_ORIGIN = dayNumber('2026-01-01');
/** Active users per daily sales event: a base that turns over about 3 % a month. */
const USERS_PER_DAILY_SALE = 450;
/** At most this many of a day's `new` events are booked to churn later (bounded memory). */
const TRACKED_PER_DAY = 60;
/** Share of credited `new` events whose customer churns the same product 10–120 days later. */
const EARLY_CHURN_RATE = 0.25;
const TRACK_WINDOW = 121;
const UNKNOWN_MANAGER_RATE = 0.01;

// ---------------------------------------------------------------------------------------------
// Calendar effects shared by every province on a day.

interface DayContext {
  day: string;
  ymd: string;
  dayNum: number;
  /** Sales multiplier per (segment key, channel, product) combination. */
  salesFactor: Float64Array;
  /** Ticket volume multiplier. */
  serviceFactor: number;
  /** Daily revenue multiplier. */
  revenueFactor: number;
}

function dayContext(day: string): DayContext {
  const dayNum = dayNumber(day);
  const weekday = isoWeekday(day);
  const month = Number(day.slice(5, 7));
  const dom = Number(day.slice(8, 10));
  const lastDom = Number(monthOf(day).end.slice(8, 10));
  const cnyDay = CHINESE_NEW_YEAR[Number(day.slice(0, 4))] ?? CHINESE_NEW_YEAR[Number(day.slice(0, 4)) + 1];
  const fromCny = cnyDay ? dayNum - dayNumber(cnyDay) : 999;

  let common = 1;
  if (dom > lastDom - 3) common *= 1.3; // month-end push on quotas
  else if (dom <= 2) common *= 0.85;
  if (month <= 3) common *= 0.92; // Q1 lull

  const salesFactor = new Float64Array(NSEG * NCH * NPR);
  for (let s = 0; s < NSEG; s++) {
    const segment = SEGMENT_KEYS[s]!.segment;
    for (let c = 0; c < NCH; c++) {
      const digital = c === CH.online || c === CH.app;
      let f = common * CHANNEL_WEEKDAY[c]![weekday - 1]!;
      if (Math.abs(fromCny) <= 3) f *= digital ? 0.6 : 0.3; // Spring Festival holiday
      else if (fromCny >= -10 && fromCny <= 10) f *= 0.75;
      if (month === 10 && dom <= 7) f *= c === CH.direct ? 0.2 : c === CH.own_hall || c === CH.partner_hall ? 1.25 : 1; // Golden Week
      if (month === 11 && dom >= 10 && dom <= 12 && digital) f *= dom === 11 ? 2.5 : 1.4; // Double 11
      for (let p = 0; p < NPR; p++) {
        let g = f;
        if (segment === 'public' && (p === PR.mobile || p === PR.bundle)) {
          if (month === 9 && dom <= 25) g *= 1.45; // school season: students and parents
          else if (month === 8 && dom >= 20) g *= 1.2;
        }
        salesFactor[(s * NCH + c) * NPR + p] = g;
      }
    }
  }
  const serviceFactor = [1.05, 1.0, 1.0, 1.0, 1.0, 0.85, 0.75][weekday - 1]! * (Math.abs(fromCny) <= 3 ? 0.6 : 1);
  const revenueFactor = weekday >= 6 ? 0.98 : 1;
  return { day, ymd: day.replaceAll('-', ''), dayNum, salesFactor, serviceFactor, revenueFactor };
}

// ---------------------------------------------------------------------------------------------
// Per-province state: cities, roster, agents, active users per revenue cell, churns booked ahead.

interface Manager {
  id: string;
  name: string;
  city: number;
  team: string;
  role: 'account_manager' | 'vip_manager' | 'community_manager';
  start: string;
  end: string;
}

interface BookedChurn {
  cell: number;
  customer: string;
  fee: number;
  manager: string;
  agent: string;
}

interface ProvinceState {
  code: Province;
  cities: readonly string[];
  cityCdf: number[];
  size: number;
  weeklyGrowth: number;
  marketTilt: number;
  baseWeight: Float64Array;
  arpu: Float64Array;
  users: Float64Array;
  oneOff: Float64Array;
  cdf: Float64Array;
  /** `province,city` per city. */
  cityLabels: string[];
  /** `city,segment,sub_segment,channel,product` per cell. */
  cellLabels: string[];
  roster: Manager[];
  /** Active managers by city and role. */
  pools: Array<Record<Manager['role'], string[]>>;
  quality: Map<string, number>;
  unknownManager: string;
  agents: string[][];
  /** Ring of the next TRACK_WINDOW days: `new` events booked to churn on that day. */
  due: BookedChurn[][];
  keyAccounts: KeyAccount[];
}

/** An enterprise customer with several products, its account manager's visits and its warning signs. */
interface KeyAccount {
  customer: string;
  city: number;
  /** Index into SEGMENT_KEYS (an enterprise sub-segment). */
  seg: number;
  manager: string;
  /** Monthly fee per product index it holds (a churned product is removed). */
  held: Map<number, number>;
  /** Days between visits; 0: the manager stopped visiting. */
  visitEvery: number;
  visitPhase: number;
  /** Daily chance of a complaint or a fault; at-risk accounts also downgrade or drop a product. */
  trouble: number;
  atRisk: boolean;
}

function buildProvince(code: Province, o: CheckedOptions): ProvinceState {
  const scale = SCALES[o.scale];
  const profile = PROVINCE_PROFILES[code];
  const rng = new Rng(o.seed, `province|${code}`);
  const cities = profile.cities.slice(0, scale.cities);
  const cityWeights = cities.map((_, i) => (i === 0 ? 1.3 : 1) / (i + 1) ** 0.9 * rng.between(0.85, 1.15));
  const cityTotal = cityWeights.reduce((a, b) => a + b, 0);
  const size = SIZE_FACTOR[code];
  const n = cities.length * CELLS_PER_CITY;
  const baseWeight = new Float64Array(n);
  const arpu = new Float64Array(n);
  for (let city = 0; city < cities.length; city++) {
    for (let s = 0; s < NSEG; s++) {
      const key = SEGMENT_KEYS[s]!;
      for (let c = 0; c < NCH; c++) {
        for (let p = 0; p < NPR; p++) {
          const cell = ((city * NSEG + s) * NCH + c) * NPR + p;
          let w = (cityWeights[city]! / cityTotal) * key.share * CHANNEL_MIX[key.segment][c]! * PRODUCT_MIX[key.segment][p]!;
          if (p === PR.ict && c !== CH.direct) w *= 0.3;
          baseWeight[cell] = w * rng.between(0.8, 1.2);
          arpu[cell] = ARPU[key.segment][p]! * key.arpuFactor * CHANNEL_ARPU[c]! * profile.priceLevel * rng.between(0.9, 1.1);
        }
      }
    }
  }
  const weeklyGrowth = rng.between(0.001, 0.006);
  const totalWeight = baseWeight.reduce((a, b) => a + b, 0);
  const totalUsers = scale.sales * size * USERS_PER_DAILY_SALE * trendLevel(weeklyGrowth, dayNumber(o.from));
  const users = new Float64Array(n);
  for (let i = 0; i < n; i++) users[i] = Math.round((totalUsers * baseWeight[i]!) / totalWeight);

  const managers = scale.managers;
  const perCity = 'perCity' in managers
    ? cities.map(() => managers.perCity)
    : cityWeights.map((w) => Math.max(4, Math.round((managers.perProvince * size * w) / cityTotal)));
  const roster = buildRoster(code, cities, perCity, o.from, rng);
  const pools = cities.map(() => ({ account_manager: [] as string[], vip_manager: [] as string[], community_manager: [] as string[] }));
  const quality = new Map<string, number>();
  for (const m of roster) {
    if (!m.end) pools[m.city]![m.role].push(m.id);
    const r = rng.next();
    quality.set(m.id, r < 0.15 ? -1 : r < 0.4 ? 1 : 0);
  }
  const agentsPerCity = Math.max(5, Math.round((scale.sales / 10) * size / cities.length));
  const agents = cities.map((_, city) => Array.from({ length: agentsPerCity }, (_, i) => `AG${code}${pad2(city + 1)}${String(i + 1).padStart(3, '0')}`));

  return {
    code, cities, cityCdf: cumulative(cityWeights), size, weeklyGrowth, marketTilt: rng.between(-0.06, 0.06),
    baseWeight, arpu, users, oneOff: new Float64Array(n), cdf: new Float64Array(n),
    cityLabels: cities.map((city) => `${code},${city}`),
    cellLabels: Array.from({ length: n }, (_, cell) => `${cities[Math.floor(cell / CELLS_PER_CITY)]},${SEGMENT_CHANNEL_LABELS[Math.floor((cell % CELLS_PER_CITY) / NPR)]},${PRODUCT_LIST[cell % NPR]}`),
    roster, pools, quality, unknownManager: `${code}${String(roster.length + 1).padStart(4, '0')}`,
    agents, due: Array.from({ length: TRACK_WINDOW }, () => []),
    keyAccounts: buildKeyAccounts(code, cities.length, scale.keyAccounts, pools, o.seed),
  };
}

/** Portfolios around the watch list's default threshold (3,334 CNY a month): most above, two under (one by 5 yuan). */
const KEY_PORTFOLIOS: ReadonlyArray<ReadonlyArray<[Product, number]>> = [
  [['ict', 5000], ['bundle', 399]],
  [['ict', 5000]],
  [['ict', 3000], ['bundle', 399], ['mobile', 199]],
  [['ict', 2000], ['bundle', 399], ['mobile', 199]],
  [['ict', 5000], ['bundle', 299], ['broadband', 150]],
  [['ict', 3000], ['bundle', 299], ['fixed', 30]],
];
const KEY_SUBS = SEGMENT_KEYS.map((k, i) => [k, i] as const).filter(([k]) => k.segment === 'enterprise' && ['gov', 'finance', 'large', 'transport_energy', 'cluster_high'].includes(k.sub)).map(([, i]) => i);

function buildKeyAccounts(code: Province, cities: number, count: number, pools: ProvinceState['pools'], seed: number): KeyAccount[] {
  const rng = new Rng(seed, `keyAccounts|${code}`);
  return Array.from({ length: count }, (_, k) => {
    const city = rng.int(cities);
    const pool = pools[city]!;
    const managers = [...pool.vip_manager, ...pool.account_manager];
    const neglected = rng.chance(0.15);
    const atRisk = rng.chance(0.6);
    return {
      customer: customerId(rng),
      city,
      seg: KEY_SUBS[rng.int(KEY_SUBS.length)]!,
      manager: managers.length > 0 ? rng.pick(managers) : `${code}0001`,
      held: new Map(KEY_PORTFOLIOS[k % KEY_PORTFOLIOS.length]!.map(([product, fee]) => [PR[product], fee])),
      visitEvery: neglected ? 0 : 7 + rng.int(8),
      visitPhase: rng.int(15),
      trouble: atRisk ? 0.12 : 0.01,
      atRisk,
    };
  });
}

/**
 * The key accounts' sales of a day: on the first day a renewal of every product they hold (their
 * fees at stake); then, for accounts at risk, now and then a downgrade or the churn of one product
 * while others remain. Drawn from a stream of their own, so the other events are unchanged.
 */
function keyAccountSales(st: ProvinceState, ctx: DayContext, dayIndex: number, seed: number): string[] {
  const rng = new Rng(seed, `keySales|${st.code}|${ctx.day}`);
  const lines: string[] = [];
  const add = (a: KeyAccount, product: number, type: EventType, fee: number, prev: number | null) => {
    lines.push(`${st.code}${ctx.ymd}K${pad6(lines.length + 1)},${ctx.day},${st.cityLabels[a.city]},${a.customer},${SEGMENT_CHANNEL_LABELS[a.seg * NCH + CH.direct]},${a.manager},,${PRODUCT_LIST[product]},${PACKAGE_NAMES[product]!.get(type === 'churn' ? prev! : fee)},${type},${fee.toFixed(2)},${prev === null ? '' : prev.toFixed(2)},0.00`);
  };
  for (const a of st.keyAccounts) {
    if (dayIndex === 0) {
      for (const [product, fee] of a.held) add(a, product, 'renewal', fee, null);
      continue;
    }
    if (!a.atRisk) continue;
    const r = rng.next();
    if (r < 0.015) {
      const choices = [...a.held];
      const [product, fee] = choices[rng.int(choices.length)]!;
      const tiers = FEES[product]!;
      const lower = tiers.indexOf(fee) - 1;
      if (lower >= 0) {
        add(a, product, 'downgrade', tiers[lower]!, fee);
        a.held.set(product, tiers[lower]!);
      }
    } else if (r < 0.022 && a.held.size >= 2) {
      const [product, fee] = [...a.held].reduce((least, x) => (x[1] < least[1] ? x : least));
      // The user leaves the revenue cell too, as every churn does (the cell keeps at least none).
      const cell = ((a.city * NSEG + a.seg) * NCH + CH.direct) * NPR + product;
      if (st.users[cell]! < 1) continue;
      st.users[cell]! -= 1;
      add(a, product, 'churn', 0, fee);
      a.held.delete(product);
    }
  }
  return lines;
}

/** The key accounts' tickets of a day: their manager's visits, and complaints and faults (some left open for hours). */
function keyAccountTickets(st: ProvinceState, ctx: DayContext, dayIndex: number, seed: number): string[] {
  const rng = new Rng(seed, `keyService|${st.code}|${ctx.day}`);
  const lines: string[] = [];
  const add = (a: KeyAccount, category: 'visit' | 'complaint' | 'fault', opened: number, response: number, resolved: number, manager: string, channel: number) => {
    const score = rng.chance(0.5) ? String(category === 'complaint' ? 1 + rng.int(3) : 3 + rng.int(3)) : '';
    lines.push(`${st.code}${ctx.ymd}K${pad6(lines.length + 1)},${stamp(ctx, opened)},${st.cityLabels[a.city]},${a.customer},${SEGMENT_CHANNEL_LABELS[a.seg * NCH + channel]},${category},${manager},${response >= 0 ? stamp(ctx, opened + response) : ''},${resolved >= 0 ? stamp(ctx, resolved) : ''},${score}`);
  };
  for (const a of st.keyAccounts) {
    if (a.visitEvery > 0 && (dayIndex + a.visitPhase) % a.visitEvery === 0) {
      const opened = (9 + rng.int(8)) * 3600 + rng.int(3600);
      add(a, 'visit', opened, -1, opened + 3600 + rng.int(3600), a.manager, CH.direct);
    }
    if (!rng.chance(a.trouble)) continue;
    const opened = (8 + rng.int(12)) * 3600 + rng.int(3600);
    const response = 300 + rng.int(1500);
    if (rng.chance(0.35)) {
      add(a, 'complaint', opened, response, rng.chance(0.8) ? opened + 4 * 3600 + rng.int(20 * 3600) : -1, '', CH.hotline);
    } else {
      // Within 2 hours, late, or not at all.
      const r = rng.next();
      const resolved = r < 0.55 ? opened + 1800 + rng.int(5400) : r < 0.85 ? opened + 7260 + rng.int(6 * 3600) : -1;
      add(a, 'fault', opened, response, resolved, '', CH.hotline);
    }
  }
  return lines;
}

function trendLevel(weeklyGrowth: number, dayNum: number): number {
  return Math.exp((weeklyGrowth * (dayNum - TREND_ORIGIN)) / 7);
}

const ROLE_CYCLE: readonly Manager['role'][] = ['account_manager', 'account_manager', 'vip_manager', 'community_manager', 'account_manager', 'community_manager', 'account_manager'];

function buildRoster(code: Province, cities: readonly string[], perCity: readonly number[], from: string, rng: Rng): Manager[] {
  const roster: Manager[] = [];
  cities.forEach((city, c) => {
    const count = perCity[c]!;
    const seen = { account_manager: 0, vip_manager: 0, community_manager: 0 };
    for (let i = 0; i < count; i++) {
      const role = ROLE_CYCLE[i % ROLE_CYCLE.length]!;
      const k = seen[role]++;
      const team = role === 'vip_manager' ? `${city}大客户${Math.floor(k / 6) + 1}组` : role === 'community_manager' ? `${city}社区${Math.floor(k / 8) + 1}组` : `${city}政企${Math.floor(k / 8) + 1}组`;
      const leaver = i >= ROLE_CYCLE.length && rng.chance(0.06);
      const start = addDays(from, -(leaver ? 200 + rng.int(3400) : 30 + rng.int(3600)));
      const end = leaver ? addDays(from, -(1 + rng.int(120))) : '';
      roster.push({ id: `${code}${String(roster.length + 1).padStart(4, '0')}`, name: personName(rng), city: c, team, role, start, end });
    }
  });
  return roster;
}

function personName(rng: Rng): string {
  const surname = SURNAMES[Math.floor(SURNAMES.length * rng.next() ** 2)]!;
  return surname + rng.pick(GIVEN_CHARS) + (rng.chance(0.7) ? rng.pick(GIVEN_CHARS) : '');
}

function managerFor(st: ProvinceState, city: number, seg: number, rng: Rng): string {
  if (rng.chance(UNKNOWN_MANAGER_RATE)) return st.unknownManager;
  const key = SEGMENT_KEYS[seg]!;
  const pool = st.pools[city]!;
  let list: string[];
  if (key.segment === 'enterprise') {
    const vip = key.sub === 'gov' || key.sub === 'finance' || key.sub === 'large' || key.sub === 'cluster_high';
    list = vip && rng.chance(0.6) ? pool.vip_manager : pool.account_manager;
  } else if (key.segment === 'household') list = pool.community_manager;
  else list = rng.chance(0.5) ? pool.community_manager : pool.account_manager;
  if (list.length === 0) list = [...pool.account_manager, ...pool.vip_manager, ...pool.community_manager];
  return list.length > 0 ? rng.pick(list) : st.unknownManager;
}

// ---------------------------------------------------------------------------------------------
// Files.

const SALES_FIELDS = ['event_id', 'event_date', 'province', 'city', 'customer_id', 'segment', 'sub_segment', 'channel', 'account_manager_id', 'agent_id', 'product', 'package', 'event_type', 'monthly_fee', 'prev_monthly_fee', 'one_off_fee'];
const REVENUE_FIELDS = ['date', 'province', 'city', 'segment', 'sub_segment', 'channel', 'product', 'revenue', 'active_users'];
const SERVICE_FIELDS = ['ticket_id', 'opened_at', 'province', 'city', 'customer_id', 'segment', 'sub_segment', 'channel', 'category', 'account_manager_id', 'first_response_at', 'resolved_at', 'satisfaction'];
const MANAGERS_FIELDS = ['account_manager_id', 'name', 'province', 'city', 'team', 'role', 'start_date', 'end_date'];
const MARKET_FIELDS = ['month', 'province', 'operator', 'product', 'revenue', 'users'];
const TARGETS_FIELDS = ['month', 'province', 'segment', 'kpi', 'target'];
const HEADERS: Record<ExtractType, string> = (() => {
  const fields: Record<ExtractType, string[]> = {
    sales: SALES_FIELDS, revenue: REVENUE_FIELDS, service: SERVICE_FIELDS, managers: MANAGERS_FIELDS, market: MARKET_FIELDS, targets: TARGETS_FIELDS,
  };
  for (const type of EXTRACT_TYPES) {
    const declared = inputColumns(TABLES[type]).map((c) => c.name).join(',');
    if (declared !== fields[type].join(',')) throw new Error(`sample.ts writes ${type} columns ${fields[type].join(',')} but schema.ts declares ${declared}`);
  }
  return Object.fromEntries(EXTRACT_TYPES.map((t) => [t, fields[t].join(',')])) as Record<ExtractType, string>;
})();

const PAD2 = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
function pad2(n: number): string { return PAD2[n]!; }
function pad6(n: number): string { return String(n).padStart(6, '0'); }

/** `YYYY-MM-DDTHH:mm:ss` (Asia/Shanghai, no offset) `secs` seconds after the day's midnight. */
function stamp(ctx: DayContext, secs: number): string {
  let s = Math.floor(secs);
  let day = ctx.day;
  if (s >= 86400) {
    const k = Math.floor(s / 86400);
    s -= k * 86400;
    day = dayFromNumber(ctx.dayNum + k);
  }
  return `${day}T${pad2(Math.floor(s / 3600))}:${pad2(Math.floor((s % 3600) / 60))}:${pad2(s % 60)}`;
}

const HEX = '0123456789abcdef';
const HEX_LETTER = 'abcdef';

/** `C` + 12 hex digits, the 4th and 9th always a letter: never more than four decimal digits in a row, so nothing phone- or ID-like. */
function customerId(rng: Rng): string {
  const a = Math.floor(rng.next() * 0x100000000);
  const b = Math.floor(rng.next() * 0x100000000);
  return 'C' + HEX[a & 15] + HEX[(a >>> 4) & 15] + HEX[(a >>> 8) & 15] + HEX_LETTER[(b & 0xffff) % 6]
    + HEX[(a >>> 12) & 15] + HEX[(a >>> 16) & 15] + HEX[(a >>> 20) & 15] + HEX[(a >>> 24) & 15]
    + HEX_LETTER[(b >>> 16) % 6] + HEX[(a >>> 28) & 15] + HEX[(b >>> 4) & 15] + HEX[(b >>> 8) & 15];
}

function csv(type: ExtractType, lines: string[]): string {
  return lines.length === 0 ? `${HEADERS[type]}\n` : `${HEADERS[type]}\n${lines.join('\n')}\n`;
}

/**
 * The tiers a one-off customer draws from: all but ICT's top tier (5,000), which only the key
 * accounts hold, so that a single random ICT line never makes a key account the watch list would
 * flag for want of visits nobody planned.
 */
const DRAWN_FEES: readonly (readonly number[])[] = FEES.map((tiers, p) => (p === PR.ict ? tiers.filter((fee) => fee < 3334) : tiers));

function feeTier(rng: Rng, product: number, segment: Segment, below = DRAWN_FEES[product]!.length): number {
  return Math.floor(below * rng.next() ** FEE_SKEW[segment]);
}

function salesFile(st: ProvinceState, ctx: DayContext, dayIndex: number, seed: number, scale: ScaleProfile): SampleFile {
  const rng = new Rng(seed, `sales|${st.code}|${ctx.day}`);
  const { cdf, baseWeight, users, oneOff } = st;
  let sum = 0;
  for (let i = 0; i < cdf.length; i++) cdf[i] = sum += baseWeight[i]! * ctx.salesFactor[i % CELLS_PER_CITY]!;
  const level = sum / baseWeight.reduce((a, b) => a + b, 0);
  const count = Math.max(1, Math.round(scale.sales * st.size * trendLevel(st.weeklyGrowth, ctx.dayNum) * level * (1 + 0.05 * rng.normal())));
  const due = st.due[dayIndex % TRACK_WINDOW]!;
  let dueTaken = 0;
  let booked = 0;
  oneOff.fill(0);
  const prefix = `${st.code}${ctx.ymd}S`;
  const lines: string[] = new Array(count);

  for (let i = 0; i < count; i++) {
    let cell = rng.weighted(cdf);
    let type: EventType = EVENT_TYPES[rng.weighted(EVENT_MIX[SEGMENT_KEYS[Math.floor((cell % CELLS_PER_CITY) / (NCH * NPR))]!.segment])]!;
    let customer = '';
    let manager = '';
    let agent = '';
    let fee = 0;
    let prev = '';
    let oneOffFee = 0;

    const reused = type === 'churn' && dueTaken < due.length ? due[dueTaken++] : undefined;
    if (reused) {
      ({ cell, customer, manager, agent } = reused);
    }
    const city = Math.floor(cell / CELLS_PER_CITY);
    const inCity = cell % CELLS_PER_CITY;
    const seg = Math.floor(inCity / (NCH * NPR));
    const channel = Math.floor(inCity / NPR) % NCH;
    const product = inCity % NPR;
    const key = SEGMENT_KEYS[seg]!;
    if (type === 'churn' && users[cell]! < 1) type = 'renewal';
    const tiers = DRAWN_FEES[product]!;

    if (reused) {
      prev = reused.fee.toFixed(2);
      fee = reused.fee;
    } else {
      customer = customerId(rng);
      const managed = channel === CH.direct
        || rng.chance(key.segment === 'enterprise' ? 0.3 : key.segment === 'household' && (channel === CH.own_hall || channel === CH.partner_hall) ? 0.1 : 0.02);
      if (managed) manager = managerFor(st, city, seg, rng);
      if (channel === CH.agent) agent = rng.pick(st.agents[city]!);
    }
    let monthly: number;
    switch (type) {
      case 'new': {
        fee = tiers[feeTier(rng, product, key.segment)]!;
        monthly = fee;
        if ((product === PR.broadband || product === PR.bundle) && rng.chance(0.3)) oneOffFee = 100;
        else if (product === PR.ict && rng.chance(0.5)) oneOffFee = 100 * (10 + rng.int(190));
        else if (product === PR.mobile && rng.chance(0.1)) oneOffFee = 50;
        break;
      }
      case 'upgrade': {
        const from = feeTier(rng, product, key.segment, tiers.length - 1);
        fee = tiers[from + 1 + rng.int(Math.min(2, tiers.length - 1 - from))]!;
        monthly = fee;
        prev = tiers[from]!.toFixed(2);
        break;
      }
      case 'downgrade': {
        const to = feeTier(rng, product, key.segment, tiers.length - 1);
        fee = tiers[to]!;
        monthly = fee;
        prev = tiers[to + 1 + rng.int(Math.min(2, tiers.length - 1 - to))]!.toFixed(2);
        break;
      }
      case 'renewal':
        if (!reused) fee = tiers[feeTier(rng, product, key.segment)]!;
        prev = '';
        monthly = fee;
        break;
      case 'churn':
        if (!reused) {
          fee = tiers[feeTier(rng, product, key.segment)]!;
          prev = fee.toFixed(2);
        }
        monthly = 0;
        break;
    }
    if (type === 'new') {
      users[cell]! += 1;
      if (booked < TRACKED_PER_DAY && rng.chance(manager !== '' ? EARLY_CHURN_RATE : 0.01)) {
        // Early churn is likelier than late: lags skew towards 10 days, about a fifth beyond 90.
        const lag = 10 + Math.floor(111 * rng.next() ** 1.5);
        st.due[(dayIndex + lag) % TRACK_WINDOW]!.push({ cell, customer, fee, manager, agent });
        booked += 1;
      }
    } else if (type === 'churn') {
      users[cell]! -= 1;
    }
    oneOff[cell]! += oneOffFee;
    lines[i] = `${prefix}${pad6(i + 1)},${ctx.day},${st.cityLabels[city]},${customer},${SEGMENT_CHANNEL_LABELS[seg * NCH + channel]},${manager},${agent},${PRODUCT_LIST[product]},${PACKAGE_NAMES[product]!.get(fee)},${type},${monthly.toFixed(2)},${prev},${oneOffFee.toFixed(2)}`;
  }
  due.length = 0; // bookings beyond today's churns lapse: those customers stay
  lines.push(...keyAccountSales(st, ctx, dayIndex, seed));
  return { fileName: `sales_${st.code}_${ctx.ymd}.csv`, type: 'sales', province: st.code, content: csv('sales', lines), rows: lines.length };
}

function revenueFile(st: ProvinceState, ctx: DayContext, seed: number): SampleFile {
  const rng = new Rng(seed, `revenue|${st.code}|${ctx.day}`);
  const lines: string[] = new Array(st.users.length);
  const perDay = ctx.revenueFactor / 30.4;
  const dayProvince = `${ctx.day},${st.code},`;
  for (let cell = 0; cell < st.users.length; cell++) {
    const users = st.users[cell]!;
    let revenue = users * st.arpu[cell]! * perDay * (1 + 0.02 * rng.normal()) + st.oneOff[cell]!;
    if (users > 0 && rng.chance(0.002)) revenue = -users * st.arpu[cell]! * perDay * rng.between(0.05, 0.6); // billing adjustment
    if (users === 0) revenue = st.oneOff[cell]!;
    lines[cell] = `${dayProvince}${st.cellLabels[cell]},${revenue.toFixed(2)},${users}`;
  }
  return { fileName: `revenue_${st.code}_${ctx.ymd}.csv`, type: 'revenue', province: st.code, content: csv('revenue', lines), rows: lines.length };
}

function serviceFile(st: ProvinceState, ctx: DayContext, dayIndex: number, seed: number, scale: ScaleProfile): SampleFile {
  const rng = new Rng(seed, `service|${st.code}|${ctx.day}`);
  const count = Math.max(1, Math.round(scale.service * st.size * ctx.serviceFactor * (1 + 0.06 * rng.normal())));
  const prefix = `${st.code}${ctx.ymd}T`;
  const tails: string[] = new Array(count);
  const openedAt = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const category = TICKET_CATEGORIES[rng.weighted(TICKET_MIX)]!;
    const city = rng.weighted(st.cityCdf);
    let seg: number;
    let channel: number;
    let manager = '';
    if (category === 'visit') {
      seg = rng.chance(0.85) ? 2 + rng.int(NSEG - 2) : 1;
      channel = CH.direct;
      manager = managerFor(st, city, seg, rng);
    } else {
      const base = rng.weighted(TICKET_SEGMENT_MIX);
      seg = base === 2 ? 2 + rng.int(NSEG - 2) : base;
      channel = base === 2 && rng.chance(0.3) ? CH.direct : rng.weighted(TICKET_CHANNEL_MIX);
      if (base === 2 && (channel === CH.direct || rng.chance(0.4))) manager = managerFor(st, city, seg, rng);
      else if (channel === CH.direct) manager = managerFor(st, city, seg, rng);
    }
    const opened = rng.weighted(category === 'visit' ? VISIT_HOUR_MIX : HOUR_MIX) * 3600 + rng.int(3600);

    let response = -1;
    const r = rng.next();
    if (category === 'complaint' || category === 'fault') {
      if (r >= 0.05) response = r < 0.84 ? Math.min(1790, 60 + -480 * Math.log(1 - rng.next())) : 1860 + -5400 * Math.log(1 - rng.next());
    } else if (category === 'inquiry') {
      if (r >= 0.08) response = r < 0.75 ? 5 + rng.int(115) : 120 + rng.int(3480);
    }
    let resolved = -1;
    const unresolved = rng.chance(category === 'complaint' ? 0.10 : category === 'fault' ? 0.07 : category === 'inquiry' ? 0.03 : 0.02);
    if (!unresolved) {
      const after = category === 'complaint' ? Math.exp(Math.log(8 * 3600) + rng.normal())
        : category === 'fault' ? Math.exp(Math.log(4 * 3600) + 0.9 * rng.normal())
          : category === 'inquiry' ? 60 + rng.int(1140)
            : 1800 + rng.int(5400);
      resolved = Math.max(opened + after, response >= 0 ? opened + response + 60 : 0);
    }
    let score = '';
    if (rng.chance(category === 'complaint' ? 0.65 : category === 'inquiry' ? 0.55 : 0.6)) {
      let s = rng.weighted(SCORE_MIX[category]) + 1;
      const slow = (category === 'complaint' || category === 'fault') && (response < 0 || response > 1800);
      if ((slow || unresolved) && rng.chance(0.45)) s -= 1;
      const q = manager ? st.quality.get(manager) ?? 0 : 0;
      if (q < 0) s -= (rng.chance(0.6) ? 1 : 0) + (rng.chance(0.35) ? 1 : 0);
      else if (q > 0 && rng.chance(0.6)) s += 1;
      score = String(Math.min(5, Math.max(1, s)));
    }
    openedAt[i] = opened;
    tails[i] = `,${stamp(ctx, opened)},${st.cityLabels[city]},${customerId(rng)},${SEGMENT_CHANNEL_LABELS[seg * NCH + channel]},${category},${manager},${response >= 0 ? stamp(ctx, opened + response) : ''},${resolved >= 0 ? stamp(ctx, resolved) : ''},${score}`;
  }
  // Ticket numbers follow the time of opening, as a ticketing system hands them out.
  const order = Array.from({ length: count }, (_, i) => i).sort((a, b) => openedAt[a]! - openedAt[b]! || a - b);
  const lines = order.map((k, i) => `${prefix}${pad6(i + 1)}${tails[k]}`);
  lines.push(...keyAccountTickets(st, ctx, dayIndex, seed));
  return { fileName: `service_${st.code}_${ctx.ymd}.csv`, type: 'service', province: st.code, content: csv('service', lines), rows: lines.length };
}

function managersFile(st: ProvinceState, ctx: DayContext): SampleFile {
  const lines = st.roster.map((m) => `${m.id},${m.name},${st.code},${st.cities[m.city]},${m.team},${m.role},${m.start},${m.end}`);
  return { fileName: `managers_${st.code}_${ctx.ymd}.csv`, type: 'managers', province: st.code, content: csv('managers', lines), rows: lines.length };
}

/** Self-share of users by product (PRODUCT_LIST order) and each competitor's part of the rest. */
const SELF_USER_SHARE = [0.27, 0.40, 0.55, 0.38, 0.30];
const CMCC_PART_OF_REST = [0.74, 0.62, 0.40, 0.60, 0.55];
const COMPETITOR_ARPU = [0.92, 0.97];

function marketFile(st: ProvinceState, ctx: DayContext, seed: number): SampleFile {
  const rng = new Rng(seed, `market|${st.code}|${ctx.day.slice(0, 7)}`);
  const month = ctx.day.slice(0, 7);
  const users = new Array<number>(NPR).fill(0);
  const revenue = new Array<number>(NPR).fill(0);
  for (let cell = 0; cell < st.users.length; cell++) {
    const p = cell % NPR;
    users[p]! += st.users[cell]!;
    revenue[p]! += st.users[cell]! * st.arpu[cell]!;
  }
  const lines: string[] = [];
  for (let p = 0; p < NPR; p++) {
    const selfUsers = Math.round(users[p]!);
    const selfRevenue = revenue[p]! * (1 + 0.01 * rng.normal());
    const share = Math.min(0.8, Math.max(0.1, SELF_USER_SHARE[p]! + st.marketTilt + 0.005 * rng.normal()));
    const rest = selfUsers / share - selfUsers;
    const selfArpu = selfUsers > 0 ? selfRevenue / selfUsers : 0;
    const product = PRODUCT_LIST[p];
    lines.push(`${month},${st.code},self,${product},${selfRevenue.toFixed(2)},${selfUsers}`);
    COMPETITORS.forEach((name, k) => {
      const part = k === 0 ? CMCC_PART_OF_REST[p]! : 1 - CMCC_PART_OF_REST[p]!;
      const compUsers = Math.round(rest * part * (1 + 0.02 * rng.normal()));
      const compRevenue = compUsers * selfArpu * COMPETITOR_ARPU[k]! * (1 + 0.03 * rng.normal());
      lines.push(`${month},${st.code},${name},${product},${compRevenue.toFixed(2)},${compUsers}`);
    });
  }
  return { fileName: `market_${st.code}_${month.replace('-', '')}.csv`, type: 'market', province: st.code, content: csv('market', lines), rows: lines.length };
}

/** Share of sales events that are `new` and `churn`, across segments (EVENT_MIX weighted by users). */
const NEW_SHARE = 0.39;
const CHURN_SHARE = 0.285;
/** Share of sales events that are enterprise (政企): fewer than its 9 % of users, as direct sales rest at weekends. */
const ENTERPRISE_SALES_SHARE = 0.065;

/**
 * The province's targets for a month, set from its own model (users × ARPU, sales per day) with
 * a stretch drawn per province and month, so some provinces run ahead of time and some behind:
 * the province as a whole for every KPI, and revenue and gross adds for public and enterprise.
 */
function targetsFile(st: ProvinceState, ctx: DayContext, seed: number, scale: ScaleProfile): SampleFile {
  const month = ctx.day.slice(0, 7);
  const rng = new Rng(seed, `targets|${st.code}|${month}`);
  const days = monthOf(ctx.day).end.slice(8, 10);
  const dailySales = scale.sales * st.size * trendLevel(st.weeklyGrowth, ctx.dayNum + 15);
  const revenue = new Map<string, number>();
  let users = 0;
  for (let cell = 0; cell < st.users.length; cell++) {
    const segment = SEGMENT_KEYS[Math.floor((cell % CELLS_PER_CITY) / (NCH * NPR))]!.segment;
    const r = st.users[cell]! * st.arpu[cell]!;
    revenue.set(segment, (revenue.get(segment) ?? 0) + r);
    revenue.set('ALL', (revenue.get('ALL') ?? 0) + r);
    users += st.users[cell]!;
  }
  const stretch = rng.between(0.96, 1.08);
  const round = (n: number, step: number) => String(Math.max(step, Math.round(n / step) * step));
  const sales = dailySales * Number(days);
  const lines = [
    `${month},${st.code},ALL,revenue,${round(revenue.get('ALL')! * stretch, 1000)}`,
    `${month},${st.code},ALL,grossAdds,${round(sales * NEW_SHARE * rng.between(0.95, 1.1), 10)}`,
    `${month},${st.code},ALL,netAdds,${round(sales * (NEW_SHARE - CHURN_SHARE) * rng.between(0.9, 1.2), 10)}`,
    `${month},${st.code},ALL,arpu,${((revenue.get('ALL')! / users) * rng.between(0.98, 1.04)).toFixed(2)}`,
    `${month},${st.code},ALL,csat,${rng.between(0.72, 0.82).toFixed(3)}`,
    `${month},${st.code},public,revenue,${round(revenue.get('public')! * rng.between(0.96, 1.08), 1000)}`,
    `${month},${st.code},enterprise,revenue,${round(revenue.get('enterprise')! * rng.between(0.96, 1.08), 1000)}`,
    `${month},${st.code},enterprise,grossAdds,${round(sales * ENTERPRISE_SALES_SHARE * NEW_SHARE * rng.between(0.95, 1.15), 1)}`,
  ];
  return { fileName: `targets_${st.code}_${month.replace('-', '')}.csv`, type: 'targets', province: st.code, content: csv('targets', lines), rows: lines.length };
}

function* generate(o: CheckedOptions): Generator<SampleFile> {
  const scale = SCALES[o.scale];
  const states = o.provinces.map((p) => buildProvince(p, o));
  const keep = (file: SampleFile, key: string) => !o.skipKeys.has(`${file.type}|${file.province}|${key}`);
  for (let d = 0; d < o.days; d++) {
    const ctx = dayContext(addDays(o.from, d));
    for (const st of states) {
      if (d === 0) {
        const roster = managersFile(st, ctx);
        if (keep(roster, ctx.day)) yield roster;
      }
      if (d === 0 || ctx.day.endsWith('-01')) {
        const market = marketFile(st, ctx, o.seed);
        if (keep(market, ctx.day.slice(0, 7))) yield market;
        if (!NO_TARGETS.has(st.code)) {
          const targets = targetsFile(st, ctx, o.seed, scale);
          if (keep(targets, ctx.day.slice(0, 7))) yield targets;
        }
      }
      const sales = salesFile(st, ctx, d, o.seed, scale);
      if (keep(sales, ctx.day)) yield sales;
      const revenue = revenueFile(st, ctx, o.seed);
      if (keep(revenue, ctx.day)) yield revenue;
      const service = serviceFile(st, ctx, d, o.seed, scale);
      if (keep(service, ctx.day)) yield service;
    }
  }
}
