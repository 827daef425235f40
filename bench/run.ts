/**
 * `npm run bench [-- --full] [-- --only SIZE,…]`: generates sample extracts at growing sizes, then
 * measures ingest, the weekly and monthly report (queries + workbook + e-mail) and the monthly
 * incentive tally, each step in its own child process (its peak RSS is its own), over several
 * runs. Prints a table and the cost curves, and writes bench/results.json.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { QUERIES_DIR } from '../lambdas/config.js';
import { PROVINCE_CODES, type Province } from '../lambdas/core/extracts/codes.js';
import { TABLES } from '../lambdas/core/extracts/schema.js';
import { addDays, parsePeriod } from '../lambdas/core/period.js';
import { generateSample, sampleFileCount, type SampleOptions } from '../lambdas/core/sample/sample.js';
import { reportScan, USD_PER_TB, type ReportScan } from './scan.js';
import type { StepRequest, StepResult } from './step.js';

const benchDir = import.meta.dirname;
const projectRoot = join(benchDir, '..');
const dataRoot = join(benchDir, 'data');
const stepScript = join(benchDir, 'step.ts');

interface Size {
  name: string;
  label: string;
  /** Sample options; `bigFile` instead builds one sales file of that many rows. */
  sample?: SampleOptions;
  bigFile?: number;
  ingestRuns: number;
  weekly?: { period: string; runs: number };
  monthly?: { period: string; runs: number };
  incentives?: { month: string; runs: number };
  full?: boolean;
}

const ALL = PROVINCE_CODES as Province[];
const SEED = 20261101;

const SIZES: Size[] = [
  {
    name: 'province-month', label: 'province-month (JL, province scale, 30 days)',
    sample: { from: '2026-11-01', days: 30, provinces: ['JL'], seed: SEED, scale: 'province' },
    ingestRuns: 3, weekly: { period: '2026-W47', runs: 5 }, monthly: { period: '2026-11', runs: 3 }, incentives: { month: '2026-11', runs: 3 },
  },
  {
    name: 'national-week', label: 'national week (31 provinces, 7 days)',
    sample: { from: '2026-11-16', days: 7, provinces: ALL, seed: SEED, scale: 'national' },
    ingestRuns: 2, weekly: { period: '2026-W47', runs: 3 },
  },
  {
    name: 'national-month', label: 'national month (31 provinces, 30 days)',
    sample: { from: '2026-11-01', days: 30, provinces: ALL, seed: SEED, scale: 'national' },
    ingestRuns: 1, weekly: { period: '2026-W47', runs: 3 }, monthly: { period: '2026-11', runs: 3 }, incentives: { month: '2026-11', runs: 3 },
  },
  // The ingest memory step: peak RSS of one big file, flat or not in its size.
  { name: 'sales-1m', label: 'one sales file, 1 M rows', bigFile: 1_000_000, ingestRuns: 3 },
  { name: 'sales-2m', label: 'one sales file, 2 M rows', bigFile: 2_000_000, ingestRuns: 3 },
  {
    name: 'national-year', label: 'national year (31 provinces, 365 days)', full: true,
    sample: { from: '2026-01-01', days: 365, provinces: ALL, seed: SEED, scale: 'national' },
    ingestRuns: 1, weekly: { period: '2026-W47', runs: 1 }, monthly: { period: '2026-11', runs: 1 }, incentives: { month: '2026-11', runs: 1 },
  },
];

/** Free bytes the national year needs: ≈ 25 GB of CSV and its lake, with room to spare. */
const YEAR_NEEDS_BYTES = 45 * 1024 ** 3;

interface StepRow {
  size: string;
  step: string;
  runs: number;
  /** Rows processed (ingest) or rows in the lake (reports, incentives). */
  rows: number;
  bytes: number;
  seconds: { min: number; median: number; max: number };
  rowsPerSecond?: number;
  mbPerSecond?: number;
  maxRssMb: number;
  /** Peak RSS of each run: min/median/max over the runs. */
  rssMb?: { min: number; median: number; max: number };
  /** CPU seconds of the median run's process (all threads); over the wall time, the cores it kept busy. */
  cpuSeconds?: number;
  detail?: Record<string, unknown>;
}

