/**
 * One benchmark step, run in its own child process by bench/run.ts so its peak resident memory
 * (maxRSS) is its own. Takes one JSON argument (a StepRequest) and prints one JSON line (a StepResult).
 */
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { duckDbOptions } from '../lambdas/adapters/duckdb-options.js';
import { DuckDbParquetEncoder } from '../lambdas/adapters/duckdb-parquet-encoder.js';
import { DuckDbQueryEngine } from '../lambdas/adapters/duckdb-query-engine.js';
import { LocalObjectStore } from '../lambdas/adapters/local-object-store.js';
import { OutboxMailer } from '../lambdas/adapters/outbox-mailer.js';
import { QUERIES_DIR } from '../lambdas/config.js';
import { loadSettings, readYamlFiles } from '../lambdas/cli/local-runtime.js';
import { runIncentives } from '../lambdas/core/incentives/job.js';
import { loadPlans } from '../lambdas/core/incentives/plan.js';
import { ingestExtracts } from '../lambdas/core/extracts/ingest.js';
import { validateExtract, type Receipt } from '../lambdas/core/extracts/validate.js';
import { discardingSpool, extractSource } from '../lambdas/cli/commands/extract-args.js';
import { parsePeriod } from '../lambdas/core/period.js';
import type { CanonicalCsv, ParquetEncoder, SqlValue } from '../lambdas/core/ports.js';
import { runReportJob } from '../lambdas/core/report/job.js';
import { EXTRACT_TYPES, sqlType, TABLES, type TableDecl } from '../lambdas/core/extracts/schema.js';

export type StepRequest =
  | { step: 'ingest'; dataDir: string; home: string; validateOnly?: boolean }
  | { step: 'report'; home: string; period: string; provinces: string[]; now: string }
  | { step: 'incentives'; home: string; month: string; provinces: string[]; now: string }
  /** The floor: DuckDB's own read_csv → COPY … PARTITION_BY of every file, one statement per type, no checks. */
  | { step: 'duckdb-copy'; dataDir: string; out: string };

export interface TypeFigures { files: number; rows: number; bytes: number; seconds: number; encodeSeconds: number }

export interface StepResult {
  seconds: number;
  /** Peak resident set size of the child process, MB. */
  maxRssMb: number;
  /** CPU time of the child process (every thread: DuckDB's, zlib's, the collector's) while the step ran, s. */
  cpuSeconds?: number;
  /** Ingest: per extract type. */
  types?: Record<string, TypeFigures>;
  rejected?: number;
  /** Report/incentives: what came out. */
  detail?: Record<string, number | string>;
}

const projectRoot = join(import.meta.dirname, '..');

/** Ingest as the CLI does: ingestExtracts over the files, one type after another (so each type's time is its own). */
async function ingest(request: Extract<StepRequest, { step: 'ingest' }>): Promise<Omit<StepResult, 'maxRssMb'>> {
  const names = (await readdir(request.dataDir)).filter((n) => n.endsWith('.csv')).sort();
  const store = new LocalObjectStore(request.home);
  const inner = new DuckDbParquetEncoder();
  let encodeSeconds = 0;
  const timed = async <T>(work: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    try {
      return await work();
    } finally {
      encodeSeconds += (performance.now() - t) / 1000;
    }
  };
  const encoder: ParquetEncoder = {
    encode: (table: TableDecl, csv: CanonicalCsv) => timed(() => inner.encode(table, csv)),
    encodeMany: (table: TableDecl, csvs: ReadonlyArray<CanonicalCsv>) => timed(() => inner.encodeMany(table, csvs)),
    spool: () => inner.spool(),
  };
  const types: Record<string, TypeFigures> = {};
  let rejected = 0;
  const started = performance.now();
  try {
    for (const type of new Set(names.map((n) => n.slice(0, n.indexOf('_'))))) {
      const figures = (types[type] ??= { files: 0, rows: 0, bytes: 0, seconds: 0, encodeSeconds: 0 });
      const encodeBefore = encodeSeconds;
      const t = performance.now();
      const inputs = (async function* () {
        for (const name of names.filter((n) => n.startsWith(`${type}_`))) {
          // Read as the CLI reads it (extractSource: 1 MB chunks, a window at a time), so the peak is the CLI's.
          const path = join(request.dataDir, name);
          figures.bytes += (await stat(path)).size;
          yield { fileName: name, source: extractSource(path) };
        }
      })();
      const receipts: Receipt[] = [];
      if (request.validateOnly) {
        for await (const input of inputs) receipts.push((await validateExtract(input, { spool: discardingSpool() })).receipt);
      } else {
        for await (const outcome of ingestExtracts({ store, encoder }, inputs)) {
          if ('error' in outcome) throw outcome.error;
          receipts.push(outcome.receipt);
        }
      }
      figures.seconds += (performance.now() - t) / 1000;
      figures.encodeSeconds += encodeSeconds - encodeBefore;
      figures.files += receipts.length;
      figures.rows += receipts.reduce((n, r) => n + r.rowsRead, 0);
      rejected += receipts.filter((r) => r.status === 'rejected').length;
    }
  } finally {
    await inner.close();
  }
  return { seconds: (performance.now() - started) / 1000, types, rejected };
}

/** The run ledger and earlier outputs are removed first, so every run builds and sends afresh. */
async function freshOutputs(home: string): Promise<string> {
  await rm(join(home, 'runs'), { recursive: true, force: true });
  await rm(join(home, 'reports'), { recursive: true, force: true });
  const outbox = join(home, 'bench-outbox');
  await rm(outbox, { recursive: true, force: true });
  return outbox;
}

