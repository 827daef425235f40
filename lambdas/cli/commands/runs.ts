import { LocalObjectStore } from '../../adapters/local-object-store.js';
import { listRuns, releaseClaims, type RunRecord } from '../../core/delivery/delivery.js';
import { shanghaiDateTime } from '../../core/period.js';
import { parseCommandArgs, type Command } from '../command.js';

const help = `telco-kpi runs — the run ledger: every report and incentive job, its state and error

Usage: telco-kpi runs [--period 2026-W47] [--state failed] [--json] [--release JOB]

  --period P     only runs of this period
  --state S      only runs in this state (sent, duplicate, waiting, failed, parked, uncertain, concurrent)
  --json         print the records as JSON
  --release JOB  after checking that a report marked 'uncertain' did not reach its recipients,
                 remove its claim so the next run may send it (JOB as printed in the job column)`;

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
  return `${MARK[run.state]} ${run.state.padEnd(10)} ${when}  ${what}  run ${run.runId}${extra ? `  ${extra}` : ''}`;
}

export const command: Command = {
  name: 'runs',
  help,
  async run(argv, ctx) {
    const { values } = parseCommandArgs(argv, { period: { type: 'string' }, state: { type: 'string' }, json: { type: 'boolean' }, release: { type: 'string' } });
    const store = new LocalObjectStore(ctx.home);
    if (values.release) {
      const released = await releaseClaims(store, values.release);
      ctx.out(released.length ? `released ${released.length} claim(s): ${released.join(', ')}` : `no unconfirmed claim under runs/${values.release}`);
      return 0;
    }
    const runs = (await listRuns(store))
      .filter((r) => !values.period || r.periodId === values.period)
      .filter((r) => !values.state || r.state === values.state);
    if (values.json) ctx.out(JSON.stringify(runs, null, 2));
    else if (runs.length === 0) ctx.out(`no runs recorded in ${ctx.home}`);
    else for (const run of runs) ctx.out(describeRun(run));
    return 0;
  },
};
