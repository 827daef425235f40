/**
 * What each report query would scan on Athena, read off DuckDB's own plans over the local lake: the
 * report's queries are recorded as computeKpisWithPrevious issues them (every query, its parameters),
 * then each runs once under `EXPLAIN (ANALYZE, FORMAT JSON)`. Every Parquet scan in the plan names
 * its table, the partition filter it pruned files with and the columns it reads; a scan inside a
 * CTE counts once per reference to that CTE, as Trino (and so Athena) inlines a WITH query at each
 * use where DuckDB may read it once. The trino-parity test holds the count to Trino's own distributed
 * plans: equal for every query but market_share, where Trino also drops the branch of a union that a
 * reference's `period = 'cur'` filter rules out (8 modelled, 4 planned): an upper bound. `bytes` sums the whole files a scan keeps (partition pruning
 * alone); `columnBytes` only their column chunks of the columns the scan reads or filters on (Parquet
 * column pruning; an upper bound, as Athena also skips row groups by their statistics).
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDbQueryEngine } from '../lambdas/adapters/duckdb-query-engine.js';
import { PROVINCE_CODES } from '../lambdas/core/extracts/codes.js';
import { EXTRACT_TYPES, TABLES, type ExtractType } from '../lambdas/core/extracts/schema.js';
import { computeKpisWithPrevious } from '../lambdas/core/kpis/kpis.js';
import type { Period } from '../lambdas/core/period.js';
import type { QueryEngine, Row, SqlValue } from '../lambdas/core/ports.js';

/** Athena's price per TB scanned (USD), us-east-1 and most regions. */
export const USD_PER_TB = 5;
/** Athena bills at least 10 MB per query. */
export const MIN_BILLED_BYTES = 10 * 1024 * 1024;

