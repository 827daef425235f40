/**
 * The one place the Lambda functions read their environment. Each handler asks for the
 * settings it needs; a missing or malformed variable fails the cold start with its name.
 * The report settings (recipients, operators, provinces, freshness) are checked with the same
 * schema as `config/telco-kpi.yaml` (parseSettings), so the CLI and Lambda accept the same values.
 */
import { ConfigError } from '../core/errors.js';
import { parseSettings, type Settings } from '../core/settings.js';

type Env = Readonly<Record<string, string | undefined>>;

function required(env: Env, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(`environment variable ${name} is not set; the stack sets it on every function that needs it`);
  return value;
}

function commaList(env: Env, name: string): string[] {
  return required(env, name).split(',').map((s) => s.trim()).filter(Boolean);
}

function json(env: Env, name: string, expected: string): unknown {
  const text = required(env, name);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ConfigError(`environment variable ${name} is not JSON (${(error as Error).message}); expected ${expected}`, { cause: error });
  }
}

export interface IngestConfig {
  /** Bucket the branches upload into (`<PROVINCE>/<file>`); receipts are written beside each upload. */
  landingBucket: string;
  /** Bucket holding the Parquet lake (`lake/…`, the Glue tables' location). */
  curatedBucket: string;
  /** Bucket for receipts, reports, the run ledger and mail links. */
  reportsBucket: string;
}

/** How a report function mails: SES, or the operator's SMTP relay whose URL is in a Secrets Manager secret. */
export type MailTransportConfig =
  | { transport: 'ses' }
  | { transport: 'smtp'; secretArn: string; secretsEndpoint: string; region: string };

/** Which scheduled job a report function runs: it decides which recipients variable is required. */
export type ReportJob = 'weekly' | 'incentives';

export interface ReportConfig {
  /** The job this function runs (it decides where in the reports bucket its objects go). */
  job: ReportJob;
  curatedBucket: string;
  reportsBucket: string;
  athenaWorkGroup: string;
  glueDatabase: string;
  /** Folder with the bundled `queries/*.sql`. */
  queriesDir: string;
  /** Folder with the bundled `config/plans/*.yaml` (incentives only). */
  plansDir: string;
  /** Folder with the bundled assets/fonts (the CJK font of the report charts). */
  fontsDir: string;
  /** How long a presigned link to a too-big attachment is valid, in seconds. */
  mailLinkSeconds: number;
  mail: MailTransportConfig;
  settings: Settings;
}

/** MAIL_TRANSPORT (`ses` default, or `smtp` with SMTP_SECRET_ARN, SECRETS_MANAGER_ENDPOINT and the runtime's AWS_REGION). */
export function mailTransportConfig(env: Env = process.env): MailTransportConfig {
  const transport = env.MAIL_TRANSPORT?.trim() || 'ses';
  if (transport === 'ses') return { transport };
  if (transport !== 'smtp') throw new ConfigError(`environment variable MAIL_TRANSPORT is '${transport}'; expected ses or smtp`);
  return { transport, secretArn: required(env, 'SMTP_SECRET_ARN'), secretsEndpoint: required(env, 'SECRETS_MANAGER_ENDPOINT'), region: required(env, 'AWS_REGION') };
}

/** Settings of the ingest function: LANDING_BUCKET, CURATED_BUCKET, REPORTS_BUCKET. */
export function ingestConfig(env: Env = process.env): IngestConfig {
  return {
    landingBucket: required(env, 'LANDING_BUCKET'),
    curatedBucket: required(env, 'CURATED_BUCKET'),
    reportsBucket: required(env, 'REPORTS_BUCKET'),
  };
}

/** The variables each settings key comes from, named in validation errors. */
export const SETTINGS_VARIABLES = {
  provinces: 'EXPECTED_PROVINCES',
  'mail.from': 'MAIL_FROM',
  'mail.incentivesFrom': 'MAIL_INCENTIVES_FROM',
  'mail.operators': 'OPERATOR_EMAILS',
  'recipients.weekly': 'REPORT_RECIPIENTS',
  'recipients.incentives': 'HR_RECIPIENTS',
  freshness: 'FRESHNESS',
  watchList: 'WATCH_LIST',
  packages: 'PACKAGES',
} as const;

