import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Decimal } from 'decimal.js';
import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import { describe, expect, it } from 'vitest';
import { computeIncentives } from '../../lambdas/core/incentives/calculate.js';
import { loadPlans } from '../../lambdas/core/incentives/plan.js';
import type { IncentiveTally, RosterManager, SalesEventRecord } from '../../lambdas/core/incentives/types.js';
import { buildIncentiveWorkbook, LARGE_TALLY_MANAGERS, tallyJson, tallyJsonBytes } from '../../lambdas/core/incentives/workbook.js';
import { addDays, parsePeriod } from '../../lambdas/core/period.js';

const [PLAN] = loadPlans([{ name: 'spec-plan.yaml', text: readFileSync(join(import.meta.dirname, '../fixtures/incentives/spec-plan.yaml'), 'utf8') }]);
const FORMULA_NAME = '=HYPERLINK("http://evil.example","点我")';
const MANAGERS = 250;

/** 250 roster managers (one named like a formula), one not in the roster, sales and early churns in 2026-11. */
function largeTally(): IncentiveTally {
  const roster: RosterManager[] = Array.from({ length: MANAGERS }, (_, i) => ({
    accountManagerId: `AM${String(i + 1).padStart(4, '0')}`, name: i === 0 ? FORMULA_NAME : `经理${i + 1}`, province: i % 2 ? 'JL' : 'GD',
    city: '长春', team: i === 1 ? '+政企一组' : `组${i % 7}`, role: 'account_manager', startDate: '2024-01-01', endDate: null,
  }));
  const events: SalesEventRecord[] = [];
  let n = 0;
  const sale = (day: string, customer: string, product: string, type: string, fee: string, manager: string | null, prev: string | null = null) => {
    events.push({
      eventId: `E${String(++n).padStart(6, '0')}`, eventDate: day, province: 'JL', customerId: customer, segment: 'public', subSegment: null,
      channel: 'direct', product, eventType: type, monthlyFee: fee, prevMonthlyFee: prev, accountManagerId: manager,
    });
  };
  for (let i = 0; i < MANAGERS + 1; i++) {
    const manager = i === MANAGERS ? 'AM9999' : roster[i]!.accountManagerId;
    for (let k = 0; k < 1 + (i % 5); k++) {
      const day = addDays('2026-11-01', (i + k) % 28);
      sale(day, `C${i}-${k}`, k % 2 ? 'bundle' : 'mobile', 'new', k % 2 ? '129.00' : '58.00', manager);
      if (k === 0 && i % 3 === 0) sale(addDays(day, 1), `C${i}-${k}`, 'mobile', 'churn', '0.00', null);
    }
    if (i % 4 === 0) sale('2026-11-20', `U${i}`, 'mobile', 'upgrade', '88.50', manager, '58.00');
  }
  return computeIncentives({ period: parsePeriod('2026-11'), plan: PLAN!, events, tickets: [], roster });
}

function rowsOf(ws: ExcelJS.Worksheet): ExcelJS.Row[] {
  const rows: ExcelJS.Row[] = [];
  ws.eachRow((row) => rows.push(row));
  return rows;
}

