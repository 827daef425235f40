/**
 * A month with only `market` data (SPEC §5): a branch loading its market history, here seed figures
 * for 2011, gets the market-share view of the month (workbook + kpis.json, marked as such) and
 * nothing that reads as zero revenue or users.
 *
 * The lake, market extracts only, worked by hand:
 *   2011-02 JL mobile   self 500.00 / 25 users
 *   2011-03 JL mobile   self 600.00 / 30 users, 中国移动 400.00 / 70 users
 *                       → self revenue share 0.6, user share 0.3, quality index 2, growth 0.2 and 0.2
 *   2011-03 GD broadband self 300.00 / 10 users, 中国联通 100.00 / 30 users
 *                       → self 0.75, 0.25, quality index 3; no February row: growth null
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../lambdas/cli/main.js';
import type { KpiReport } from '../../lambdas/core/kpis/kpi-types.js';

const HEADER = '月份,省份,运营商,产品,收入,用户数';
const FILES: Record<string, string[]> = {
  'market_JL_201102.csv': ['2011-02,JL,self,mobile,500.00,25'],
  'market_JL_201103.csv': ['2011-03,JL,self,mobile,600.00,30', '2011-03,JL,中国移动,mobile,400.00,70'],
  'market_GD_201103.csv': ['2011-03,GD,self,broadband,300.00,10', '2011-03,GD,中国联通,broadband,100.00,30'],
};

let work: string;
let home: string;

async function run(argv: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const code = await main([...argv, '--home', home], { out: (l) => lines.push(l), err: (l) => lines.push(l), now: () => new Date('2026-11-25T04:00:00Z') });
  return { code, out: lines.join('\n') };
}

async function workbook(path: string): Promise<ExcelJS.Workbook> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load((await readFile(path)) as never);
  return wb;
}

function columnA(ws: ExcelJS.Worksheet): string {
  const texts: string[] = [];
  ws.eachRow((r) => texts.push(String(r.getCell(1).value ?? '')));
  return texts.join('\n');
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'telco-kpi-market-only-'));
  home = join(work, 'home');
  const files: string[] = [];
  for (const [name, lines] of Object.entries(FILES)) {
    files.push(join(work, name));
    await writeFile(join(work, name), `${[HEADER, ...lines].join('\n')}\n`);
  }
  const ingest = await run(['ingest', ...files]);
  expect(ingest.code, ingest.out).toBe(0);
});

afterAll(async () => rm(work, { recursive: true, force: true }));

describe('a month with only market data', () => {
  it('produces the market-share view: kpis.json marked marketOnly, market rows worked by hand, no KPI rows', async () => {
    // Act
    const result = await run(['report', '--month', '2011-03']);

    // Assess
    expect(result.code, result.out).toBe(0);
    expect(result.out).toMatch(/market share only/);
    const kpis = JSON.parse(await readFile(join(home, 'reports/2011-03/ALL/kpis.json'), 'utf8')) as KpiReport;
    expect(kpis.marketOnly).toBe(true);
    expect(kpis.rows).toEqual([]);
    expect(kpis.period).toEqual({ kind: 'month', id: '2011-03', start: '2011-03-01', end: '2011-03-31' });
    const self = (province: string) => kpis.market.find((m) => m.province === province && m.operator === 'self')!;
    expect(kpis.market).toHaveLength(4);
    expect(self('JL')).toMatchObject({ month: '2011-03', product: 'mobile', revenue: 600, users: 30 });
    expect(self('JL').revenueShare).toBeCloseTo(0.6, 12);
    expect(self('JL').userShare).toBeCloseTo(0.3, 12);
    expect(self('JL').qualityIndex).toBeCloseTo(2, 12);
    expect(self('JL').revenueGrowth).toBeCloseTo(0.2, 12);
    expect(self('JL').usersGrowth).toBeCloseTo(0.2, 12);
    expect(self('GD').qualityIndex).toBeCloseTo(3, 12);
    expect(self('GD').revenueGrowth).toBeNull();
  });

  it('writes a workbook of the market share alone, saying why, with no sheet of revenue or users', async () => {
    // Act
    await run(['report', '--month', '2011-03']);
    const wb = await workbook(join(home, 'reports/2011-03/ALL/report.xlsx'));

    // Assess
    expect(wb.worksheets.map((ws) => ws.name)).toEqual(['概览', '市场份额', '口径说明']);
    const summary = columnA(wb.getWorksheet('概览')!);
    expect(summary).toContain('2011年3月');
    expect(summary).toContain('仅市场份额');
    expect(summary).toContain('本月只收到市场竞争月报');
    expect(summary).not.toMatch(/收入（万元）|在网用户/);
    const market = wb.getWorksheet('市场份额')!;
    expect(market.getRow(1).values).toEqual(expect.arrayContaining(['月份', '省份', '运营商', '收入份额', '用户质量指数']));
    const jlSelf = [2, 3, 4, 5].map((r) => market.getRow(r)).find((r) => r.getCell(2).value === '吉林' && r.getCell(4).value === '本公司')!;
    expect(jlSelf.getCell(6).value).toBeCloseTo(0.6, 12);
    expect(jlSelf.getCell(9).value).toBeCloseTo(2, 12);
  });

  it('is scoped like any report: GD sees GD only', async () => {
    // Act
    const result = await run(['report', '--month', '2011-03', '--scope', 'GD']);

    // Assess
    expect(result.code, result.out).toBe(0);
    const kpis = JSON.parse(await readFile(join(home, 'reports/2011-03/GD/kpis.json'), 'utf8')) as KpiReport;
    expect(kpis.marketOnly).toBe(true);
    expect([...new Set(kpis.market.map((m) => m.province))]).toEqual(['GD']);
  });

  it('mails the view marked as such, without KPI tiles of zeros or a count of missing days', async () => {
    // Act
    const result = await run(['report', '--month', '2011-03', '--send']);

    // Assess
    expect(result.code, result.out).toBe(0);
    const outbox = join(home, 'outbox');
    const emls = (await readdir(outbox)).filter((f) => f.endsWith('.eml'));
    expect(emls.length).toBeGreaterThan(0);
    const mail = await simpleParser(await readFile(join(outbox, emls[0]!)));
    expect(mail.subject).toBe('【月报】营销KPI 2011年3月 · 全国 · 仅市场份额');
    expect(mail.text).toContain('本月只收到市场竞争月报');
    expect(mail.text).toContain('吉林 移动 本公司 收入份额 60.0% · 用户份额 30.0% · 用户质量指数 2.00');
    expect(mail.text).not.toMatch(/收入（万元）|缺\d+个省日/);
    expect(mail.attachments.map((a) => a.filename)).toEqual(['telco-kpi_2011-03_ALL.xlsx']);
  });

  it('is not produced for a month without market data, nor for a week (exit 1, nothing written)', async () => {
    // Act
    const april = await run(['report', '--month', '2011-04']);
    const week = await run(['report', '--week', '2011-W10']);

    // Assess
    expect(april.code).toBe(1);
    expect(april.out).toContain('not produced');
    expect(existsSync(join(home, 'reports/2011-04'))).toBe(false);
    expect(week.code).toBe(1);
    expect(existsSync(join(home, 'reports/2011-W10'))).toBe(false);
  });
});
