import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { computeIncentives } from '../../lambdas/core/incentives/calculate.js';
import { loadPlans } from '../../lambdas/core/incentives/plan.js';
import type { RosterManager, SalesEventRecord } from '../../lambdas/core/incentives/types.js';
import { buildIncentiveWorkbook } from '../../lambdas/core/incentives/workbook.js';
import type { KpiReport } from '../../lambdas/core/kpis/kpi-types.js';
import { parsePeriod } from '../../lambdas/core/period.js';
import { rejectedUploadRows, reportWorkbookName } from '../../lambdas/core/report/job.js';
import { formatChange, formatTileValue, noticeHtml } from '../../lambdas/core/report/mail.js';
import { buildReportWorkbook } from '../../lambdas/core/report/workbook.js';
import { incentivesSender, operatorsSender } from '../../lambdas/core/settings.js';
import type { Receipt } from '../../lambdas/core/extracts/validate.js';

const PLAN_V1 = loadPlans([{ name: 'account-manager-v1.yaml', text: readFileSync(join(import.meta.dirname, '../../config/plans/account-manager-v1.yaml'), 'utf8') }])[0]!;
const fixture = (name: string): KpiReport => JSON.parse(readFileSync(new URL(`../fixtures/kpis/${name}`, import.meta.url), 'utf8')) as KpiReport;

async function readBack(bytes: Uint8Array): Promise<ExcelJS.Workbook> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(Buffer.from(bytes) as unknown as ArrayBuffer);
  return wb;
}

function texts(wb: ExcelJS.Workbook): string[] {
  const all: string[] = [];
  for (const ws of wb.worksheets) ws.eachRow((row) => row.eachCell((cell) => all.push(String(cell.value ?? ''))));
  return all;
}

function tally(managers: number) {
  const roster: RosterManager[] = Array.from({ length: managers }, (_, i) => ({
    accountManagerId: `AM${i + 1}`, name: `经理${i + 1}`, province: 'JL', city: '长春', team: '政企一组', role: 'account_manager', startDate: '2024-01-01', endDate: null,
  }));
  const events: SalesEventRecord[] = [];
  roster.forEach((m, i) => {
    const sale = (id: string, day: string, type: string) => events.push({
      eventId: id, eventDate: day, province: 'JL', customerId: `C${i}`, segment: 'public', subSegment: null, channel: 'direct',
      product: 'mobile', eventType: type, monthlyFee: '58.00', prevMonthlyFee: null, accountManagerId: type === 'churn' ? null : m.accountManagerId,
    });
    sale(`E${i}a`, '2026-11-02', 'new');
    sale(`E${i}b`, '2026-11-09', 'churn');
  });
  return computeIncentives({ period: parsePeriod('2026-11'), plan: PLAN_V1, events, tickets: [], roster });
}

describe('the HR incentive workbook (issue 12)', () => {
  it.each([[3, 'small'], [260, 'large (streamed)']])('prints 汇总 and 方案 A4 landscape, one page wide, header rows repeated (%i managers, %s)', async (managers) => {
    // Act
    const wb = await readBack(await buildIncentiveWorkbook(tally(managers), PLAN_V1, new Date('2026-12-02T01:00:00Z')));
    // Assess
    for (const name of ['汇总', '方案']) {
      const setup = wb.getWorksheet(name)!.pageSetup;
      expect(setup).toMatchObject({ paperSize: 9, orientation: 'landscape', fitToPage: true, fitToWidth: 1, fitToHeight: 0 });
      expect(setup.printTitlesRow).toMatch(/^1:\d$/);
    }
  });

  it.each([[3], [260]])('names rules as the plan does in Chinese and says 扣回, never 回扣 (%i managers)', async (managers) => {
    // Act
    const all = texts(await readBack(await buildIncentiveWorkbook(tally(managers), PLAN_V1, new Date('2026-12-02T01:00:00Z'))));
    // Assess
    expect(all).toContain('移动新装');
    expect(all).toContain('扣回：移动新装');
    expect(all.some((t) => t.includes('回扣'))).toBe(false);
    expect(all).not.toContain('new-mobile');
  });

  it('comes from a sender named for HR, not the weekly report', () => {
    // Prepare
    const mail = { from: '营销KPI周报 telco-kpi <kpi-report@telco.example.cn>', operators: ['ops@telco.example.cn'] };
    // Act / Assess
    expect(incentivesSender(mail)).toBe('客户经理激励核算 <kpi-report@telco.example.cn>');
    expect(incentivesSender({ ...mail, incentivesFrom: '人力资源激励 <hr-kpi@telco.example.cn>' })).toBe('人力资源激励 <hr-kpi@telco.example.cn>');
    expect(operatorsSender({ ...mail, from: 'kpi-report@telco.example.cn' })).toBe('telco-kpi 运维通知 <kpi-report@telco.example.cn>');
  });
});