const started = Date.now();
const progress = (text: string) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${text}\n`);

/** A step that runs longer than this is stopped and recorded as timed out, so the default run stays bounded. */
const STEP_LIMIT_SECONDS = 180;

function runStep(request: StepRequest, limitSeconds = Infinity): Promise<StepResult & { timedOut?: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', stepScript, JSON.stringify(request)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    let timedOut = false;
    const timer = Number.isFinite(limitSeconds) ? setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, limitSeconds * 1000) : undefined;
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (timedOut) return resolve({ seconds: limitSeconds, maxRssMb: Number.NaN, timedOut: true });
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0) return reject(new Error(`step ${request.step} exited with ${code}: ${out.slice(-500)}`));
      resolve(JSON.parse(line) as StepResult);
    });
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const stats = (xs: number[]) => ({ min: Math.min(...xs), median: median(xs), max: Math.max(...xs) });
/** The run whose seconds are the median (the lower middle one of an even count). */
const medianRun = <T>(runs: readonly T[], seconds: readonly number[]): T => {
  const order = seconds.map((_, i) => i).sort((a, b) => seconds[a]! - seconds[b]!);
  return runs[order[(order.length - 1) >> 1]!]!;
};

/** Writes the size's extracts once (kept under bench/data, reused while the options are the same). */
async function ensureData(size: Size): Promise<string> {
  const dir = join(dataRoot, size.name, 'extracts');
  const marker = join(dataRoot, size.name, 'extracts.json');
  const wanted = JSON.stringify(size.sample ?? { bigFile: size.bigFile });
  if (existsSync(marker) && (await readFile(marker, 'utf8')) === wanted) return dir;
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const t = performance.now();
  if (size.sample) {
    const total = sampleFileCount(size.sample);
    let files = 0;
    for (const file of generateSample(size.sample)) {
      await writeFile(join(dir, file.fileName), file.content);
      if (++files % 200 === 0) progress(`${size.name}: generated ${files}/${total} files`);
    }
  } else {
    await writeFile(join(dir, 'sales_GD_20261118.csv'), bigSalesFile(size.bigFile!));
  }
  progress(`${size.name}: data generated in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  await writeFile(marker, wanted);
  return dir;
}

/** One GD sales day repeated with renamed event ids until it has `rows` rows. */
function bigSalesFile(rows: number): Buffer {
  const day = [...generateSample({ from: '2026-11-18', days: 1, provinces: ['GD'], seed: SEED, scale: 'national' })].find((f) => f.type === 'sales')!;
  const lines = day.content.trimEnd().split('\n');
  const header = lines.shift()!;
  const parts: string[] = [header, '\n'];
  for (let i = 0, copy = 0; i < rows; copy++) {
    for (const line of lines) {
      if (i++ >= rows) break;
      parts.push(`r${copy}-`, line, '\n');
    }
  }
  return Buffer.from(parts.join(''));
}

function freeBytes(path: string): number {
  const out = execFileSync('df', ['-Pk', path], { encoding: 'utf8' }).trim().split('\n').pop()!.split(/\s+/);
  return Number(out[3]) * 1024;
}

