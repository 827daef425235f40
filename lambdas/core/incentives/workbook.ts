/** The HR workbook (REPORT.md): 汇总, one statement per manager, 数据问题, 方案. */
import { Decimal } from 'decimal.js';
import ExcelJS from 'exceljs';
import { EVENT_TYPES, PRODUCTS, PROVINCES, label } from '../codes.js';
import { describePlan, type Plan } from './plan.js';
import type { IncentiveTally, ManagerStatement } from './types.js';
import { setText } from '../xlsx-safe.js';

const MONEY = '#,##0.00';
const POINTS = '#,##0.00##';
const RED = 'FFC00000';
const FIXED_SHEETS = ['汇总', '数据问题', '方案'];

/** Serialises the plain JSON of a tally: fixed key order, no timestamps, so a recompute is byte-identical. */
export function tallyJson(tally: IncentiveTally): string {
  return `${JSON.stringify(tally, null, 2)}\n`;
}

/** Builds the workbook; `now` only stamps the file's properties. */
export async function buildIncentiveWorkbook(tally: IncentiveTally, plan: Plan, now: Date): Promise<Uint8Array> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'telco-kpi';
  wb.created = now;
  wb.modified = now;

  const sheetNames = statementSheetNames(tally.managers);
  summarySheet(wb, tally, sheetNames);
  for (const manager of tally.managers) statementSheet(wb, manager, sheetNames.get(manager.accountManagerId)!, tally);
  problemsSheet(wb, tally);
  planSheet(wb, tally, plan);

  return new Uint8Array(await wb.xlsx.writeBuffer());
}

/** Sheet names from manager ids: Excel's forbidden characters replaced, ≤ 31 chars, unique ignoring case. */
export function statementSheetNames(managers: readonly { accountManagerId: string }[]): Map<string, string> {
  const used = new Set(FIXED_SHEETS.map((s) => s.toLowerCase()));
  const names = new Map<string, string>();
  for (const { accountManagerId } of managers) {
    const base = accountManagerId.replace(/[\\/?*[\]:]/g, '_').replace(/^'+|'+$/g, '').slice(0, 31) || '经理';
    let name = base;
    for (let n = 2; used.has(name.toLowerCase()); n++) {
      const suffix = `~${n}`;
      name = base.slice(0, 31 - suffix.length) + suffix;
    }
    used.add(name.toLowerCase());
    names.set(accountManagerId, name);
  }
  return names;
}

function header(ws: ExcelJS.Worksheet, rowNumber: number, titles: readonly string[]): void {
  const row = ws.getRow(rowNumber);
  titles.forEach((t, i) => {
    const cell = row.getCell(i + 1);
    setText(cell, t);
    cell.font = { bold: true };
    cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFDDEBF7' } };
  });
}

function num(cell: ExcelJS.Cell, value: number | null, format: string): void {
  cell.value = value;
  cell.numFmt = format;
}

function provinceLabel(code: string | null): string {
  return code ? `${label(PROVINCES, code, 'zh-CN')} ${code}` : '';
}

function summarySheet(wb: ExcelJS.Workbook, tally: IncentiveTally, sheetNames: Map<string, string>): void {
  const ws = wb.addWorksheet('汇总', { views: [{ state: 'frozen', ySplit: 3 }] });
  setText(ws.getCell('A1'), `客户经理激励核算 ${tally.period.id}（方案 ${tally.plan.plan} 第 ${tally.plan.version} 版，每积分 ${tally.plan.pointValue} 元）`);
  ws.getCell('A1').font = { bold: true, size: 14 };
  const titles = ['工号', '姓名', '省份', '班组', '积分', '满意率', '系数', '绩效积分', '封顶前金额', '应发金额', '是否封顶', '明细表', '备注'];
  header(ws, 3, titles);
  let r = 4;
  for (const m of tally.managers) {
    const row = ws.getRow(r++);
    setText(row.getCell(1), m.accountManagerId);
    setText(row.getCell(2), m.name);
    setText(row.getCell(3), provinceLabel(m.province));
    setText(row.getCell(4), m.team);
    num(row.getCell(5), m.points, POINTS);
    num(row.getCell(6), m.csat, '0.0%');
    num(row.getCell(7), m.multiplier, '0.00##');
    num(row.getCell(8), m.performancePoints, MONEY);
    num(row.getCell(9), m.amountBeforeCap, MONEY);
    num(row.getCell(10), m.payout, MONEY);
    setText(row.getCell(11), m.capped ? '是' : '否');
    setText(row.getCell(12), sheetNames.get(m.accountManagerId)!);
    setText(row.getCell(13), m.inRoster ? '' : '不在名册，见“数据问题”');
  }
  const totalRow = ws.getRow(r);
  setText(totalRow.getCell(1), '合计');
  setText(totalRow.getCell(2), `${tally.managers.length} 人`);
  num(totalRow.getCell(5), sumExact(tally.managers.map((m) => m.points)), POINTS);
  num(totalRow.getCell(10), tally.total, MONEY);
  totalRow.font = { bold: true };
  ws.columns = [14, 12, 12, 14, 12, 10, 8, 12, 14, 14, 10, 16, 26].map((width) => ({ width }));
  ws.autoFilter = { from: { row: 3, column: 1 }, to: { row: 3, column: titles.length } };
  ws.pageSetup = { orientation: 'landscape', fitToPage: true, fitToWidth: 1, fitToHeight: 0 };
}

