/** `telco-kpi`: the command line (SPEC §6) and the local runtime's composition root. */
import { resolve } from 'node:path';
import { ENGINES, engineChoice, readLocalConfig } from '../config.js';
import { TelcoKpiError, UsageError } from '../core/errors.js';
import type { CliContext } from './command.js';
import { commands, type CommandEntry } from './commands/index.js';

const USAGE = `telco-kpi — KPI reports and incentive tallies from provincial extracts

Usage: telco-kpi <command> [options] [--home DIR]

Commands:
${commands.map((c) => `  ${c.name.padEnd(11)} ${c.summary}`).join('\n')}

Global options:
  --home DIR   folder holding the lake, receipts, reports and outbox
               (env TELCO_KPI_HOME, default ./.telco-kpi)
  --engine E   duckdb (default) or trino: where report, incentives and run query the lake
               (env TELCO_KPI_ENGINE; trino is reached at TRINO_URL,
               http(s)://[user[:password]@]host:port[/catalog[/schema]])
  --help       this text; 'telco-kpi <command> --help' for a command

Environment: SMTP_URL sends mail to an SMTP server instead of the outbox;
TELCO_KPI_CONFIG names another config folder (default: the project's config/).
Exit codes: 0 done, 1 input rejected or report not produced, 2 usage error.`;

/** Runs one command line; returns the exit code instead of exiting, so tests can call it. */
export async function main(argv: string[], overrides: Partial<CliContext> = {}): Promise<number> {
  const out = overrides.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const err = overrides.err ?? ((line: string) => process.stderr.write(`${line}\n`));
  let rest: string[];
  let home: string | undefined;
  let engine: string | undefined;
  try {
    ({ rest, home, engine } = extractGlobals(argv));
  } catch (error) {
    err(`telco-kpi: ${(error as Error).message}`);
    return 2;
  }
  const [name, ...args] = rest;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    out(USAGE);
    return name ? 0 : 2;
  }
  const entry: CommandEntry | undefined = commands.find((c) => c.name === name);
  if (!entry) {
    err(`telco-kpi: unknown command '${name}'. Commands: ${commands.map((c) => c.name).join(', ')}. Try --help.`);
    return 2;
  }
  const command = await entry.load();
  if (args.includes('--help') || args.includes('-h')) {
    out(command.help);
    return 0;
  }
  try {
    const config = readLocalConfig();
    const ctx: CliContext = {
      home: home ? resolve(home) : config.home,
      configDir: config.configDir,
      smtpUrl: config.smtpUrl,
      engine: engine ? engineChoice(engine) : config.engine,
      out,
      err,
      now: () => new Date(),
      ...overrides,
    };
    return await command.run(args, ctx);
  } catch (error) {
    if (error instanceof UsageError) {
      err(`telco-kpi ${name}: ${error.message}\n\n${command.help}`);
      return 2;
    }
    if (error instanceof TelcoKpiError) {
      err(`telco-kpi ${name}: ${error.message}`);
      return 1;
    }
    err(`telco-kpi ${name}: unexpected failure: ${(error as Error).stack ?? String(error)}`);
    return 1;
  }
}

/** Takes the global options (--home, --engine) out of the arguments, wherever they stand. */
function extractGlobals(argv: string[]): { rest: string[]; home?: string; engine?: string } {
  const rest: string[] = [];
  let home: string | undefined;
  let engine: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--home') {
      const value = argv[++i];
      if (!value || value.startsWith('--')) throw new UsageError('--home needs a folder: --home DIR');
      home = value;
    } else if (arg.startsWith('--home=')) {
      home = arg.slice('--home='.length);
    } else if (arg === '--engine' || arg.startsWith('--engine=')) {
      const value = arg === '--engine' ? argv[++i] : arg.slice('--engine='.length);
      if (!value || !(ENGINES as readonly string[]).includes(value)) throw new UsageError(`--engine needs one of ${ENGINES.join(', ')}: --engine trino`);
      engine = value;
    } else {
      rest.push(arg);
    }
  }
  return { rest, home, engine };
}

const invokedDirectly = process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (invokedDirectly) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
