/** ParquetEncoder on DuckDB: canonical CSV → typed Parquet (zstd), columns and types from schema.ts. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { duckDbOptions } from './duckdb-options.js';
import type { ParquetEncoder } from '../core/ports.js';
import { sqlType, type TableDecl } from '../core/extracts/schema.js';

const literal = (text: string): string => `'${text.replace(/'/g, "''")}'`;
const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** One DuckDB instance reused across calls; encodes one extract at a time. Call close() when done. */
export class DuckDbParquetEncoder implements ParquetEncoder {
  private connection?: Promise<{ instance: DuckDBInstance; connection: DuckDBConnection }>;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: { tempDir?: string } = {}) {}

  encode(table: TableDecl, normalizedCsv: string | Uint8Array): Promise<Uint8Array> {
    const next = this.queue.then(() => this.encodeNow(table, normalizedCsv));
    this.queue = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    const opened = this.connection;
    this.connection = undefined;
    if (!opened) return;
    await this.queue;
    const { instance, connection } = await opened;
    connection.closeSync();
    instance.closeSync();
  }

  private open() {
    this.connection ??= (async () => {
      const instance = await DuckDBInstance.create(':memory:', duckDbOptions());
      return { instance, connection: await instance.connect() };
    })();
    return this.connection;
  }

  private async encodeNow(table: TableDecl, normalizedCsv: string | Uint8Array): Promise<Uint8Array> {
    const { connection } = await this.open();
    const dir = await mkdtemp(join(this.options.tempDir ?? tmpdir(), 'telco-kpi-parquet-'));
    try {
      const csvPath = join(dir, 'data.csv');
      const parquetPath = join(dir, 'data.parquet');
      await writeFile(csvPath, normalizedCsv);
      const stored = table.columns.filter((c) => !table.partitions.includes(c.name as 'province'));
      const columns = stored.map((c) => `${literal(c.name)}: ${literal(sqlType(c.type))}`).join(', ');
      await connection.run(
        `copy (select ${stored.map((c) => ident(c.name)).join(', ')} from read_csv(${literal(csvPath)}, `
        + `header = true, auto_detect = false, delim = ',', quote = '"', escape = '"', columns = {${columns}})) `
        + `to ${literal(parquetPath)} (format parquet, compression zstd)`,
      );
      return new Uint8Array(await readFile(parquetPath));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
