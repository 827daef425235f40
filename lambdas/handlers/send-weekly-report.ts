/**
 * Entry point: the weekly report, invoked by EventBridge Scheduler on Mondays 09:00 Asia/Shanghai
 * (and once more after the freshness deadline), or by hand to re-run a week.
 * Event: `{ "period": "previous-week" | "2026-W47" | "2026-11", "scope"?: "ALL" | "JL" }`.
 * Without a scope it runs every scope that has a recipient list (ALL and each province list).
 * Each scope goes through `runReportJob` with `send: true`: the run ledger sends a report to a
 * list at most once, so a retry or a second invocation sends nothing new. The function throws
 * when any scope was not produced or any list ended failed/parked, so the invocation's retries,
 * the DLQ and the errors alarm see it; operators are also mailed by the core.
 */
import { chartFontFiles } from '../adapters/chart-fonts.js';
import type { RunRecord } from '../core/delivery/delivery.js';
import { chartRenderer, type ChartRenderer } from '../core/report/charts.js';
import { runReportJob } from '../core/report/job.js';
import { reportConfig } from './aws-config.js';
import { defaultReportClients, lazy, reportRuntime, type ReportRuntime } from './aws-runtime.js';
import { FAILED_STATES, invocationClaims, ReportEventError, ReportJobFailedError, resolvePeriod, type InvocationContext } from './scheduled-job.js';

export interface ScheduledReportEvent {
  /** `previous-week` (default) from the schedule, an ISO week (`2026-W47`) or a month (`2026-11`) for a re-run. */
  period?: string;
  /** One scope only; default every scope with a recipient list. */
  scope?: string;
}

export interface ScopeSummary {
  scope: string;
  /** The report was built and every list was sent to, already had it, or is waiting for data. */
  ok: boolean;
  runs: Array<Pick<RunRecord, 'listName' | 'state' | 'revision' | 'partial' | 'error'>>;
  error?: string;
}

export interface WeeklySummary {
  period: string;
  scopes: ScopeSummary[];
}

/** The report runtime with the charts drawn in the bundle's fonts/ (FONTS_DIR): only this function loads resvg. */
export function withCharts<R extends ReportRuntime>(rt: R): R & { charts: ChartRenderer } {
  return { ...rt, charts: chartRenderer(chartFontFiles(rt.config.fontsDir, 'FONTS_DIR')) };
}

/** Builds the handler over a runtime getter (the Lambda module passes the lazily built AWS one). */
export function createWeeklyReportHandler(runtime: () => ReportRuntime & { charts?: ChartRenderer }) {
  return async function handler(event: ScheduledReportEvent | undefined, context?: InvocationContext): Promise<WeeklySummary> {
    const rt = runtime();
    const claims = invocationClaims(context, rt.now());
    const period = resolvePeriod(event?.period, rt.now(), 'previous-week');
    const listed = [...new Set(rt.settings.recipients.weekly.map((l) => l.scope))].sort((a, b) => (a === 'ALL' ? -1 : b === 'ALL' ? 1 : a.localeCompare(b)));
    const scopes = event?.scope ? [event.scope.trim().toUpperCase()] : listed;
    if (scopes.length === 0) throw new ReportEventError('no recipient list in REPORT_RECIPIENTS: nothing to send; set the stack context reportRecipients');

    const summary: WeeklySummary = { period: period.id, scopes: [] };
    for (const scope of scopes) {
      try {
        const outcome = await runReportJob({ ...rt, claims }, { period, scope, lang: 'zh-CN', send: true });
        const runs = outcome.runs.map(({ listName, state, revision, partial, error }) => ({ listName, state, revision, partial, error }));
        summary.scopes.push({ scope, ok: !runs.some((r) => FAILED_STATES.has(r.state)), runs });
      } catch (error) {
        summary.scopes.push({ scope, ok: false, runs: [], error: (error as Error).message });
      }
    }
    console.log(JSON.stringify({ weeklyReport: summary }));
    const failed = summary.scopes.filter((s) => !s.ok);
    if (failed.length > 0) {
      const what = failed.map((s) => `${s.scope}: ${s.error ?? s.runs.filter((r) => FAILED_STATES.has(r.state)).map((r) => `${r.listName} ${r.state}${r.error ? ` (${r.error})` : ''}`).join('; ')}`);
      throw new ReportJobFailedError(`weekly report ${period.id} did not reach every list — ${what.join(' | ')}; lists already sent are not sent again on retry`);
    }
    return summary;
  };
}

const runtime = lazy(() => withCharts(reportRuntime(reportConfig('weekly'), defaultReportClients())));

/** The Lambda entry point. */
export const handler = createWeeklyReportHandler(runtime);
