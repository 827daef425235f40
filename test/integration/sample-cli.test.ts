import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CliContext } from '../../lambdas/cli/command.js';
import { command, parseSampleArgs } from '../../lambdas/cli/commands/sample.js';
import { UsageError } from '../../lambdas/core/errors.js';

function context(home: string) {
  const out: string[] = [];
  const err: string[] = [];
  const ctx: CliContext = { home, configDir: join(home, 'config'), out: (l) => out.push(l), err: (l) => err.push(l), now: () => new Date('2026-11-23T01:00:00Z') };
  return { ctx, out, err };
}

describe('telco-kpi sample', () => {
  let dir: string;
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'telco-kpi-sample-')); });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  it('writes the extracts into a new folder and prints progress and a summary', async () => {
    // Prepare
    const out = join(dir, 'extracts', 'nov');
    const { ctx, out: stdout, err } = context(dir);
    // Act
    const code = await command.run(['--from', '2026-11-16', '--days', '10', '--out', out], ctx);
    // Assess
    expect(code).toBe(0);
    const names = await readdir(out);
    // a roster, a market file, 3 daily files a day; a targets file for JL, GD and SC (ZJ sets none)
    expect(names).toHaveLength(4 * (1 + 1 + 3 * 10) + 3);
    expect(names).toContain('managers_JL_20261116.csv');
    expect(names).toContain('market_ZJ_202611.csv');
    expect(names).toContain('targets_GD_202611.csv');
    expect(names).not.toContain('targets_ZJ_202611.csv');
    expect(names).toContain('sales_GD_20261125.csv');
    const sales = await readFile(join(out, 'sales_SC_20261118.csv'), 'utf8');
    expect(sales.split('\n')[0]).toBe('event_id,event_date,province,city,customer_id,segment,sub_segment,channel,account_manager_id,agent_id,product,package,event_type,monthly_fee,prev_monthly_fee,one_off_fee');
    expect(sales).toContain(',成都,');
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(/^sample: 100\/131 files, \d+ rows$/);
    expect(stdout).toHaveLength(1);
    expect(stdout[0]).toMatch(new RegExp(`^sample: wrote 131 files, \\d+ rows, [\\d.]+ (KB|MB) to ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
  });

  it('writes the same bytes twice for the same seed and leaves out skipped files', async () => {
    // Prepare
    const args = ['--from', '2026-11-30', '--days', '2', '--provinces', 'jl,xz', '--seed', '7', '--skip', 'revenue:XZ:2026-12-01,market:JL:2026-12'];
    const { ctx } = context(dir);
    // Act
    await command.run([...args, '--out', join(dir, 'a')], ctx);
    await command.run([...args, '--out', join(dir, 'b')], ctx);
    // Assess
    const a = (await readdir(join(dir, 'a'))).sort();
    expect(a).toEqual((await readdir(join(dir, 'b'))).sort());
    expect(a).not.toContain('revenue_XZ_20261201.csv');
    expect(a).not.toContain('market_JL_202612.csv');
    expect(a).toContain('market_XZ_202612.csv');
    for (const name of a) expect(await readFile(join(dir, 'a', name))).toEqual(await readFile(join(dir, 'b', name)));
  });

  it.each([
    [['--days', '3', '--out', 'x'], /--from is required/],
    [['--from', '2026-13-01', '--days', '3', '--out', 'x'], /--from '2026-13-01'/],
    [['--from', '2026-11-01', '--days', '0', '--out', 'x'], /--days '0'/],
    [['--from', '2026-11-01', '--days', 'ten', '--out', 'x'], /--days 'ten'/],
    [['--from', '2026-11-01', '--days', '3', '--provinces', 'JL,ZZ', '--out', 'x'], /'ZZ' is not a province code/],
    [['--from', '2026-11-01', '--days', '3', '--scale', 'huge', '--out', 'x'], /--scale 'huge'/],
    [['--from', '2026-11-01', '--days', '3', '--seed', 'abc', '--out', 'x'], /--seed 'abc'/],
    [['--from', '2026-11-01', '--days', '3', '--skip', 'sales:JL', '--out', 'x'], /--skip 'sales:JL'/],
    [['--from', '2026-11-01', '--days', '3'], /--out is required/],
    [['--from', '2026-11-01', '--days', '3', '--out', 'x', '--bogus'], /bogus/],
  ])('rejects %j as a usage error without writing anything', async (argv, message) => {
    // Prepare
    const { ctx } = context(dir);
    // Act
    const run = command.run(argv.map((a) => (a === 'x' ? join(dir, 'never') : a)), ctx);
    // Assess
    await expect(run).rejects.toThrow(UsageError);
    await expect(run).rejects.toThrow(message);
    expect(await readdir(dir)).toEqual([]);
  });

  it('defaults to JL,GD,SC,ZJ, seed 42, small scale', () => {
    const { sample } = parseSampleArgs(['--from', '2026-11-01', '--days', '1', '--out', 'x']);
    expect(sample).toEqual({ from: '2026-11-01', days: 1, provinces: ['JL', 'GD', 'SC', 'ZJ'], seed: 42, scale: 'small', skip: [] });
    expect(command.help).toContain('--skip');
  });
});