async function benchSize(size: Size, rows: StepRow[], scans: Record<string, ReportScan[]>): Promise<void> {
  const extracts = await ensureData(size);
  const home = join(dataRoot, size.name, 'home');
  const results: StepResult[] = [];
  for (let run = 1; run <= size.ingestRuns; run++) {
    const runHome = `${home}-run`;
    await rm(runHome, { recursive: true, force: true });
    progress(`${size.name}: ingest run ${run}/${size.ingestRuns}…`);
    const result = await runStep({ step: 'ingest', dataDir: extracts, home: runHome });
    const r = result.types ?? {};
    const total = Object.values(r).reduce((a, t) => ({ rows: a.rows + t.rows, bytes: a.bytes + t.bytes }), { rows: 0, bytes: 0 });
    progress(`${size.name}: ingest run ${run}: ${total.rows} rows in ${result.seconds.toFixed(1)} s = ${Math.round(total.rows / result.seconds)} rows/s, maxRSS ${result.maxRssMb.toFixed(0)} MB, CPU ${fmt(result.cpuSeconds ?? Number.NaN, 1)} s`
      + (r.sales ? `; sales ${Math.round(r.sales.rows / r.sales.seconds)} rows/s (encode ${r.sales.encodeSeconds.toFixed(1)} of ${r.sales.seconds.toFixed(1)} s)` : ''));
    if (result.rejected) throw new Error(`${size.name}: ${result.rejected} file(s) rejected by ingest`);
    results.push(result);
    await rm(home, { recursive: true, force: true });
    await rename(runHome, home);
  }
  const types = Object.keys(results[0]!.types ?? {});
  const lakeRows = types.reduce((n, t) => n + results[0]!.types![t]!.rows, 0);
  const lakeBytes = types.reduce((n, t) => n + results[0]!.types![t]!.bytes, 0);
  // The CPU seconds are the whole step's: they go on the all-types row only, not on a type's.
  const ingestRow = (step: string, pick: (r: StepResult) => { rows: number; bytes: number; seconds: number; encodeSeconds: number }, wholeStep = false): StepRow => {
    const picked = results.map(pick);
    const s = stats(picked.map((p) => p.seconds));
    return {
      size: size.name, step, runs: results.length, rows: picked[0]!.rows, bytes: picked[0]!.bytes, seconds: s,
      rowsPerSecond: picked[0]!.rows / s.median, mbPerSecond: picked[0]!.bytes / 1024 ** 2 / s.median,
      maxRssMb: Math.max(...results.map((r) => r.maxRssMb)), rssMb: stats(results.map((r) => r.maxRssMb)),
      ...(wholeStep ? { cpuSeconds: medianRun(results, picked.map((p) => p.seconds)).cpuSeconds } : {}),
      detail: { encodeSeconds: median(picked.map((p) => p.encodeSeconds)) },
    };
  };
  rows.push(ingestRow('ingest (all types)', (r) => Object.values(r.types!).reduce(
    (a, t) => ({ rows: a.rows + t.rows, bytes: a.bytes + t.bytes, seconds: a.seconds + t.seconds, encodeSeconds: a.encodeSeconds + t.encodeSeconds }),
    { rows: 0, bytes: 0, seconds: 0, encodeSeconds: 0 },
  ), true));
  if (types.includes('sales')) rows.push(ingestRow('ingest sales', (r) => r.types!.sales!));

  const provinces = size.sample?.provinces ?? ['GD'];
  const timed = async (step: string, runs: number, request: StepRequest) => {
    const got: Array<StepResult & { timedOut?: boolean }> = [];
    for (let run = 1; run <= runs; run++) {
      progress(`${size.name}: ${step} run ${run}/${runs}…`);
      const result = await runStep(request, STEP_LIMIT_SECONDS);
      if (result.timedOut) {
        progress(`${size.name}: ${step} run ${run}: stopped after ${STEP_LIMIT_SECONDS} s (timed out); no more runs of this step`);
        got.push(result);
        break;
      }
      progress(`${size.name}: ${step} run ${run}: ${result.seconds.toFixed(2)} s, maxRSS ${result.maxRssMb.toFixed(0)} MB, CPU ${fmt(result.cpuSeconds ?? Number.NaN, 1)} s ${JSON.stringify(result.detail ?? {})}`);
      got.push(result);
    }
    const s = stats(got.map((g) => g.seconds));
    const timedOut = got.some((g) => g.timedOut);
    rows.push({
      size: size.name, step: timedOut ? `${step} (TIMED OUT > ${STEP_LIMIT_SECONDS} s)` : step, runs: got.length, rows: lakeRows, bytes: lakeBytes, seconds: s,
      maxRssMb: timedOut ? Number.NaN : Math.max(...got.map((g) => g.maxRssMb)), detail: got[got.length - 1]!.detail,
      ...(timedOut ? {} : { rssMb: stats(got.map((g) => g.maxRssMb)), cpuSeconds: medianRun(got, got.map((g) => g.seconds)).cpuSeconds }),
    });
  };
  const after = (period: string) => `${addDays(parsePeriod(period).end, 3)}T02:00:00Z`;
  if (size.weekly) {
    await timed(`weekly report ${size.weekly.period}`, size.weekly.runs, { step: 'report', home, period: size.weekly.period, provinces, now: after(size.weekly.period) });
    (scans[size.name] ??= []).push(await reportScan(home, parsePeriod(size.weekly.period), QUERIES_DIR));
  }
  if (size.monthly) {
    await timed(`monthly report ${size.monthly.period}`, size.monthly.runs, { step: 'report', home, period: size.monthly.period, provinces, now: after(size.monthly.period) });
    (scans[size.name] ??= []).push(await reportScan(home, parsePeriod(size.monthly.period), QUERIES_DIR));
  }
  if (size.incentives) {
    await timed(`incentives ${size.incentives.month}`, size.incentives.runs, { step: 'incentives', home, month: size.incentives.month, provinces, now: after(size.incentives.month) });
  }
}