/**
 * The report settings from the environment, validated like `config/telco-kpi.yaml`:
 * EXPECTED_PROVINCES (`JL,GD`), MAIL_FROM, OPERATOR_EMAILS (comma-separated),
 * REPORT_RECIPIENTS (JSON `[{"name","scope","lang"?,"to":[…]}]`, required for the weekly job),
 * HR_RECIPIENTS (JSON `[{"name","to":[…]}]`, required for incentives), FRESHNESS (optional JSON
 * `{"week":{"mode":"wait","deadlineHours":12},"month":{…}}`), WATCH_LIST and PACKAGES (optional JSON
 * like the YAML's `watchList` and `packages`), MAIL_INCENTIVES_FROM (optional: the HR tally's sender).
 */
export function settingsFromEnv(job: ReportJob, env: Env = process.env): Settings {
  const raw = {
    provinces: commaList(env, 'EXPECTED_PROVINCES'),
    ...(env.FRESHNESS?.trim() ? { freshness: json(env, 'FRESHNESS', '{"week":{"mode":"wait","deadlineHours":12}}') } : {}),
    ...(env.WATCH_LIST?.trim() ? { watchList: json(env, 'WATCH_LIST', '{"feeThreshold":3334}') } : {}),
    ...(env.PACKAGES?.trim() ? { packages: json(env, 'PACKAGES', '{"bands":[39,89,129]}') } : {}),
    mail: {
      from: required(env, 'MAIL_FROM'),
      ...(env.MAIL_INCENTIVES_FROM?.trim() ? { incentivesFrom: env.MAIL_INCENTIVES_FROM.trim() } : {}),
      operators: commaList(env, 'OPERATOR_EMAILS'),
    },
    recipients: {
      weekly: job === 'weekly' || env.REPORT_RECIPIENTS?.trim()
        ? json(env, 'REPORT_RECIPIENTS', '[{"name":"…","scope":"ALL","to":["a@example.cn"]}]') : [],
      incentives: job === 'incentives' || env.HR_RECIPIENTS?.trim()
        ? json(env, 'HR_RECIPIENTS', '[{"name":"…","to":["hr@example.cn"]}]') : [],
    },
  };
  try {
    return parseSettings(JSON.stringify(raw), "the function's environment");
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // Name the variable each failing key came from: `recipients.weekly.0.to.0: …` → `REPORT_RECIPIENTS (recipients.weekly.0.to.0): …`.
    let message = error.message;
    for (const [key, variable] of Object.entries(SETTINGS_VARIABLES)) {
      message = message.replace(new RegExp(`(: |; )(${key.replace('.', '\\.')}[^:]*):`, 'g'), `$1${variable} ($2):`);
    }
    throw new ConfigError(message, { cause: error });
  }
}

/**
 * Settings of a report function: CURATED_BUCKET, REPORTS_BUCKET, ATHENA_WORKGROUP, GLUE_DATABASE,
 * QUERIES_DIR (default `$LAMBDA_TASK_ROOT/queries`), PLANS_DIR (default `$LAMBDA_TASK_ROOT/plans`),
 * FONTS_DIR (default `$LAMBDA_TASK_ROOT/fonts`, the weekly report's chart font),
 * MAIL_LINK_SECONDS (default 7 days, SigV4's maximum), MAIL_TRANSPORT (mailTransportConfig) and the
 * settings variables above.
 */
export function reportConfig(job: ReportJob, env: Env = process.env): ReportConfig {
  const root = env.LAMBDA_TASK_ROOT ?? '.';
  const linkSeconds = Number(env.MAIL_LINK_SECONDS?.trim() || 7 * 24 * 3600);
  if (!Number.isInteger(linkSeconds) || linkSeconds < 60 || linkSeconds > 7 * 24 * 3600) {
    throw new ConfigError(`environment variable MAIL_LINK_SECONDS is '${env.MAIL_LINK_SECONDS}'; expected whole seconds from 60 to 604800 (7 days)`);
  }
  return {
    job,
    curatedBucket: required(env, 'CURATED_BUCKET'),
    reportsBucket: required(env, 'REPORTS_BUCKET'),
    athenaWorkGroup: required(env, 'ATHENA_WORKGROUP'),
    glueDatabase: required(env, 'GLUE_DATABASE'),
    queriesDir: env.QUERIES_DIR?.trim() || `${root}/queries`,
    plansDir: env.PLANS_DIR?.trim() || `${root}/plans`,
    fontsDir: env.FONTS_DIR?.trim() || `${root}/fonts`,
    mailLinkSeconds: linkSeconds,
    mail: mailTransportConfig(env),
    settings: settingsFromEnv(job, env),
  };
}

/** Settings of the portal API function: the same three buckets as the ingest function (it reads what ingest writes). */
export function portalConfig(env: Env = process.env): IngestConfig {
  return ingestConfig(env);
}
