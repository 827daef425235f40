/**
 * The QueryEngine port on Trino, over Trino's HTTP client protocol (POST /v1/statement, then
 * follow `nextUri` until it is gone). Plain `fetch`, no client library: the protocol is small,
 * and the parts that matter here — a deadline that cancels the query, retries on 502/503/504,
 * typed conversion into the values the core expects — are ours to own and test either way.
 *
 * Parameters are bound as Athena binds ExecutionParameters: each value becomes the SQL literal
 * text `toExecutionParameter` makes, spliced by the server through `EXECUTE IMMEDIATE … USING`,
 * so Trino runs exactly what Athena would.
 */
import { ConfigError, TelcoKpiError } from '../core/errors.js';
import type { QueryEngine, Row, SqlValue } from '../core/ports.js';
import { toExecutionParameter } from './execution-parameter.js';
import { QueryFiles } from './query-files.js';

/** Where a Trino server is and who we are to it. */
export interface TrinoConnection {
  /** `http(s)://host:port`, no path. */
  server: string;
  catalog: string;
  schema: string;
  user: string;
  /** Sent as HTTP basic auth; only over https (Trino refuses passwords over plain http). */
  password?: string;
}

export const TRINO_DEFAULTS = { catalog: 'hive', schema: 'telco_kpi', user: 'telco-kpi' } as const;

/**
 * Parses `TRINO_URL`: `http(s)://[user[:password]@]host:port[/catalog[/schema]]`; missing parts
 * take TRINO_DEFAULTS (catalog hive, schema telco_kpi, user telco-kpi).
 */
export function parseTrinoUrl(text: string, name = 'TRINO_URL'): TrinoConnection {
  let url: URL;
  try {
    url = new URL(text);
  } catch (error) {
    throw new ConfigError(`${name} '${text}' is not a URL: use http://127.0.0.1:8080 or https://user:password@trino.example.com:8443/hive/telco_kpi`, { cause: error });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`${name} '${text}': the scheme must be http or https (Trino's HTTP protocol)`);
  }
  const [catalog, schema, ...rest] = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (rest.length > 0) throw new ConfigError(`${name} '${text}': the path is /catalog/schema, at most two parts`);
  const password = url.password ? decodeURIComponent(url.password) : undefined;
  if (password && url.protocol !== 'https:') {
    throw new ConfigError(`${name}: a password is only sent over https; Trino refuses password authentication on plain http`);
  }
  return {
    server: `${url.protocol}//${url.host}`,
    catalog: catalog ?? TRINO_DEFAULTS.catalog,
    schema: schema ?? TRINO_DEFAULTS.schema,
    user: url.username ? decodeURIComponent(url.username) : TRINO_DEFAULTS.user,
    password,
  };
}

/** Trino ended a query with an error. */
export class TrinoQueryFailedError extends TelcoKpiError {
  constructor(
    readonly queryName: string,
    readonly queryId: string,
    readonly errorName: string,
    readonly reason: string,
    readonly line?: number,
  ) {
    super(`query ${queryName} (Trino query ${queryId || 'not started'}) failed: ${errorName}: ${reason}${line ? ` (line ${line})` : ''}`);
  }
}

/** A query ran past the deadline; it was cancelled on the server. */
export class TrinoQueryTimeoutError extends TelcoKpiError {
  constructor(readonly queryName: string, readonly queryId: string, deadlineMs: number, lastState: string) {
    super(`query ${queryName} (Trino query ${queryId}) was still ${lastState} after ${deadlineMs} ms; it was cancelled (expected to finish within the deadline)`);
  }
}

export interface TrinoColumn {
  name: string;
  type: string;
  typeSignature?: { rawType?: string };
}

interface TrinoResponse {
  id?: string;
  nextUri?: string;
  columns?: TrinoColumn[];
  data?: unknown[][];
  stats?: { state?: string };
  error?: { errorName?: string; message?: string; errorLocation?: { lineNumber?: number } };
}

