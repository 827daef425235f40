import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { EngineChoice } from '../config.js';
import { UsageError } from '../core/errors.js';

/** What every command receives from main.ts (the CLI's composition root). */
export interface CliContext {
  /** The home folder (lake, receipts, reports, outbox), from --home, TELCO_KPI_HOME or ./.telco-kpi. */
  home: string;
  /** The config folder (recipients, plans), `config/` of the project unless TELCO_KPI_CONFIG is set. */
  configDir: string;
  /** SMTP URL when mail goes to a server instead of the outbox. */
  smtpUrl?: string;
  /** The query engine (default DuckDB over the home's lake). */
  engine?: EngineChoice;
  out: (line: string) => void;
  err: (line: string) => void;
  /** The clock, injectable for tests. */
  now: () => Date;
  /** Reads a password (`users add`); default: a hidden line on a terminal, else stdin. Injectable for tests. */
  readPassword?: () => Promise<string>;
}

export interface Command {
  name: string;
  /** Full help text printed by `telco-kpi <name> --help`. */
  help: string;
  /** Returns the exit code: 0 done, 1 input rejected or report not produced, 2 usage error. */
  run(argv: string[], ctx: CliContext): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs with strict options; unknown flags become a UsageError naming the flag. */
export function parseCommandArgs<T extends Options>(argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message, { cause: error });
  }
}
