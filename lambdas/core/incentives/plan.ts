/**
 * Incentive plans (SPEC §4): versioned YAML files, parsed and checked once at the edge.
 *
 * Decisions the SPEC leaves open, fixed here:
 * - `when` keys: eventType, product, segment, subSegment, channel, province. A value is one
 *   code or a list of codes (any of them matches); codes are those of SPEC §2.
 * - `effectiveFrom` is the first day of a month (a month uses the version in force on its
 *   first day); versions of one plan have distinct `version` numbers and `effectiveFrom`
 *   dates, and a higher version starts later.
 * - Points, per-CNY rates and factors have at most 4 decimals, pointValue at most 4, cap at
 *   most 2, so every figure stays an exact decimal.
 * - `churn` events never earn by a rule: they reverse credits through `clawback`.
 */
import { Decimal } from 'decimal.js';
import { parse } from 'yaml';
import { z } from 'zod';
import { CHANNELS, EVENT_TYPES, PRODUCTS, PROVINCES, SEGMENTS, SUB_SEGMENTS, type CodeList } from '../extracts/codes.js';
import { TelcoKpiError } from '../errors.js';
import { isValidDay } from '../period.js';

/** A plan file is malformed or a plan cannot apply; the message names the file and the key. */
export class PlanError extends TelcoKpiError {}

/** The keys a rule's `when` may test, each with the sales column and code list it reads. */
export const WHEN_KEYS = {
  eventType: { column: 'event_type', list: EVENT_TYPES },
  product: { column: 'product', list: PRODUCTS },
  segment: { column: 'segment', list: SEGMENTS },
  subSegment: { column: 'sub_segment', list: SUB_SEGMENTS },
  channel: { column: 'channel', list: CHANNELS },
  province: { column: 'province', list: PROVINCES },
} as const satisfies Record<string, { column: string; list: CodeList }>;

export type WhenKey = keyof typeof WHEN_KEYS;
export const WHEN_KEY_NAMES = Object.keys(WHEN_KEYS) as WhenKey[];

const codeOrCodes = z.union([z.string().min(1), z.array(z.string().min(1))]);
const nonNegative = z.number().finite().nonnegative();

const ruleSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'a lowercase id like new-mobile'),
  /** The rule as HR reads it (移动新装); the workbook shows it instead of the id. */
  name: z.string().min(1).optional(),
  description: z.string().optional(),
  when: z.strictObject({
    eventType: codeOrCodes.optional(),
    product: codeOrCodes.optional(),
    segment: codeOrCodes.optional(),
    subSegment: codeOrCodes.optional(),
    channel: codeOrCodes.optional(),
    province: codeOrCodes.optional(),
  }),
  points: nonNegative.optional(),
  pointsPerMonthlyFee: nonNegative.optional(),
  pointsPerFeeIncrease: nonNegative.optional(),
});

const bandSchema = z.strictObject({
  metric: z.literal('csat'),
  atLeast: z.number().finite().optional(),
  below: z.number().finite().optional(),
  factor: z.number().finite().positive(),
});

const planSchema = z.strictObject({
  plan: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'a lowercase plan name like account-manager'),
  version: z.number().int().positive(),
  effectiveFrom: z.string(),
  period: z.literal('month'),
  pointValue: z.number().finite().positive(),
  rules: z.array(ruleSchema).min(1),
  clawback: z.strictObject({ withinDays: z.number().int().positive() }).optional(),
  multipliers: z.array(bandSchema).default([]),
  target: z.strictObject({ points: nonNegative, acceleratorAbove: z.number().finite().positive() }).optional(),
  cap: z.number().finite().positive().optional(),
});

type RawPlan = z.infer<typeof planSchema>;

export interface PlanRule {
  id: string;
  /** Chinese name shown to HR (the plan's `name`, else its `description`). */
  name?: string;
  description?: string;
  /** Normalised: each present key holds a non-empty list of valid codes. */
  when: Partial<Record<WhenKey, string[]>>;
  points?: number;
  pointsPerMonthlyFee?: number;
  pointsPerFeeIncrease?: number;
}

export interface MultiplierBand {
  metric: 'csat';
  atLeast?: number;
  below?: number;
  factor: number;
}

export interface Plan {
  plan: string;
  version: number;
  effectiveFrom: string;
  period: 'month';
  pointValue: number;
  rules: PlanRule[];
  clawback?: { withinDays: number };
  multipliers: MultiplierBand[];
  target?: { points: number; acceleratorAbove: number };
  cap?: number;
  /** The file the version came from, for messages and the 方案 sheet. */
  source: string;
}

