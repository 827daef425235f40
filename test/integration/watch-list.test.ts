/**
 * The key-account watch list and the package mix (SPEC §10) on DuckDB over the hand-made lake of
 * test/fixtures/watch-list (its README lists every customer and event and what each is for).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbQueryEngine } from '../../lambdas/adapters/duckdb-query-engine.js';
import { computeKpis, feeBands, type KpiRequest } from '../../lambdas/core/kpis/kpis.js';
import type { KpiReport, WatchListRow } from '../../lambdas/core/kpis/kpi-types.js';
import { parsePeriod } from '../../lambdas/core/period.js';
import { composeReportMail } from '../../lambdas/core/report/mail.js';
import { buildReportWorkbook, NULL_TEXT } from '../../lambdas/core/report/workbook.js';
import { writeFixtureLake } from '../fixtures/lake/write-lake.js';

const QUERIES_DIR = join(import.meta.dirname, '..', '..', 'queries');
const FIXTURE_DIR = join(import.meta.dirname, '..', 'fixtures', 'watch-list');
const NOW = new Date('2026-11-23T01:00:00Z');

let home: string;
let engine: DuckDbQueryEngine;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'telco-kpi-watch-'));
  await writeFixtureLake(home, [], FIXTURE_DIR);
  engine = new DuckDbQueryEngine(home, QUERIES_DIR);
});

afterAll(async () => {
  await engine.close();
  await rm(home, { recursive: true, force: true });
});

function report(periodId: string, scope: string, extra: Partial<KpiRequest> = {}): Promise<KpiReport> {
  return computeKpis(engine, { period: parsePeriod(periodId), scope, expectedProvinces: ['JL', 'GD'], rejectedUploads: [], now: NOW, ...extra });
}

const summary = (rows: readonly WatchListRow[]) => rows.map((r) => [r.customerId, r.feeAtStake, r.signals.map((s) => `${s.signal}${s.day ? ` ${s.day}` : ''}`)]);

describe('the key-account watch list', () => {
  it('lists enterprise customers at or over the threshold with a signal in the week, ranked by fee at stake', async () => {
    // Act
    const result = await report('2026-W47', 'GD');

    // Assess
    expect(summary(result.watchList!)).toEqual([
      ['K03', 4000, ['downgrade 2026-11-18']],
      ['K04', 4000, ['partialChurn 2026-11-19']],
      ['K06', 3500, ['complaint 2026-11-20']],
      ['K08', 3500, ['faultSlow 2026-11-18']],
      ['K09', 3500, ['faultOpen 2026-11-18']],
      ['K11', 3500, ['noVisit']],
      ['K12', 3500, ['noVisit']],
      ['K01', 3334, ['complaint 2026-11-17']],
    ]);
  });

  it('names the province, sub-segment, account manager, products held and each signal’s source', async () => {
    // Act
    const rows = (await report('2026-W47', 'GD')).watchList!;

    // Assess
    const k03 = rows.find((r) => r.customerId === 'K03')!;
    expect(k03).toMatchObject({ province: 'GD', subSegment: 'finance', accountManagerId: 'GD0001', productsHeld: 1 });
    expect(k03.signals).toEqual([{ signal: 'downgrade', day: '2026-11-18', product: 'ict', ref: 'G004', feeBefore: 5000, feeAfter: 4000 }]);
    const k04 = rows.find((r) => r.customerId === 'K04')!;
    expect(k04.productsHeld).toBe(1);
    expect(k04.signals).toEqual([{ signal: 'partialChurn', day: '2026-11-19', product: 'mobile', ref: 'G007', feeBefore: 199, feeAfter: 0 }]);
    expect(rows.find((r) => r.customerId === 'K09')!.signals[0]!.ref).toBe('F09');
    expect(rows.find((r) => r.customerId === 'K11')!.accountManagerId).toBe('GD0003');
    // K11's manager visited on 10-25, the day before the 4-week window of W47 (10-26 … 11-22) begins
    expect(rows.find((r) => r.customerId === 'K11')!.signals).toEqual([{ signal: 'noVisit', day: null, product: null, ref: null, feeBefore: null, feeAfter: null, since: '2026-10-26' }]);
  });

  it('leaves out 0.01 under the threshold, a fault resolved in exactly 2 h (the later file’s version), the last product’s churn, a visit on the window’s first day, and non-enterprise customers', async () => {
    // Act
    const ids = (await report('2026-W47', 'GD')).watchList!.map((r) => r.customerId);

    // Assess
    for (const id of ['K02', 'K05', 'K07', 'K10', 'P01']) expect(ids, id).not.toContain(id);
  });

  it('takes the threshold, the fault hours and the visit weeks from the settings', async () => {
    // Act
    const lower = await report('2026-W47', 'GD', { watchList: { feeThreshold: 3333.99, faultResolveHours: 2, visitWeeks: 4, holdingsDays: 365 } });
    const slower = await report('2026-W47', 'GD', { watchList: { feeThreshold: 3334, faultResolveHours: 2 + 1 / 60, visitWeeks: 4, holdingsDays: 365 } });
    const shorter = await report('2026-W47', 'GD', { watchList: { feeThreshold: 3334, faultResolveHours: 2, visitWeeks: 1, holdingsDays: 365 } });

    // Assess
    expect(lower.watchList!.map((r) => r.customerId)).toContain('K02');
    expect(slower.watchList!.map((r) => r.customerId)).not.toContain('K08');
    // with a 1-week window (11-16 … 11-22) the visits of 11-10 are too old: every key account has noVisit
    const noVisit = shorter.watchList!.filter((r) => r.signals.some((s) => s.signal === 'noVisit')).map((r) => r.customerId);
    expect(noVisit).toEqual(['K03', 'K04', 'K06', 'K07', 'K08', 'K09', 'K10', 'K11', 'K12', 'K01']);
  });

  it('counts only the period’s tickets: last week’s open fault shows in last week’s list', async () => {
    // Act
    const w46 = await report('2026-W46', 'GD');

    // Assess
    const k06 = w46.watchList!.find((r) => r.customerId === 'K06')!;
    expect(k06.signals.map((s) => [s.signal, s.day, s.ref])).toEqual([['faultOpen', '2026-11-12', 'F10']]);
  });

  it('is scoped: JL has no enterprise key accounts, ALL holds GD’s', async () => {
    // Act / Assess
    expect((await report('2026-W47', 'JL')).watchList).toEqual([]);
    expect((await report('2026-W47', 'ALL')).watchList!.map((r) => r.customerId)).toEqual(['K03', 'K04', 'K06', 'K08', 'K09', 'K11', 'K12', 'K01']);
  });
});

describe('the package mix', () => {
  it('counts new adds and their fees by band, with the band edges at the lower bound', async () => {
    // Act
    const mix = (await report('2026-W47', 'JL')).packages!;

    // Assess
    expect(mix.edges).toEqual([39, 89, 129]);
    expect(mix.bands.map((b) => [b.label, b.newAdds, b.prevNewAdds])).toEqual([
      ['<39', 1, 0], ['39–89', 3, 2], ['89–129', 2, 0], ['≥129', 1, 1],
    ]);
    const [b0, b1, b2, b3] = mix.bands;
    expect(b0!.feeSum).toBeCloseTo(38.99, 9);
    expect(b1!.feeSum).toBeCloseTo(39 + 88.99 + 59, 9);
    expect(b2!.feeSum).toBeCloseTo(89 + 128.99, 9);
    expect(b2!.avgFee).toBeCloseTo((89 + 128.99) / 2, 9);
    expect(b3!.feeSum).toBeCloseTo(129, 9);
    expect(mix.bands.map((b) => b.share)).toEqual([1 / 7, 3 / 7, 2 / 7, 1 / 7].map((x) => expect.closeTo(x, 12)));
  });

  it('compares new adds like with like: the Tuesday W46 has no sales for is left out of the 39–89 growth', async () => {
    // Act
    const [b0, b1, b2, b3] = (await report('2026-W47', 'JL')).packages!.bands;

    // Assess: 39–89 has 2 against 2 on the Mondays; ≥129 1 against 1 on all days; the others had none before
    expect([b1!.newAddsGrowth, b1!.growthBasis]).toEqual([0, 'matched']);
    expect([b3!.newAddsGrowth, b3!.growthBasis]).toEqual([0, 'all']);
    expect([b0!.newAddsGrowth, b2!.newAddsGrowth]).toEqual([null, null]);
  });

  it('builds the migration matrix between every pair of bands and within each band', async () => {
    // Act
    const migration = (await report('2026-W47', 'JL')).packages!.migration;

    // Assess
    const fees = [29, 59, 99, 169];
    const within = [[19, 29], [59, 79], [99, 119], [169, 199]];
    const expected = [];
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 4; j++) {
        const change = i === j ? within[i]![1]! - within[i]![0]! : fees[j]! - fees[i]!;
        expected.push([i, j, i <= j ? 1 : 0, i > j ? 1 : 0, 1, i === 0 && j === 1 ? 1 : 0, change]);
      }
    }
    expect(migration.map((m) => [m.fromBand, m.toBand, m.upgrades, m.downgrades, m.events, m.prevEvents, m.feeChange])).toEqual(expected);
    expect(migration.find((m) => m.fromBand === 0 && m.toBand === 1)!.eventsGrowth).toBe(0);
    expect(migration.find((m) => m.fromBand === 3 && m.toBand === 0)).toMatchObject({ fromLabel: '≥129', toLabel: '<39', eventsGrowth: null });
  });

  it('gives bundle penetration of new adds (sales) and of active users (revenue), this week and last', async () => {
    // Act
    const penetration = (await report('2026-W47', 'JL')).packages!.bundlePenetration;

    // Assess
    expect(penetration.newAdds).toBeCloseTo(1 / 7, 12);
    expect(penetration.prevNewAdds).toBeCloseTo(1 / 3, 12);
    expect(penetration.activeUsers).toBeCloseTo(0.1, 12);
    expect(penetration.prevActiveUsers).toBeCloseTo(0.2, 12);
  });

  it('shows no figures, not zeros, for a period without sales', async () => {
    // Act: W45 holds no data at all
    const mix = (await report('2026-W45', 'JL')).packages!;

    // Assess
    expect(mix.bands.map((b) => [b.newAdds, b.share, b.prevNewAdds])).toEqual([[null, null, null], [null, null, null], [null, null, null], [null, null, null]]);
    expect(mix.migration).toEqual([]);
    expect(mix.bundlePenetration).toEqual({ newAdds: null, prevNewAdds: null, activeUsers: null, prevActiveUsers: null });
  });

  it('takes its bands from the settings', async () => {
    // Act
    const mix = (await report('2026-W47', 'JL', { packages: { bands: [100] } })).packages!;

    // Assess
    expect(feeBands([100]).map((b) => b.label)).toEqual(['<100', '≥100']);
    expect(mix.bands.map((b) => [b.label, b.newAdds])).toEqual([['<100', 5], ['≥100', 2]]);
  });
});

async function workbookOf(result: KpiReport): Promise<ExcelJS.Workbook> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(Buffer.from(await buildReportWorkbook(result, { lang: 'zh-CN', runId: 'run-w47' })) as never);
  return wb;
}

function cells(ws: ExcelJS.Worksheet): unknown[][] {
  const out: unknown[][] = [];
  ws.eachRow({ includeEmpty: true }, (row) => out.push((row.values as unknown[]).slice(1)));
  return out;
}

describe('the weekly workbook and e-mail', () => {
  it('has 重点客户预警 ranked by fee at stake with the signals and their dates', async () => {
    // Act
    const wb = await workbookOf(await report('2026-W47', 'GD'));

    // Assess
    const ws = wb.getWorksheet('重点客户预警')!;
    expect(ws.getRow(1).values).toEqual([undefined, '排名', '省份', '客户编号', '行业', '客户经理', '月费规模（元）', '产品数', '信号数', '预警信号']);
    expect((ws.getRow(2).values as unknown[]).slice(1)).toEqual([1, '广东', 'K03', '金融', 'GD0001', 4000, 1, 1, '降档 11/18（行业应用 5,000→4,000）']);
    expect(ws.getRow(3).getCell(9).value).toBe('部分产品离网 11/19（移动）');
    expect(ws.getRow(9).getCell(3).value).toBe('K01');
    expect(ws.getRow(9).getCell(6).value).toBe(3334);
    expect(ws.getRow(9).getCell(6).numFmt).toBe('#,##0.00');
    expect(ws.getRow(10).getCell(1).value ?? null).toBeNull();
    expect(wb.worksheets.map((w) => w.name).slice(-3)).toEqual(['重点客户预警', '套餐结构', '口径说明']);
  });

  it('has 套餐结构 with bundle penetration, new adds by band with 环比 and its basis, and the migration matrix', async () => {
    // Act
    const ws = (await workbookOf(await report('2026-W47', 'JL'))).getWorksheet('套餐结构')!;

    // Assess
    const rows = cells(ws);
    const at = (text: string) => rows.findIndex((r) => r[0] === text);
    const penetration = rows[at('新增用户中融合套餐占比')]!;
    expect(penetration[1]).toBeCloseTo(1 / 7, 12);
    expect(penetration[2]).toBeCloseTo(1 / 3, 12);
    expect(penetration[3]).toBeCloseTo((1 / 7 - 1 / 3) * 100, 9);
    expect(rows[at('39–89')]!.slice(0, 2)).toEqual(['39–89', 3]);
    expect(rows[at('39–89')]![6]).toBe(0);
    expect(rows[at('39–89')]![7]).toBe('可比口径');
    expect(rows[at('<39')]![6]).toBe(NULL_TEXT);
    const matrix = at('原档 → 新档');
    expect(rows[matrix]).toEqual(['原档 → 新档', '<39', '39–89', '89–129', '≥129']);
    for (let i = 1; i <= 4; i++) expect(rows[matrix + i]!.slice(1)).toEqual([1, 1, 1, 1]);
  });

  it('counts the key accounts at risk in the e-mail and names the top five', async () => {
    // Act
    const mail = composeReportMail(await report('2026-W47', 'GD'), { lang: 'zh-CN', runId: 'run-w47', workbookName: 'report.xlsx' });

    // Assess
    expect(mail.text).toContain('重点客户预警：8户（月费规模前5户，全部见附件）');
    expect(mail.text).toContain('- 广东 金融 K03 月费¥4,000（客户经理 GD0001）：降档 11/18（行业应用 5,000→4,000）');
    expect(mail.text).toContain('- 广东 大企业 K09 月费¥3,500（客户经理 GD0001）：故障未办结 11/18');
    expect(mail.text).not.toContain('K11');
    expect(mail.html).toContain('重点客户预警：8户');
  });
});
