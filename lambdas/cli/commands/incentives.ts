import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDbQueryEngine } from '../../adapters/duckdb-query-engine.js';
import { ConfigError, TelcoKpiError, UsageError } from '../../core/errors.js';
import { runIncentives } from '../../core/incentives/job.js';
import { loadPlans, type Plan } from '../../core/incentives/plan.js';
import type { Mailer, ObjectStore } from '../../core/ports.js';
import { PeriodError, parsePeriod } from '../../core/period.js';
import { parseSettings } from '../../core/settings.js';
import { parseCommandArgs, type CliContext, type Command } from '../command.js';

const QUERIES_DIR = fileURLToPath(new URL('../../../queries/', import.meta.url));

const HELP = `telco-kpi incentives --month YYYY-MM [--plan FILE] [--send]

Computes the account-manager incentive tally of a month (SPEC §4) with the plan version in
force on the month's first day (config/plans/*.yaml), or the plan in FILE with --plan.
Writes reports/<month>/incentives/incentives.json and incentives.xlsx under --home.
--send e-mails the workbook to the HR recipients of config/telco-kpi.yaml (recipients.incentives),
at most once per month and recipient list.`;

export interface IncentivesCommandOptions {
  /** Builds the mailer for --send (outbox or SMTP); without it --send is refused. */
  mailerFor?: (ctx: CliContext) => Mailer | Promise<Mailer>;
  /** The object store under the home folder; defaults to plain files. */
  storeFor?: (ctx: CliContext) => ObjectStore;
}

/** The `incentives` command; main.ts may pass the mailer and store factories it owns. */
export function createIncentivesCommand(options: IncentivesCommandOptions = {}): Command {
  return {
    name: 'incentives',
    summary: 'account-manager incentive tally for HR (json + workbook, --send mails HR)',
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
      if (values.send && !options.mailerFor) {
        ctx.err('incentives: --send is not wired yet (no mailer in this build); run without --send and mail the workbook by hand');
        return 1;
      }

      const engine = new DuckDbQueryEngine(ctx.home, QUERIES_DIR);
      try {
        const plans = await readPlans(values.plan, ctx.configDir);
        const settings = parseSettings(await readConfig(join(ctx.configDir, 'telco-kpi.yaml')), join(ctx.configDir, 'telco-kpi.yaml'));
        const store = options.storeFor ? options.storeFor(ctx) : new FileObjectStore(ctx.home);
        const mailer = values.send && options.mailerFor ? await options.mailerFor(ctx) : undefined;
        ctx.err(`incentives ${values.month}: querying the lake under ${ctx.home}`);
        const result = await runIncentives({ engine, store, mailer, settings, plans, now: ctx.now() }, { month: values.month, send: values.send });
        const s = result.summary;
        ctx.out(`wrote ${join(ctx.home, result.jsonKey)}`);
        ctx.out(`wrote ${join(ctx.home, result.xlsxKey)}`);
        if (result.sent) ctx.out(`sent to HR: ${result.sent.location}`);
        if (result.alreadySent) ctx.out(`not sent: ${s.month} was already sent to this HR list`);
        ctx.out(`incentives ${s.month}: plan ${s.plan} v${s.version}, ${s.managers} managers, total ${s.total.toFixed(2)} CNY, ${s.capped} capped, ${s.clawbackLines} clawback lines, ${s.unknownManagers} managers not in the roster`);
        return 0;
      } catch (error) {
        if (error instanceof UsageError) throw error;
        if (error instanceof TelcoKpiError) {
          ctx.err(`incentives ${values.month}: not produced: ${error.message}`);
          return 1;
        }
        throw error;
      } finally {
        await engine.close();
      }
    },
  };
}

export const command: Command = createIncentivesCommand();

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
  const names = (await readdir(dir)).filter((n) => n.endsWith('.yaml') || n.endsWith('.yml')).sort();
  return loadPlans(await Promise.all(names.map(async (name) => ({ name, text: await readConfig(join(dir, name)) }))));
}

/**
 * Files under the home folder, until the shared LocalObjectStore lands on main
 * (lambdas/adapters/local-object-store.ts); then main.ts passes that one through storeFor.
 */
class FileObjectStore implements ObjectStore {
  constructor(private readonly root: string) {}

  private path(key: string): string {
    const path = join(this.root, key);
    if (relative(this.root, path).startsWith('..')) throw new ConfigError(`object key ${key} leaves the home folder`);
    return path;
  }

  async put(key: string, body: Uint8Array | string): Promise<void> {
    const path = this.path(key);
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, body);
    await rename(tmp, path);
  }

  async putIfAbsent(key: string, body: Uint8Array | string): Promise<boolean> {
    const path = this.path(key);
    await mkdir(dirname(path), { recursive: true });
    try {
      await writeFile(path, body, { flag: 'wx' });
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(this.path(key)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      if (!existsSync(dir)) return;
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const full = join(dir, entry.name);
        if (entry.isDirectory()) await walk(full);
        else out.push(relative(this.root, full).split('\\').join('/'));
      }
    };
    await walk(this.root);
    return out.filter((k) => k.startsWith(prefix)).sort();
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }
}
