/** Builds the local adapters once per command: files for S3, DuckDB for Athena, outbox/SMTP for SES. */
import { readFile, readdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { FONTS_DIR, QUERIES_DIR } from '../config.js';
import { chartFontFiles } from '../adapters/chart-fonts.js';
import type { ChartRenderer } from '../core/report/charts.js';
import type { KpiReport } from '../core/kpis/kpi-types.js';
import type { Lang } from '../core/report/i18n.js';
import { DuckDbQueryEngine } from '../adapters/duckdb-query-engine.js';
import { TrinoQueryEngine } from '../adapters/trino-query-engine.js';
import { LocalObjectStore } from '../adapters/local-object-store.js';
import { OutboxMailer } from '../adapters/outbox-mailer.js';
import type { ClaimPolicy, Notifier } from '../core/delivery/delivery.js';
import { ConfigError } from '../core/errors.js';
import type { Mailer, QueryEngine } from '../core/ports.js';
import { noticeHtml } from '../core/report/mail.js';
import { operatorsSender, parseSettings, type Settings } from '../core/settings.js';
import type { CliContext } from './command.js';

export interface LocalRuntime {
  store: LocalObjectStore;
  engine: QueryEngine;
  mailer: Mailer;
  notifier: Notifier;
  settings: Settings;
  /** Where mail went: the outbox folder or the SMTP server. */
  mailTarget: string;
  claims: ClaimPolicy;
  /** Draws the report charts with the CJK font of assets/fonts/. */
  charts: ChartRenderer;
  close(): Promise<void>;
}

/** Reads `config/telco-kpi.yaml` (or TELCO_KPI_CONFIG's), failing with the file named. */
export async function loadSettings(configDir: string): Promise<Settings> {
  const path = join(configDir, 'telco-kpi.yaml');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`settings file ${path} cannot be read (${(error as NodeJS.ErrnoException).code}): copy config/telco-kpi.yaml from the project`, { cause: error });
  }
  return parseSettings(text, path);
}

/** Lists `*.yaml` files of a folder as {name, text}, for plan loading. */
export async function readYamlFiles(dir: string): Promise<Array<{ name: string; text: string }>> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.yaml') || n.endsWith('.yml')).sort();
  return Promise.all(names.map(async (name) => ({ name: join(dir, name), text: await readFile(join(dir, name), 'utf8') })));
}

export async function openLocalRuntime(ctx: CliContext): Promise<LocalRuntime> {
  const settings = await loadSettings(ctx.configDir);
  const fontFiles = chartFontFiles(FONTS_DIR, 'assets/fonts of the project');
  // Loaded when a weekly report draws its charts, so ingest and the other commands never load vega and resvg.
  let chartsModule: Promise<typeof import('../core/report/charts.js')> | undefined;
  const loadCharts = () => (chartsModule ??= import('../core/report/charts.js'));
  const charts: ChartRenderer = Object.assign(
    async (report: KpiReport, lang: Lang) => (await loadCharts()).renderReportCharts(report, { lang, fontFiles }),
    { preload: () => void loadCharts().catch(() => undefined) },
  );
  const store = new LocalObjectStore(ctx.home);
  const engine: QueryEngine = ctx.engine?.kind === 'trino'
    ? new TrinoQueryEngine(ctx.engine.connection, QUERIES_DIR)
    : new DuckDbQueryEngine(ctx.home, QUERIES_DIR);
  const outboxDir = join(ctx.home, 'outbox');
  const outbox = new OutboxMailer(outboxDir);
  // nodemailer's SMTP transport is loaded only when mail goes to a server.
  const mailer: Mailer = ctx.smtpUrl ? new (await import('../adapters/smtp-mailer.js')).SmtpMailer(ctx.smtpUrl) : outbox;
  const notifier = operatorsNotifier(settings, mailer, new OutboxMailer(join(ctx.home, 'outbox', 'operators-undelivered')), ctx);
  return {
    store, engine, mailer, notifier, settings,
    mailTarget: ctx.smtpUrl ? ctx.smtpUrl.replace(/\/\/[^@/]*@/, '//') : outboxDir,
    claims: LOCAL_CLAIMS,
    charts,
    close: () => engine.close(),
  };
}

/**
 * Local runs wait up to 2 minutes for another run sending the same report to the same list (then
 * send theirs as a revision, or find it a duplicate), and know at once when that run's process on
 * this machine is gone, so a killed run's claim is reported without waiting for it to run out.
 */
export const LOCAL_CLAIMS: ClaimPolicy = {
  leaseMs: 15 * 60_000,
  waitMs: 2 * 60_000,
  pollMs: 1000,
  holder: { host: hostname(), pid: process.pid },
  gone: (holder) => holder?.host === hostname() && typeof holder.pid === 'number' && !processRuns(holder.pid),
};

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Mails operators; when that fails too, keeps the notice in the outbox and says so on stderr. */
function operatorsNotifier(settings: Settings, mailer: Mailer, fallback: Mailer, ctx: CliContext): Notifier {
  return {
    async notify(subject, body) {
      const message = { from: operatorsSender(settings.mail), to: settings.mail.operators, subject, text: body, html: noticeHtml(subject, body), attachments: [] };
      ctx.err(`operators: ${subject}`);
      try {
        await mailer.send(message);
      } catch (error) {
        const receipt = await fallback.send(message);
        ctx.err(`operators could not be mailed (${(error as Error).message}); the notice is in ${receipt.location}`);
      }
    },
  };
}
