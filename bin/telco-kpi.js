#!/usr/bin/env node
// Runs the CLI compiled into dist/ by `npm install` (its prepare step) or `npm run build`.
// Without a build, or when a source under lambdas/ is newer than it (an edit not yet rebuilt),
// it runs the TypeScript through tsx instead (slower to start) and says so on stderr.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const built = join(root, 'dist', 'cli.js');

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

const builtAt = statSync(built, { throwIfNoEntry: false })?.mtimeMs;
if (builtAt !== undefined && builtAt >= newestSource(join(root, 'lambdas'))) {
  const { main } = await import(pathToFileURL(built).href);
  process.exitCode = await main(process.argv.slice(2));
} else {
  process.stderr.write(`telco-kpi: ${builtAt === undefined ? 'dist/ is not built' : 'lambdas/ changed since dist/ was built'}; running the TypeScript through tsx (npm run build makes the start fast)\n`);
  const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');
  const result = spawnSync(process.execPath, [tsxCli, join(root, 'lambdas/cli/main.ts'), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exitCode = result.status ?? 1;
}
