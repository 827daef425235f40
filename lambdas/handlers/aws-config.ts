/**
 * The one place the Lambda functions read their environment. Each handler asks for the
 * settings it needs; a missing or malformed variable fails the cold start with its name.
 */
import { ConfigError } from '../core/errors.js';

type Env = Readonly<Record<string, string | undefined>>;

function required(env: Env, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(`environment variable ${name} is not set; the stack sets it on every function that needs it`);
  return value;
}

function addresses(env: Env, name: string): string[] {
  const list = required(env, name).split(',').map((s) => s.trim()).filter(Boolean);
  const bad = list.find((a) => !/^[^@\s]+@[^@\s]+$/.test(a));
  if (bad !== undefined) throw new ConfigError(`environment variable ${name}: '${bad}' is not an e-mail address; expected a comma-separated list of addresses`);
  return list;
}

export interface IngestConfig {
  /** Bucket the branches upload into (`<PROVINCE>/<file>`). */
  landingBucket: string;
  /** Bucket holding the Parquet lake (`lake/…`). */
  curatedBucket: string;
  /** Bucket for receipts, reports and sent-markers. */
  reportsBucket: string;
}

export interface ReportConfig {
  curatedBucket: string;
  reportsBucket: string;
  athenaWorkGroup: string;
  glueDatabase: string;
  /** Folder with the bundled `queries/*.sql`. */
  queriesDir: string;
  mailFrom: string;
  recipients: string[];
}

/** Settings of the ingest function: LANDING_BUCKET, CURATED_BUCKET, REPORTS_BUCKET. */
export function ingestConfig(env: Env = process.env): IngestConfig {
  return {
    landingBucket: required(env, 'LANDING_BUCKET'),
    curatedBucket: required(env, 'CURATED_BUCKET'),
    reportsBucket: required(env, 'REPORTS_BUCKET'),
  };
}

/**
 * Settings of a report function: CURATED_BUCKET, REPORTS_BUCKET, ATHENA_WORKGROUP, GLUE_DATABASE,
 * MAIL_FROM, QUERIES_DIR (default `$LAMBDA_TASK_ROOT/queries`) and the recipients variable
 * (`REPORT_RECIPIENTS` for the weekly report, `HR_RECIPIENTS` for incentives).
 */
export function reportConfig(recipientsVariable: 'REPORT_RECIPIENTS' | 'HR_RECIPIENTS', env: Env = process.env): ReportConfig {
  return {
    curatedBucket: required(env, 'CURATED_BUCKET'),
    reportsBucket: required(env, 'REPORTS_BUCKET'),
    athenaWorkGroup: required(env, 'ATHENA_WORKGROUP'),
    glueDatabase: required(env, 'GLUE_DATABASE'),
    queriesDir: env.QUERIES_DIR?.trim() || `${env.LAMBDA_TASK_ROOT ?? '.'}/queries`,
    mailFrom: required(env, 'MAIL_FROM'),
    recipients: addresses(env, recipientsVariable),
  };
}