export interface TrinoClientOptions {
  /** Give up (and cancel the query) after this long, in ms. Default 5 minutes. */
  deadlineMs?: number;
  /** Retries of a 502/503/504 answer (server busy or restarting), with backoff. Default 8. */
  maxBusyRetries?: number;
  /** First backoff in ms, doubled up to 2 s. Default 100. */
  initialBackoffMs?: number;
  /** Injected for tests. */
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

const BUSY = new Set([502, 503, 504]);

/** One statement at a time over Trino's client protocol; returns the columns and raw rows. */
export class TrinoClient {
  private readonly deadlineMs: number;
  private readonly maxBusyRetries: number;
  private readonly initialBackoffMs: number;
  private readonly fetch: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;

  constructor(readonly connection: TrinoConnection, options: TrinoClientOptions = {}) {
    this.deadlineMs = options.deadlineMs ?? 5 * 60_000;
    this.maxBusyRetries = options.maxBusyRetries ?? 8;
    this.initialBackoffMs = options.initialBackoffMs ?? 100;
    this.fetch = options.fetch ?? fetch;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.now = options.now ?? Date.now;
  }

  /** Runs one statement; `label` names it in errors (a query file name). */
  async execute(sql: string, label = 'statement'): Promise<{ columns: TrinoColumn[]; rows: unknown[][] }> {
    const started = this.now();
    let page = await this.request(label, 'POST', `${this.connection.server}/v1/statement`, sql);
    const queryId = page.id ?? '';
    let columns: TrinoColumn[] | undefined;
    const rows: unknown[][] = [];
    for (;;) {
      if (page.error) {
        throw new TrinoQueryFailedError(label, queryId, page.error.errorName ?? 'UNKNOWN', page.error.message ?? 'no message', page.error.errorLocation?.lineNumber);
      }
      columns ??= page.columns;
      if (page.data) for (const row of page.data) rows.push(row);
      if (!page.nextUri) break;
      if (this.now() - started > this.deadlineMs) {
        await this.cancel(page.nextUri);
        throw new TrinoQueryTimeoutError(label, queryId, this.deadlineMs, page.stats?.state ?? 'UNKNOWN');
      }
      page = await this.request(label, 'GET', page.nextUri);
    }
    const state = page.stats?.state;
    if (state && state !== 'FINISHED') throw new TrinoQueryFailedError(label, queryId, state, `the query ended ${state}; expected FINISHED`);
    return { columns: columns ?? [], rows };
  }

  private headers(): Record<string, string> {
    const { user, catalog, schema, password } = this.connection;
    const headers: Record<string, string> = {
      'X-Trino-User': user,
      'X-Trino-Catalog': catalog,
      'X-Trino-Schema': schema,
      'X-Trino-Source': 'telco-kpi',
      'Content-Type': 'text/plain; charset=utf-8',
    };
    if (password !== undefined) headers.Authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    return headers;
  }

  private async request(label: string, method: 'GET' | 'POST', uri: string, body?: string): Promise<TrinoResponse> {
    let delay = this.initialBackoffMs;
    for (let attempt = 0; ; attempt += 1) {
      let response: Response;
      try {
        response = await this.fetch(uri, { method, headers: this.headers(), body });
      } catch (error) {
        throw new TrinoQueryFailedError(label, '', 'CONNECTION_FAILED', `cannot reach ${this.connection.server} (${(error as Error).message}); is the server running? (npm run trino -- start)`);
      }
      if (BUSY.has(response.status) && attempt < this.maxBusyRetries) {
        await response.body?.cancel();
        await this.sleep(delay);
        delay = Math.min(delay * 2, 2_000);
        continue;
      }
      const text = await response.text();
      if (response.status === 401) throw new TrinoQueryFailedError(label, '', 'UNAUTHORIZED', `${this.connection.server} refused user '${this.connection.user}': check the user and password in TRINO_URL`);
      if (!response.ok) throw new TrinoQueryFailedError(label, '', `HTTP_${response.status}`, text.slice(0, 500) || response.statusText);
      try {
        return JSON.parse(text) as TrinoResponse;
      } catch {
        throw new TrinoQueryFailedError(label, '', 'BAD_RESPONSE', `the server answered ${response.status} with something that is not JSON: ${text.slice(0, 200)}`);
      }
    }
  }

