/** The KPI report job: queries → kpis.json + workbook in the object store, one per period and scope. */
import { createHash, randomBytes } from 'node:crypto';
import { DeliveryError, deliverOnce, recordRun, type ClaimPolicy, type JobId, type JobKind, type Notifier, type RunRecord } from '../delivery/delivery.js';
import { TelcoKpiError } from '../errors.js';
import { listReceipts } from '../extracts/ingest.js';
import { formatProblem } from '../extracts/receipt-text.js';
import type { Receipt } from '../extracts/validate.js';
import { computeKpisWithPrevious } from '../kpis/kpis.js';
import type { KpiReport } from '../kpis/kpi-types.js';
import { addDays, previousPeriod, type Period } from '../period.js';
import type { Mailer, ObjectStore, QueryEngine } from '../ports.js';
import type { ChartRenderer, ReportChart } from './charts.js';
import { composeReportMail } from './mail.js';
import { revisionChanges, revisionLines, revisionSummary, type RevisionSummary } from './revision.js';
import { buildReportWorkbook, preloadReportWorkbook } from './workbook.js';
import type { RecipientList, Settings } from '../settings.js';

export type Lang = 'zh-CN' | 'en';

export interface ReportRequest {
  period: Period;
  /** `ALL` or a province code. */
  scope: string;
  lang: Lang;
  runId?: string;
}

export interface ReportArtifacts {
  runId: string;
  kpis: KpiReport;
  /** The period before's figures (from the same query), for the "last week" columns. */
  previous: KpiReport;
  json: string;
  xlsx: Uint8Array;
  jsonKey: string;
  xlsxKey: string;
  /** Hash of the figures only (not timestamps or run id): equal hashes mean the same report. */
  contentHash: string;
  /**
   * Province-days missing from the period, e.g. `JL 2026-11-18 revenue`; empty when complete, and
   * for a market-only month (whose view needs no daily extract, so delivery does not wait for one).
   */
  missing: string[];
  /** What the run ledger keeps of this report for a later revision to say what changed. */
  summary: RevisionSummary;
  /** The charts in the request's language (in the workbook's 概览); none for a month or without a renderer. */
  charts: ReportChart[];
}

export interface ReportDeps {
  engine: QueryEngine;
  store: ObjectStore;
  settings: Settings;
  now: () => Date;
  /**
   * Draws the charts (charts.ts, with the CJK font shipped in assets/fonts/); without it the report
   * has none. Passed in by the weekly composition roots, so nothing else loads the renderer.
   */
  charts?: ChartRenderer;
}

/** A run id that sorts by time and is unique enough for a ledger: `20261123T010751Z-3f9a`. */
export function newRunId(now: Date): string {
  return `${now.toISOString().replace(/[-:]/g, '').slice(0, 15)}Z-${randomBytes(2).toString('hex')}`;
}

/** The workbook's file name: `report.xlsx` (Chinese), `report.en.xlsx` (English). */
export function reportWorkbookName(lang: Lang): string {
  return lang === 'en' ? 'report.en.xlsx' : 'report.xlsx';
}

/**
 * The rejected uploads of a period for 数据完整性: one line per file (a file rejected several times
 * shows its latest upload; receipts come oldest first), its first problem in the report's language.
 */
export function rejectedUploadRows(receipts: readonly Receipt[], period: Period, scope: string, lang: Lang) {
  const latest = new Map<string, Receipt>();
  for (const r of receipts) {
    if (r.status === 'rejected' && r.day !== undefined && r.day >= period.start && r.day <= period.end && (scope === 'ALL' || r.province === scope)) {
      latest.set(`${r.type}/${r.province}/${r.day}/${r.file}`, r);
    }
  }
  return [...latest.values()].map((r) => ({
    type: r.type,
    province: r.province,
    day: r.day as string,
    file: r.file,
    receivedAt: r.receivedAt,
    problemCount: r.problemCount,
    firstProblem: r.problems[0] ? formatProblem(r.problems[0], lang, r) : '',
  }));
}

