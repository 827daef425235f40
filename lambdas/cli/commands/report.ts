import { join } from 'node:path';
import { UsageError } from '../../core/errors.js';
import { latestFullWeek, parsePeriod, PeriodError, type Period } from '../../core/period.js';
import { ReportNotProducedError, runReportJob, type Lang } from '../../core/report/job.js';
import { PROVINCE_CODES } from '../../core/extracts/codes.js';
import { parseCommandArgs, type Command, type CliContext } from '../command.js';
import { openLocalRuntime } from '../local-runtime.js';
import { describeRun } from './runs.js';

const help = `telco-kpi report — the KPI workbook and kpis.json for a week or a month

Usage: telco-kpi report (--week 2026-W47 | --month 2026-11) [--scope JL] [--lang zh-CN|en] [--send]

  --week W      ISO week (Monday–Sunday, Asia/Shanghai); default: the latest full week
  --month M     calendar month YYYY-MM
  --scope P     ALL (default) or one province code
  --lang L      zh-CN (default) or en
  --send        e-mail it to the recipient lists of this scope in config/telco-kpi.yaml,
                at most once per content; waits for missing data per the freshness policy

Writes <home>/reports/<period>/<scope>/kpis.json and report.xlsx (with --lang en: report.en.xlsx,
beside the Chinese one). Without --send nobody is mailed, operators included: errors are printed here.
Exit codes: 0 done, 1 report not produced or not (yet) sent, 2 usage error.`;

/** Parses --week/--month/--scope/--lang shared by report and run. */
export function parsePeriodArgs(values: { week?: string; month?: string; scope?: string; lang?: string }, now: Date): { period: Period; scope: string; lang: Lang } {
  if (values.week && values.month) throw new UsageError('give --week or --month, not both');
  if (values.week && !/^\d{4}-W\d{2}$/.test(values.week)) throw new UsageError(`--week '${values.week}' is not an ISO week: use the form 2026-W47`);
  if (values.month && !/^\d{4}-\d{2}$/.test(values.month)) throw new UsageError(`--month '${values.month}' is not a month: use the form 2026-11`);
  let period: Period;
  try {
    period = values.week ? parsePeriod(values.week) : values.month ? parsePeriod(values.month) : latestFullWeek(now);
  } catch (error) {
    if (error instanceof PeriodError) throw new UsageError(error.message, { cause: error });
    throw error;
  }
  const scope = (values.scope ?? 'ALL').toUpperCase();
  if (scope !== 'ALL' && !(PROVINCE_CODES as string[]).includes(scope)) {
    throw new UsageError(`--scope '${values.scope}' is not ALL or a province code (${PROVINCE_CODES.join(', ')})`);
  }
  const lang = values.lang ?? 'zh-CN';
  if (lang !== 'zh-CN' && lang !== 'en') throw new UsageError(`--lang '${lang}' is not zh-CN or en`);
  return { period, scope, lang };
}

/** Builds (and with send, delivers) one report; prints where things went. Returns the exit code. */
export async function reportOnce(ctx: CliContext, request: { period: Period; scope: string; lang: Lang; send: boolean }): Promise<number> {
  const runtime = await openLocalRuntime(ctx);
  try {
    ctx.err(`report ${request.period.id} (${request.period.start} – ${request.period.end}) scope ${request.scope}: running queries…`);
    const outcome = await runReportJob({ ...runtime, now: ctx.now }, request);
    const { artifacts } = outcome;
    if (artifacts) {
      ctx.out(`report ${request.period.id} ${request.scope}: ${join(ctx.home, artifacts.xlsxKey)}`);
      ctx.out(`  kpis.json: ${join(ctx.home, artifacts.jsonKey)}`);
      if (artifacts.kpis.marketOnly) ctx.out('  data: market share only (no revenue extract for the month: the market-share view, no KPI figures)');
      else ctx.out(`  data: ${artifacts.missing.length === 0 ? 'complete' : `partial, missing ${artifacts.missing.length} province-day extract(s): ${artifacts.missing.slice(0, 5).join('; ')}${artifacts.missing.length > 5 ? '; …' : ''}`}`);
    }
    for (const run of outcome.runs) ctx.out(`  ${describeRun(run)}${run.state === 'sent' ? ` (${runtime.mailTarget})` : ''}`);
    return outcome.ok ? 0 : 1;
  } catch (error) {
    if (!(error instanceof ReportNotProducedError)) throw error;
    ctx.out(`report ${request.period.id} ${request.scope}: not produced, nothing sent: ${error.message}`);
    return 1;
  } finally {
    await runtime.close();
  }
}

export const command: Command = {
  name: 'report',
  help,
  async run(argv, ctx) {
    const { values } = parseCommandArgs(argv, {
      week: { type: 'string' }, month: { type: 'string' }, scope: { type: 'string' }, lang: { type: 'string' }, send: { type: 'boolean' },
    });
    return reportOnce(ctx, { ...parsePeriodArgs(values, ctx.now()), send: values.send ?? false });
  },
};