function statementSheet(wb: ExcelJS.Workbook, m: ManagerStatement, name: string, tally: IncentiveTally): void {
  const ws = wb.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 3 }] });
  setText(ws.getCell('A1'), `${m.accountManagerId} ${m.name ?? '（不在名册）'} · ${provinceLabel(m.province)} ${m.team ?? ''} · ${tally.period.id} 积分明细`);
  ws.getCell('A1').font = { bold: true, size: 13 };
  header(ws, 3, ['流水号', '日期', '客户', '产品', '业务类型', '规则', '积分', '说明']);
  let r = 4;
  for (const line of m.lines) {
    const row = ws.getRow(r++);
    setText(row.getCell(1), line.eventId);
    setText(row.getCell(2), line.date);
    setText(row.getCell(3), line.customerId);
    setText(row.getCell(4), label(PRODUCTS, line.product, 'zh-CN'));
    setText(row.getCell(5), label(EVENT_TYPES, line.eventType, 'zh-CN'));
    setText(row.getCell(6), line.clawbackOf ? `回扣 ${line.clawbackOf.ruleId}` : line.ruleId);
    num(row.getCell(7), line.points, POINTS);
    if (line.clawbackOf) {
      const o = line.clawbackOf;
      setText(row.getCell(8), `扣回原新装 ${o.eventId}（${o.date}，规则 ${o.ruleId}，方案第 ${o.planVersion} 版）`);
      row.font = { color: { argb: RED } };
    } else {
      setText(row.getCell(8), '');
    }
  }
  r++;
  const facts: Array<[string, number | null, string]> = [
    ['合计积分', m.points, POINTS],
    ['评分工单数', m.scoredTickets, '0'],
    ['满意率（4分及以上）', m.csat, '0.0%'],
    ['满意度系数', m.multiplier, '0.00##'],
    ['绩效积分', m.performancePoints, MONEY],
    ['积分单价（元）', tally.plan.pointValue, MONEY],
    ['封顶前金额（元）', m.amountBeforeCap, MONEY],
    ['应发金额（元）', m.payout, MONEY],
  ];
  for (const [title, value, format] of facts) {
    const row = ws.getRow(r++);
    setText(row.getCell(6), title);
    row.getCell(6).font = { bold: true };
    num(row.getCell(7), value, format);
  }
  if (m.capped) setText(ws.getRow(r - 1).getCell(8), '已封顶');
  ws.columns = [18, 12, 16, 10, 10, 22, 12, 50].map((width) => ({ width }));
  ws.pageSetup = { orientation: 'landscape', fitToPage: true, fitToWidth: 1, fitToHeight: 0 };
}

function problemsSheet(wb: ExcelJS.Workbook, tally: IncentiveTally): void {
  const ws = wb.addWorksheet('数据问题');
  const p = tally.dataProblems;
  let r = 1;
  const title = (text: string) => {
    setText(ws.getCell(r, 1), text);
    ws.getCell(r, 1).font = { bold: true };
    r++;
  };
  title(`不在名册的客户经理（${p.unknownManagers.length}）：已照常计算并列入汇总，请核对名册`);
  if (p.unknownManagers.length === 0) setText(ws.getCell(r++, 1), '无');
  else {
    header(ws, r++, ['工号', '本月销售笔数', '积分']);
    for (const u of p.unknownManagers) {
      setText(ws.getCell(r, 1), u.accountManagerId);
      num(ws.getCell(r, 2), u.events, '0');
      num(ws.getCell(r, 3), u.points, POINTS);
      r++;
    }
  }
  r++;
  title(`工号不在名册的销售（${p.unknownManagerEvents.length}）`);
  if (p.unknownManagerEvents.length === 0) setText(ws.getCell(r++, 1), '无');
  else {
    header(ws, r++, ['工号', '流水号', '日期', '省份', '客户', '产品', '业务类型']);
    for (const e of p.unknownManagerEvents) {
      [e.accountManagerId, e.eventId, e.eventDate, provinceLabel(e.province), e.customerId,
        label(PRODUCTS, e.product, 'zh-CN'), label(EVENT_TYPES, e.eventType, 'zh-CN')]
        .forEach((v, i) => setText(ws.getCell(r, i + 1), v));
      r++;
    }
  }
  r++;
  title(`多个省份名册中重复的工号（${p.duplicateRosterIds.length}）：按省份代码排序取第一个`);
  if (p.duplicateRosterIds.length === 0) setText(ws.getCell(r++, 1), '无');
  for (const d of p.duplicateRosterIds) {
    setText(ws.getCell(r, 1), d.accountManagerId);
    setText(ws.getCell(r, 2), d.provinces.join(', '));
    r++;
  }
  ws.columns = [16, 18, 12, 12, 16, 10, 10].map((width) => ({ width }));
}

function planSheet(wb: ExcelJS.Workbook, tally: IncentiveTally, plan: Plan): void {
  const ws = wb.addWorksheet('方案');
  setText(ws.getCell('A1'), `核算月份：${tally.period.id}（${tally.period.start} 至 ${tally.period.end}），使用当月第一天生效的方案版本`);
  describePlan(plan).forEach((line, i) => setText(ws.getCell(i + 3, 1), line));
  ws.getColumn(1).width = 110;
}

function sumExact(values: readonly number[]): number {
  return values.reduce((sum, v) => sum.plus(v), new Decimal(0)).toNumber();
}
