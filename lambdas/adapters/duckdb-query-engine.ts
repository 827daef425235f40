import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { duckDbOptions } from './duckdb-options.js';
import { QueryFiles } from './query-files.js';
import { TelcoKpiError } from '../core/errors.js';
import type { Columns, QueryEngine, Row, SqlValue } from '../core/ports.js';
import { EXTRACT_TYPES, TABLES, sqlType, type TableDecl } from '../core/extracts/schema.js';

export class QueryFailedError extends TelcoKpiError {}

/**
 * DuckDB over the local Parquet lake: each extract type is a view with Hive partition columns.
 * Queries may run together (the report issues its queries at once): each runs on a connection of
 * its own over one in-memory database, so they share the views and DuckDB's threads.
 */
export class DuckDbQueryEngine implements QueryEngine {
  private instance?: Promise<DuckDBInstance>;
  /** The extract types whose view reads files; a type's lake, once it has a file, keeps files. */
  private readonly withFiles = new Set<string>();
  /** One refresh at a time: two connections replacing the same view would conflict in the catalog. */
  private refreshing: Promise<void> = Promise.resolve();

  /** `home` holds `lake/`; `queriesDir` holds the `.sql` files. */
  private readonly queries: QueryFiles;

  constructor(private readonly home: string, queriesDir: string) {
    this.queries = new QueryFiles(queriesDir, (message, cause) => new QueryFailedError(message, { cause }));
  }

  async run(name: string, params: readonly SqlValue[]): Promise<Row[]> {
    const sql = await this.queries.read(name);
    try {
      return await this.runSql(sql, params);
    } catch (error) {
      throw new QueryFailedError(`query ${name}.sql failed on DuckDB: ${(error as Error).message}`, { cause: error });
    }
  }

  /**
   * `run` with the result as columns: DuckDB's column vectors turned into one array per column,
   * no object per row; values as `run` gives them (bigint → number, dates → text).
   */
  async runColumns(name: string, params: readonly SqlValue[]): Promise<Columns> {
    const sql = await this.queries.read(name);
    let columns: Record<string, unknown[]>;
    try {
      columns = await this.onConnection(async (connection) => (await connection.runAndReadAll(sql, [...params] as never)).getColumnsObjectJS());
    } catch (error) {
      throw new QueryFailedError(`query ${name}.sql failed on DuckDB: ${(error as Error).message}`, { cause: error });
    }
    for (const values of Object.values(columns)) {
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (typeof v !== 'string' && v !== null) values[i] = toSqlValue(v);
      }
    }
    return columns as Columns;
  }

  /** Runs ad-hoc SQL (tests, benchmarks); report code uses `run` with a query file. */
  async runSql(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    return this.onConnection(async (connection) => (await connection.runAndReadAll(sql, [...params] as never)).getRowObjectsJS().map(toRow));
  }

  /** Runs `use` on a connection of its own over the lake's current views, closed after. */
  private async onConnection<T>(use: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    const instance = await this.open();
    await this.refreshViews(instance);
    const connection = await instance.connect();
    try {
      return await use(connection);
    } finally {
      connection.closeSync();
    }
  }

  async close(): Promise<void> {
    const instance = this.instance;
    this.instance = undefined;
    this.withFiles.clear();
    if (instance) (await instance).closeSync();
  }

  private open(): Promise<DuckDBInstance> {
    this.instance ??= DuckDBInstance.create(':memory:', duckDbOptions());
    return this.instance;
  }

  /**
   * Points each extract type's view at its files once the type has any, so files ingested since the
   * last query are seen (the view's glob is expanded on every query); a type without files yet
   * reads as an empty relation of its columns.
   */
  private refreshViews(instance: DuckDBInstance): Promise<void> {
    if (this.withFiles.size === EXTRACT_TYPES.length) return Promise.resolve();
    const refresh = this.refreshing.then(async () => {
      const connection = await instance.connect();
      try {
        for (const type of EXTRACT_TYPES) {
          if (this.withFiles.has(type)) continue;
          const table = TABLES[type];
          const dir = join(this.home, 'lake', type);
          const glob = join(dir, ...table.partitions.map(() => '*'), 'data.parquet');
          const hasFiles = existsSync(dir) && (await connection.runAndReadAll(`select count(*) as n from glob(${literal(glob)})`)).getRowObjectsJS()[0]?.n !== 0n;
          const source = hasFiles
            ? `select * from read_parquet(${literal(glob)}, hive_partitioning = true, hive_types = {${table.partitions.map((p) => `'${p}': VARCHAR`).join(', ')}})`
            : emptySelect(table);
          await connection.run(`create or replace view ${type} as ${source}`);
          if (hasFiles) this.withFiles.add(type);
        }
      } finally {
        connection.closeSync();
      }
    });
    this.refreshing = refresh.catch(() => undefined);
    return refresh;
  }
}

/** A typed, empty relation with the table's columns: an empty lake still answers queries. */
function emptySelect(table: TableDecl): string {
  const columns = table.columns
    .filter((c) => !(table.partitions as readonly string[]).includes(c.name))
    .map((c) => `cast(null as ${sqlType(c.type)}) as ${c.name}`);
  const partitions = table.partitions.map((p) => `cast(null as VARCHAR) as ${p}`);
  return `select ${[...columns, ...partitions].join(', ')} where false`;
}

function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

function toRow(record: Record<string, unknown>): Row {
  const row: Row = {};
  for (const [key, value] of Object.entries(record)) row[key] = toSqlValue(value);
  return row;
}

function toSqlValue(value: unknown): SqlValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  if (value instanceof Date) {
    const iso = value.toISOString();
    return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso.slice(0, 19).replace('T', ' ');
  }
  return String(value);
}
