/**
 * Entry point: the monthly HR incentive tally, invoked by EventBridge Scheduler on the 1st,
 * 09:00 Asia/Shanghai, or by hand to re-run a month. Event: `{ "period": "previous-month" | "2026-10" }`.
 * Runs `runIncentives` with the plans bundled from `config/plans/*.yaml` and mails HR through the
 * run ledger (once per content and list). Throws when the tally could not be built or a list
 * ended failed/parked, so retries, the DLQ and the errors alarm see it.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { runIncentives, type IncentiveSummary } from '../core/incentives/job.js';
import { loadPlans, type Plan } from '../core/incentives/plan.js';
import type { RunRecord } from '../core/delivery/delivery.js';
import { reportConfig } from './aws-config.js';
import { defaultReportClients, lazy, reportRuntime, type ReportRuntime } from './aws-runtime.js';
import { FAILED_STATES, invocationClaims, ReportEventError, ReportJobFailedError, resolvePeriod, type InvocationContext } from './scheduled-job.js';

export interface ScheduledIncentivesEvent {
  /** `previous-month` (default) from the schedule, or an explicit month (`2026-11`) for a re-run. */
  period?: string;
}

export interface IncentivesSummary {
  month: string;
  summary: IncentiveSummary;
  runs: Array<Pick<RunRecord, 'listName' | 'state' | 'revision' | 'error'>>;
}

/** Reads every `*.yaml` plan of a folder (the bundle's `plans/`); fails naming the folder. */
export async function readPlans(dir: string): Promise<Plan[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.yaml') || n.endsWith('.yml')).sort();
  } catch (error) {
    throw new ConfigError(`incentive plans folder ${dir} cannot be read (${(error as NodeJS.ErrnoException).code}); the stack bundles config/plans/*.yaml there (PLANS_DIR)`, { cause: error });
  }
  if (names.length === 0) throw new ConfigError(`no incentive plan (*.yaml) in ${dir}; the stack bundles config/plans/*.yaml there`);
  return loadPlans(await Promise.all(names.map(async (name) => ({ name, text: await readFile(join(dir, name), 'utf8') }))));
}

/** Builds the handler over a runtime getter and a plan loader (both built once per container). */
export function createIncentivesHandler(runtime: () => ReportRuntime, plans: () => Promise<Plan[]>) {
  return async function handler(event: ScheduledIncentivesEvent | undefined, context?: InvocationContext): Promise<IncentivesSummary> {
    const rt = runtime();
    const claims = invocationClaims(context, rt.now());
    const period = resolvePeriod(event?.period, rt.now(), 'previous-month');
    if (period.kind !== 'month') throw new ReportEventError(`event period '${event?.period}' is a week; incentives are monthly: use YYYY-MM or 'previous-month'`);
    const result = await runIncentives(
      { engine: rt.engine, store: rt.store, settings: rt.settings, plans: await plans(), now: rt.now, delivery: { mailer: rt.mailer, notifier: rt.notifier, claims } },
      { month: period.id, send: true },
    );
    const out: IncentivesSummary = {
      month: period.id,
      summary: result.summary,
      runs: result.runs.map(({ listName, state, revision, error }) => ({ listName, state, revision, error })),
    };
    console.log(JSON.stringify({ incentives: out }));
    const failed = out.runs.filter((r) => FAILED_STATES.has(r.state));
    if (failed.length > 0) {
      throw new ReportJobFailedError(`incentives ${period.id} did not reach every HR list — ${failed.map((r) => `${r.listName} ${r.state}${r.error ? ` (${r.error})` : ''}`).join('; ')}`);
    }
    return out;
  };
}

const runtime = lazy(() => reportRuntime(reportConfig('incentives'), defaultReportClients()));
const plans = lazy(() => readPlans(runtime().config.plansDir));

/** The Lambda entry point. */
export const handler = createIncentivesHandler(runtime, plans);