/** Runs the KPI queries and writes `reports/<period>/<scope>/kpis.json` and `report.xlsx`. */
export async function buildReport(deps: ReportDeps, request: ReportRequest): Promise<ReportArtifacts> {
  const { period, scope, lang } = request;
  const runId = request.runId ?? newRunId(deps.now());
  // Only the receipts of the days the figures read (the previous period's first day to the period's
  // last, the targets' month among them): a year's receipts would be thousands of reads, on S3 each a GET.
  const receipts = await listReceipts(deps.store, { from: previousPeriod(period).start, to: period.end });
  const rejectedUploads = rejectedUploadRows(receipts, period, scope, lang);
  const computing = computeKpisWithPrevious(deps.engine, {
    period,
    scope,
    expectedProvinces: deps.settings.provinces,
    rejectedUploads,
    watchList: deps.settings.watchList,
    packages: deps.settings.packages,
    now: deps.now(),
  });
  // The queries run on the engine's threads (or Athena's): this thread loads the workbook's and charts' code meanwhile.
  preloadReportWorkbook();
  if (period.kind === 'week') deps.charts?.preload?.();
  const { report: computed, previous } = await computing;
  let kpis = computed;
  const revenueDays = kpis.completeness.filter((c) => c.type === 'revenue').reduce((n, c) => n + c.daysReceived, 0);
  if (revenueDays === 0) {
    // A month with market data and nothing else is its market-share view (SPEC §5), marked as such.
    if (period.kind === 'month' && kpis.market.length > 0) {
      const { watchList: _watchList, packages: _packages, targets: _targets, targetsNotSet: _targetsNotSet, ...marketView } = kpis;
      kpis = { ...marketView, rows: [], marketOnly: true };
    } else {
      const market = period.kind === 'month' ? ' and no market extract for the month' : '';
      throw new ReportNotProducedError(`no revenue extract was received for any day of ${period.id} (${period.start} – ${period.end}) in scope ${scope}${market}: a report of zeros would mislead, so none is produced`);
    }
  }
  const json = `${JSON.stringify(kpis, null, 2)}\n`;
  const charts = await reportCharts(deps, kpis, lang);
  const xlsx = await buildReportWorkbook(kpis, { lang, runId, previous, charts });
  const base = `reports/${period.id}/${scope}`;
  const jsonKey = `${base}/kpis.json`;
  // The English workbook sits beside the Chinese one instead of replacing it.
  const xlsxKey = `${base}/${reportWorkbookName(lang)}`;
  await deps.store.put(jsonKey, json, { contentType: 'application/json' });
  await deps.store.put(xlsxKey, xlsx, { contentType: XLSX_TYPE });
  const missing = kpis.marketOnly ? [] : missingProvinceDays(kpis);
  return { runId, kpis, previous, json, xlsx, jsonKey, xlsxKey, contentHash: figuresHash(kpis), missing, summary: revisionSummary(kpis, previous, receipts, missing), charts };
}

/** The report's charts in a language, when the deps can draw them. */
async function reportCharts(deps: Pick<ReportDeps, 'charts'>, kpis: KpiReport, lang: Lang): Promise<ReportChart[]> {
  return deps.charts ? deps.charts(kpis, lang) : [];
}

/**
 * The figures of a report, hashed without generatedAt, so a rerun on the same data hashes the same
 * (the KPI SQL sums exact decimals, never doubles, so the figures are bit-for-bit repeatable).
 * The trend is left out: its report week is in the rows already, and a late file of a week long
 * sent is no reason to send this week's report again as a revision.
 */
export function figuresHash(kpis: KpiReport): string {
  const { generatedAt: _generatedAt, trend: _trend, ...figures } = kpis;
  const completeness = figures.completeness.map(({ rejectedUploads: _rejected, ...rest }) => rest);
  return createHash('sha256').update(JSON.stringify({ ...figures, completeness })).digest('hex');
}

/** Every province-day of a daily extract the period is missing, as `JL 2026-11-18 revenue`. */
export function missingProvinceDays(kpis: KpiReport): string[] {
  return kpis.completeness.flatMap((c) => c.missingDays.map((day) => `${c.province} ${day} ${c.type}`)).sort();
}

export interface ReportJobDeps extends ReportDeps {
  mailer: Mailer;
  notifier: Notifier;
  sleep?: (ms: number) => Promise<void>;
  retryDelaysMs?: readonly number[];
  claims?: ClaimPolicy;
}

export interface ReportJobOutcome {
  artifacts?: ReportArtifacts;
  runs: RunRecord[];
  /** True when the report was built (and, if asked, every list was sent to or already had it). */
  ok: boolean;
}

/**
 * The scheduled job: build the report for one period and scope, then (when `send`) pass the
 * freshness gate and deliver it exactly once to every recipient list of that scope. Fails closed:
 * when anything before the send fails, nobody receives anything and operators are told.
 */
