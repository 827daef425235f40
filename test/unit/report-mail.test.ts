import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { KpiReport } from '../../lambdas/core/kpis/kpi-types.js';
import { composeReportMail, escapeHtml, reportSubject } from '../../lambdas/core/report/mail.js';

const fixture = (name: string): KpiReport => JSON.parse(readFileSync(new URL(`../fixtures/kpis/${name}`, import.meta.url), 'utf8')) as KpiReport;

/** The fixture with every province-day received. */
function complete(report: KpiReport): KpiReport {
  return { ...report, completeness: report.completeness.map((c) => ({ ...c, daysReceived: c.daysExpected, missingDays: [], rejectedUploads: [] })) };
}

const NOVEMBER = { kind: 'month' as const, id: '2026-11', start: '2026-11-01', end: '2026-11-30' };
const base = { runId: 'run-47', workbookName: 'report.xlsx' };

describe('reportSubject', () => {
  it('names the week, its days and the scope when the data is complete', () => {
    // Prepare
    const report = complete(fixture('week.json'));
    // Act
    const subject = reportSubject(report, { lang: 'zh-CN' });
    // Assess
    expect(subject).toBe('【周报】营销KPI 2026年第47周（11/16–11/22）· 全国');
  });

  it('counts the missing province-days', () => {
    // Prepare
    const report = fixture('week.json');
    // Act
    const subject = reportSubject(report, { lang: 'zh-CN' });
    // Assess
    expect(subject).toBe('【周报】营销KPI 2026年第47周（11/16–11/22）· 全国 · 缺2个省日数据');
  });

  it('puts 【修订】 in front of a revision', () => {
    // Prepare
    const report = complete(fixture('week.json'));
    // Act
    const subject = reportSubject(report, { lang: 'zh-CN', revision: true });
    // Assess
    expect(subject).toBe('【修订】【周报】营销KPI 2026年第47周（11/16–11/22）· 全国');
  });

  it('says 月报 and the month for a monthly report', () => {
    // Prepare
    const report = { ...complete(fixture('week.json')), period: NOVEMBER };
    // Act
    const subject = reportSubject(report, { lang: 'zh-CN' });
    // Assess
    expect(subject).toBe('【月报】营销KPI 2026年11月 · 全国');
  });

  it('has English equivalents', () => {
    // Prepare
    const report = fixture('week.json');
    // Act
    const weekly = reportSubject(report, { lang: 'en', revision: true });
    const monthly = reportSubject({ ...complete(report), period: NOVEMBER }, { lang: 'en' });
    // Assess
    expect(weekly).toBe('[Revised] [Weekly] Marketing KPIs 2026 W47 (11/16–11/22) · All provinces · 2 province-days missing');
    expect(monthly).toBe('[Monthly] Marketing KPIs November 2026 · All provinces');
  });

  it('names the province of a province report, and takes the missing count from an explicit partial list', () => {
    // Prepare
    const report = fixture('week-jl.json');
    // Act
    const subject = reportSubject(report, { lang: 'zh-CN', partial: { missing: ['吉林 11/18', '吉林 11/19', '吉林 11/20'] } });
    // Assess
    expect(subject).toBe('【周报】营销KPI 2026年第47周（11/16–11/22）· 吉林 · 缺3个省日数据');
  });
});