describe('the weekly workbook and mail (issue 12)', () => {
  const manyMissing = (): KpiReport => {
    const report = fixture('week.json');
    const days = ['2026-11-16', '2026-11-17', '2026-11-18', '2026-11-19', '2026-11-20', '2026-11-21', '2026-11-22'];
    report.completeness = report.completeness.map((c) => (c.province === 'GD' ? { ...c, daysReceived: 0, missingDays: days } : c));
    return report;
  };

  it('keeps 概览!A2 short and puts the list of missing days on 数据完整性', async () => {
    // Act
    const wb = await readBack(await buildReportWorkbook(manyMissing(), { lang: 'zh-CN', runId: 'r1' }));
    // Assess
    const a2 = String(wb.getWorksheet('概览')!.getCell('A2').value);
    expect(a2).toBe('数据不完整：缺 9 个省日（广东 7、吉林 1、四川 1），明细见“数据完整性”表。');
    const sheetTexts = (name: string) => { const all: string[] = []; wb.getWorksheet(name)!.eachRow((r) => r.eachCell((c) => all.push(String(c.value)))); return all; };
    expect(sheetTexts('数据完整性').find((t) => t.startsWith('数据不完整，以下省日缺数据：'))).toContain('广东 11/22');
    expect(sheetTexts('概览').filter((t) => t.includes('11/21'))).toEqual([]);
  });

  it('does not colour a change that shows as zero, and stores it as 0 so no arrow shows', async () => {
    // Prepare: CSAT up by 0.00004 (0.004 pp) shows as 0.00 pp
    const report = fixture('week.json');
    const previous = structuredClone(report);
    const total = previous.rows.find((r) => r.dimension === 'total')!;
    total.csat = total.csat! - 0.00004;
    // Act
    const ws = (await readBack(await buildReportWorkbook(report, { lang: 'zh-CN', runId: 'r1', previous }))).getWorksheet('概览')!;
    // Assess
    let row: ExcelJS.Row | undefined;
    ws.eachRow((r) => { if (String(r.getCell(1).value).startsWith('满意度')) row = r; });
    expect(row).toBeDefined();
    expect(row!.getCell(5).value).toBe(0);
    expect(row!.getCell(5).font?.color?.argb).toBeUndefined();
    expect(formatChange({ changeKind: 'points' }, 0.00004, 'zh-CN')).toBe('0.00个百分点');
  });

  it('shows a ratio with the same decimals in mail and workbook', async () => {
    // Prepare: the fixture's churn rate is 0.4232 %
    const report = fixture('week.json');
    // Act
    const ws = (await readBack(await buildReportWorkbook(report, { lang: 'zh-CN', runId: 'r1' }))).getWorksheet('概览')!;
    // Assess
    let row: ExcelJS.Row | undefined;
    ws.eachRow((r) => { if (r.getCell(1).value === '离网率') row = r; });
    expect(row!.getCell(3).numFmt).toBe('0.00%');
    expect(formatTileValue({ unit: 'fraction' }, 0.004232)).toBe('0.42%');
  });

  it('lists a rejected upload once (its latest), in Chinese, without `row 0, :`', () => {
    // Prepare
    const receipt = (receivedAt: string, row: number): Receipt => ({
      file: 'revenue_GD_20261118.csv', type: 'revenue', province: 'GD', day: '2026-11-18', status: 'rejected', rowsRead: 3, rowsAccepted: 0,
      problems: [row === 0
        ? { row: 0, column: '', value: '', message: 'the file is empty; expected a header row and one row per record', code: 'empty', params: {} }
        : { row, line: row + 1, column: 'revenue', header: '收入', value: '1234,50', message: "'1234,50' is not a number; use a dot for decimals", code: 'decimalComma', params: { v: '1234,50' } }],
      problemCount: 1, warnings: [], notices: [], headers: { revenue: '收入' }, encoding: 'utf-8', sha256: 'x', receivedAt,
    });
    // Act
    const rows = rejectedUploadRows([receipt('2026-11-19T01:00:00Z', 0), receipt('2026-11-19T02:00:00Z', 2)], parsePeriod('2026-W47'), 'ALL', 'zh-CN');
    // Assess
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ receivedAt: '2026-11-19T02:00:00Z', firstProblem: '第 3 行，“收入”列：“1234,50”不是数字；小数点请用“.”，不要用逗号' });
    expect(rejectedUploadRows([receipt('2026-11-19T01:00:00Z', 0)], parsePeriod('2026-W47'), 'ALL', 'zh-CN')[0]!.firstProblem).toBe('文件：文件是空的；第 1 行应为表头，其下每行一条记录');
  });

  it('writes the English workbook beside the Chinese one', () => {
    // Act / Assess
    expect(reportWorkbookName('zh-CN')).toBe('report.xlsx');
    expect(reportWorkbookName('en')).toBe('report.en.xlsx');
  });
});

describe('the operators\' notice (issue 12)', () => {
  it('is readable on a phone: a viewport, a paragraph per line that wraps, no <pre>', () => {
    // Act
    const html = noticeHtml('[telco-kpi] failed: weekly 2026-W47 ALL → 全国市场部 (run 20261123T010751Z-3f9a)',
      "Run 20261123T010751Z-3f9a of job weekly/2026-W47/ALL/全国市场部 ended 'failed'.\nError: QueryError: <boom>");
    // Assess
    expect(html).not.toContain('<pre');
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html.match(/<p style="[^"]*overflow-wrap:anywhere/g)).toHaveLength(2);
    expect(html).toContain('Error: QueryError: &lt;boom&gt;');
  });
});