export async function runReportJob(deps: ReportJobDeps, request: ReportRequest & { send: boolean }): Promise<ReportJobOutcome> {
  const started = deps.now();
  const runId = request.runId ?? newRunId(started);
  const kind: JobKind = request.period.kind === 'week' ? 'weekly' : 'monthly';
  const lists = request.send ? deps.settings.recipients.weekly.filter((l) => l.scope === request.scope) : [];
  const jobOf = (list: RecipientList): JobId => ({ kind, periodId: request.period.id, scope: request.scope, listName: list.name, to: list.to });

  let artifacts: ReportArtifacts;
  try {
    artifacts = await buildReport(deps, { ...request, runId });
  } catch (error) {
    try {
      for (const list of lists) await recordRun(deps, jobOf(list), { runId, state: 'failed', startedAt: started, error });
    } catch (ledgerError) {
      // The store itself is gone: nobody received anything, and the ledger cannot say so, so say it loudly.
      const text = `report ${request.period.id} ${request.scope} was not produced and nothing was sent (run ${runId}): ${messageOf(error)}; ` +
        `the run ledger could not record the failure either: ${messageOf(ledgerError)}`;
      await deps.notifier.notify(`[telco-kpi] failed: report ${request.period.id} ${request.scope} (run ${runId})`, text).catch(() => undefined);
      throw new ReportNotProducedError(text, { cause: error });
    }
    // A dry run (no --send) tells nobody: the caller sees the error itself.
    if (request.send && lists.length === 0) await deps.notifier.notify(`[telco-kpi] failed: report ${request.period.id} ${request.scope} (run ${runId})`, messageOf(error)).catch(() => undefined);
    throw new ReportNotProducedError(`report ${request.period.id} ${request.scope} was not produced (run ${runId}): ${messageOf(error)}`, { cause: error });
  }
  if (!request.send) return { artifacts, runs: [], ok: true };
  if (lists.length === 0) {
    throw new ReportNotProducedError(`no recipient list in config has scope ${request.scope}: add one under recipients.weekly in telco-kpi.yaml`);
  }

  const policy = deps.settings.freshness[request.period.kind];
  const deadline = Date.parse(`${addDays(request.period.end, 1)}T00:00:00+08:00`) + policy.deadlineHours * 3_600_000;
  const partial = artifacts.missing.length > 0;
  if (partial && policy.mode === 'wait' && deps.now().getTime() < deadline) {
    const runs = [];
    for (const list of lists) {
      runs.push(await recordRun(deps, jobOf(list), { runId, state: 'waiting', startedAt: started, contentHash: artifacts.contentHash, missing: artifacts.missing }));
    }
    return { artifacts, runs, ok: false };
  }

  // compose is synchronous: draw the charts of every language a list reads before sending.
  const chartsByLang = new Map<Lang, ReportChart[]>([[request.lang, artifacts.charts]]);
  for (const list of lists) {
    const lang = list.lang ?? request.lang;
    if (!chartsByLang.has(lang)) chartsByLang.set(lang, await reportCharts(deps, artifacts.kpis, lang));
  }
  const runs: RunRecord[] = [];
  for (const list of lists) {
    const lang = list.lang ?? request.lang;
    const workbookName = `telco-kpi_${request.period.id}_${request.scope}.xlsx`;
    try {
      runs.push(await deliverOnce(deps, jobOf(list), {
        runId,
        contentHash: artifacts.contentHash,
        from: deps.settings.mail.from,
        partial,
        missing: artifacts.missing,
        summary: artifacts.summary,
        compose: ({ revision, previous }) => {
          // The subject and first line name the missing province-days from the report's own
          // completeness, as readers count them (one per province and day, with readable labels);
          // a revision opens with what changed against the version this list received.
          const { images, ...mail } = composeReportMail(artifacts.kpis, {
            lang, runId, workbookName, workbookPath: artifacts.xlsxKey, previous: artifacts.previous, revision: revision > 0,
            revisionLines: revision > 0 ? revisionLines(revisionChanges(previous?.summary as RevisionSummary | undefined, artifacts.summary, lang, previous?.sentAt), lang) : undefined,
            charts: chartsByLang.get(lang),
          });
          return { ...mail, attachments: [...images, { filename: workbookName, content: artifacts.xlsx, contentType: XLSX_TYPE }] };
        },
      }));
    } catch (error) {
      // deliverOnce throws a DeliveryError only after a delivery (and has told operators); any
      // other failure is the store failing before the send: this run sent nothing to the list.
      if (error instanceof DeliveryError) throw error;
      const text = `report ${request.period.id} ${request.scope} (run ${runId}): the run ledger failed before sending to ${list.name} <${list.to.join(', ')}>, ` +
        `so nothing was sent to them by this run: ${messageOf(error)}`;
      await deps.notifier.notify(`[telco-kpi] failed: ${kind} ${request.period.id} ${request.scope} → ${list.name} (run ${runId})`, text).catch(() => undefined);
      throw new ReportJobError(text, { cause: error });
    }
  }
  return { artifacts, runs, ok: runs.every((r) => r.state === 'sent' || r.state === 'duplicate') };
}

export class ReportNotProducedError extends TelcoKpiError {}

/** The report was built but the job could not finish delivering it (the run ledger failed). */
export class ReportJobError extends TelcoKpiError {}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
