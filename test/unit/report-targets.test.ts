import { readFileSync } from 'node:fs';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import type { KpiReport, TargetRow } from '../../lambdas/core/kpis/kpi-types.js';
import { composeReportMail } from '../../lambdas/core/report/mail.js';
import { NULL_TEXT, buildReportWorkbook } from '../../lambdas/core/report/workbook.js';

const fixture = (name: string): KpiReport => JSON.parse(readFileSync(new URL(`../fixtures/kpis/${name}`, import.meta.url), 'utf8')) as KpiReport;

const GREEN = 'FF1E7B34';
const RED = 'FFC0392B';
const MISSING_FILL = 'FFFFC7CE';

// 2026-W38 runs 9/14 – 9/20: 20 of September's 30 days have gone, time progress 2/3.
const progress = 20 / 30;
const target = (row: Partial<TargetRow> & Pick<TargetRow, 'province' | 'segment' | 'kpi' | 'target'>): TargetRow => {
  const actualToDate = row.actualToDate ?? null;
  const completion = actualToDate == null ? null : actualToDate / row.target;
  return { month: '2026-09', timeProgress: progress, missingDays: 0, ...row, actualToDate, completion, gap: completion == null ? null : completion - progress };
};
const TARGETS: TargetRow[] = [
  target({ province: 'GD', segment: 'ALL', kpi: 'netAdds', target: 500, actualToDate: 300 }),
  target({ province: 'JL', segment: 'ALL', kpi: 'revenue', target: 1_000_000, actualToDate: 623_000 }),
  target({ province: 'JL', segment: 'ALL', kpi: 'grossAdds', target: 1000, actualToDate: 700 }),
  target({ province: 'JL', segment: 'ALL', kpi: 'csat', target: 0.9, actualToDate: 0.855, missingDays: 1 }),
  target({ province: 'JL', segment: 'enterprise', kpi: 'revenue', target: 300_000, missingDays: 20 }),
];

function report(overrides: Partial<KpiReport> = {}): KpiReport {
  return { ...fixture('week.json'), period: { kind: 'week', id: '2026-W38', start: '2026-09-14', end: '2026-09-20' }, targets: TARGETS, targetsNotSet: ['ZJ'], ...overrides };
}

async function targetsSheet(r: KpiReport, lang: 'zh-CN' | 'en' = 'zh-CN'): Promise<{ wb: ExcelJS.Workbook; ws: ExcelJS.Worksheet }> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(Buffer.from(await buildReportWorkbook(r, { lang, runId: 'run-38' })) as unknown as ArrayBuffer);
  const ws = wb.getWorksheet(lang === 'en' ? 'Targets' : '指标完成');
  if (!ws) throw new Error(`no targets sheet: ${wb.worksheets.map((w) => w.name).join(', ')}`);
  return { wb, ws };
}

