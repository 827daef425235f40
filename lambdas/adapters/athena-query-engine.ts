import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand, StopQueryExecutionCommand,
  type AthenaClient, type ColumnInfo, type GetQueryResultsCommandOutput,
} from '@aws-sdk/client-athena';
import { TelcoKpiError } from '../core/errors.js';
import type { QueryEngine, Row, SqlValue } from '../core/ports.js';
import { AthenaParameterError, toExecutionParameter } from './execution-parameter.js';

export { AthenaParameterError, toExecutionParameter };

export interface AthenaQueryEngineOptions {
  /** Folder holding `<name>.sql` files (the repository's `queries/`). */
  queriesDir: string;
  workGroup: string;
  database: string;
  catalog?: string;
  /** Give up (and stop the query) after this long, in ms. Default 5 minutes. */
  deadlineMs?: number;
  /** First poll interval in ms, doubled up to `maxPollMs`. Defaults 200 and 5000. */
  initialPollMs?: number;
  maxPollMs?: number;
  /** Throttled calls are retried this many times with backoff. Default 8. */
  maxThrottleRetries?: number;
  /**
   * Queries a report runs at once. Default 4: well inside Athena's quota of active DML queries
   * (20 or more per account and region), leaving room for the other reports of the same run.
   */
  parallel?: number;
  /** Injected for tests; defaults to setTimeout and Date.now. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** Athena ended a query in FAILED or CANCELLED. */
export class AthenaQueryFailedError extends TelcoKpiError {
  constructor(
    readonly queryName: string,
    readonly queryExecutionId: string,
    readonly state: string,
    readonly reason: string,
  ) {
    super(`query ${queryName}.sql (Athena execution ${queryExecutionId}) ended ${state}: ${reason}; expected SUCCEEDED`);
  }
}

/** A query ran past the engine's deadline; it was stopped. */
export class AthenaQueryTimeoutError extends TelcoKpiError {
  constructor(readonly queryName: string, readonly queryExecutionId: string, deadlineMs: number, lastState: string) {
    super(`query ${queryName}.sql (Athena execution ${queryExecutionId}) was still ${lastState} after ${deadlineMs} ms; it was stopped (expected to finish within the deadline)`);
  }
}


const THROTTLING = new Set(['TooManyRequestsException', 'ThrottlingException', 'Throttling', 'ThrottledException']);

/** Converts one Athena result cell (always text) to the JS type of its column. */
export function convertCell(raw: string | undefined, column: ColumnInfo): SqlValue {
  if (raw === undefined) return null;
  const type = (column.Type ?? 'varchar').toLowerCase();
  switch (type) {
    case 'tinyint': case 'smallint': case 'integer': case 'int': case 'bigint':
    case 'double': case 'float': case 'real': case 'decimal': {
      if (raw === '') return null;
      const n = Number(raw);
      if (Number.isNaN(n) && raw !== 'NaN') throw new TelcoKpiError(`column ${column.Name ?? '?'} (${type}): '${raw}' is not a number`);
      return n;
    }
    case 'boolean':
      if (raw === '') return null;
      return raw === 'true';
    default:
      return raw;
  }
}

/** The QueryEngine port on Athena: one SQL file from queries/ per run, `?` bound by Athena. */
export class AthenaQueryEngine implements QueryEngine {
  private readonly deadlineMs: number;
  private readonly initialPollMs: number;
  private readonly maxPollMs: number;
  private readonly maxThrottleRetries: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  readonly parallel: number;

  constructor(private readonly client: AthenaClient, private readonly options: AthenaQueryEngineOptions) {
    this.parallel = options.parallel ?? 4;
    this.deadlineMs = options.deadlineMs ?? 5 * 60_000;
    this.initialPollMs = options.initialPollMs ?? 200;
    this.maxPollMs = options.maxPollMs ?? 5_000;
    this.maxThrottleRetries = options.maxThrottleRetries ?? 8;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.now = options.now ?? Date.now;
  }

  async run(name: string, params: readonly SqlValue[]): Promise<Row[]> {
    if (!/^[a-z0-9_]+$/.test(name)) throw new AthenaParameterError(`query name '${name}': expected snake_case letters, digits and _ (a file in queries/)`);
    const path = join(this.options.queriesDir, `${name}.sql`);
    const sql = await readFile(path, 'utf8').catch((cause: unknown) => {
      throw new AthenaParameterError(`query '${name}': cannot read ${path}; expected a file ${name}.sql in the queries folder`, { cause });
    });
    const started = this.now();
    const start = await this.call(() => this.client.send(new StartQueryExecutionCommand({
      QueryString: sql,
      WorkGroup: this.options.workGroup,
      QueryExecutionContext: { Database: this.options.database, Catalog: this.options.catalog },
      ExecutionParameters: params.length > 0 ? params.map((p, i) => toExecutionParameter(p, i)) : undefined,
    })));
    const id = start.QueryExecutionId;
    if (!id) throw new TelcoKpiError(`query ${name}.sql: Athena returned no QueryExecutionId`);
    await this.waitForSuccess(name, id, started);
    return this.readResults(id);
  }

  async close(): Promise<void> {
    // The client belongs to the caller.
  }

  private async waitForSuccess(name: string, id: string, started: number): Promise<void> {
    let delay = this.initialPollMs;
    for (;;) {
      const out = await this.call(() => this.client.send(new GetQueryExecutionCommand({ QueryExecutionId: id })));
      const status = out.QueryExecution?.Status;
      const state = status?.State ?? 'UNKNOWN';
      if (state === 'SUCCEEDED') return;
      if (state === 'FAILED' || state === 'CANCELLED') {
        const reason = status?.StateChangeReason ?? status?.AthenaError?.ErrorMessage ?? 'no reason given';
        throw new AthenaQueryFailedError(name, id, state, reason);
      }
      if (this.now() - started + delay > this.deadlineMs) {
        await this.call(() => this.client.send(new StopQueryExecutionCommand({ QueryExecutionId: id })));
        throw new AthenaQueryTimeoutError(name, id, this.deadlineMs, state);
      }
      await this.sleep(delay);
      delay = Math.min(delay * 2, this.maxPollMs);
    }
  }

  private async readResults(id: string): Promise<Row[]> {
    const rows: Row[] = [];
    let columns: ColumnInfo[] | undefined;
    let token: string | undefined;
    let firstPage = true;
    do {
      const page: GetQueryResultsCommandOutput = await this.call(() => this.client.send(
        new GetQueryResultsCommand({ QueryExecutionId: id, NextToken: token, MaxResults: 1000 }),
      ));
      columns ??= page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? [];
      const data = page.ResultSet?.Rows ?? [];
      for (const [index, row] of data.entries()) {
        if (firstPage && index === 0) continue;
        const record: Row = {};
        columns.forEach((column, i) => {
          record[column.Name ?? `_col${i}`] = convertCell(row.Data?.[i]?.VarCharValue, column);
        });
        rows.push(record);
      }
      firstPage = false;
      token = page.NextToken;
    } while (token);
    return rows;
  }

  /** Runs one API call, retrying throttling errors with exponential backoff. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    let delay = this.initialPollMs;
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await fn();
      } catch (error) {
        const name = error instanceof Error ? error.name : '';
        if (!THROTTLING.has(name) || attempt >= this.maxThrottleRetries) throw error;
        await this.sleep(delay);
        delay = Math.min(delay * 2, this.maxPollMs);
      }
    }
  }
}