  /** Cancels a running query (DELETE on its nextUri); a failure to cancel is not the caller's error. */
  private async cancel(nextUri: string): Promise<void> {
    try {
      const response = await this.fetch(nextUri, { method: 'DELETE', headers: this.headers() });
      await response.body?.cancel();
    } catch {
      // The deadline error is what the caller needs; the server ends an abandoned query itself.
    }
  }
}

/** Converts one Trino JSON cell to the JS value the core expects (as the DuckDB engine gives it). */
export function convertTrinoCell(value: unknown, column: TrinoColumn): SqlValue {
  if (value === null || value === undefined) return null;
  const raw = (column.typeSignature?.rawType ?? column.type.replace(/\(.*$/, '')).toLowerCase();
  switch (raw) {
    case 'tinyint': case 'smallint': case 'integer': case 'bigint':
      return Number(value);
    case 'double': case 'real':
      if (typeof value === 'number') return value;
      if (value === 'NaN') return Number.NaN;
      if (value === 'Infinity') return Number.POSITIVE_INFINITY;
      if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
      throw new TelcoKpiError(`column ${column.name} (${column.type}): '${String(value)}' is not a number`);
    case 'decimal': {
      const n = Number(value);
      if (Number.isNaN(n)) throw new TelcoKpiError(`column ${column.name} (${column.type}): '${String(value)}' is not a decimal`);
      return n;
    }
    case 'boolean':
      return value === true || value === 'true';
    case 'varchar': case 'char': case 'date':
      return String(value);
    case 'timestamp':
      // 'YYYY-MM-DD HH:MM:SS.fff': whole seconds, as the DuckDB engine gives timestamps.
      return String(value).slice(0, 19);
    default:
      throw new TelcoKpiError(`column ${column.name} has Trino type ${column.type}, which the query engine does not convert; cast it to varchar, bigint, double, decimal or date in the query`);
  }
}

/** `EXECUTE IMMEDIATE '<sql>' USING <literal>, …`: the statement Trino runs for a bound query file. */
export function boundStatement(sql: string, params: readonly SqlValue[]): string {
  const body = sql.trim().replace(/;\s*$/, '');
  const using = params.length > 0 ? ` USING ${params.map((p, i) => toExecutionParameter(p, i)).join(', ')}` : '';
  return `EXECUTE IMMEDIATE '${body.replaceAll("'", "''")}'${using}`;
}

/** The QueryEngine port on Trino: one SQL file from queries/ per run, `?` bound as Athena binds them. */
export class TrinoQueryEngine implements QueryEngine {
  readonly client: TrinoClient;
  /** Queries a report runs at once: Trino, like Athena, plans and schedules each for a while. */
  readonly parallel = 4;

  private readonly queries: QueryFiles;

  constructor(connection: TrinoConnection, queriesDir: string, options: TrinoClientOptions = {}) {
    this.client = new TrinoClient(connection, options);
    this.queries = new QueryFiles(queriesDir, (message, cause) => new ConfigError(message, { cause }));
  }

  async run(name: string, params: readonly SqlValue[]): Promise<Row[]> {
    if (!/^[a-z0-9_]+$/.test(name)) throw new ConfigError(`query name '${name}': expected snake_case letters, digits and _ (a file in queries/)`);
    return this.rows(boundStatement(await this.queries.read(name), params), `${name}.sql`);
  }

  /** Runs ad-hoc SQL (DDL at server start, tests); report code uses `run` with a query file. */
  async runSql(sql: string, label = 'statement'): Promise<Row[]> {
    return this.rows(sql, label);
  }

  async close(): Promise<void> {
    // Stateless over HTTP: nothing to close.
  }

  private async rows(sql: string, label: string): Promise<Row[]> {
    const { columns, rows } = await this.client.execute(sql, label);
    return rows.map((values) => {
      const row: Row = {};
      columns.forEach((column, i) => { row[column.name] = convertTrinoCell(values[i], column); });
      return row;
    });
  }

}