describe('the 指标完成 sheet', () => {
  it('sits after 数据完整性 and lists each target with its figures, formats and the window in words', async () => {
    // Act
    const { wb, ws } = await targetsSheet(report());

    // Assess
    expect(wb.worksheets.map((w) => w.name)).toEqual(['概览', '客户群×渠道', '省份排名', '产品', '政企行业', '服务质量', '市场份额', '数据完整性', '指标完成', '口径说明']);
    expect(ws.getCell('A2').value).toBe('2026年9月指标，按 9/1–9/20 累计，时序进度 66.7%（已过 20/30 天）');
    expect(ws.getRow(5).values).toEqual([undefined, '省份', '客户群', '指标', '月目标', '本月累计', '完成率', '时序进度', '差距', '缺数天数', '备注']);
    const revenue = ws.getRow(7);
    expect([revenue.getCell(1).value, revenue.getCell(2).value, revenue.getCell(3).value]).toEqual(['吉林', '全省', '收入']);
    expect(revenue.getCell(4)).toMatchObject({ value: 1_000_000, numFmt: '#,##0.00' });
    expect(revenue.getCell(5)).toMatchObject({ value: 623_000, numFmt: '#,##0.00' });
    expect(revenue.getCell(6)).toMatchObject({ value: 0.623, numFmt: '0.0%' });
    expect(revenue.getCell(7).numFmt).toBe('0.0%');
    expect(revenue.getCell(7).value).toBeCloseTo(2 / 3, 12);
    // 62.3 % − 66.7 % = −4.4 points
    expect(revenue.getCell(8).value as number).toBeCloseTo((0.623 - 2 / 3) * 100, 9);
    expect(revenue.getCell(8).numFmt).toBe('"▲"0.0"个百分点";"▼"0.0"个百分点";0.0"个百分点"');
    const csat = ws.getRow(9);
    expect(csat.getCell(3).value).toBe('满意度');
    expect(csat.getCell(4)).toMatchObject({ value: 0.9, numFmt: '0.0%' });
    expect(ws.getRow(8).getCell(4)).toMatchObject({ value: 1000, numFmt: '#,##0' });
    expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 5 });
    expect(ws.autoFilter).toBeTruthy();
  });

  it('colours the gap red for a cumulative KPI behind time, green otherwise, and a rate red below its target', async () => {
    // Act
    const { ws } = await targetsSheet(report());

    // Assess
    const gapColor = (row: number) => ws.getRow(row).getCell(8).font?.color?.argb;
    expect(ws.getRow(6).getCell(3).value).toBe('净增用户');
    expect(gapColor(6)).toBe(RED); // GD net adds 60.0 % against 66.7 %
    expect(gapColor(7)).toBe(RED); // JL revenue 62.3 % against 66.7 %
    expect(gapColor(8)).toBe(GREEN); // JL gross adds 70.0 %, ahead
    // CSAT is a rate: 85.5 % against a target of 90 % is red in completion, and it has no gap against time
    expect(ws.getRow(9).getCell(6).font?.color?.argb).toBe(RED);
    expect(ws.getRow(9).getCell(8).value).toBe('–');
  });

  it('marks rows with days missing, shows – without a figure, and names the province without targets, never 0 %', async () => {
    // Act
    const { ws } = await targetsSheet(report());

    // Assess
    const csat = ws.getRow(9);
    expect(csat.getCell(9).value).toBe(1);
    expect(csat.getCell(10).value).toBe('缺1天数据');
    expect((csat.getCell(5).fill as ExcelJS.FillPattern).fgColor?.argb).toBe(MISSING_FILL);
    const enterprise = ws.getRow(10);
    expect([enterprise.getCell(2).value, enterprise.getCell(5).value, enterprise.getCell(6).value, enterprise.getCell(8).value]).toEqual(['政企', NULL_TEXT, NULL_TEXT, NULL_TEXT]);
    expect(enterprise.getCell(10).value).toBe('缺20天数据；本月至今无数据');
    const zj = ws.getRow(11);
    expect(zj.getCell(1).value).toBe('浙江');
    expect(zj.getCell(6).value).toBe(NULL_TEXT);
    expect(zj.getCell(10).value).toBe('未设指标');
  });

  it('says a week spanning two months reads the month of its last day, and speaks English with lang en', async () => {
    // Prepare: 2026-W49 runs 11/30 – 12/6
    const crossing = report({ period: { kind: 'week', id: '2026-W49', start: '2026-11-30', end: '2026-12-06' }, targets: [], targetsNotSet: ['JL'] });

    // Act
    const zh = await targetsSheet(crossing);
    const en = await targetsSheet(report(), 'en');

    // Assess
    expect(zh.ws.getCell('A2').value).toBe('2026年12月指标，按 12/1–12/6 累计，时序进度 19.4%（已过 6/31 天）；本周跨月，按本周最后一天所在月份（2026年12月）计');
    expect(en.ws.getRow(5).values).toEqual([undefined, 'Province', 'Segment', 'KPI', 'Month target', 'Month to date', 'Completion', 'Time elapsed', 'Gap', 'Days missing', 'Note']);
    expect([en.ws.getCell('A7').value, en.ws.getCell('B7').value, en.ws.getCell('C7').value]).toEqual(['Jilin', 'Whole province', 'Revenue']);
    expect(en.ws.getCell('J11').value).toBe('No targets set');
  });

  it('is left out of a report written before targets existed', async () => {
    // Prepare
    const { targets: _t, targetsNotSet: _n, ...old } = report();

    // Act
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(await buildReportWorkbook(old, { lang: 'zh-CN', runId: 'run-38' })) as unknown as ArrayBuffer);

    // Assess
    expect(wb.worksheets.map((w) => w.name)).not.toContain('指标完成');
  });
});