describe('composeReportMail', () => {
  it('opens with the data status naming the missing province-days, in HTML and text', () => {
    // Prepare
    const report = fixture('week.json');
    // Act
    const mail = composeReportMail(report, { ...base, lang: 'zh-CN' });
    // Assess
    const status = '数据不完整，以下省日缺数据：吉林 11/18（收入日报）；四川 11/20（销售日报、服务日报）';
    expect(mail.text.split('\n')[0]).toBe(`⚠ ${status}`);
    const body = mail.html.slice(mail.html.indexOf('<body'));
    const firstText = body.replace(/<[^>]+>/g, '\n').split('\n').map((s) => s.trim()).find((s) => s !== '');
    expect(firstText).toBe(`⚠ ${status}`);
  });

  it('says the data is complete when every province-day arrived', () => {
    // Prepare
    const report = complete(fixture('week.json'));
    // Act
    const mail = composeReportMail(report, { ...base, lang: 'zh-CN' });
    // Assess
    expect(mail.text.split('\n')[0]).toBe('✓ 数据完整：各省各日的销售、收入、服务日报均已收到。');
  });

  it('shows each tile with this week, last week and a change coloured by good or bad', () => {
    // Prepare
    const report = fixture('week.json');
    // Act
    const mail = composeReportMail(report, { ...base, lang: 'zh-CN' });
    // Assess
    expect(mail.text).toContain('收入（万元）：3,844.8  上周 3,808.0  环比 ▲1.0%');
    expect(mail.text).toContain('新增用户：8,506  上周 8,655  环比 ▼1.7%');
    expect(mail.text).toContain('离网率：0.42%  上周 –  环比 –');
    expect(mail.html).toContain('<span style="color:#1e7b34;font-weight:bold;">▲1.0%</span>');
    expect(mail.html).toContain('<span style="color:#c0392b;font-weight:bold;">▼1.7%</span>');
    for (const tile of ['ARPU（元）', '在网用户（万户）', '净增', '满意度 CSAT', '投诉率（每万户）', '首响及时率（30分钟）']) expect(mail.html).toContain(tile);
  });

  it('colours churn going up red and CSAT going up green when last week is known', () => {
    // Prepare
    const report = fixture('week.json');
    const previous = structuredClone(report);
    const prevTotal = previous.rows.find((r) => r.dimension === 'total')!;
    prevTotal.churnRate = 0.0032;
    prevTotal.csat = 0.85;
    // Act
    const mail = composeReportMail(report, { ...base, lang: 'zh-CN', previous });
    // Assess
    expect(mail.text).toContain('离网率：0.42%  上周 0.32%  环比 ▲0.10个百分点');
    expect(mail.html).toContain('<span style="color:#c0392b;font-weight:bold;">▲0.10个百分点</span>');
    expect(mail.html).toContain('<span style="color:#1e7b34;font-weight:bold;">▲1.2个百分点</span>');
  });

  it('names in plain words the segment × channel, channel and province that moved most', () => {
    // Prepare
    const report = fixture('week.json');
    // Act
    const mail = composeReportMail(report, { ...base, lang: 'zh-CN' });
    // Assess
    expect(mail.text).toContain('- 政企-直销 收入环比 ▲2.0%（+16.9万元）');
    expect(mail.text).toContain('- 网上营业厅 收入环比 ▲3.0%（+17.9万元）');
    expect(mail.text).toContain('- 吉林 收入环比 ▲8.8%（+51.1万元）');
  });

  it('marks like-for-like changes (可比口径), names the left-out days and ranks only groups with a growth', () => {
    // Prepare: JL's revenue of Wed 11/18 is missing, so Wed 11/11 was left out of the growths too;
    // SC's missing sales day (11/20) had no counterpart with rows; JL's growth is made null.
    const week = fixture('week.json');
    const report: KpiReport = {
      ...week,
      rows: week.rows.map((r) => (r.dimension === 'total' ? { ...r, growthBasis: 'matched' as const }
        : r.dimension === 'province' && r.province === 'JL' ? { ...r, revenueGrowth: null, growthBasis: 'matched' as const }
          : r.dimension === 'province' && r.province === 'SC' ? { ...r, growthBasis: 'matched' as const } : { ...r, growthBasis: 'all' as const })),
      completeness: week.completeness.map((c) => ({
        ...c,
        growthLeftOut: c.province === 'JL' && c.type === 'revenue' ? [{ day: '2026-11-18', previousDay: '2026-11-11', missingIn: 'current' as const }] : [],
      })),
    };
    // Act
    const mail = composeReportMail(report, { ...base, lang: 'zh-CN' });
    const en = composeReportMail(report, { ...base, lang: 'en' });
    // Assess: revenue, ARPU and users are matched; gross adds (sales) compared every day
    expect(mail.text).toContain('收入（万元）：3,844.8  上周 3,808.0  环比 ▲1.0%（可比口径）');
    expect(mail.text).toMatch(/新增用户：[^\n]*环比 ▼1\.7%\n/);
    expect(mail.text).toContain('可比口径：环比只比较两期都收到的同日数据——吉林 收入日报 11/18 未收到，上周 11/11 同时剔除。');
    expect(mail.html).toContain('（可比口径）');
    // JL (null growth) is not ranked; SC moved more yuan than GD: 10,316,010.39 × 0.8437% / (1 − 0.8437%)
    expect(mail.text).toContain('- 四川 收入环比 ▼0.8%（−8.8万元）【可比口径】');
    expect(mail.text).not.toContain('- 吉林');
    expect(en.text).toContain('Revenue (10k CNY): 3,844.8  Last week 3,808.0  Change ▲1.0% (like for like)');
    expect(en.text).toContain('Jilin revenue 11/18 not received, so Last week 11/11 left out too');
  });

  it('ends with generated at in Beijing time, data as of, run id and where the workbook is', () => {
    // Prepare
    const report = fixture('week.json');
    // Act
    const mail = composeReportMail(report, { ...base, lang: 'zh-CN', workbookPath: 'reports/2026-W47/ALL/report.xlsx' });
    // Assess
    expect(mail.text.trimEnd().split('\n').slice(-4)).toEqual([
      '生成时间：2026-11-23 09:00（北京时间）',
      '数据截至：2026-11-22',
      '运行编号：run-47',
      '报表：reports/2026-W47/ALL/report.xlsx · report.xlsx（见附件）',
    ]);
    expect(mail.html).toContain('运行编号：run-47');
  });

  it('escapes every value and uses no external asset', () => {
    // Prepare
    const report = fixture('week.json');
    // Act
    const mail = composeReportMail(report, {
      ...base, lang: 'en', runId: 'r&d"1', workbookPath: '<script>alert(1)</script>', partial: { missing: ['<b>Jilin</b> 11/18'] },
    });
    // Assess
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).not.toContain('<b>Jilin');
    expect(mail.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(mail.html).toContain('r&amp;d&quot;1');
    expect(mail.html).not.toMatch(/src=|href=|url\(|@import/i);
    expect(mail.text).toContain('Data incomplete, these province-days are missing: <b>Jilin</b> 11/18');
    expect(mail.text).toContain('Revenue (10k CNY): 3,844.8  Last week 3,808.0  Change ▲1.0%');
  });

  it('escapes the five HTML-special characters', () => {
    // Prepare
    const raw = `<a href="x">'&'</a>`;
    // Act
    const escaped = escapeHtml(raw);
    // Assess
    expect(escaped).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});
