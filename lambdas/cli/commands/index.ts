import type { Command } from '../command.js';
import { command as incentives } from './incentives.js';
import { command as ingest } from './ingest.js';
import { command as report } from './report.js';
import { command as run } from './run.js';
import { command as runs } from './runs.js';
import { command as sample } from './sample.js';
import { command as serve } from './serve.js';
import { command as users } from './users.js';
import { command as validate } from './validate.js';

/** Every subcommand, in the order --help lists them. */
export const commands: readonly Command[] = [run, sample, validate, ingest, report, incentives, runs, serve, users];
