/**
 * The local runtime's configuration: every environment variable the CLI reads, read here once.
 * (Lambda handlers read theirs in lambdas/handlers/aws-config.ts.)
 */
import { resolve, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from './core/errors.js';
import { parseTrinoUrl, type TrinoConnection } from './adapters/trino-query-engine.js';

/** Which engine runs the queries: DuckDB over the local lake, or a Trino server (SPEC §8). */
export type EngineChoice = { kind: 'duckdb' } | { kind: 'trino'; connection: TrinoConnection };

export const ENGINES = ['duckdb', 'trino'] as const;

export interface LocalConfig {
  /** TELCO_KPI_HOME, else ./.telco-kpi: lake, receipts, reports, outbox. */
  home: string;
  /** TELCO_KPI_CONFIG, else the project's config/ folder. */
  configDir: string;
  /** SMTP_URL: when set, mail goes to this server instead of the outbox. */
  smtpUrl?: string;
  /** The project root (queries/ lives there). */
  projectRoot: string;
  /** TELCO_KPI_ENGINE (duckdb | trino, default duckdb); Trino is reached at TRINO_URL. */
  engine: EngineChoice;
}

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Reads the environment once; fails fast naming the variable that is wrong. */
export function readLocalConfig(env: NodeJS.ProcessEnv = process.env): LocalConfig {
  const smtpUrl = env.SMTP_URL?.trim() || undefined;
  if (smtpUrl && !/^smtps?:\/\//.test(smtpUrl)) {
    throw new ConfigError(`SMTP_URL '${smtpUrl}' is not an SMTP URL: use smtp://user:pass@host:587 or smtps://host:465`);
  }
  return {
    engine: engineChoice(env.TELCO_KPI_ENGINE?.trim() || 'duckdb', env, 'TELCO_KPI_ENGINE'),
    home: resolve(env.TELCO_KPI_HOME?.trim() || '.telco-kpi'),
    configDir: resolve(env.TELCO_KPI_CONFIG?.trim() || join(projectRoot, 'config')),
    smtpUrl,
    projectRoot,
  };
}

/** The engine named by `name` (from --engine or TELCO_KPI_ENGINE), with TRINO_URL read for trino. */
export function engineChoice(name: string, env: NodeJS.ProcessEnv = process.env, source = '--engine'): EngineChoice {
  if (name === 'duckdb') return { kind: 'duckdb' };
  if (name !== 'trino') throw new ConfigError(`${source} '${name}' is not an engine: use ${ENGINES.join(' or ')}`);
  const url = env.TRINO_URL?.trim();
  if (!url) throw new ConfigError(`${source} trino needs TRINO_URL, e.g. TRINO_URL=http://127.0.0.1:8080 (npm run trino -- start --home DIR prints it)`);
  return { kind: 'trino', connection: parseTrinoUrl(url) };
}

/** The folder holding the KPI SQL files, one source for DuckDB and Athena. */
export const QUERIES_DIR = join(projectRoot, 'queries');

/** The fonts shipped with the project (the CJK font of the report charts). */
export const FONTS_DIR = join(projectRoot, 'assets', 'fonts');

/** The upload portal's page (static files), served by `telco-kpi serve` and deployed to S3. */
export const WEB_DIR = join(projectRoot, 'web');