describe('the e-mail\'s 指标完成 block', () => {
  const options = { runId: 'run-38', workbookName: 'report.xlsx' };

  it('puts a line per province target under the tiles, in the words of the weekly meeting', () => {
    // Act
    const mail = composeReportMail(report(), { ...options, lang: 'zh-CN' });

    // Assess
    const lines = mail.text.split('\n');
    const at = lines.indexOf('指标完成：2026年9月指标，按 9/1–9/20 累计，时序进度 66.7%（已过 20/30 天）');
    expect(at).toBeGreaterThan(lines.findIndex((l) => l.startsWith('收入（万元）：')));
    expect(at).toBeLessThan(lines.indexOf('变动最大'));
    // JL is behind on revenue and comes first; GD set no revenue target and comes after
    expect(lines.slice(at + 1, at + 7)).toEqual([
      '- 吉林 收入完成率 62.3%，时序进度 66.7%，落后 4.4 个百分点',
      '- 吉林 新增用户完成率 70.0%，时序进度 66.7%，领先 3.3 个百分点',
      '- 吉林 满意度 85.5%，目标 90.0%，完成率 95.0%（缺1天数据）',
      '- 广东 净增用户完成率 60.0%，时序进度 66.7%，落后 6.7 个百分点',
      '其余 1 条见附件“指标完成”',
      '未设指标：浙江',
    ]);
  });

  it('for all provinces keeps whole provinces, the furthest behind on revenue first, up to 15 lines', () => {
    // Prepare: four provinces with all five KPIs; revenue completion JL 50 %, GD 70 %, SC 60 %, ZJ 80 %
    const kpis = [['revenue', 1000], ['grossAdds', 100], ['netAdds', 50], ['arpu', 50], ['csat', 0.9]] as const;
    const revenue: Record<string, number> = { JL: 500, GD: 700, SC: 600, ZJ: 800 };
    const targets = Object.keys(revenue).flatMap((province) => kpis.map(([kpi, value]) => target({
      province, segment: 'ALL', kpi, target: value, actualToDate: kpi === 'revenue' ? revenue[province]! : value / 2,
    })));

    // Act
    const text = composeReportMail(report({ targets, targetsNotSet: [] }), { ...options, lang: 'zh-CN' }).text;

    // Assess
    const lines = text.split('\n').filter((l) => /^- (吉林|广东|四川|浙江) /.test(l) && l.includes('完成率'));
    expect(lines).toHaveLength(15);
    expect([...new Set(lines.map((l) => l.slice(2, 4)))]).toEqual(['吉林', '四川', '广东']);
    expect(text).toContain('其余 5 条见附件“指标完成”');
  });

  it('reads a rate against its target, not against the days gone', () => {
    // Prepare: ARPU 121.41 against 127.22 (95.4 %) and CSAT 82 % against 80 % (102.5 %), 96.7 % of the month gone
    const targets = [
      target({ province: 'JL', segment: 'ALL', kpi: 'arpu', target: 127.22, actualToDate: 121.41 }),
      target({ province: 'JL', segment: 'ALL', kpi: 'csat', target: 0.8, actualToDate: 0.82 }),
    ];

    // Act
    const { text, html } = composeReportMail(report({ targets, targetsNotSet: [] }), { ...options, lang: 'zh-CN' });

    // Assess
    expect(text).toContain('- 吉林 ARPU 121.41，目标 127.22，完成率 95.4%');
    expect(text).toContain('- 吉林 满意度 82.0%，目标 80.0%，完成率 102.5%');
    expect(html).toContain('color:#c0392b;">吉林 ARPU 121.41');
    expect(html).toContain('color:#1e7b34;">吉林 满意度 82.0%');
  });

  it('colours the HTML lines as the sheet does and keeps them under the tiles', () => {
    // Act
    const { html } = composeReportMail(report(), { ...options, lang: 'zh-CN' });

    // Assess
    expect(html).toContain('<li style="margin:0 0 4px;color:#c0392b;">吉林 收入完成率 62.3%，时序进度 66.7%，落后 4.4 个百分点</li>');
    expect(html).toContain('<li style="margin:0 0 4px;color:#1e7b34;">吉林 新增用户完成率 70.0%，时序进度 66.7%，领先 3.3 个百分点</li>');
    expect(html).toContain('未设指标：浙江');
    expect(html.indexOf('指标完成')).toBeGreaterThan(html.lastIndexOf('font-size:22px'));
    expect(html.indexOf('指标完成')).toBeLessThan(html.indexOf('变动最大'));
  });

  it('lists the province\'s segment targets too for a provincial report, and speaks English with lang en', () => {
    // Prepare
    const jl = report({ scope: 'JL', targets: TARGETS.filter((r) => r.province === 'JL'), targetsNotSet: [] });

    // Act
    const zh = composeReportMail(jl, { ...options, lang: 'zh-CN' }).text;
    const en = composeReportMail(jl, { ...options, lang: 'en' }).text;

    // Assess
    expect(zh).toContain('- 收入完成率 62.3%，时序进度 66.7%，落后 4.4 个百分点\n');
    expect(zh).toContain('- 政企 收入：本月至今无数据，未计算完成率（目标 300,000.00）（缺20天数据）\n');
    expect(zh).not.toContain('未设指标');
    expect(en).toContain('- Revenue 62.3% of target, time elapsed 66.7%: 4.4 pp behind\n');
    expect(en).toContain('- CSAT 85.5%, target 90.0%: 95.0% of target (1 day missing)\n');
  });

  it('says only 未设指标 when no province of the scope set targets, and nothing for a report without the field', () => {
    // Act
    const none = composeReportMail(report({ scope: 'ZJ', targets: [], targetsNotSet: ['ZJ'] }), { ...options, lang: 'zh-CN' }).text;
    const { targets: _t, targetsNotSet: _n, ...old } = report();
    const before = composeReportMail(old, { ...options, lang: 'zh-CN' }).text;

    // Assess
    expect(none).toContain('未设指标：浙江');
    expect(none).not.toMatch(/完成率 0\.0%/);
    expect(before).not.toContain('指标完成');
  });
});
