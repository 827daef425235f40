/**
 * The local runtime's configuration: every environment variable the CLI reads, read here once.
 * (Lambda handlers read theirs in lambdas/handlers/aws-config.ts.)
 */
import { resolve, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from './core/errors.js';

export interface LocalConfig {
  /** TELCO_KPI_HOME, else ./.telco-kpi: lake, receipts, reports, outbox. */
  home: string;
  /** TELCO_KPI_CONFIG, else the project's config/ folder. */
  configDir: string;
  /** SMTP_URL: when set, mail goes to this server instead of the outbox. */
  smtpUrl?: string;
  /** The project root (queries/ lives there). */
  projectRoot: string;
}

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Reads the environment once; fails fast naming the variable that is wrong. */
export function readLocalConfig(env: NodeJS.ProcessEnv = process.env): LocalConfig {
  const smtpUrl = env.SMTP_URL?.trim() || undefined;
  if (smtpUrl && !/^smtps?:\/\//.test(smtpUrl)) {
    throw new ConfigError(`SMTP_URL '${smtpUrl}' is not an SMTP URL: use smtp://user:pass@host:587 or smtps://host:465`);
  }
  return {
    home: resolve(env.TELCO_KPI_HOME?.trim() || '.telco-kpi'),
    configDir: resolve(env.TELCO_KPI_CONFIG?.trim() || join(projectRoot, 'config')),
    smtpUrl,
    projectRoot,
  };
}

/** The folder holding the KPI SQL files, one source for DuckDB and Athena. */
export const QUERIES_DIR = join(projectRoot, 'queries');
