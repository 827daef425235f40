/** The settings file `config/telco-kpi.yaml`: recipients per report and the expected provinces. */
import { parse } from 'yaml';
import { z } from 'zod';
import { PROVINCE_CODES } from './extracts/codes.js';
import { ConfigError } from './errors.js';

const province = z.enum(PROVINCE_CODES as [string, ...string[]]);
const email = z.string().regex(/^[^@\s<>]+@[^@\s<>]+$/, 'an e-mail address like name@example.cn');

const freshness = z.object({
  /** wait: hold the report until every expected province-day arrived, up to the deadline; send-partial: send on time, labelled. */
  mode: z.enum(['wait', 'send-partial']),
  /** Hours after the period's end (24:00 Asia/Shanghai of its last day) after which a waiting report goes out partial. */
  deadlineHours: z.number().min(0).max(24 * 14).default(12),
});
export type FreshnessPolicy = z.infer<typeof freshness>;

const watchList = z.object({
  /** CNY a month at stake from which an enterprise customer is a key account (the seeds' ¥40k a year). */
  feeThreshold: z.number().min(0).default(3334),
  /** A fault not resolved within this many hours of opening is a warning signal. */
  faultResolveHours: z.number().positive().max(24 * 30).default(2),
  /** No visit ticket from the account manager within this many weeks up to the period's end is a signal. */
  visitWeeks: z.number().int().min(1).max(52).default(4),
  /** Days of sales, up to the period's end, read for the latest monthly fee of each product held. */
  holdingsDays: z.number().int().min(28).max(3660).default(365),
});
export type WatchListSettings = z.infer<typeof watchList>;
export const DEFAULT_WATCH_LIST: WatchListSettings = { feeThreshold: 3334, faultResolveHours: 2, visitWeeks: 4, holdingsDays: 365 };

/** At most this many band edges (package_mix.sql binds six). */
export const MAX_FEE_BAND_EDGES = 6;
const packages = z.object({
  /** Monthly-fee band edges in CNY, ascending: [39, 89, 129] gives below 39, 39–89, 89–129, 129 and above. */
  bands: z.array(z.number().positive()).min(1).max(MAX_FEE_BAND_EDGES)
    .refine((edges) => edges.every((e, i) => i === 0 || e > edges[i - 1]!), 'edges in ascending order, each larger than the one before')
    .default([39, 89, 129]),
});
export type PackageSettings = z.infer<typeof packages>;
export const DEFAULT_PACKAGES: PackageSettings = { bands: [39, 89, 129] };

const settingsSchema = z.object({
  provinces: z.array(province).min(1),
  freshness: z.object({
    week: freshness.default({ mode: 'wait', deadlineHours: 12 }),
    month: freshness.default({ mode: 'wait', deadlineHours: 48 }),
  }).default({ week: { mode: 'wait', deadlineHours: 12 }, month: { mode: 'wait', deadlineHours: 48 } }),
  watchList: watchList.default(DEFAULT_WATCH_LIST),
  packages: packages.default(DEFAULT_PACKAGES),
  mail: z.object({
    from: z.string().min(3),
    /** Sender of the HR tally; by default `from`'s address named 客户经理激励核算 (not the weekly report's name). */
    incentivesFrom: z.string().min(3).optional(),
    operators: z.array(email).min(1),
  }),
  recipients: z.object({
    weekly: z.array(z.object({
      name: z.string(),
      scope: z.union([z.literal('ALL'), province]),
      lang: z.enum(['zh-CN', 'en']).default('zh-CN'),
      to: z.array(email).min(1),
    })).default([]),
    incentives: z.array(z.object({ name: z.string(), to: z.array(email).min(1) })).default([]),
  }),
});

export type Settings = z.infer<typeof settingsSchema>;
export type RecipientList = Settings['recipients']['weekly'][number];

/** `from` with its display name replaced: `营销KPI周报 <kpi@x.cn>` → `客户经理激励核算 <kpi@x.cn>`. */
export function renamedSender(from: string, displayName: string): string {
  const address = /<([^<>]+)>\s*$/.exec(from)?.[1] ?? from.trim();
  return `${displayName} <${address}>`;
}

/** Who the HR tally comes from: `mail.incentivesFrom`, else `mail.from`'s address as 客户经理激励核算. */
export function incentivesSender(mail: Settings['mail']): string {
  return mail.incentivesFrom ?? renamedSender(mail.from, '客户经理激励核算');
}

/** Who operators' notices come from: `mail.from`'s address as telco-kpi 运维通知. */
export function operatorsSender(mail: Settings['mail']): string {
  return renamedSender(mail.from, 'telco-kpi 运维通知');
}

/** Parses and checks the settings YAML; errors name the file, the key and what is expected. */
export function parseSettings(text: string, source = 'config/telco-kpi.yaml'): Settings {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (error) {
    throw new ConfigError(`${source} is not valid YAML: ${(error as Error).message}`, { cause: error });
  }
  const result = settingsSchema.safeParse(raw);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ');
    throw new ConfigError(`${source} is not valid: ${issues}`);
  }
  return result.data;
}
