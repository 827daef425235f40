import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ConfigError, TelcoKpiError, UsageError } from '../../core/errors.js';
import { runIncentives } from '../../core/incentives/job.js';
import { loadPlans, type Plan } from '../../core/incentives/plan.js';
import { PeriodError, parsePeriod } from '../../core/period.js';
import { parseCommandArgs, type CliContext, type Command } from '../command.js';
import { openLocalRuntime, readYamlFiles } from '../local-runtime.js';
import { describeRun } from './runs.js';

const HELP = `telco-kpi incentives — the account-manager incentive tally for HR

Usage: telco-kpi incentives --month YYYY-MM [--plan FILE] [--send]

Computes the account-manager incentive tally of a month (SPEC §4) with the plan version in
force on the month's first day (config/plans/*.yaml), or the plan in FILE with --plan.
Writes reports/<month>/incentives/incentives.json and incentives.xlsx under --home.
--send e-mails the workbook to the HR recipients of config/telco-kpi.yaml (recipients.incentives),
at most once per month and recipient list.`;

/** Runs the month's tally (and with send, mails HR); prints where things went. Returns the exit code. */
export async function incentivesOnce(ctx: CliContext, request: { month: string; planFile?: string; send: boolean }): Promise<number> {
  const runtime = await openLocalRuntime(ctx);
  try {
    const plans = await readPlans(request.planFile, ctx.configDir);
    ctx.err(`incentives ${request.month}: querying the lake under ${ctx.home}`);
    const result = await runIncentives(
      { ...runtime, plans, now: ctx.now, delivery: { mailer: runtime.mailer, notifier: runtime.notifier, claims: runtime.claims } },
      { month: request.month, send: request.send },
    );
    const s = result.summary;
    ctx.out(`incentives ${s.month}: ${join(ctx.home, result.xlsxKey)}`);
    ctx.out(`  incentives.json: ${join(ctx.home, result.jsonKey)}`);
    ctx.out(`  plan ${s.plan} v${s.version}, ${s.managers} managers, total ${s.total.toFixed(2)} CNY, ${s.capped} capped, ${s.clawbackLines} clawback lines, ${s.unknownManagers} managers not in the roster`);
    for (const run of result.runs) ctx.out(`  ${describeRun(run)}${run.state === 'sent' ? ` (${runtime.mailTarget})` : ''}`);
    return result.runs.every((r) => r.state === 'sent' || r.state === 'duplicate') ? 0 : 1;
  } catch (error) {
    if (error instanceof UsageError || !(error instanceof TelcoKpiError)) throw error;
    ctx.err(`incentives ${request.month}: not produced: ${error.message}`);
    return 1;
  } finally {
    await runtime.close();
  }
}

export const command: Command = {
  name: 'incentives',
  help: HELP,
  async run(argv, ctx) {
    const { values } = parseCommandArgs(argv, {
      month: { type: 'string' },
      plan: { type: 'string' },
      send: { type: 'boolean', default: false },
    });
    if (!values.month) throw new UsageError('--month is required: the month to tally, like --month 2026-11');
    try {
      if (parsePeriod(values.month).kind !== 'month') throw new UsageError(`--month ${values.month} is not a month; use YYYY-MM`);
    } catch (error) {
      if (error instanceof PeriodError) throw new UsageError(`--month: ${error.message}`, { cause: error });
      throw error;
    }
    return incentivesOnce(ctx, { month: values.month, planFile: values.plan, send: values.send ?? false });
  },
};

async function readConfig(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** The plan in `--plan FILE`, else every `*.yaml` of `<configDir>/plans/`. */
async function readPlans(planFile: string | undefined, configDir: string): Promise<Plan[]> {
  if (planFile) return loadPlans([{ name: basename(planFile), text: await readConfig(planFile) }]);
  const dir = join(configDir, 'plans');
  if (!existsSync(dir)) throw new ConfigError(`no plan folder ${dir}: put the incentive plan YAML files there or pass --plan FILE`);
  return loadPlans((await readYamlFiles(dir)).map((f) => ({ name: basename(f.name), text: f.text })));
}