describe('the large incentive workbook (more managers than LARGE_TALLY_MANAGERS)', () => {
  it('has 汇总, 积分明细, 数据问题 and 方案; the summary reconciles with the lines of every manager', async () => {
    // Prepare
    const tally = largeTally();
    expect(tally.managers.length).toBeGreaterThan(LARGE_TALLY_MANAGERS);

    // Act
    const bytes = await buildIncentiveWorkbook(tally, PLAN!, new Date('2026-12-03T02:00:00Z'));
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(bytes) as never);

    // Assess
    expect(wb.worksheets.map((w) => w.name)).toEqual(['汇总', '积分明细', '数据问题', '方案']);
    const summary = wb.getWorksheet('汇总')!;
    const detail = wb.getWorksheet('积分明细')!;
    const byManager = new Map<string, { points: Decimal; lines: number; rows: number[] }>();
    for (const row of rowsOf(detail).filter((r) => r.number >= 4)) {
      const id = row.getCell(1).value as string;
      const entry = byManager.get(id) ?? { points: new Decimal(0), lines: 0, rows: [] };
      entry.points = entry.points.plus(row.getCell(9).value as number);
      entry.lines++;
      entry.rows.push(row.number);
      byManager.set(id, entry);
    }
    const summaryRows = rowsOf(summary).filter((r) => r.number >= 4 && r.getCell(1).value !== '合计');
    expect(summaryRows).toHaveLength(tally.managers.length);
    let payouts = new Decimal(0);
    for (const row of summaryRows) {
      const id = row.getCell(1).value as string;
      const m = tally.managers.find((x) => x.accountManagerId === id)!;
      const lines = byManager.get(id);
      expect(lines?.lines ?? 0).toBe(m.lines.length);
      expect((lines?.points ?? new Decimal(0)).toNumber()).toBe(row.getCell(5).value);
      if (lines) {
        // The manager's lines are one block, and the summary says where.
        expect(lines.rows[lines.rows.length - 1]! - lines.rows[0]! + 1).toBe(lines.lines);
        expect(row.getCell(12).value).toBe(`积分明细 第 ${lines.rows[0]}–${lines.rows[lines.rows.length - 1]} 行`);
      }
      payouts = payouts.plus(row.getCell(10).value as number);
    }
    const total = rowsOf(summary).find((r) => r.getCell(1).value === '合计')!;
    expect(total.getCell(10).value).toBe(tally.total);
    expect(payouts.toNumber()).toBe(tally.total);
    expect(total.getCell(5).value).toBe([...byManager.values()].reduce((s, e) => s.plus(e.points), new Decimal(0)).toNumber());
    expect(summary.autoFilter).toBeTruthy();
    expect(wb.getWorksheet('数据问题')!.getCell('A2').value).toBe('工号');
    expect(wb.getWorksheet('数据问题')!.getCell('A3').value).toBe('AM9999');
  });

  it('marks clawback lines red with the original event', async () => {
    // Prepare
    const tally = largeTally();
    const clawbacks = tally.managers.flatMap((m) => m.lines.filter((l) => l.clawbackOf).map((l) => ({ m, l })));
    expect(clawbacks.length).toBeGreaterThan(0);

    // Act
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(await buildIncentiveWorkbook(tally, PLAN!, new Date('2026-12-03T02:00:00Z'))) as never);

    // Assess
    const rows = rowsOf(wb.getWorksheet('积分明细')!).filter((r) => r.number >= 4);
    const marked = rows.filter((r) => String(r.getCell(8).value).startsWith('扣回'));
    expect(marked).toHaveLength(clawbacks.length);
    for (const row of marked) {
      const { l } = clawbacks.find(({ m, l }) => m.accountManagerId === row.getCell(1).value && l.eventId === row.getCell(3).value)!;
      expect(row.getCell(10).value).toBe(`扣回原新装 ${l.clawbackOf!.eventId}（${l.clawbackOf!.date}，规则“${l.clawbackOf!.ruleId}”，方案第 ${l.clawbackOf!.planVersion} 版）`);
      expect(row.getCell(9).value).toBeLessThan(0);
      expect(row.getCell(1).font?.color?.argb).toBe('FFC00000');
      expect(row.getCell(9).font?.color?.argb).toBe('FFC00000');
    }
    expect(rows.filter((r) => !String(r.getCell(8).value).startsWith('扣回')).every((r) => r.getCell(1).font?.color === undefined)).toBe(true);
  });

  it('writes text that starts with = or + as string cells, never formulas (read back from the XML)', async () => {
    // Prepare
    const tally = largeTally();

    // Act
    const zip = await JSZip.loadAsync(await buildIncentiveWorkbook(tally, PLAN!, new Date('2026-12-03T02:00:00Z')));

    // Assess
    const sheets = Object.keys(zip.files).filter((f) => /^xl\/worksheets\/sheet\d+\.xml$/.test(f));
    expect(sheets).toHaveLength(4);
    const xml = (await Promise.all(sheets.map((f) => zip.file(f)!.async('string')))).join('\n');
    expect(xml).not.toMatch(/<f[ >]/);
    // A cell's text: its shared string (t="s", the index into xl/sharedStrings.xml) or its own.
    const shared = [...((await zip.file('xl/sharedStrings.xml')?.async('string')) ?? '').matchAll(/<si>(.*?)<\/si>/g)].map((m) => m[1]!);
    const cells = [...xml.matchAll(/<c [^>]*>(?:(?!<\/c>).)*<\/c>/g)].map((m) => m[0])
      .map((c) => ({ c, text: /t="s"/.test(c) ? shared[Number(/<v>(\d+)<\/v>/.exec(c)![1])]! : c }))
      .filter(({ text }) => text.includes('HYPERLINK') || text.includes('+政企一组'));
    expect(cells.length).toBeGreaterThan(2);
    for (const { c } of cells) expect(c).toMatch(/t="(str|s|inlineStr)"/);
    const escaped = FORMULA_NAME.replaceAll('&', '&amp;').replaceAll('"', '&quot;');
    expect(cells.some(({ text }) => text.includes(escaped) || text.includes('=HYPERLINK('))).toBe(true);
  });

  it('keeps the sheet setup: frozen header, number formats, column widths, autofilter, and the plan lines with their leading spaces', async () => {
    // Prepare
    const tally = largeTally();

    // Act
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(await buildIncentiveWorkbook(tally, PLAN!, new Date('2026-12-03T02:00:00Z'))) as never);

    // Assess
    for (const name of ['汇总', '积分明细']) {
      const ws = wb.getWorksheet(name)!;
      expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 3 });
      expect(ws.getCell('A3').font?.bold).toBe(true);
      expect(ws.getCell('A1').font).toMatchObject({ bold: true, size: 14 });
    }
    const summary = wb.getWorksheet('汇总')!;
    expect(summary.getColumn(12).width).toBe(28);
    expect(summary.getCell('E4').numFmt).toBe('#,##0.00##');
    expect(summary.getCell('F4').numFmt).toBe('0.0%');
    expect(summary.getCell('J4').numFmt).toBe('#,##0.00');
    expect(wb.getWorksheet('积分明细')!.getCell('I4').numFmt).toBe('#,##0.00##');
    expect(wb.getWorksheet('积分明细')!.autoFilter).toBe(`A3:J${3 + tally.managers.reduce((n, m) => n + m.lines.length, 0)}`);
    const plan = wb.getWorksheet('方案')!;
    const planLines: string[] = [];
    plan.eachRow((row) => planLines.push(String(row.getCell(1).value)));
    expect(planLines.some((l) => l.startsWith('  · '))).toBe(true);
    expect(plan.getCell('A3').alignment).toMatchObject({ wrapText: true, vertical: 'top' });
  });

  it('continues the lines on 积分明细-2 when a sheet is full, keeping each manager on one sheet', async () => {
    // Prepare
    const tally = largeTally();
    const lines = tally.managers.reduce((k, m) => k + m.lines.length, 0);

    // Act
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(await buildIncentiveWorkbook(tally, PLAN!, new Date('2026-12-03T02:00:00Z'), { detailRowsPerSheet: 300 })) as never);

    // Assess
    const details = wb.worksheets.filter((w) => w.name.startsWith('积分明细'));
    expect(details.map((w) => w.name)).toEqual(Array.from({ length: details.length }, (_, i) => `积分明细-${i + 1}`));
    expect(details.length).toBeGreaterThanOrEqual(Math.ceil(lines / 300));
    const seen = new Map<string, string>();
    let count = 0;
    for (const ws of details) {
      const rows = rowsOf(ws).filter((r) => r.number >= 4);
      expect(rows.length).toBeLessThanOrEqual(300);
      count += rows.length;
      for (const r of rows) {
        const id = r.getCell(1).value as string;
        expect(seen.get(id) ?? ws.name).toBe(ws.name);
        seen.set(id, ws.name);
      }
    }
    expect(count).toBe(lines);
  });

  it('keeps one sheet per manager up to the threshold (largeAbove)', async () => {
    // Prepare
    const tally = largeTally();

    // Act
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(await buildIncentiveWorkbook(tally, PLAN!, new Date('2026-12-03T02:00:00Z'), { largeAbove: 1000 })) as never);

    // Assess
    expect(wb.worksheets).toHaveLength(tally.managers.length + 3);
    expect(wb.worksheets[1]!.name).toBe(tally.managers[0]!.accountManagerId);
  });
});

describe('tallyJsonBytes', () => {
  it('gives the UTF-8 bytes of tallyJson, long arrays written piece by piece', () => {
    // Prepare
    const tally = largeTally();
    const many = { ...tally, managers: tally.managers.map((m, i) => (i === 0 ? { ...m, lines: Array.from({ length: 200 }, () => m.lines[0]!) } : m)) };

    // Act
    const bytes = tallyJsonBytes(many);

    // Assess
    expect(many.managers.length).toBeGreaterThan(64);
    expect(Buffer.from(bytes).toString('utf8')).toBe(tallyJson(many));
  });

  it('gives the same bytes when the arrays are long enough to be split: 5 000 managers, one with 5 000 lines', () => {
    // Prepare
    const tally = largeTally();
    const managers = Array.from({ length: 5000 }, (_, i) => tally.managers[i % tally.managers.length]!);
    managers[1] = { ...managers[1]!, lines: Array.from({ length: 5000 }, (_, i) => managers[1]!.lines[i % managers[1]!.lines.length]!) };
    const many = { ...tally, managers };

    // Act
    const bytes = tallyJsonBytes(many);

    // Assess
    expect(Buffer.from(bytes).toString('utf8')).toBe(tallyJson(many));
  });
});