/** Parses and checks plan files; every problem of every file is reported in one PlanError. */
export function loadPlans(files: ReadonlyArray<{ name: string; text: string }>): Plan[] {
  const problems: string[] = [];
  const plans: Plan[] = [];
  for (const file of files) {
    const fileProblems: string[] = [];
    const plan = parsePlanFile(file, fileProblems);
    problems.push(...fileProblems.map((p) => `${file.name}: ${p}`));
    if (plan && fileProblems.length === 0) plans.push(plan);
  }
  problems.push(...crossVersionProblems(plans));
  if (problems.length > 0) throw new PlanError(`incentive plan is not valid:\n- ${problems.join('\n- ')}`);
  return plans.sort((a, b) => a.plan.localeCompare(b.plan) || a.effectiveFrom.localeCompare(b.effectiveFrom));
}

/** The version of `planName` in force on `periodFirstDay` (the latest effectiveFrom on or before it). */
export function planFor(plans: readonly Plan[], periodFirstDay: string, planName?: string): Plan {
  const names = [...new Set(plans.map((p) => p.plan))].sort();
  const name = planName ?? names[0];
  if (name === undefined) throw new PlanError('no incentive plan is loaded: put a plan YAML in config/plans/ or pass --plan FILE');
  if (planName === undefined && names.length > 1) {
    throw new PlanError(`several plans are loaded (${names.join(', ')}): name the one to use`);
  }
  const versions = plans.filter((p) => p.plan === name).sort((a, b) => a.effectiveFrom.localeCompare(b.effectiveFrom));
  if (versions.length === 0) throw new PlanError(`plan '${name}' is not loaded; loaded plans: ${names.join(', ') || 'none'}`);
  const inForce = versions.filter((p) => p.effectiveFrom <= periodFirstDay).at(-1);
  if (!inForce) {
    throw new PlanError(`no version of plan '${name}' is in force on ${periodFirstDay}: the earliest (version ${versions[0]!.version}) is effective from ${versions[0]!.effectiveFrom}`);
  }
  return inForce;
}

function parsePlanFile(file: { name: string; text: string }, problems: string[]): Plan | undefined {
  let raw: unknown;
  try {
    raw = parse(file.text);
  } catch (error) {
    problems.push(`not valid YAML: ${(error as Error).message}`);
    return undefined;
  }
  const result = planSchema.safeParse(raw);
  if (!result.success) {
    for (const issue of result.error.issues) problems.push(describeIssue(issue, raw));
    return undefined;
  }
  return checkPlan(result.data, file.name, problems);
}

function describeIssue(issue: z.core.$ZodIssue, raw: unknown): string {
  const path = issue.path.length ? issue.path.map(String).join('.') : '(top)';
  if (issue.code === 'unrecognized_keys') {
    const isWhen = issue.path.at(-1) === 'when';
    const allowed = isWhen ? WHEN_KEY_NAMES : allowedKeys(issue.path);
    return `${path}: unknown key ${issue.keys.map((k) => `'${k}'`).join(', ')}; allowed keys: ${allowed.join(', ')}`;
  }
  if (issue.code === 'invalid_type' && valueAt(raw, issue.path) === undefined) {
    return `${path}: missing; expected ${issue.expected}`;
  }
  return `${path}: ${issue.message} (value ${JSON.stringify(valueAt(raw, issue.path)) ?? 'missing'})`;
}

