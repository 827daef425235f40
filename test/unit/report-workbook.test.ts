import { readFileSync } from 'node:fs';
import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import { describe, expect, it } from 'vitest';
import type { KpiReport } from '../../lambdas/core/kpis/kpi-types.js';
import { NULL_TEXT, NUM_FMT, buildReportWorkbook } from '../../lambdas/core/report/workbook.js';

const fixture = (name: string): KpiReport => JSON.parse(readFileSync(new URL(`../fixtures/kpis/${name}`, import.meta.url), 'utf8')) as KpiReport;

async function readBack(bytes: Uint8Array): Promise<ExcelJS.Workbook> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(Buffer.from(bytes) as unknown as ArrayBuffer);
  return wb;
}

function sheet(wb: ExcelJS.Workbook, name: string): ExcelJS.Worksheet {
  const ws = wb.getWorksheet(name);
  if (!ws) throw new Error(`no sheet ${name}; sheets: ${wb.worksheets.map((w) => w.name).join(', ')}`);
  return ws;
}

/** The first row (from `from`) whose column-A text equals `text`. */
function rowWhere(ws: ExcelJS.Worksheet, column: number, text: string, from = 1): ExcelJS.Row {
  for (let r = from; r <= ws.rowCount; r++) if (ws.getRow(r).getCell(column).value === text) return ws.getRow(r);
  throw new Error(`no row with '${text}' in column ${column} of ${ws.name}`);
}

const GREEN = 'FF1E7B34';
const RED = 'FFC0392B';

