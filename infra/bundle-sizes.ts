/**
 * Prints the size of each Lambda bundle, built with esbuild the way PipelineFunction builds it
 * (same entry points, target, format, minify, source map, externals), plus the native
 * node_modules a function ships beside it. Run: `npx tsx infra/bundle-sizes.ts`.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { ESBUILD_DEFAULTS, REPO_ROOT } from './pipeline-function.js';

export const HANDLERS: { name: string; entry: string; nodeModules: string[] }[] = [
  { name: 'IngestExtract', entry: 'lambdas/handlers/ingest-extract.ts', nodeModules: ['@duckdb/node-api'] },
  { name: 'SendWeeklyReport', entry: 'lambdas/handlers/send-weekly-report.ts', nodeModules: ['@resvg/resvg-js'] },
  { name: 'SendMonthlyIncentives', entry: 'lambdas/handlers/send-monthly-incentives.ts', nodeModules: [] },
];

async function directorySize(path: string): Promise<number> {
  const info = await stat(path).catch(() => undefined);
  if (!info) return 0;
  if (!info.isDirectory()) return info.size;
  let total = 0;
  for (const entry of await readdir(path)) total += await directorySize(join(path, entry));
  return total;
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

async function main(): Promise<void> {
  const out = await mkdtemp(join(tmpdir(), 'bundle-sizes-'));
  try {
    const rows: string[][] = [['function', 'index.mjs', 'source map', 'node_modules (local platform)']];
    for (const handler of HANDLERS) {
      const outfile = join(out, handler.name, 'index.mjs');
      await build({
        entryPoints: [join(REPO_ROOT, handler.entry)],
        outfile,
        bundle: true,
        platform: 'node',
        target: ESBUILD_DEFAULTS.target,
        format: ESBUILD_DEFAULTS.format,
        minify: ESBUILD_DEFAULTS.minify,
        keepNames: ESBUILD_DEFAULTS.keepNames,
        sourcemap: ESBUILD_DEFAULTS.sourcemap,
        banner: { js: ESBUILD_DEFAULTS.banner },
        external: [...ESBUILD_DEFAULTS.external, ...handler.nodeModules],
        logLevel: 'silent',
      });
      let native = 0;
      for (const module of handler.nodeModules) {
        native += await directorySize(join(REPO_ROOT, 'node_modules', module));
        if (module === '@duckdb/node-api') {
          native += await directorySize(join(REPO_ROOT, 'node_modules', '@duckdb', 'node-bindings'));
          for (const name of await readdir(join(REPO_ROOT, 'node_modules', '@duckdb'))) {
            if (name.startsWith('node-bindings-')) native += await directorySize(join(REPO_ROOT, 'node_modules', '@duckdb', name));
          }
        }
        if (module === '@resvg/resvg-js') {
          // The platform binding is a package of its own; the chart font is copied beside the bundle.
          for (const name of await readdir(join(REPO_ROOT, 'node_modules', '@resvg'))) {
            if (name.startsWith('resvg-js-')) native += await directorySize(join(REPO_ROOT, 'node_modules', '@resvg', name));
          }
          native += await directorySize(join(REPO_ROOT, 'assets', 'fonts'));
        }
      }
      rows.push([handler.name, kib(await directorySize(outfile)), kib(await directorySize(`${outfile}.map`)), handler.nodeModules.length ? kib(native) : '-']);
    }
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const row of rows) console.log(row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
    console.log('\nLambda limits: 50 MiB zipped upload, 250 MiB unzipped. The DuckDB and resvg bindings measured are this machine\'s (linux-x64); the stack ships linux-arm64. SendWeeklyReport\'s includes the chart font (5 MB).');
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

await main();
