/**
 * The compiled CLI (scripts/build.mjs, run by `npm install`'s prepare step): it runs, and its start
 * loads no npm package: every command's modules, the bundled packages among them, sit behind a dynamic import.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');

interface Metafile { outputs: Record<string, { imports: { path: string; kind: string; external?: boolean }[]; inputs: Record<string, unknown> }> }

let outdir: string;
let meta: Metafile;

beforeAll(async () => {
  // Inside the project (.scratch/ is gitignored), so the built files find node_modules as dist/ does.
  await mkdir(join(root, '.scratch'), { recursive: true });
  outdir = await mkdtemp(join(root, '.scratch', 'cli-build-'));
  await run(process.execPath, [join(root, 'scripts', 'build.mjs'), outdir], { cwd: root });
  meta = JSON.parse(await readFile(join(outdir, 'meta.json'), 'utf8')) as Metafile;
}, 60_000);

afterAll(async () => {
  await rm(outdir, { recursive: true, force: true });
});

/** Every module the output loads before any dynamic import runs: itself and its static imports, transitively. */
function staticImports(output: string): Set<string> {
  const seen = new Set<string>();
  const visit = (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    for (const imported of meta.outputs[path]?.imports ?? []) {
      if (imported.kind === 'import-statement') visit(imported.path);
    }
  };
  visit(output);
  return seen;
}

describe('the compiled CLI', () => {
  it('starts on node: builtins only; DuckDB, exceljs, the AWS SDK and the rest load with the command that uses them', () => {
    const entry = Object.keys(meta.outputs).find((o) => o.endsWith('/cli.js'))!;
    const loaded = [...staticImports(entry)];
    const packages = loaded.filter((p) => !p.startsWith('node:') && !p.endsWith('.js'));
    expect(packages).toEqual([]);
    // Bundled packages (exceljs, vega, …) are code inside an output: none of it in what the start loads.
    const bundledAtStart = loaded.filter((p) => p.endsWith('.js')).flatMap((p) => Object.keys(meta.outputs[p]?.inputs ?? {})).filter((i) => i.includes('node_modules/'));
    expect(bundledAtStart).toEqual([]);
    const dynamic = Object.values(meta.outputs).flatMap((o) => o.imports).filter((i) => i.external && !i.path.startsWith('node:')).map((i) => i.path);
    expect(dynamic).toEqual(expect.arrayContaining(['@duckdb/node-api', '@resvg/resvg-js']));
  });

  it('starts a report on what its queries need: exceljs, vega and nodemailer load while the queries run', () => {
    const command = Object.keys(meta.outputs).find((o) => /\/report-[A-Z0-9]+\.js$/.test(o))!;
    const modules = [...staticImports(command)].flatMap((p) => Object.keys(meta.outputs[p]?.inputs ?? {}))
      .filter((i) => i.includes('node_modules/')).map((i) => i.split('node_modules/').pop()!);
    expect(modules.some((m) => m.startsWith('zod/'))).toBe(true);
    // nodemailer's address parser (mail-envelope.ts) is small and stays; its transports and MIME builder wait.
    for (const late of ['exceljs/', 'vega/', 'vega-lite/', 'nodemailer/lib/nodemailer.js']) {
      expect(modules.filter((m) => m.startsWith(late)), late).toEqual([]);
    }
  });

  it('bundles the pure-JavaScript packages (one file to load, not hundreds) and leaves native ones and the AWS SDK in node_modules', () => {
    const bundled = new Set(Object.values(meta.outputs).flatMap((o) => Object.keys(o.inputs))
      .map((i) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(i)?.[1]).filter((p): p is string => p !== undefined));
    expect([...bundled]).toEqual(expect.arrayContaining(['exceljs', 'vega-lite', 'nodemailer', 'yaml', 'zod', 'decimal.js', 'iconv-lite']));
    expect([...bundled].filter((p) => p.startsWith('@duckdb/') || p.startsWith('@resvg/') || p.startsWith('@aws-sdk/'))).toEqual([]);
  });

  it('prints the usage and a command\'s help from the built files', async () => {
    const usage = await run(process.execPath, [join(outdir, 'cli.js'), '--help']);
    expect(usage.stdout).toMatch(/Commands:\n {2}run {9}the demo job/);
    expect(usage.stdout).toContain('  ingest      validate extract files');
    const help = await run(process.execPath, [join(outdir, 'cli.js'), 'ingest', '--help']);
    expect(help.stdout).toMatch(/^Usage: telco-kpi ingest FILE\|DIR…/);
  });

  it('keeps every class its own name (errors name themselves after their class; built without keepNames)', async () => {
    const renamed: string[] = [];
    for (const output of Object.keys(meta.outputs).filter((o) => o.endsWith('.js'))) {
      const text = await readFile(join(root, output), 'utf8');
      renamed.push(...[...text.matchAll(/\bclass ([A-Za-z_$][\w$]*?\d+)\b/g)].map((m) => m[1]!));
    }
    expect(renamed).toEqual([]);
  });

  it('exits 2 on an unknown command, naming the commands', async () => {
    const failed = await run(process.execPath, [join(outdir, 'cli.js'), 'frobnicate']).catch((error: { code: number; stderr: string }) => error);
    expect('code' in failed && failed.code).toBe(2);
    expect((failed as { stderr: string }).stderr).toContain("unknown command 'frobnicate'. Commands: run, sample, validate, ingest");
  });
});
