/**
 * What each report query would scan on Athena, read off the local lake: the partitions a query's
 * `dt`/`month` predicates keep (partition projection prunes the same way), their files and bytes.
 * Column pruning makes Athena's real scan of Parquet smaller: `columnBytes` sums only the column
 * chunks of the columns the query names (an upper bound of the pruned scan).
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { kpiRowsParams, marketShareParams, receivedDaysParams } from '../lambdas/core/kpis/kpis.js';
import { addDays, monthOf, type Period } from '../lambdas/core/period.js';
import { TABLES, type ExtractType } from '../lambdas/core/extracts/schema.js';

/** Athena's price per TB scanned (USD), us-east-1 and most regions. */
export const USD_PER_TB = 5;
/** Athena bills at least 10 MB per query. */
export const MIN_BILLED_BYTES = 10 * 1024 * 1024;

interface Touch { table: ExtractType; from: string; to: string }

export interface QueryScan {
  query: string;
  files: number;
  bytes: number;
  /** Bytes of the column chunks of the columns the query names, in the files touched. */
  columnBytes: number;
}

export interface ReportScan {
  period: string;
  queries: QueryScan[];
  files: number;
  bytes: number;
  columnBytes: number;
  /** Cost at USD_PER_TB of the partition-pruned bytes (each query billed at least 10 MB). */
  usd: number;
  /** The same with column pruning. */
  usdColumns: number;
}

/** The queries a report runs and the partition ranges each touches (from the same parameter builders the report uses). */
function reportTouches(period: Period): Array<{ query: string; touches: Touch[] }> {
  const [, , curEnd, , prevStart] = kpiRowsParams(period, 'ALL') as string[];
  const received = receivedDaysParams(period.start, period.end, 'ALL') as string[];
  const month = period.kind === 'month' ? period.id : monthOf(period.end).id;
  const [cur, , , prev] = marketShareParams(month, 'ALL') as string[];
  return [
    {
      query: 'kpi_rows',
      touches: [
        { table: 'revenue', from: prevStart!, to: curEnd! },
        { table: 'sales', from: prevStart!, to: curEnd! },
        { table: 'service', from: addDays(prevStart!, -1), to: addDays(curEnd!, 1) },
      ],
    },
    {
      query: 'received_days',
      touches: (['sales', 'revenue', 'service'] as const).map((table) => ({ table, from: received[0]!, to: received[1]! })),
    },
    { query: 'market_share', touches: [{ table: 'market', from: prev!, to: cur! }] },
  ];
}

/** Partition files of a table whose dt (or month) lies in [from, to]. */
async function partitionFiles(home: string, touch: Touch): Promise<string[]> {
  const dir = join(home, 'lake', touch.table);
  if (!existsSync(dir)) return [];
  const files: string[] = [];
  for (const part of await readdir(dir)) {
    const value = part.slice(part.indexOf('=') + 1);
    if (value < touch.from || value > touch.to) continue;
    for (const province of await readdir(join(dir, part))) {
      const file = join(dir, part, province, 'data.parquet');
      if (existsSync(file)) files.push(file);
    }
  }
  return files;
}

/** The columns of a table that a query's text names (word match). */
function namedColumns(sql: string, table: ExtractType): string[] {
  return TABLES[table].columns.map((c) => c.name).filter((name) => new RegExp(`\\b${name}\\b`).test(sql));
}

/** Files, bytes and column bytes per query of one report over the lake under `home`. */
export async function reportScan(home: string, period: Period, queriesDir: string): Promise<ReportScan> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const queries: QueryScan[] = [];
  try {
    for (const { query, touches } of reportTouches(period)) {
      const sql = await readFile(join(queriesDir, `${query}.sql`), 'utf8');
      const scan: QueryScan = { query, files: 0, bytes: 0, columnBytes: 0 };
      for (const touch of touches) {
        const files = await partitionFiles(home, touch);
        if (files.length === 0) continue;
        const columns = namedColumns(sql, touch.table);
        scan.files += files.length;
        for (const file of files) scan.bytes += (await stat(file)).size;
        if (columns.length > 0) {
          const list = files.map((f) => `'${f.replaceAll("'", "''")}'`).join(', ');
          const names = columns.map((c) => `'${c}'`).join(', ');
          const reader = await connection.runAndReadAll(
            `select coalesce(sum(total_compressed_size), 0)::bigint as b from parquet_metadata([${list}]) where path_in_schema in (${names})`,
          );
          scan.columnBytes += Number(reader.getRowObjectsJS()[0]!.b);
        }
      }
      queries.push(scan);
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  const billed = (b: number) => Math.max(b, MIN_BILLED_BYTES);
  const tb = 1024 ** 4;
  return {
    period: period.id,
    queries,
    files: queries.reduce((n, q) => n + q.files, 0),
    bytes: queries.reduce((n, q) => n + q.bytes, 0),
    columnBytes: queries.reduce((n, q) => n + q.columnBytes, 0),
    usd: queries.reduce((n, q) => n + (billed(q.bytes) / tb) * USD_PER_TB, 0),
    usdColumns: queries.reduce((n, q) => n + (billed(q.columnBytes) / tb) * USD_PER_TB, 0),
  };
}