/** The local adapters a report or incentive step runs on, with a fresh outbox and ledger. */
async function localJob(request: { home: string; provinces: string[]; now: string }) {
  const outbox = await freshOutputs(request.home);
  const base = await loadSettings(join(projectRoot, 'config'));
  return {
    outbox,
    settings: { ...base, provinces: request.provinces },
    store: new LocalObjectStore(request.home),
    engine: new DuckDbQueryEngine(request.home, QUERIES_DIR),
    mailer: new OutboxMailer(outbox),
    notifier: { notify: async () => undefined },
    now: new Date(request.now),
  };
}

/** `engine` with each query's wall time summed by name into `seconds` (the report runs each once). */
function timedEngine(engine: DuckDbQueryEngine, seconds: Map<string, number>): DuckDbQueryEngine {
  return new Proxy(engine, {
    get(target, key, receiver) {
      if (key !== 'run') return Reflect.get(target, key, receiver);
      return async (name: string, params: readonly SqlValue[]) => {
        const t = performance.now();
        try {
          return await target.run(name, params);
        } finally {
          seconds.set(name, (seconds.get(name) ?? 0) + (performance.now() - t) / 1000);
        }
      };
    },
  });
}

async function report(request: Extract<StepRequest, { step: 'report' }>): Promise<Omit<StepResult, 'maxRssMb'>> {
  const { outbox, settings, store, engine, mailer, notifier, now } = await localJob(request);
  const querySeconds = new Map<string, number>();
  const started = performance.now();
  try {
    const outcome = await runReportJob(
      { engine: timedEngine(engine, querySeconds), store, settings, mailer, notifier, now: () => now },
      { period: parsePeriod(request.period), scope: 'ALL', lang: 'zh-CN', send: true },
    );
    const seconds = (performance.now() - started) / 1000;
    const sent = outcome.runs.filter((r) => r.state === 'sent').length;
    if (sent === 0) throw new Error(`report ${request.period} was not sent: ${outcome.runs.map((r) => `${r.state} ${r.error ?? ''}`).join('; ')}`);
    const eml = await readdir(outbox);
    return {
      seconds,
      detail: {
        kpiRows: outcome.artifacts?.kpis.rows.length ?? 0,
        xlsxBytes: outcome.artifacts?.xlsx.length ?? 0,
        emlBytes: (await Promise.all(eml.map((f) => stat(join(outbox, f))))).reduce((n, s) => n + s.size, 0),
        sent,
        // Where a slow report spends its time: each query's seconds, slowest first.
        querySeconds: [...querySeconds].sort((a, b) => b[1] - a[1]).map(([name, s]) => `${name} ${s.toFixed(2)}`).join(', '),
      },
    };
  } finally {
    await engine.close();
  }
}

async function incentives(request: Extract<StepRequest, { step: 'incentives' }>): Promise<Omit<StepResult, 'maxRssMb'>> {
  const { settings, store, engine, mailer, notifier, now } = await localJob(request);
  const plans = loadPlans((await readYamlFiles(join(projectRoot, 'config', 'plans'))).map((f) => ({ name: basename(f.name), text: f.text })));
  const started = performance.now();
  try {
    const result = await runIncentives(
      { engine, store, settings, plans, now: () => now, delivery: { mailer, notifier } },
      { month: request.month, send: true },
    );
    const seconds = (performance.now() - started) / 1000;
    return {
      seconds,
      detail: {
        managers: result.summary.managers,
        lines: result.tally.managers.reduce((n, m) => n + m.lines.length, 0),
        xlsxBytes: result.xlsx.length,
        sent: result.runs.filter((r) => r.state === 'sent').length,
      },
    };
  } finally {
    await engine.close();
  }
}

async function duckDbCopy(request: Extract<StepRequest, { step: 'duckdb-copy' }>): Promise<Omit<StepResult, 'maxRssMb'>> {
  const started = performance.now();
  const names = (await readdir(request.dataDir)).filter((n) => n.endsWith('.csv')).sort();
  await mkdir(request.out, { recursive: true });
  const instance = await DuckDBInstance.create(':memory:', duckDbOptions());
  const connection = await instance.connect();
  const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;
  let rows = 0;
  try {
    for (const type of EXTRACT_TYPES) {
      const files = names.filter((n) => n.startsWith(`${type}_`)).map((n) => literal(join(request.dataDir, n)));
      if (files.length === 0) continue;
      const table = TABLES[type];
      // The columns as declared (no sniffing of each file), read as they are: no checks, no canonical form.
      const columns = table.columns.filter((c) => !c.derived).map((c) => `${literal(c.name)}: ${literal(sqlType(c.type))}`).join(', ');
      const day = table.dayColumn ?? (type === 'service' ? 'cast(opened_at as date)' : undefined);
      const partitions = table.partitions.includes('month') ? 'month, province' : day ? 'dt, province' : 'province';
      const result = await connection.run(
        `copy (select *${day && !table.partitions.includes('month') ? `, ${day} as dt` : ''} from read_csv([${files.join(', ')}], header = true, auto_detect = false, columns = {${columns}})) `
        + `to ${literal(join(request.out, type))} (format parquet, compression zstd, partition_by (${partitions}), overwrite_or_ignore)`,
      );
      rows += Number(result.rowsChanged);
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  return { seconds: (performance.now() - started) / 1000, detail: { files: names.length, rows } };
}

async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2] ?? '{}') as StepRequest;
  const cpu = process.cpuUsage();
  const result = request.step === 'ingest' ? await ingest(request)
    : request.step === 'report' ? await report(request)
      : request.step === 'duckdb-copy' ? await duckDbCopy(request)
        : await incentives(request);
  const used = process.cpuUsage(cpu);
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`${JSON.stringify({ ...result, maxRssMb, cpuSeconds: (used.user + used.system) / 1e6 })}\n`);
}

await main();
