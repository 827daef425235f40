// `npm run build` (and the `prepare` step of `npm install`), `node scripts/build.mjs [OUTDIR]`: compiles the CLI to dist/ with esbuild,
// so `telco-kpi` starts without compiling TypeScript. Code splitting puts each command's modules in
// chunks of their own that main.ts imports only when the command runs, so `--help` loads no npm
// package and a command loads only what it uses. dist/ is flat at the project root, so paths made
// from `import.meta.url` (queries/, config/, web/: one folder up) resolve as they do from lambdas/.
import { build } from 'esbuild';
import { rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

/** Packages left in node_modules: a native binary to load, or only used against AWS. */
const EXTERNAL = ['@duckdb/*', '@resvg/*', '@aws-sdk/*', 'aws-lambda'];

export const PROJECT_ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

/** Builds the CLI into `outdir` (default dist/) with esbuild's metafile beside it (meta.json: what each output imports). */
export async function buildCli(outdir = join(PROJECT_ROOT, 'dist')) {
  await rm(outdir, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: PROJECT_ROOT,
    entryPoints: { cli: 'lambdas/cli/main.ts' },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // The pure-JavaScript packages (exceljs, vega, nodemailer, yaml, zod, …) are bundled into the chunk of the command that
    // uses them: node resolving and compiling exceljs' ~170 CommonJS files cost ~0.35 s on every report start, as one
    // file ~0.15 s. Native packages (DuckDB, resvg: they load a platform binary) and the AWS SDK (the AWS mode only)
    // stay in node_modules. CommonJS inside ESM needs a `require`: the banner gives each chunk one.
    // Not minified, so names stay as written; no keepNames: its __name wrapper cost ~0.6 s per 900 k validated rows.
    external: EXTERNAL,
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    sourcemap: true,
    chunkNames: '[name]-[hash]',
    metafile: true,
    logLevel: 'warning',
  });
  await writeFile(join(outdir, 'meta.json'), JSON.stringify(result.metafile));
  return result.metafile;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = performance.now();
  const outdir = process.argv[2] ? resolve(process.argv[2]) : undefined;
  const metafile = await buildCli(outdir);
  const files = Object.keys(metafile.outputs).filter((f) => f.endsWith('.js')).length;
  process.stderr.write(`telco-kpi: built ${outdir ?? 'dist/'} (${files} files) in ${Math.round(performance.now() - started)} ms\n`);
}