describe('buildReportWorkbook', () => {
  it('writes the nine sheets in Chinese, market share included when market rows exist', async () => {
    // Prepare
    const report = fixture('week.json');
    // Act
    const wb = await readBack(await buildReportWorkbook(report, { lang: 'zh-CN', runId: 'run-47' }));
    // Assess
    expect(wb.worksheets.map((w) => w.name)).toEqual(['概览', '客户群×渠道', '省份排名', '产品', '政企行业', '服务质量', '市场份额', '数据完整性', '口径说明']);
  });

  it('names sheets and headers in English with lang en, and leaves out market share without market rows', async () => {
    // Prepare
    const report = { ...fixture('week.json'), market: [] };
    // Act
    const wb = await readBack(await buildReportWorkbook(report, { lang: 'en', runId: 'run-47' }));
    // Assess
    expect(wb.worksheets.map((w) => w.name)).toEqual(['Summary', 'Segment x Channel', 'Provinces', 'Products', 'Enterprise sectors', 'Service quality', 'Data completeness', 'Definitions']);
    expect(sheet(wb, 'Provinces').getRow(1).values).toContain('Revenue (CNY)');
    expect(sheet(wb, 'Provinces').getCell('B2').value).toBe('Guangdong');
  });

  it('shows the summary tiles with 万元, the derived last week and a coloured ▲/▼ change', async () => {
    // Prepare
    const report = fixture('week.json');
    const total = report.rows.find((r) => r.dimension === 'total')!;
    // Act
    const ws = sheet(await readBack(await buildReportWorkbook(report, { lang: 'zh-CN', runId: 'run-47' })), '概览');
    // Assess
    expect(ws.getRow(4).values).toEqual([undefined, '指标', '单位', '本周', '上周', '环比', '环比口径']);
    const revenue = rowWhere(ws, 1, '收入');
    expect(revenue.getCell(2).value).toBe('万元');
    expect(revenue.getCell(3).value).toBeCloseTo(total.revenue! / 10_000, 6);
    expect(revenue.getCell(3).numFmt).toBe(NUM_FMT.wan);
    expect(revenue.getCell(4).value).toBeCloseTo(total.revenue! / (1 + total.revenueGrowth!) / 10_000, 6);
    expect(revenue.getCell(5).value).toBe(total.revenueGrowth);
    expect(revenue.getCell(5).numFmt).toBe('"▲"0.0%;"▼"0.0%;0.0%');
    expect(revenue.getCell(5).font?.color?.argb).toBe(GREEN);
    const adds = rowWhere(ws, 1, '新增用户');
    expect(adds.getCell(5).value).toBeLessThan(0);
    expect(adds.getCell(5).font?.color?.argb).toBe(RED);
    const churn = rowWhere(ws, 1, '离网率');
    expect(churn.getCell(3).numFmt).toBe('0.00%') // 0.42 %: two decimals below 1 %, as the mail shows it;
    expect(churn.getCell(4).value).toBe(NULL_TEXT);
    expect(churn.getCell(5).value).toBe(NULL_TEXT);
    expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 4 });
  });

  it('takes last week from a previous report and colours churn going up red', async () => {
    // Prepare
    const report = fixture('week.json');
    const previous = structuredClone(report);
    const prevTotal = previous.rows.find((r) => r.dimension === 'total')!;
    prevTotal.churnRate = 0.0032;
    prevTotal.csat = 0.85;
    // Act
    const ws = sheet(await readBack(await buildReportWorkbook(report, { lang: 'zh-CN', runId: 'run-47', previous })), '概览');
    // Assess
    const churn = rowWhere(ws, 1, '离网率');
    expect(churn.getCell(4).value).toBe(0.0032);
    expect(churn.getCell(5).value).toBeCloseTo((0.004232 - 0.0032) * 100, 9);
    expect(churn.getCell(5).numFmt).toContain('个百分点');
    expect(churn.getCell(5).font?.color?.argb).toBe(RED);
    expect(rowWhere(ws, 1, '满意度 CSAT').getCell(5).font?.color?.argb).toBe(GREEN);
  });

  it('ranks provinces by revenue with money, share and completeness flags', async () => {
    // Prepare
    const report = fixture('week.json');
    // Act
    const ws = sheet(await readBack(await buildReportWorkbook(report, { lang: 'zh-CN', runId: 'run-47' })), '省份排名');
    // Assess
    expect([2, 3, 4].map((r) => ws.getRow(r).getCell(2).value)).toEqual(['广东', '四川', '吉林']);
    expect(ws.getCell('A4').value).toBe(3);
    expect(ws.getCell('C2').value).toBe(21827575.58);
    expect(ws.getCell('C2').numFmt).toBe('#,##0.00');
    // E: the basis of the change beside it (the fixture predates growthBasis: all days)
    expect(ws.getCell('E2').value).toBe('全部日期');
    expect(ws.getCell('F2').numFmt).toBe('0.0%');
    expect(ws.getCell('K2').value).toBe('✓ 完整');
    expect(ws.getCell('K4').value).toBe('✗ 缺1天（收入日报 11/18）');
    expect((ws.getCell('K4').fill as ExcelJS.FillPattern).fgColor?.argb).toBe('FFFFC7CE');
    expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    expect(ws.autoFilter).toBeDefined();
    expect(ws.pageSetup).toMatchObject({ orientation: 'landscape', fitToPage: true, fitToWidth: 1, fitToHeight: 0 });
  });

  it('shows a null value as an en dash, never as 0', async () => {
    // Prepare
    const report = fixture('week.json');
    // Act
    const wb = await readBack(await buildReportWorkbook(report, { lang: 'zh-CN', runId: 'run-47' }));
    // Assess
    const sectors = sheet(wb, '政企行业');
    expect(rowWhere(sectors, 1, '高端聚类').getCell(3).value).toBe(NULL_TEXT);
    const segCh = sheet(wb, '客户群×渠道');
    const agent = [...Array(segCh.rowCount).keys()].map((i) => segCh.getRow(i + 1)).find((r) => r.getCell(1).value === '公众' && r.getCell(2).value === '社会渠道')!;
    expect(agent.getCell(10).value).toBe(NULL_TEXT);
    expect(agent.getCell(3).value).toBeTypeOf('number');
    const service = sheet(wb, '服务质量');
    expect(rowWhere(service, 2, '直销').getCell(6).value).toBe(NULL_TEXT);
  });

  it('gives detail sheets filters, frozen headers and column widths that fit Chinese labels', async () => {
    // Prepare
    const report = fixture('week.json');
    // Act
    const wb = await readBack(await buildReportWorkbook(report, { lang: 'zh-CN', runId: 'run-47' }));
    // Assess
    for (const name of ['客户群×渠道', '省份排名', '产品', '政企行业', '服务质量', '市场份额']) {
      const ws = sheet(wb, name);
      expect(ws.autoFilter, name).toBeTruthy();
      expect(ws.views[0], name).toMatchObject({ state: 'frozen', ySplit: 1 });
      expect(ws.pageSetup.orientation, name).toBe('landscape');
    }
    const service = sheet(wb, '服务质量');
    // 首响及时率（30分钟）: 9 wide characters (2 units each) and 2 narrow ones, 14 characters in all.
    expect(service.getColumn(7).width).toBeGreaterThanOrEqual(20);
  });

  it('marks the missing province-days with a red ✗ in the completeness grid and lists rejected uploads', async () => {
    // Prepare
    const report = fixture('week.json');
    // Act
    const ws = sheet(await readBack(await buildReportWorkbook(report, { lang: 'zh-CN', runId: 'run-47' })), '数据完整性');
    // Assess
    const revenueBlock = rowWhere(ws, 1, '收入日报').number;
    expect(ws.getRow(revenueBlock + 1).getCell(4).value).toBe('11/18 周三');
    const jl = rowWhere(ws, 1, '吉林', revenueBlock);
    expect(jl.getCell(4).value).toBe('✗');
    expect((jl.getCell(4).fill as ExcelJS.FillPattern).fgColor?.argb).toBe('FFFFC7CE');
    expect([2, 3, 5, 6, 7, 8].map((c) => jl.getCell(c).value)).toEqual(['✓', '✓', '✓', '✓', '✓', '✓']);
    expect(jl.getCell(9).value).toBe('6/7');
    const salesBlock = rowWhere(ws, 1, '销售日报').number;
    expect(rowWhere(ws, 1, '四川', salesBlock).getCell(6).value).toBe('✗');
    expect(rowWhere(ws, 1, '广东', salesBlock).getCell(6).value).toBe('✓');
    const rejectedHeader = rowWhere(ws, 1, '被拒绝的上传（未被更正）').number + 1;
    expect(ws.getRow(rejectedHeader).getCell(4).value).toBe('文件');
    // Long texts span merged columns (file D:E, received F:G, first problem I:M), so no day column is widened.
    expect(ws.getRow(rejectedHeader + 1).getCell(6).value).toBe('2026-11-19 09:12');
    expect(ws.getRow(rejectedHeader + 1).getCell(9).value).toContain('is not a number');
    expect(ws.getRow(rejectedHeader + 1).getCell(9).isMerged).toBe(true);
    expect(ws.getColumn(7).width).toBe(12);
  });

  it('stores formula-looking uploaded text as plain strings and writes no formula anywhere', async () => {
    // Prepare
    const report = fixture('week.json');
    // Act
    const bytes = await buildReportWorkbook(report, { lang: 'zh-CN', runId: '=cmd|run' });
    // Assess
    const wb = await readBack(bytes);
    const completeness = sheet(wb, '数据完整性');
    const fileCell = rowWhere(completeness, 4, '=HYPERLINK("http://evil.example/x","revenue_JL_20261118").csv').getCell(4);
    expect(fileCell.type).toBe(ExcelJS.ValueType.String);
    expect(fileCell.formula).toBeUndefined();
    const operator = rowWhere(sheet(wb, '市场份额'), 4, '=1+1').getCell(4);
    expect(operator.type).toBe(ExcelJS.ValueType.String);
    expect(rowWhere(sheet(wb, '口径说明'), 1, '运行编号').getCell(2).type).toBe(ExcelJS.ValueType.String);
    const zip = await JSZip.loadAsync(bytes);
    const sheets = Object.keys(zip.files).filter((f) => /^xl\/worksheets\/sheet\d+\.xml$/.test(f));
    expect(sheets).toHaveLength(9);
    for (const name of sheets) expect(await zip.file(name)!.async('string'), name).not.toMatch(/<f[ >]/);
    expect(await zip.file('xl/sharedStrings.xml')!.async('string')).toContain('=HYPERLINK(&quot;http://evil.example/x&quot;');
  });

  it('marks like-for-like changes in the summary and the province ranking and names the left-out days', async () => {
    // Prepare: JL's missing Wed 11/18 of revenue took Wed 11/11 out of the growths
    const week = fixture('week.json');
    const report: KpiReport = {
      ...week,
      rows: week.rows.map((r) => ({ ...r, growthBasis: r.dimension === 'total' || r.province === 'JL' ? 'matched' as const : 'all' as const })),
      completeness: week.completeness.map((c) => ({
        ...c,
        growthLeftOut: c.province === 'JL' && c.type === 'revenue' ? [{ day: '2026-11-18', previousDay: '2026-11-11', missingIn: 'current' as const }] : [],
      })),
    };
    // Act
    const wb = await readBack(await buildReportWorkbook(report, { lang: 'zh-CN', runId: 'run-47' }));
    // Assess
    const summary = sheet(wb, '概览');
    expect(rowWhere(summary, 1, '收入').getCell(6).value).toBe('可比口径');
    expect(rowWhere(summary, 1, 'ARPU（元）').getCell(6).value).toBe('可比口径');
    expect(rowWhere(summary, 1, '新增用户').getCell(6).value).toBe('全部日期');
    // no change without the previous report: no basis either
    expect(rowWhere(summary, 1, '离网率').getCell(6).value).toBe(NULL_TEXT);
    expect(rowWhere(summary, 1, '可比口径：环比只比较两期都收到的同日数据——吉林 收入日报 11/18 未收到，上周 11/11 同时剔除。').getCell(1).value)
      .toContain('吉林 收入日报 11/18');
    const provinces = sheet(wb, '省份排名');
    expect(rowWhere(provinces, 2, '吉林').getCell(5).value).toBe('可比口径');
    expect(rowWhere(provinces, 2, '广东').getCell(5).value).toBe('全部日期');
    expect(rowWhere(sheet(wb, '口径说明'), 1, '可比口径').getCell(2).value).toContain('第 i 天');
  });

  it('states period, scope and run id in the definitions sheet and titles a province report with its name', async () => {
    // Prepare
    const report = fixture('week-jl.json');
    // Act
    const wb = await readBack(await buildReportWorkbook(report, { lang: 'zh-CN', runId: 'run-jl', dataAsOf: '2026-11-22' }));
    // Assess
    expect(sheet(wb, '概览').getCell('A1').value).toBe('营销KPI 2026年第47周（11/16–11/22）· 吉林');
    const defs = sheet(wb, '口径说明');
    expect(rowWhere(defs, 1, '范围').getCell(2).value).toBe('吉林 (JL)');
    expect(rowWhere(defs, 1, '运行编号').getCell(2).value).toBe('run-jl');
    expect(rowWhere(defs, 1, '数据截至').getCell(2).value).toBe('2026-11-22');
    expect(rowWhere(defs, 1, '离网率').getCell(2).value).toBe('离网用户 ÷ 在网用户。');
    expect(sheet(wb, '省份排名').rowCount).toBe(2);
  });
});