function machine() {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    ramGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    date: new Date().toISOString(),
  };
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function table(rows: StepRow[]): string {
  const head = ['size', 'step', 'runs', 'rows', 'MB', 'min s', 'median s', 'max s', 'CPU s', 'rows/s', 'MB/s', 'peak RSS MB', 'RSS min–median–max'];
  const body = rows.map((r) => [
    r.size, r.step, String(r.runs), fmt(r.rows), fmt(r.bytes / 1024 ** 2, 1),
    fmt(r.seconds.min, 2), fmt(r.seconds.median, 2), fmt(r.seconds.max, 2), r.cpuSeconds === undefined ? '' : fmt(r.cpuSeconds, 1),
    r.rowsPerSecond ? fmt(r.rowsPerSecond) : '', r.mbPerSecond ? fmt(r.mbPerSecond, 1) : '', Number.isNaN(r.maxRssMb) ? '?' : fmt(r.maxRssMb),
    r.rssMb ? `${fmt(r.rssMb.min)}–${fmt(r.rssMb.median)}–${fmt(r.rssMb.max)}` : '',
  ]);
  return markdown(head, body);
}

function markdown(head: string[], body: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [line(head), `|${widths.map((w, i) => (i < 2 ? `${'-'.repeat(w + 1)}-` : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...body.map(line)].join('\n');
}

interface CurvePoint { size: string; rows: number; seconds: number; secondsPerMillionRows: number; maxRssMb: number }

/** Per step kind: rows vs median seconds across sizes, and seconds per million rows (flat = linear). */
function curves(rows: StepRow[]): Record<string, CurvePoint[]> {
  const out: Record<string, CurvePoint[]> = {};
  for (const r of rows) {
    if (r.step.includes('TIMED OUT')) continue;
    const family = r.size.startsWith('sales-') ? ' (one big file)' : '';
    const kind = `${r.step.replace(/ \d{4}-(W\d{2}|\d{2})$/, '')}${family}`;
    (out[kind] ??= []).push({ size: r.size, rows: r.rows, seconds: r.seconds.median, secondsPerMillionRows: r.seconds.median / (r.rows / 1e6), maxRssMb: r.maxRssMb });
  }
  for (const points of Object.values(out)) points.sort((a, b) => a.rows - b.rows);
  return out;
}

function curveText(c: Record<string, CurvePoint[]>): string {
  const lines: string[] = [];
  for (const [kind, points] of Object.entries(c)) {
    if (points.length < 2) continue;
    const first = points[0]!;
    const last = points[points.length - 1]!;
    const growth = (last.seconds / first.seconds) / (last.rows / first.rows);
    lines.push(`${kind}: ${points.map((p) => `${fmt(p.rows / 1e6, 2)} M rows → ${fmt(p.seconds, 2)} s (${fmt(p.secondsPerMillionRows, 2)} s/M rows, ${fmt(p.maxRssMb)} MB)`).join('; ')}`);
    lines.push(`  time grew ${fmt(last.seconds / first.seconds, 1)}× for ${fmt(last.rows / first.rows, 1)}× the rows: ${growth > 1.3 ? 'SUPER-LINEAR' : growth < 0.7 ? 'sub-linear' : 'about linear'} (${fmt(growth, 2)})`);
  }
  return lines.join('\n');
}

function scanText(scans: Record<string, ReportScan[]>): string {
  const lines: string[] = [];
  for (const [size, list] of Object.entries(scans)) {
    for (const s of list) {
      const per = s.queries.map((q) => `${q.query} ${q.scans} scans ${q.files} files ${fmt(q.bytes / 1024 ** 2, 1)} MB (columns ${fmt(q.columnBytes / 1024 ** 2, 1)} MB)`).join('; ');
      lines.push(`${size} ${s.period}: ${s.files} files, ${fmt(s.bytes / 1024 ** 2, 1)} MB after partition pruning → ${fmt(s.usd, 4)} USD at ${USD_PER_TB} USD/TB; `
        + `${fmt(s.columnBytes / 1024 ** 2, 1)} MB with column pruning → ${fmt(s.usdColumns, 4)} USD   [${per}]`);
    }
  }
  return lines.join('\n');
}

/**
 * The side-by-side of issue 14: what a user compares us with. The same extracts through
 * `telco-kpi ingest DIR` + `telco-kpi report --week` (the compiled CLI, each a process of its own,
 * start included), an analyst's pandas script (bench/pandas_peer.py: the same reads, checks and the
 * week's KPIs) and DuckDB's raw read_csv → COPY … PARTITION_BY (no checks: the floor).
 */
const SIDE_BY_SIDE: Size & { week: string; runs: number } = {
  name: 'side-by-side', label: 'side by side (4 provinces, 21 days, province scale)',
  sample: { from: '2026-11-02', days: 21, provinces: ['GD', 'JL', 'SC', 'ZJ'], seed: SEED, scale: 'province' },
  ingestRuns: 0, week: '2026-W47', runs: 3,
};

const TARGETS = { cliStartSeconds: 0.4, oursOverPandas: 0.5, ingestOverFloor: 2 };

interface Timed { seconds: number; code: number | null; stdout: string; stderr: string }

/** Runs a process to its end; wall time from spawn to exit (its start-up included, as a user waits for it). */
function timeProcess(command: string, args: string[], cwd = projectRoot): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ seconds: (performance.now() - t) / 1000, code, stdout, stderr }));
  });
}

/** The extract schemas as the pandas peer reads them: columns, kinds, bounds and every accepted spelling of each code. */
function peerSchema(): Record<string, unknown> {
  return Object.fromEntries(Object.values(TABLES).map((t) => [t.name, {
    key: t.key, dayColumn: t.dayColumn,
    columns: t.columns.map((c) => ({
      name: c.name, kind: c.type.kind, required: c.required, derived: c.derived ?? false,
      ...(c.type.kind === 'code' ? { accepted: Object.entries(c.type.list.codes).flatMap(([code, v]) => [code, v.zh, ...(v.aliases ?? [])]) } : {}),
      ...(c.type.kind === 'integer' ? { min: c.type.min, max: c.type.max } : {}),
      ...(c.type.kind === 'money' ? { signed: c.type.signed ?? false } : {}),
      ...(c.type.kind === 'string' ? { maxLength: c.type.maxLength } : {}),
    })),
  }]));
}

type Stats = { min: number; median: number; max: number };
interface SideBySide {
  label: string; files: number; rows: number; mb: number;
  cli: { nodeHelp: Stats; npxHelp: Stats };
  ingest: Stats; report: Stats; ours: Stats; floor: Stats; pandas?: Stats; pandasUnavailable?: string;
}

async function sideBySide(): Promise<SideBySide> {
  const size = SIDE_BY_SIDE;
  progress(`== ${size.label}`);
  const extracts = await ensureData(size);
  const names = (await readdir(extracts)).filter((n) => n.endsWith('.csv'));
  const mb = (await Promise.all(names.map((n) => stat(join(extracts, n))))).reduce((a, s) => a + s.size, 0) / 1024 ** 2;
  const build = await timeProcess(process.execPath, [join(projectRoot, 'scripts', 'build.mjs')]);
  if (build.code !== 0) throw new Error(`npm run build failed: ${build.stderr}`);
  const cli = join(projectRoot, 'bin', 'telco-kpi.js');

  const nodeHelp: number[] = [];
  const npxHelp: number[] = [];
  for (let i = 0; i < 10; i++) {
    const r = await timeProcess(process.execPath, [cli, '--help']);
    if (r.code !== 0 || r.stderr) throw new Error(`telco-kpi --help: exit ${r.code} ${r.stderr}`);
    nodeHelp.push(r.seconds);
  }
  for (let i = 0; i < 3; i++) npxHelp.push((await timeProcess('npx', ['--no-install', 'telco-kpi', '--help'])).seconds);
  progress(`CLI start: node bin/telco-kpi.js --help ${fmt(median(nodeHelp), 2)} s, npx telco-kpi --help ${fmt(median(npxHelp), 2)} s (medians)`);

  const schemaPath = join(dataRoot, size.name, 'schema.json');
  await writeFile(schemaPath, JSON.stringify(peerSchema()));
  const week = parsePeriod(size.week);
  const home = join(dataRoot, size.name, 'home');
  const floorOut = join(dataRoot, size.name, 'floor');
  const ingest: number[] = []; const report: number[] = []; const floor: number[] = []; const pandas: number[] = [];
  let pandasUnavailable: string | undefined;
  let rows = 0;
  for (let run = 1; run <= size.runs; run++) {
    await rm(home, { recursive: true, force: true });
    const i = await timeProcess(process.execPath, [cli, 'ingest', extracts, '--home', home]);
    if (i.code !== 0) throw new Error(`telco-kpi ingest exited ${i.code}: ${i.stdout.slice(-500)} ${i.stderr.slice(-500)}`);
    const r = await timeProcess(process.execPath, [cli, 'report', '--week', size.week, '--home', home]);
    if (r.code !== 0) throw new Error(`telco-kpi report exited ${r.code}: ${r.stderr.slice(-500)}`);
    ingest.push(i.seconds); report.push(r.seconds);
    await rm(floorOut, { recursive: true, force: true });
    const f = await runStep({ step: 'duckdb-copy', dataDir: extracts, out: floorOut });
    floor.push(f.seconds);
    rows = Number(f.detail?.rows ?? 0);
    const p = await timeProcess('python3', [join(benchDir, 'pandas_peer.py'), schemaPath, extracts, week.start, week.end]).catch((error: Error) => ({ seconds: 0, code: -1, stdout: JSON.stringify({ unavailable: `python3: ${error.message}` }), stderr: '' }));
    const peer = JSON.parse(p.stdout.trim().split('\n').pop() || '{}') as { unavailable?: string; problems?: number };
    if (peer.unavailable) pandasUnavailable = peer.unavailable;
    else if (p.code !== 0) throw new Error(`pandas peer exited ${p.code}: ${p.stderr.slice(-500)}`);
    else pandas.push(p.seconds);
    progress(`side by side run ${run}: telco-kpi ingest ${fmt(i.seconds, 2)} s + report ${fmt(r.seconds, 2)} s; DuckDB raw copy ${fmt(f.seconds, 2)} s; `
      + (pandasUnavailable ? `pandas: ${pandasUnavailable}` : `pandas ${fmt(p.seconds, 2)} s (${peer.problems} problems found)`));
  }
  await rm(floorOut, { recursive: true, force: true });
  const ours = ingest.map((s, k) => s + report[k]!);
  return {
    label: size.label, files: names.length, rows, mb,
    cli: { nodeHelp: stats(nodeHelp), npxHelp: stats(npxHelp) },
    ingest: stats(ingest), report: stats(report), ours: stats(ours), floor: stats(floor),
    ...(pandas.length ? { pandas: stats(pandas) } : {}), ...(pandasUnavailable ? { pandasUnavailable } : {}),
  };
}

function sideBySideText(r: SideBySide): string {
  const m = (s: Stats) => `${fmt(s.median, 2)} s (${fmt(s.min, 2)}–${fmt(s.max, 2)})`;
  const lines = [
    `Side by side: ${r.label}: ${r.files} files, ${fmt(r.rows)} rows, ${fmt(r.mb, 1)} MB CSV; median (min–max) of ${SIDE_BY_SIDE.runs} runs`,
    `  CLI start, node bin/telco-kpi.js --help: ${m(r.cli.nodeHelp)}; target ≤ ${TARGETS.cliStartSeconds} s: ${r.cli.nodeHelp.median <= TARGETS.cliStartSeconds ? 'met' : `missed by ${fmt(r.cli.nodeHelp.median - TARGETS.cliStartSeconds, 2)} s`}`,
    `  CLI start, npx telco-kpi --help:         ${m(r.cli.npxHelp)} (npm's own start included)`,
    `  telco-kpi ingest DIR:                    ${m(r.ingest)}`,
    `  telco-kpi report --week:                 ${m(r.report)}`,
    `  telco-kpi ingest + report:               ${m(r.ours)}`,
    `  DuckDB raw CSV → Parquet copy (floor):   ${m(r.floor)}; ingest / floor = ${fmt(r.ingest.median / r.floor.median, 1)}× (target ≤ ${TARGETS.ingestOverFloor}×)`,
  ];
  if (r.pandas) {
    const ratio = r.ours.median / r.pandas.median;
    const target = r.pandas.median * TARGETS.oursOverPandas;
    lines.push(`  pandas script (bench/pandas_peer.py):    ${m(r.pandas)}; ours / pandas = ${fmt(ratio, 2)} (${ratio <= 1 ? `${fmt(1 / ratio, 1)}× faster` : `${fmt(ratio, 1)}× slower`});`
      + ` target 2× faster (≤ ${fmt(target, 2)} s): ${r.ours.median <= target ? 'met' : `missed by ${fmt(r.ours.median - target, 2)} s`}; 5× faster would be ≤ ${fmt(r.pandas.median / 5, 2)} s`);
    // What the target asks of the ingest alone: the report's own seconds are spent whatever the ingest does.
    const atFloor = r.floor.median + r.report.median;
    lines.push(`  an ingest as fast as the floor would give ${fmt(atFloor, 2)} s with this report: the target ${atFloor <= target ? `leaves the ingest ${fmt(target - r.report.median, 2)} s` : 'is out of reach without a faster report'}`);
  } else {
    lines.push(`  pandas script: not run (${r.pandasUnavailable})`);
  }
  return lines.join('\n');
}

interface ColdStart { file: string; rows: number; bundleKb: number; runs: number; modulesLoaded: Stats; receiptWritten: Stats; processExit: Stats }

const COLD_RUNS = 5;

/**
 * Lambda cold start of the ingest path, locally: bench/cold-ingest.ts bundled as the CDK bundles the
 * ingest handler, run COLD_RUNS times in a fresh node process each, one province-day sales file
 * into an empty local store. Figures: process start → modules loaded, → first receipt written
 * (what the function's first invocation pays before it answers), and spawn → exit.
 */
async function coldStart(): Promise<ColdStart> {
  progress('== cold start of the ingest bundle');
  const { build } = await import('esbuild');
  const { ESBUILD_DEFAULTS } = await import('../infra/pipeline-function.js');
  const dir = join(dataRoot, 'cold-start');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const bundle = join(dir, 'index.mjs');
  await build({
    entryPoints: [join(benchDir, 'cold-ingest.ts')], outfile: bundle, bundle: true, platform: 'node',
    target: 'node20', format: ESBUILD_DEFAULTS.format, minify: ESBUILD_DEFAULTS.minify, keepNames: ESBUILD_DEFAULTS.keepNames,
    sourcemap: ESBUILD_DEFAULTS.sourcemap, banner: { js: ESBUILD_DEFAULTS.banner }, external: [...ESBUILD_DEFAULTS.external, '@duckdb/node-api'],
    nodePaths: [join(projectRoot, 'node_modules')], logLevel: 'silent',
  });
  const day = [...generateSample({ from: '2026-11-18', days: 1, provinces: ['JL'], seed: SEED, scale: 'province' })].find((f) => f.type === 'sales')!;
  const file = join(dir, day.fileName);
  await writeFile(file, day.content);
  const loaded: number[] = [];
  const receipt: number[] = [];
  const exit: number[] = [];
  let rows = 0;
  for (let run = 1; run <= COLD_RUNS; run++) {
    const home = join(dir, `home-${run}`);
    // The bundle sits outside node_modules' tree: NODE_PATH finds the DuckDB binding as the Lambda's node_modules would.
    const t = performance.now();
    const child = spawn(process.execPath, [bundle, home, file], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_PATH: join(projectRoot, 'node_modules') } });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    exit.push((performance.now() - t) / 1000);
    if (code !== 0) throw new Error(`cold-start run ${run} exited with ${code}: ${out}`);
    const r = JSON.parse(out.trim().split('\n').pop()!) as { status: string; rows: number; loadedMs: number; receiptMs: number };
    if (r.status !== 'accepted') throw new Error(`cold-start run ${run}: the file was ${r.status}`);
    rows = r.rows;
    loaded.push(r.loadedMs / 1000);
    receipt.push(r.receiptMs / 1000);
    progress(`cold start run ${run}/${COLD_RUNS}: modules ${fmt(r.loadedMs / 1000, 2)} s, receipt ${fmt(r.receiptMs / 1000, 2)} s, exit ${fmt(exit[exit.length - 1]!, 2)} s`);
  }
  return {
    file: day.fileName, rows, bundleKb: (await stat(bundle)).size / 1024, runs: COLD_RUNS,
    modulesLoaded: stats(loaded), receiptWritten: stats(receipt), processExit: stats(exit),
  };
}

