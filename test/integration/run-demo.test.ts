import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../lambdas/cli/main.js';

async function outbox(home: string): Promise<Array<{ file: string; mail: ParsedMail; to: string[] }>> {
  const dir = join(home, 'outbox');
  const files = (await readdir(dir)).filter((n) => n.endsWith('.eml')).sort();
  return Promise.all(files.map(async (file) => {
    const mail = await simpleParser(await readFile(join(dir, file)));
    return { file, mail, to: (mail.to as AddressObject).value.map((a) => a.address!) };
  }));
}

async function runDemo(home: string, now: string): Promise<{ code: number; out: string[] }> {
  const out: string[] = [];
  const code = await main(['run', '--home', home], { out: (l) => out.push(l), err: () => undefined, now: () => new Date(now) });
  return { code, out };
}

describe('telco-kpi run (the npm start demo) in a temp home', () => {
  let home: string;
  let first: { code: number; out: string[] };

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'telco-kpi-run-'));
    // Wednesday 12:00 in Shanghai: past the W47 freshness deadline (Monday 12:00), so a partial report goes out labelled.
    first = await runDemo(home, '2026-11-25T04:00:00Z');
  }, 180_000);
  afterAll(async () => rm(home, { recursive: true, force: true }));

  it('finishes with exit code 0 and says where things went', () => {
    expect(first.code).toBe(0);
    const text = first.out.join('\n');
    expect(text).toContain('week 2026-W47 (2026-11-16 – 2026-11-22), month 2026-10');
    expect(text).toMatch(/✗ 未接受 revenue_GD_20261118\.csv（2 个问题：第 3 行，“revenue”列：“1234,50”不是数字；小数点请用“.”，不要用逗号）/);
    expect(text).toContain(join(home, 'reports/2026-W47/ALL/report.xlsx'));
  });

  it('sends the partial national report labelled, then one revision once the late file arrived', async () => {
    const national = (await outbox(home)).filter((m) => m.to.includes('marketing-exec@telco.example.cn'));
    expect(national.map((m) => m.mail.subject)).toEqual([
      '【周报】营销KPI 2026年第47周（11/16–11/22）· 全国 · 缺1个省日数据',
      '【修订】【周报】营销KPI 2026年第47周（11/16–11/22）· 全国',
    ]);
    expect(national[0]!.mail.text).toMatch(/^⚠[^\n]*广东 11\/18（收入日报）/);
    expect(national[1]!.mail.attachments.filter((a) => !a.related).map((a) => a.filename)).toEqual(['telco-kpi_2026-W47_ALL.xlsx']);
    // The demo's weekly mail shows both charts inline (SPEC §10 Charts).
    expect(national[1]!.mail.attachments.filter((a) => a.related).map((a) => a.filename)).toEqual(['trend.png', 'mix.png']);
  });

  it('sends each province only its own report, and JL (complete from the start) exactly once', async () => {
    const mails = await outbox(home);
    const jl = mails.filter((m) => m.to.includes('jl-exec@telco.example.cn'));
    const gd = mails.filter((m) => m.to.includes('gd-exec@telco.example.cn'));
    expect(jl.map((m) => m.mail.subject)).toEqual(['【周报】营销KPI 2026年第47周（11/16–11/22）· 吉林']);
    expect(gd.map((m) => m.mail.subject)).toEqual([
      '【周报】营销KPI 2026年第47周（11/16–11/22）· 广东 · 缺1个省日数据',
      '【修订】【周报】营销KPI 2026年第47周（11/16–11/22）· 广东',
    ]);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(jl[0]!.mail.attachments.find((a) => !a.related)!.content as unknown as ArrayBuffer);
    expect(workbook.getWorksheet('概览')!.getImages()).toHaveLength(2);
    const ranking = workbook.getWorksheet('省份排名')!;
    const provinces = new Set<string>();
    ranking.eachRow((row, n) => { if (n > 1) provinces.add(String(row.getCell(2).value ?? row.getCell(1).value)); });
    expect([...provinces].join(',')).not.toMatch(/广东|四川|浙江/);
  });

  it('mails the incentive tally to HR only', async () => {
    const mails = await outbox(home);
    const hr = mails.filter((m) => m.mail.subject?.includes('激励'));
    expect(hr).toHaveLength(1);
    expect(hr[0]!.to).toEqual(['hr-incentives@telco.example.cn']);
    expect(hr[0]!.mail.attachments[0]!.filename).toBe('incentives-2026-10.xlsx');
    const executives = mails.filter((m) => m.to.some((a) => a.includes('exec') || a.includes('cmo')));
    expect(executives.every((m) => !m.mail.subject?.includes('激励'))).toBe(true);
  });

  it('fails closed for a week without data: nothing to executives, operators told, the ledger shows failed and sent runs', async () => {
    const mails = await outbox(home);
    expect(mails.filter((m) => m.mail.subject?.includes('第39周'))).toHaveLength(0);
    const operators = mails.filter((m) => m.to.includes('ops-kpi@telco.example.cn'));
    expect(operators).toHaveLength(1);
    expect(operators[0]!.mail.text).toContain('no revenue extract was received for any day of 2026-W39');
    const ledger = first.out.join('\n');
    expect(ledger).toMatch(/✗ failed .* weekly 2026-W39 ALL/);
    expect(ledger).toMatch(/✓ sent .* incentives 2026-10 HR/);
  });

  it('is safe to re-run: nothing stored again, nothing sent again', async () => {
    const before = (await outbox(home)).length;
    const lakeBefore = await readFile(join(home, 'lake/sales/dt=2026-11-18/province=JL/data.parquet'));
    const again = await runDemo(home, '2026-11-25T05:00:00Z');
    expect(again.code).toBe(0);
    // Only the operators' notice about the no-data week is new: each report is a duplicate.
    const after = await outbox(home);
    expect(after.length - before).toBe(1);
    expect(after.at(-1)!.to).toEqual(['ops-kpi@telco.example.cn']);
    expect(again.out.join('\n')).toMatch(/653 unchanged|0 accepted, 653 unchanged/);
    expect(again.out.join('\n')).toMatch(/= duplicate .* weekly 2026-W47 ALL/);
    expect(await readFile(join(home, 'lake/sales/dt=2026-11-18/province=JL/data.parquet'))).toEqual(lakeBefore);
  }, 180_000);
});

describe('telco-kpi run before the freshness deadline', () => {
  it('holds the partial national report and sends it once, complete, after the late file', async () => {
    const home = await mkdtemp(join(tmpdir(), 'telco-kpi-run-wait-'));
    try {
      // Monday 10:00 in Shanghai: the W47 deadline (Monday 12:00) has not passed.
      const { code, out } = await runDemo(home, '2026-11-23T02:00:00Z');
      expect(code).toBe(0);
      expect(out.join('\n')).toMatch(/… waiting .* weekly 2026-W47 ALL/);
      const national = (await outbox(home)).filter((m) => m.to.includes('marketing-exec@telco.example.cn'));
      expect(national.map((m) => m.mail.subject)).toEqual(['【周报】营销KPI 2026年第47周（11/16–11/22）· 全国']);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  }, 180_000);
});
