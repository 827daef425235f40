import { LocalObjectStore } from '../../adapters/local-object-store.js';
import { listRuns, releaseClaims, type RunRecord } from '../../core/delivery/delivery.js';
import { UsageError } from '../../core/errors.js';
import { parsePeriod, PeriodError, shanghaiDateTime } from '../../core/period.js';
import { parseCommandArgs, type Command } from '../command.js';

const help = `telco-kpi runs — the run ledger: every report and incentive job, its state and error

Usage: telco-kpi runs [--period 2026-W47] [--state failed] [--json] [--release JOB]

  --period P     only runs of this period
  --state S      only runs in this state (sent, duplicate, waiting, failed, parked, uncertain, concurrent)
  --json         print the records as JSON
  --release JOB  after checking that a report marked 'uncertain' did not reach its recipients,
                 remove its claim so the next run may send it (JOB as printed after "job")

Exit codes: 0 done, 1 nothing matched (no such runs, no claim to release), 2 usage error.`;

const MARK: Record<RunRecord['state'], string> = {
  sent: '✓', duplicate: '=', waiting: '…', failed: '✗', parked: '✗', uncertain: '?', concurrent: '~', built: '·',
};

/** One line per run: when, state, job, recipients, revision, error. */
export function describeRun(run: RunRecord): string {
  const when = shanghaiDateTime(new Date(run.startedAt));
  const what = `${run.kind} ${run.periodId} ${run.scope} → ${run.listName} <${run.to.join(', ')}>`;
  const extra = [
    run.revision ? `revision ${run.revision}` : '',
    run.partial ? `partial (${run.missing?.length ?? 0} missing)` : '',
    run.attempts > 1 ? `${run.attempts} attempts` : '',
    run.error ? `error: ${run.error}` : '',
  ].filter(Boolean).join(', ');
  return `${MARK[run.state]} ${run.state.padEnd(10)} ${when}  ${what}  run ${run.runId}  job ${run.job}${extra ? `  ${extra}` : ''}`;
}

const STATES = Object.keys(MARK) as RunRecord['state'][];

export const command: Command = {
  name: 'runs',
  help,
  async run(argv, ctx) {
    const { values } = parseCommandArgs(argv, { period: { type: 'string' }, state: { type: 'string' }, json: { type: 'boolean' }, release: { type: 'string' } });
    if (values.state !== undefined && !(STATES as string[]).includes(values.state)) {
      throw new UsageError(`--state '${values.state}' is not a run state; expected one of ${STATES.join(', ')}`);
    }
    if (values.period !== undefined) {
      try {
        parsePeriod(values.period);
      } catch (error) {
        if (error instanceof PeriodError) throw new UsageError(`--period: ${error.message}`, { cause: error });
        throw error;
      }
    }
    if (values.release !== undefined && (values.release === '' || values.release.includes('..'))) {
      throw new UsageError(`--release '${values.release}' is not a job; give the job as 'telco-kpi runs' prints it after "job"`);
    }
    const store = new LocalObjectStore(ctx.home);
    if (values.release) {
      const released = await releaseClaims(store, values.release);
      if (released.length === 0) {
        ctx.out(`no unconfirmed claim under runs/${values.release}: nothing released (telco-kpi runs --state uncertain lists the jobs to release)`);
        return 1;
      }
      ctx.out(`released ${released.length} claim(s): ${released.join(', ')}`);
      return 0;
    }
    const all = await listRuns(store);
    const runs = all
      .filter((r) => !values.period || r.periodId === values.period)
      .filter((r) => !values.state || r.state === values.state);
    if (values.json) ctx.out(JSON.stringify(runs, null, 2));
    else if (runs.length === 0) {
      const filter = [values.period ? `period ${values.period}` : '', values.state ? `state ${values.state}` : ''].filter(Boolean).join(', ');
      ctx.out(all.length === 0 ? `no runs recorded in ${ctx.home}` : `no runs match ${filter} (${all.length} run(s) recorded in ${ctx.home})`);
    } else for (const run of runs) ctx.out(describeRun(run));
    return runs.length === 0 && (all.length > 0 || values.period !== undefined || values.state !== undefined) ? 1 : 0;
  },
};