function coldStartText(c: ColdStart): string {
  const m = (s: Stats) => `${fmt(s.median, 2)} s (${fmt(s.min, 2)}–${fmt(s.max, 2)})`;
  return [
    `Cold start of the ingest bundle (${fmt(c.bundleKb)} KiB, esbuild as the CDK builds it; ${c.file}, ${fmt(c.rows)} rows; ${c.runs} fresh processes, median (min–max)):`,
    `  process start → modules loaded: ${m(c.modulesLoaded)}`,
    `  process start → first receipt written: ${m(c.receiptWritten)}`,
    `  spawn → exit (DuckDB closed): ${m(c.processExit)}`,
  ].join('\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const full = args.includes('--full');
  const onlyAt = args.indexOf('--only');
  const only = onlyAt >= 0 ? new Set((args[onlyAt + 1] ?? '').split(',')) : undefined;
  await mkdir(dataRoot, { recursive: true });
  let sizes = SIZES.filter((s) => (only ? only.has(s.name) : !s.full || full));
  if (full && sizes.some((s) => s.full) && freeBytes(dataRoot) < YEAR_NEEDS_BYTES) {
    progress(`--full: only ${fmt(freeBytes(dataRoot) / 1024 ** 3, 1)} GB free under ${dataRoot}; the national year needs ${YEAR_NEEDS_BYTES / 1024 ** 3} GB: skipped`);
    sizes = sizes.filter((s) => !s.full);
  }
  const rows: StepRow[] = [];
  const scans: Record<string, ReportScan[]> = {};
  const side = !only || only.has(SIDE_BY_SIDE.name) ? await sideBySide() : undefined;
  const cold = !only || only.has('cold-start') ? await coldStart() : undefined;
  for (const size of sizes) {
    progress(`== ${size.label}`);
    await benchSize(size, rows, scans);
  }
  const c = curves(rows);
  const results = { machine: machine(), totalSeconds: (Date.now() - started) / 1000, args, sizes: sizes.map((s) => ({ name: s.name, label: s.label })), steps: rows, curves: c, athena: scans, sideBySide: side, coldStart: cold };
  await writeFile(join(benchDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  const m = results.machine;
  console.log(`\nMachine: ${m.cpu}, ${m.cores} cores, ${m.ramGb} GB RAM, Node ${m.node}, ${m.date}\n`);
  if (side) console.log(`${sideBySideText(side)}\n`);
  if (cold) console.log(`${coldStartText(cold)}\n`);
  if (rows.length) console.log(table(rows));
  console.log(`\nCurves (median seconds vs rows; s/M rows flat = linear):\n${curveText(c)}`);
  console.log(`\nAthena bytes scanned per report (each query's Parquet scans read off DuckDB's plan, a WITH query once per reference as Trino inlines it; partition pruning, then column pruning):\n${scanText(scans)}`);
  console.log(`\nTotal ${fmt(results.totalSeconds)} s; results in bench/results.json`);
}

await main();
