/** Reads stored Parquet bytes back with DuckDB, to say which upload a partition holds. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

/** The rows of a Parquet object as JSON-safe objects (throws when the bytes are not whole Parquet). */
export async function parquetRows(bytes: Uint8Array, orderBy: string): Promise<Array<Record<string, unknown>>> {
  const dir = await mkdtemp(join(tmpdir(), 'telco-kpi-parquet-'));
  const file = join(dir, 'data.parquet');
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await writeFile(file, bytes);
    const reader = await connection.runAndReadAll(`select * from read_parquet('${file}') order by ${orderBy}`);
    return reader.getRowObjectsJson() as Array<Record<string, unknown>>;
  } finally {
    connection.closeSync();
    instance.closeSync();
    await rm(dir, { recursive: true, force: true });
  }
}