function allowedKeys(path: readonly PropertyKey[]): string[] {
  const last = path.at(-1);
  if (path.length === 0) return Object.keys(planSchema.shape);
  if (path[0] === 'rules') return Object.keys(ruleSchema.shape);
  if (path[0] === 'multipliers') return Object.keys(bandSchema.shape);
  if (last === 'clawback') return ['withinDays'];
  if (last === 'target') return ['points', 'acceleratorAbove'];
  return [];
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let value: unknown = raw;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function decimals(n: number): number {
  return new Decimal(n).decimalPlaces();
}

function checkPlan(raw: RawPlan, source: string, problems: string[]): Plan {
  if (!isValidDay(raw.effectiveFrom) || !raw.effectiveFrom.endsWith('-01')) {
    problems.push(`effectiveFrom: '${raw.effectiveFrom}' is not the first day of a month (YYYY-MM-01); a month uses the version in force on its first day`);
  }
  if (decimals(raw.pointValue) > 4) problems.push(`pointValue: ${raw.pointValue} has more than 4 decimals`);
  if (raw.cap !== undefined && decimals(raw.cap) > 2) problems.push(`cap: ${raw.cap} has more than 2 decimals (CNY)`);
  if (raw.target && raw.target.acceleratorAbove < 1) {
    problems.push(`target.acceleratorAbove: ${raw.target.acceleratorAbove} is below 1; points above target would count less than points below it`);
  }

  const rules: PlanRule[] = [];
  const seenIds = new Set<string>();
  raw.rules.forEach((r, i) => {
    const at = `rules[${i}] (${r.id})`;
    if (seenIds.has(r.id)) problems.push(`${at}: rule id '${r.id}' is used twice; rule ids must be unique`);
    seenIds.add(r.id);
    for (const key of ['points', 'pointsPerMonthlyFee', 'pointsPerFeeIncrease'] as const) {
      const v = r[key];
      if (v !== undefined && decimals(v) > 4) problems.push(`${at}.${key}: ${v} has more than 4 decimals`);
    }
    if (r.points === undefined && r.pointsPerMonthlyFee === undefined && r.pointsPerFeeIncrease === undefined) {
      problems.push(`${at}: earns nothing; give points, pointsPerMonthlyFee or pointsPerFeeIncrease (points: 0 to exclude events from later rules)`);
    }
    const when: Partial<Record<WhenKey, string[]>> = {};
    for (const key of WHEN_KEY_NAMES) {
      const value = r.when[key];
      if (value === undefined) continue;
      const list = Array.isArray(value) ? value : [value];
      if (list.length === 0) {
        problems.push(`${at}.when.${key}: an empty list matches no event`);
        continue;
      }
      const codes = WHEN_KEYS[key].list.codes as Record<string, unknown>;
      for (const code of list) {
        if (!(code in codes)) {
          problems.push(`${at}.when.${key}: '${code}' is not a ${WHEN_KEYS[key].column} code, so the rule can never match; expected one of ${Object.keys(codes).join(', ')}`);
        }
      }
      when[key] = [...new Set(list)].sort();
    }
    if (when.eventType?.includes('churn')) {
      problems.push(`${at}.when.eventType: churn events never earn points; they reverse credited 'new' events through clawback`);
    }
    if (when.subSegment && when.segment && !when.segment.includes('enterprise')) {
      problems.push(`${at}.when: subSegment is only set for enterprise customers, so with segment ${when.segment.join('/')} the rule can never match`);
    }
    if (r.pointsPerFeeIncrease !== undefined && when.eventType && !when.eventType.some((t) => t === 'upgrade' || t === 'downgrade')) {
      problems.push(`${at}.pointsPerFeeIncrease: only upgrade and downgrade events have a fee increase, but the rule matches ${when.eventType.join('/')}`);
    }
    const shadow = rules.find((earlier) => covers(earlier.when, when));
    if (shadow) {
      problems.push(`${at}: can never match; every event it matches is taken first by the earlier rule '${shadow.id}' (an event earns by the first matching rule)`);
    }
    rules.push({ id: r.id, name: r.name ?? r.description, description: r.description, when, points: r.points, pointsPerMonthlyFee: r.pointsPerMonthlyFee, pointsPerFeeIncrease: r.pointsPerFeeIncrease });
  });

  raw.multipliers.forEach((band, i) => {
    const at = `multipliers[${i}]`;
    if ((band.atLeast === undefined) === (band.below === undefined)) {
      problems.push(`${at}: give exactly one of atLeast or below (a CSAT share between 0 and 1)`);
      return;
    }
    if (decimals(band.factor) > 4) problems.push(`${at}.factor: ${band.factor} has more than 4 decimals`);
    if (!bandCanApply(band, raw.multipliers.slice(0, i))) {
      const bound = band.atLeast !== undefined ? `atLeast: ${band.atLeast}` : `below: ${band.below}`;
      problems.push(`${at} (${bound}): can never apply; CSAT is a share between 0 and 1 and the first matching band wins, so no CSAT value reaches this band`);
    }
  });

  return {
    plan: raw.plan, version: raw.version, effectiveFrom: raw.effectiveFrom, period: raw.period,
    pointValue: raw.pointValue, rules, clawback: raw.clawback, multipliers: raw.multipliers,
    target: raw.target, cap: raw.cap, source,
  };
}

/** True when every event matching `later` also matches `earlier`. */
function covers(earlier: PlanRule['when'], later: PlanRule['when']): boolean {
  return WHEN_KEY_NAMES.every((key) => {
    const e = earlier[key];
    if (e === undefined) return true;
    const l = later[key];
    return l !== undefined && l.every((code) => e.includes(code));
  });
}

/**
 * Whether some CSAT in [0, 1] falls in the band and in none of the earlier ones. A band
 * `atLeast: a` holds [a, 1], `below: b` holds [0, b); the earlier bands together hold
 * [0, B) ∪ [A, 1], so the free values are [B, A).
 */
function bandCanApply(band: { atLeast?: number; below?: number }, earlier: ReadonlyArray<{ atLeast?: number; below?: number }>): boolean {
  const B = Math.max(0, ...earlier.map((b) => b.below ?? 0));
  const A = Math.min(Infinity, ...earlier.map((b) => b.atLeast ?? Infinity));
  if (band.atLeast !== undefined) {
    const lo = Math.max(band.atLeast, B);
    return lo <= 1 && lo < A;
  }
  return Math.max(0, B) < Math.min(band.below!, A);
}

/** The plan's rules in plain Chinese, for the 方案 sheet. */
export function describePlan(plan: Plan): string[] {
  const lines: string[] = [
    `方案 ${plan.plan}，第 ${plan.version} 版，自 ${plan.effectiveFrom} 起生效（来源 ${plan.source}）`,
    `积分单价：每积分 ${plan.pointValue} 元`,
    '计分规则（每笔销售按第一条匹配的规则计分；无客户经理工号的销售不计分）：',
  ];
  for (const rule of plan.rules) {
    const conditions = WHEN_KEY_NAMES.filter((k) => rule.when[k]).map((k) => {
      const list = WHEN_KEYS[k].list.codes as Record<string, { zh: string }>;
      return `${whenLabel[k]}=${rule.when[k]!.map((c) => list[c]?.zh ?? c).join('/')}`;
    });
    const earns: string[] = [];
    if (rule.points !== undefined) earns.push(`每笔 ${rule.points} 分`);
    if (rule.pointsPerMonthlyFee !== undefined) earns.push(`每元月费 ${rule.pointsPerMonthlyFee} 分`);
    if (rule.pointsPerFeeIncrease !== undefined) earns.push(`每元月费增加额 ${rule.pointsPerFeeIncrease} 分（降档不扣分）`);
    lines.push(`  · ${rule.name ? `${rule.name}（${rule.id}）` : rule.id}：${conditions.length ? conditions.join('，') : '所有销售'} → ${earns.join(' + ')}`);
  }
  lines.push(plan.clawback
    ? `扣回：已计分的新装，客户在 ${plan.clawback.withinDays} 天内（含第 ${plan.clawback.withinDays} 天）拆机同一产品，在拆机当月扣回原积分（每笔新装最多扣回一次）`
    : '扣回：无');
  if (plan.multipliers.length === 0) lines.push('满意度系数：无（系数 1）');
  for (const band of plan.multipliers) {
    const range = band.atLeast !== undefined ? `≥ ${pct(band.atLeast)}` : `< ${pct(band.below!)}`;
    lines.push(`满意度系数：本月客户经理工单满意率（4分及以上占比）${range} 时 ×${band.factor}（按顺序取第一条匹配；无评分工单时系数 1）`);
  }
  lines.push(plan.target
    ? `目标：${plan.target.points} 分；超出目标部分按 ${plan.target.acceleratorAbove} 倍计`
    : '目标加速：无');
  lines.push(plan.cap !== undefined ? `封顶：每人每月 ${plan.cap} 元` : '封顶：无');
  lines.push('计算顺序：规则积分 − 扣回 → ×满意度系数 → 超目标加速 → ×积分单价 → 封顶 → 不低于 0 → 四舍五入到分');
  return lines;
}

const whenLabel: Record<WhenKey, string> = {
  eventType: '业务类型', product: '产品', segment: '客户群', subSegment: '行业', channel: '渠道', province: '省份',
};

function pct(share: number): string {
  return `${new Decimal(share).times(100).toString()}%`;
}

/** Versions of one plan must not collide: distinct versions, distinct dates, later versions start later. */
function crossVersionProblems(plans: readonly Plan[]): string[] {
  const problems: string[] = [];
  const byName = new Map<string, Plan[]>();
  for (const p of plans) byName.set(p.plan, [...(byName.get(p.plan) ?? []), p]);
  for (const [name, versions] of byName) {
    const sorted = [...versions].sort((a, b) => a.version - b.version || a.source.localeCompare(b.source));
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted[i - 1]!;
      const cur = sorted[i]!;
      if (cur.version === prev.version) {
        problems.push(`plan '${name}' version ${cur.version} is defined twice (${prev.source}, ${cur.source})`);
      }
    }
    for (let i = 0; i < sorted.length; i++) {
      for (let j = i + 1; j < sorted.length; j++) {
        const a = sorted[i]!;
        const b = sorted[j]!;
        if (a.version === b.version) continue;
        if (a.effectiveFrom === b.effectiveFrom) {
          problems.push(`plan '${name}' versions ${a.version} (${a.source}) and ${b.version} (${b.source}) are both effective from ${a.effectiveFrom}; each version needs its own start date`);
        } else if (b.effectiveFrom < a.effectiveFrom) {
          problems.push(`plan '${name}' version ${b.version} (${b.source}) starts ${b.effectiveFrom}, before version ${a.version} (${a.source}) starting ${a.effectiveFrom}; a later version must start later`);
        }
      }
    }
  }
  return problems;
}
