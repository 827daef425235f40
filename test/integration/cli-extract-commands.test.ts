import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CliContext } from '../../lambdas/cli/command.js';
import { command as ingest } from '../../lambdas/cli/commands/ingest.js';
import { command as validate } from '../../lambdas/cli/commands/validate.js';
import { UsageError } from '../../lambdas/core/errors.js';

const good = join(import.meta.dirname, '../fixtures/extracts/good');
const bad = join(import.meta.dirname, '../fixtures/extracts/bad');

describe('validate and ingest commands', () => {
  let work: string;
  let home: string;
  let out: string[];
  let err: string[];
  let ctx: CliContext;

  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'telco-kpi-cli-'));
    home = join(work, 'home');
    out = [];
    err = [];
    ctx = { home, configDir: join(work, 'config'), out: (l) => out.push(l), err: (l) => err.push(l), now: () => new Date('2026-11-19T01:00:00Z') };
  });

  afterEach(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('validate prints the receipt of an accepted file, stores nothing and exits 0', async () => {
    // Act
    const code = await validate.run([join(good, 'sales_JL_20261118.csv')], ctx);
    // Assess
    expect(code).toBe(0);
    expect(out.join('\n')).toContain('结果：已接受\n读取 5 行，接受 5 行');
    expect(await readdir(work)).toEqual([]);
  });

  it('validate exits 1 when any file is rejected and prints its problems, in Chinese unless --lang en', async () => {
    // Act
    const code = await validate.run([join(good, 'sales_JL_20261118.csv'), join(bad, 'sales_JL_20261101.csv')], ctx);
    const en = await validate.run([join(bad, 'sales_JL_20261101.csv'), '--lang', 'en'], ctx);
    // Assess
    expect(code).toBe(1);
    expect(en).toBe(1);
    expect(out.join('\n')).toContain('第 2 行，“monthly_fee”列：“12,5”不是数字；小数点请用“.”，不要用逗号');
    expect(out.join('\n')).toContain("row 2, column monthly_fee: '12,5' is not a number; use a dot for decimals");
  });

  it('validate takes --type and --province for a file named otherwise', async () => {
    // Prepare
    const file = join(work, '吉林销售_20261118.csv');
    await copyFile(join(good, 'sales_JL_20261118.csv'), file);
    // Act
    const code = await validate.run([file, '--type', 'sales', '--province', 'JL'], ctx);
    // Assess
    expect(code).toBe(0);
  });

  it('validate rejects a file whose name says nothing, with exit 1', async () => {
    // Prepare
    const file = join(work, 'export.csv');
    await writeFile(file, 'a\n1\n');
    // Act
    const code = await validate.run([file], ctx);
    // Assess
    expect(code).toBe(1);
    expect(out.join('\n')).toContain('✗ 未接受 “export.csv”：“export”不是报表类型');
  });

  it.each([
    [[], 'validate needs at least one FILE'],
    [['x.csv', '--type', 'sale'], "--type 'sale' is not an extract type"],
    [['x.csv', '--province', 'ZZ'], "--province 'ZZ' is not a province code"],
    [['--bogus', 'x.csv'], 'bogus'],
    [['/no/such/file.csv'], "'/no/such/file.csv' does not exist"],
  ])('validate %j is a usage error (exit 2 in main)', async (argv, message) => {
    // Act
    const result = validate.run(argv, ctx);
    // Assess
    await expect(result).rejects.toThrow(UsageError);
    await expect(validate.run(argv, ctx)).rejects.toThrow(message);
  });

  it('ingest walks a folder in name order, prints one line per file and exits 0', async () => {
    // Prepare
    const dir = join(work, 'in');
    await mkdir(join(dir, 'nested'), { recursive: true });
    await copyFile(join(good, 'sales_JL_20261118.csv'), join(dir, 'nested', 'sales_JL_20261118.csv'));
    await copyFile(join(good, 'revenue_GD_20261118.csv'), join(dir, 'revenue_GD_20261118.csv'));
    await writeFile(join(dir, 'notes.txt'), 'ignored');
    // Act
    const code = await ingest.run([dir], ctx);
    // Assess
    expect(code).toBe(0);
    expect(out).toEqual(['✓ 已接受 sales_JL_20261118.csv 5 行', '✓ 已接受 revenue_GD_20261118.csv 4 行']);
    expect(await readdir(join(home, 'lake'))).toEqual(['_manifest', 'revenue', 'sales']);
  });

  it('ingest says unchanged for the same file twice', async () => {
    // Prepare
    const file = join(good, 'market_JL_202611.csv');
    await ingest.run([file], ctx);
    out.length = 0;
    // Act
    const code = await ingest.run([file], ctx);
    // Assess
    expect(code).toBe(0);
    expect(out).toEqual(['= 未变化 market_JL_202611.csv 4 行']);
  });

  it('ingest exits 1 when any file is rejected and lists its problems', async () => {
    // Act
    const code = await ingest.run([join(good, 'managers_JL_20261101.csv'), join(bad, 'revenue_JL_20261119.csv'), '--lang', 'en'], ctx);
    // Assess
    expect(code).toBe(1);
    expect(out).toEqual([
      '✓ accepted managers_JL_20261101.csv 3 rows',
      "✗ rejected revenue_JL_20261119.csv (2 problems: row 2, column active_users: '12.5' is not a whole number; expected a whole number from 0 to 1000000000)",
      "    row 2, column active_users: '12.5' is not a whole number; expected a whole number from 0 to 1000000000",
      "    row 3, column active_users: '-1' is out of range; expected a whole number from 0 to 1000000000",
    ]);
    expect(await readdir(join(home, 'receipts'))).toEqual(['managers', 'revenue']);
  });

  it('ingest reports progress on stderr when given many files', async () => {
    // Prepare
    const dir = join(work, 'many');
    await mkdir(dir);
    for (let day = 1; day <= 20; day++) {
      await writeFile(join(dir, `sales_JL_202611${String(day).padStart(2, '0')}.csv`), 'event_id,event_date,province,city,customer_id,segment,channel,product,package,event_type,monthly_fee\n');
    }
    // Act
    const code = await ingest.run([dir], ctx);
    // Assess
    expect(code).toBe(0);
    expect(out).toHaveLength(20);
    expect(err.at(-1)).toBe('ingest: 20/20 files');
  });

  it('ingest without arguments is a usage error', async () => {
    // Act
    const result = ingest.run([], ctx);
    // Assess
    await expect(result).rejects.toThrow(UsageError);
  });
});