export interface QueryScan {
  query: string;
  /** Parquet scans Athena would run for the query (CTE references counted). */
  scans: number;
  files: number;
  bytes: number;
  /** Bytes of the column chunks of the columns each scan reads, in the files it keeps. */
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

/** One Parquet scan of a plan: what it reads, and how many times Athena would run it. */
export interface PlanScan {
  table: ExtractType;
  /** DuckDB's partition filter (SQL over the Hive columns), when it pruned files. */
  fileFilter?: string;
  /** Columns read or filtered on, Hive partition columns left out (they are in the path, not the file). */
  columns: string[];
  times: number;
}

interface PlanNode {
  operator_name?: string;
  name?: string;
  extra_info?: Record<string, unknown>;
  children?: PlanNode[];
}

/**
 * The Parquet scans of a DuckDB `EXPLAIN (ANALYZE, FORMAT JSON)` plan. A CTE node's first child
 * defines it and its second child uses it; a scan under a definition runs once per reference to
 * that CTE from wherever the references themselves run.
 */
export function planScans(plan: PlanNode): PlanScan[] {
  const found: Array<{ scan: Omit<PlanScan, 'times'>; owner: string }> = [];
  const references: Array<{ cte: string; owner: string }> = [];
  const walk = (node: PlanNode, owner: string) => {
    const name = node.operator_name ?? node.name ?? '';
    const info = node.extra_info ?? {};
    if (name === 'CTE') {
      const [definition, use] = node.children ?? [];
      const index = String(info['Table Index']);
      if (definition) walk(definition, `cte:${index}`);
      if (use) walk(use, owner);
      return;
    }
    if (name === 'CTE_SCAN') references.push({ cte: `cte:${String(info['CTE Index'])}`, owner });
    if (name === 'READ_PARQUET' || (name === 'TABLE_SCAN' && info.Function === 'READ_PARQUET')) {
      const scan = scanOf(info);
      if (scan) found.push({ scan, owner });
    }
    for (const child of node.children ?? []) walk(child, owner);
  };
  walk(plan, 'root');
  const memo = new Map<string, number>([['root', 1]]);
  const times = (owner: string, seen: ReadonlySet<string> = new Set()): number => {
    const known = memo.get(owner);
    if (known !== undefined) return known;
    if (seen.has(owner)) throw new Error(`plan: CTE ${owner} references itself`);
    const n = references.filter((r) => r.cte === owner).reduce((sum, r) => sum + times(r.owner, new Set([...seen, owner])), 0);
    memo.set(owner, n);
    return n;
  };
  return found.map(({ scan, owner }) => ({ ...scan, times: times(owner) })).filter((s) => s.times > 0);
}

function scanOf(info: Record<string, unknown>): Omit<PlanScan, 'times'> | undefined {
  const files = String(info['Filename(s)'] ?? '');
  const table = EXTRACT_TYPES.find((t) => files.includes(`/lake/${t}/`));
  if (!table) {
    // Partition pruning left the scan no file: it reads nothing.
    if (String(info['Total Files Read']) === '0') return undefined;
    throw new Error(`plan: a Parquet scan outside the lake's tables: ${JSON.stringify(info).slice(0, 400)}`);
  }
  const decl = TABLES[table];
  const partitions = new Set<string>(decl.partitions);
  const projected = Array.isArray(info.Projections) ? info.Projections.map(String) : [];
  const filters = String(info.Filters ?? '');
  const columns = decl.columns.map((c) => c.name)
    .filter((name) => !partitions.has(name) && (projected.includes(name) || new RegExp(`\\b${name}\\b`).test(filters)));
  const fileFilter = typeof info['File Filters'] === 'string' ? info['File Filters'] : undefined;
  return { table, ...(fileFilter ? { fileFilter } : {}), columns };
}

/** The Parquet scans of one query as DuckDB runs it with `params` (planScans of its executed plan). */
export async function queryScans(engine: DuckDbQueryEngine, sql: string, params: readonly SqlValue[]): Promise<PlanScan[]> {
  const [explained] = await engine.runSql(`explain (analyze, format json) ${sql}`, params);
  const plan = JSON.parse(String(Object.values(explained ?? {}).at(-1))) as PlanNode | PlanNode[];
  return planScans(Array.isArray(plan) ? plan[0]! : plan);
}

/** Records the queries (and parameters) a report issues, answering them from the engine it wraps. */
function recording(engine: QueryEngine, calls: Array<{ name: string; params: readonly SqlValue[] }>): QueryEngine {
  return {
    run: (name: string, params: readonly SqlValue[]): Promise<Row[]> => {
      calls.push({ name, params });
      return engine.run(name, params);
    },
    close: () => engine.close(),
  };
}

/** Files, bytes and column bytes per query of one report (scope ALL) over the lake under `home`. */
export async function reportScan(home: string, period: Period, queriesDir: string): Promise<ReportScan> {
  const engine = new DuckDbQueryEngine(home, queriesDir);
  const queries: QueryScan[] = [];
  try {
    const calls: Array<{ name: string; params: readonly SqlValue[] }> = [];
    await computeKpisWithPrevious(recording(engine, calls), {
      period, scope: 'ALL', expectedProvinces: PROVINCE_CODES, rejectedUploads: [], now: new Date(`${period.end}T23:00:00Z`),
    });
    const sizes = new Map<string, number>();
    for (const { name, params } of calls) {
      const sql = await readFile(join(queriesDir, `${name}.sql`), 'utf8');
      const scan: QueryScan = { query: name, scans: 0, files: 0, bytes: 0, columnBytes: 0 };
      for (const s of await queryScans(engine, sql, params)) {
        const glob = join(home, 'lake', s.table, ...TABLES[s.table].partitions.map(() => '*'), 'data.parquet');
        const files = (await engine.runSql(
          `select distinct filename as f from read_parquet('${glob.replaceAll("'", "''")}', hive_partitioning = true, filename = true)${s.fileFilter ? ` where ${s.fileFilter}` : ''}`,
        )).map((r) => String(r.f));
        if (files.length === 0) continue;
        let bytes = 0;
        for (const file of files) {
          if (!sizes.has(file)) sizes.set(file, (await stat(file)).size);
          bytes += sizes.get(file)!;
        }
        let columnBytes = 0;
        if (s.columns.length > 0) {
          const list = files.map((f) => `'${f.replaceAll("'", "''")}'`).join(', ');
          const [row] = await engine.runSql(
            `select coalesce(sum(total_compressed_size), 0)::bigint as b from parquet_metadata([${list}]) where path_in_schema in (${s.columns.map((c) => `'${c}'`).join(', ')})`,
          );
          columnBytes = Number(row?.b ?? 0);
        }
        scan.scans += s.times;
        scan.files += files.length * s.times;
        scan.bytes += bytes * s.times;
        scan.columnBytes += columnBytes * s.times;
      }
      queries.push(scan);
    }
  } finally {
    await engine.close();
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
