import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { duckDbOptions } from './duckdb-options.js';
import { QueryFiles } from './query-files.js';
import { TelcoKpiError } from '../core/errors.js';
import type { Columns, QueryEngine, Row, SqlValue } from '../core/ports.js';
import { EXTRACT_TYPES, TABLES, sqlType, type TableDecl } from '../core/extracts/schema.js';

export class QueryFailedError extends TelcoKpiError {}

/** DuckDB over the local Parquet lake: each extract type is a view with Hive partition columns. */
export class DuckDbQueryEngine implements QueryEngine {
  private connection?: DuckDBConnection;
  private instance?: DuckDBInstance;

  /** `home` holds `lake/`; `queriesDir` holds the `.sql` files. */
  private readonly queries: QueryFiles;

  constructor(private readonly home: string, queriesDir: string) {
    this.queries = new QueryFiles(queriesDir, (message, cause) => new QueryFailedError(message, { cause }));
  }

  async run(name: string, params: readonly SqlValue[]): Promise<Row[]> {
    const connection = await this.connect();
    await this.refreshViews(connection);
    const sql = await this.queries.read(name);
    try {
      const reader = await connection.runAndReadAll(sql, [...params] as never);
      return reader.getRowObjectsJS().map(toRow);
    } catch (error) {
      throw new QueryFailedError(`query ${name}.sql failed on DuckDB: ${(error as Error).message}`, { cause: error });
    }
  }

  /**
   * `run` with the result as columns: DuckDB's column vectors turned into one array per column,
   * no object per row; values as `run` gives them (bigint → number, dates → text).
   */
  async runColumns(name: string, params: readonly SqlValue[]): Promise<Columns> {
    const connection = await this.connect();
    await this.refreshViews(connection);
    const sql = await this.queries.read(name);
    let columns: Record<string, unknown[]>;
    try {
      columns = (await connection.runAndReadAll(sql, [...params] as never)).getColumnsObjectJS();
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
    const connection = await this.connect();
    await this.refreshViews(connection);
    const reader = await connection.runAndReadAll(sql, [...params] as never);
    return reader.getRowObjectsJS().map(toRow);
  }

  async close(): Promise<void> {
    this.connection?.closeSync();
    this.instance?.closeSync();
    this.connection = undefined;
    this.instance = undefined;
  }

  private async connect(): Promise<DuckDBConnection> {
    if (!this.connection) {
      this.instance = await DuckDBInstance.create(':memory:', duckDbOptions());
      this.connection = await this.instance.connect();
    }
    return this.connection;
  }


  /** (Re)creates one view per extract type, so files ingested since the last query are seen. */
  private async refreshViews(connection: DuckDBConnection): Promise<void> {
    for (const type of EXTRACT_TYPES) {
      const table = TABLES[type];
      const dir = join(this.home, 'lake', type);
      const glob = join(dir, ...table.partitions.map(() => '*'), 'data.parquet');
      const hasFiles = existsSync(dir) && (await connection.runAndReadAll(`select count(*) as n from glob(${literal(glob)})`)).getRowObjectsJS()[0]?.n !== 0n;
      const source = hasFiles
        ? `select * from read_parquet(${literal(glob)}, hive_partitioning = true, hive_types = {${table.partitions.map((p) => `'${p}': VARCHAR`).join(', ')}})`
        : emptySelect(table);
      await connection.run(`create or replace view ${type} as ${source}`);
    }
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
