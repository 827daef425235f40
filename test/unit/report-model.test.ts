import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { CompletenessRow, KpiReport } from '../../lambdas/core/kpis/kpi-types.js';
import { biggestMover, joinDot, judge, latestDataDay, missingProvinceDays, summaryTiles, watchSignalText } from '../../lambdas/core/report/model.js';
import { buildReportWorkbook } from '../../lambdas/core/report/workbook.js';
import ExcelJS from 'exceljs';

const fixture = (name: string): KpiReport => JSON.parse(readFileSync(new URL(`../fixtures/kpis/${name}`, import.meta.url), 'utf8')) as KpiReport;

const row = (province: string, type: CompletenessRow['type'], missingDays: string[]): CompletenessRow =>
  ({ province, type, daysExpected: 7, daysReceived: 7 - missingDays.length, missingDays, growthLeftOut: [], rejectedUploads: [] });

describe('missingProvinceDays', () => {
  it('counts a province-day once however many extracts miss it', () => {
    // Prepare
    const rows = [row('SC', 'sales', ['2026-11-20']), row('SC', 'service', ['2026-11-20']), row('JL', 'revenue', ['2026-11-18', '2026-11-20'])];
    // Act
    const missing = missingProvinceDays(rows);
    // Assess
    expect(missing).toEqual([
      { province: 'JL', day: '2026-11-18', types: ['revenue'] },
      { province: 'JL', day: '2026-11-20', types: ['revenue'] },
      { province: 'SC', day: '2026-11-20', types: ['sales', 'service'] },
    ]);
  });
});

describe('summaryTiles', () => {
  it('derives last period only where a growth exists and never divides by a -100% growth', () => {
    // Prepare
    const report = fixture('week.json');
    const total = report.rows.find((r) => r.dimension === 'total')!;
    total.grossAddsGrowth = -1;
    total.arpuGrowth = null;
    // Act
    const tiles = Object.fromEntries(summaryTiles(report).map((t) => [t.key, t]));
    // Assess
    expect(tiles.revenue!.previous).toBeCloseTo(total.revenue! / (1 + total.revenueGrowth!), 6);
    expect(tiles.grossAdds!.previous).toBeNull();
    expect(tiles.grossAdds!.change).toBe(-1);
    expect(tiles.arpu!.previous).toBeNull();
    expect(tiles.arpu!.change).toBeNull();
    expect(tiles.netAdds!.previous).toBeNull();
  });
});

describe('judge', () => {
  it('judges by whether up is good for the KPI, not by direction', () => {
    // Prepare, Act, Assess
    expect(judge(0.1, true)).toBe('good');
    expect(judge(0.1, false)).toBe('bad');
    expect(judge(-0.1, false)).toBe('good');
    expect(judge(0, true)).toBe('flat');
    expect(judge(null, true)).toBe('flat');
  });
});

describe('biggestMover', () => {
  it('picks the group whose revenue moved most in yuan, not in percent', () => {
    // Prepare
    const report = fixture('week.json');
    // Act
    const mover = biggestMover(report, 'product');
    // Assess: ict grew 17.7% on 3.4M, bundle barely moved on 10.8M, fixed fell 1.2% on 8.5M.
    expect(mover?.row.product).toBe('ict');
    expect(mover?.delta).toBeCloseTo(3365872.24 - 3365872.24 / 1.177389, 2);
  });
});

describe('latestDataDay and joinDot', () => {
  it('gives the last day any extract arrived and joins title parts', () => {
    // Prepare
    const report = { ...fixture('week.json'), completeness: [row('JL', 'revenue', ['2026-11-21', '2026-11-22'])] };
    // Act, Assess
    expect(latestDataDay(report)).toBe('2026-11-20');
    expect(joinDot(['营销KPI 2026年第47周（11/16–11/22）', '全国', '缺2个省日数据'])).toBe('营销KPI 2026年第47周（11/16–11/22）· 全国 · 缺2个省日数据');
  });
});

describe('watchSignalText', () => {
  it('says since when a key account has had no visit from its manager', () => {
    const noVisit = { signal: 'noVisit' as const, day: null, product: null, ref: null, feeBefore: null, feeAfter: null, since: '2026-10-26' };
    expect(watchSignalText(noVisit, 'zh-CN')).toBe('客户经理未按期拜访（10/26 起无拜访）');
    expect(watchSignalText(noVisit, 'en')).toBe('no account-manager visit in the window (none since 10/26)');
  });
});

describe('buildReportWorkbook for a month', () => {
  it('draws a completeness grid with one column per day of the month', async () => {
    // Prepare
    const report = fixture('week.json');
    const month: KpiReport = {
      ...report,
      period: { kind: 'month', id: '2026-11', start: '2026-11-01', end: '2026-11-30' },
      completeness: [{ ...row('JL', 'revenue', ['2026-11-30']), daysExpected: 30, daysReceived: 29 }],
    };
    // Act
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(await buildReportWorkbook(month, { lang: 'zh-CN', runId: 'm' })) as unknown as ArrayBuffer);
    // Assess
    const ws = wb.getWorksheet('数据完整性')!;
    expect(ws.getCell('A1').value).toBe('数据完整性 · 2026年11月');
    let block = 1;
    while (ws.getRow(block).getCell(1).value !== '收入日报') block++;
    const header = ws.getRow(block + 1);
    expect(header.getCell(2).value).toBe('11/1 周日');
    expect(header.getCell(31).value).toBe('11/30 周一');
    expect(header.getCell(32).value).toBe('收到/应收天数');
    expect(ws.getRow(block + 2).getCell(30).value).toBe('✓');
    expect(ws.getRow(block + 2).getCell(31).value).toBe('✗');
    expect(ws.getRow(block + 2).getCell(32).value).toBe('29/30');
    expect(ws.getRow(block - 2).getCell(2).value).toBe('–');
  });
});
