import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import ExcelJS from 'exceljs';
import { simpleParser, type AddressObject } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { command } from '../../lambdas/cli/commands/incentives.js';
import { DuckDbQueryEngine } from '../../lambdas/adapters/duckdb-query-engine.js';
import { QUERIES_DIR } from '../../lambdas/config.js';
import { SalesEventColumns } from '../../lambdas/core/incentives/event-columns.js';
import { packedEventColumn, packedEventRows } from '../../lambdas/core/incentives/rows.js';
import type { CliContext } from '../../lambdas/cli/command.js';
import type { IncentiveTally } from '../../lambdas/core/incentives/types.js';
import { MANAGERS, SALES, SERVICE, partitionKey, sqlType, type TableDecl } from '../../lambdas/core/extracts/schema.js';

const ROOT = join(import.meta.dirname, '../..');
const FORMULA_NAME = '=HYPERLINK("http://evil.example","点我")';

type Value = string | number | null;

/** Writes rows as one lake Parquet file with every declared column except the partition ones. */
async function writeParquet(home: string, table: TableDecl, key: string, rows: Array<Record<string, Value>>): Promise<void> {
  const path = join(home, key);
  mkdirSync(dirname(path), { recursive: true });
  const columns = table.columns.filter((c) => !(table.partitions as readonly string[]).includes(c.name));
  const instance = await DuckDBInstance.create(':memory:');
  const db = await instance.connect();
  await db.run(`create table t (${columns.map((c) => `${c.name} ${sqlType(c.type)}`).join(', ')})`);
  for (const row of rows) {
    await db.run(`insert into t values (${columns.map((c) => `cast(? as ${sqlType(c.type)})`).join(', ')})`, columns.map((c) => row[c.name] ?? null) as never);
  }
  await db.run(`copy t to '${path.replaceAll("'", "''")}' (format parquet)`);
  db.closeSync();
  instance.closeSync();
}

function sale(id: string, day: string, customer: string, product: string, type: string, fee: string, manager: string | null, prev: string | null = null) {
  return {
    event_id: id, event_date: day, city: '长春', customer_id: customer, segment: 'public', sub_segment: null,
    channel: manager ? 'direct' : 'own_hall', account_manager_id: manager, agent_id: null, product, package: 'p-1',
    event_type: type, monthly_fee: fee, prev_monthly_fee: prev, one_off_fee: '0.00',
  };
}

function ticket(id: string, openedAt: string, openedDate: string, manager: string | null, satisfaction: number | null) {
  return {
    ticket_id: id, opened_at: openedAt, city: '长春', customer_id: 'C9', segment: 'public', sub_segment: null,
    channel: 'hotline', category: 'inquiry', account_manager_id: manager, first_response_at: null, resolved_at: null,
    satisfaction, opened_date: openedDate,
  };
}

async function buildLake(home: string): Promise<void> {
  await writeParquet(home, MANAGERS, partitionKey('managers', { province: 'JL' }), [
    { account_manager_id: 'AM1', name: FORMULA_NAME, city: '长春', team: '+政企一组', role: 'account_manager', start_date: '2024-01-01', end_date: null },
    { account_manager_id: 'AM2', name: '李四', city: '吉林', team: '公众二组', role: 'vip_manager', start_date: '2024-01-01', end_date: null },
  ]);
  await writeParquet(home, SALES, partitionKey('sales', { day: '2026-08-03', province: 'JL' }), [sale('S1', '2026-08-03', 'C1', 'mobile', 'new', '58.00', 'AM1')]);
  await writeParquet(home, SALES, partitionKey('sales', { day: '2026-11-01', province: 'JL' }), [sale('S2', '2026-11-01', 'C1', 'mobile', 'churn', '0.00', null)]);
  await writeParquet(home, SALES, partitionKey('sales', { day: '2026-11-05', province: 'JL' }), [
    sale('S3', '2026-11-05', 'C3', 'bundle', 'new', '129.00', 'AM1'),
    sale('S4', '2026-11-05', 'C4', 'mobile', 'new', '58.00', null),
  ]);
  await writeParquet(home, SALES, partitionKey('sales', { day: '2026-11-06', province: 'GD' }), [sale('S5', '2026-11-06', 'C5', 'mobile', 'new', '58.00', 'AMX')]);
  await writeParquet(home, SALES, partitionKey('sales', { day: '2026-11-07', province: 'JL' }), [sale('S6', '2026-11-07', 'C6', 'mobile', 'upgrade', '99.00', 'AM2', '59.00')]);
  await writeParquet(home, SALES, partitionKey('sales', { day: '2026-12-01', province: 'JL' }), [sale('S7', '2026-12-01', 'C7', 'mobile', 'new', '58.00', 'AM2')]);
  await writeParquet(home, SERVICE, partitionKey('service', { day: '2026-11-10', province: 'JL' }), [
    ticket('T1', '2026-11-10 01:00:00', '2026-11-10', 'AM1', 5),
    ticket('T2', '2026-11-10 02:00:00', '2026-11-10', 'AM1', 4),
    ticket('T3', '2026-11-10 03:00:00', '2026-11-10', 'AM2', 2),
    ticket('T4', '2026-11-10 04:00:00', '2026-11-10', 'AM2', null),
  ]);
  // Opened on 31 October (Shanghai), filed in the 1 November extract: not a November ticket.
  await writeParquet(home, SERVICE, partitionKey('service', { day: '2026-11-01', province: 'JL' }), [
    ticket('T5', '2026-10-31 15:30:00', '2026-10-31', 'AM2', 5),
  ]);
}

/** A sales query's packed events as SalesEventColumns holds them, as records. */
function eventsOf(packedEvents: readonly unknown[], query: string) {
  const columns = new SalesEventColumns();
  columns.addPacked(packedEvents, query);
  return Array.from({ length: columns.length }, (_, i) => columns.record(i));
}

describe('incentives over a DuckDB lake', () => {
  let home: string;
  let configDir: string;

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'incent-home-'));
    configDir = mkdtempSync(join(tmpdir(), 'incent-config-'));
    cpSync(join(ROOT, 'config'), configDir, { recursive: true });
    await buildLake(home);
  });

  afterAll(() => {
    rmSync(home, { recursive: true, force: true });
    rmSync(configDir, { recursive: true, force: true });
  });

  it('DuckDB gives the same values as columns (runColumns) as it does as rows, and the same events', async () => {
    // Prepare
    const engine = new DuckDbQueryEngine(home, QUERIES_DIR);
    try {
      for (const [query, params] of [
        ['incentive_sales_events', ['2026-11-01', '2026-11-30']],
        ['incentive_clawback_events', ['2026-05-05', '2026-11-30', '2026-08-03', '2026-11-30', 90, '2026-05-05', '2026-11-01']],
        ['incentive_roster', []],
      ] as const) {
        // Act
        const rows = await engine.run(query, params);
        const columns = await engine.runColumns(query, params);

        // Assess: one array per column, in row order, values as run gives them (dates as text)
        expect(rows.length).toBeGreaterThan(0);
        expect(Object.keys(columns)).toEqual(Object.keys(rows[0]!));
        for (const [name, values] of Object.entries(columns)) expect(values).toEqual(rows.map((r) => r[name]));
        if (query !== 'incentive_roster') expect(eventsOf(packedEventColumn(columns, query), query)).toEqual(eventsOf(packedEventRows(rows, query), query));
      }
    } finally {
      await engine.close();
    }
  });

  it('the clawback query returns a churn once however many managed `new` events reach it, and only the look-back\'s', async () => {
    // Prepare: C1's churn of 1 November is reached by two managed `new` events of the same product (3 August, 10 September);
    // C2's churn by an unmanaged `new` only, C3's by a `new` of another product, C4's by a `new` 91 days before (N = 90)
    const own = mkdtempSync(join(tmpdir(), 'incent-claw-'));
    const engine = new DuckDbQueryEngine(own, QUERIES_DIR);
    try {
      await writeParquet(own, SALES, partitionKey('sales', { day: '2026-08-02', province: 'JL' }), [sale('N4', '2026-08-02', 'C4', 'mobile', 'new', '58.00', 'AM1')]);
      await writeParquet(own, SALES, partitionKey('sales', { day: '2026-08-03', province: 'JL' }), [
        sale('N1', '2026-08-03', 'C1', 'mobile', 'new', '58.00', 'AM1'),
        sale('N2', '2026-08-03', 'C2', 'mobile', 'new', '58.00', null),
        sale('N3', '2026-08-03', 'C3', 'broadband', 'new', '58.00', 'AM1'),
      ]);
      await writeParquet(own, SALES, partitionKey('sales', { day: '2026-09-10', province: 'JL' }), [sale('N5', '2026-09-10', 'C1', 'mobile', 'new', '58.00', 'AM2')]);
      await writeParquet(own, SALES, partitionKey('sales', { day: '2026-11-01', province: 'JL' }), [
        sale('X1', '2026-11-01', 'C1', 'mobile', 'churn', '0.00', null),
        sale('X2', '2026-11-01', 'C2', 'mobile', 'churn', '0.00', null),
        sale('X3', '2026-11-01', 'C3', 'mobile', 'churn', '0.00', null),
        sale('X4', '2026-11-01', 'C4', 'mobile', 'churn', '0.00', 'AM1'),
      ]);

      // Act
      const rows = await engine.run('incentive_clawback_events', ['2026-05-05', '2026-11-30', '2026-08-03', '2026-11-30', 90, '2026-05-05', '2026-11-01']);

      // Assess: the look-back's managed `new` events (N4 too: its own churn is out of reach, not it) and X1 once
      expect(eventsOf(packedEventRows(rows, 'incentive_clawback_events'), 'incentive_clawback_events').map((e) => e.eventId)).toEqual(['N4', 'N1', 'N3', 'N5', 'X1']);
    } finally {
      await engine.close();
      rmSync(own, { recursive: true, force: true });
    }
  });

  it('the CLI writes incentives.json and a workbook whose text cells stay text', async () => {
    // Prepare
    const out: string[] = [];
    const err: string[] = [];
    const ctx: CliContext = { home, configDir, out: (l) => out.push(l), err: (l) => err.push(l), now: () => new Date('2026-12-02T01:00:00Z') };

    // Act
    const code = await command.run(['--month', '2026-11'], ctx);

    // Assess: the figures, worked out by hand
    expect(err.filter((l) => l.includes('not produced'))).toEqual([]);
    expect(code).toBe(0);
    const tally = JSON.parse(readFileSync(join(home, 'reports/2026-11/incentives/incentives.json'), 'utf8')) as IncentiveTally;
    expect(tally.plan).toEqual({ plan: 'account-manager', version: 1, effectiveFrom: '2026-01-01', pointValue: 2 });
    const byId = Object.fromEntries(tally.managers.map((m) => [m.accountManagerId, m]));
    // AM1: S3 new bundle 20 + 0.5 × 129 = 84.5; S2 churn of C1 90 days after S1 → −10; CSAT 2/2 → ×1.10.
    // 74.5 × 1.1 = 81.95 → × 2.00 = 163.90
    expect(byId.AM1).toMatchObject({ name: FORMULA_NAME, province: 'JL', points: 74.5, multiplier: 1.1, payout: 163.9 });
    expect(byId.AM1!.lines).toMatchObject([
      { eventId: 'S2', ruleId: 'clawback', points: -10, clawbackOf: { eventId: 'S1', date: '2026-08-03', ruleId: 'new-mobile' } },
      { eventId: 'S3', ruleId: 'new-bundle', points: 84.5, clawbackOf: null },
    ]);
    // AM2: S6 upgrade 59 → 99 = 40; CSAT of November 0/1 (T5 was opened in October) → ×0.90 → 36 → 72.00
    expect(byId.AM2).toMatchObject({ points: 40, scoredTickets: 1, multiplier: 0.9, payout: 72 });
    // AMX is not in the roster: computed and listed as a data problem.
    expect(byId.AMX).toMatchObject({ name: null, province: 'GD', inRoster: false, points: 10, payout: 20 });
    expect(tally.dataProblems.unknownManagers).toEqual([{ accountManagerId: 'AMX', events: 1, points: 10 }]);
    expect(tally.total).toBe(255.9);
    expect(out.join('\n')).toContain('reports/2026-11/incentives/incentives.xlsx');
    expect(out.at(-1)).toContain('3 managers, total 255.90 CNY');

    // Assess: the workbook read back
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(join(home, 'reports/2026-11/incentives/incentives.xlsx'));
    expect(wb.worksheets.map((w) => w.name)).toEqual(['汇总', 'AM1', 'AM2', 'AMX', '数据问题', '方案']);
    const summary = wb.getWorksheet('汇总')!;
    const am1Row = summary.getRow(4);
    expect(am1Row.getCell(1).value).toBe('AM1');
    expect(am1Row.getCell(2).type).toBe(ExcelJS.ValueType.String);
    expect(am1Row.getCell(2).value).toBe(FORMULA_NAME);
    expect(am1Row.getCell(2).formula).toBeUndefined();
    expect(am1Row.getCell(4).value).toBe('+政企一组');
    expect(am1Row.getCell(10).value).toBe(163.9);
    const totalRow = summary.getRow(7);
    expect(totalRow.getCell(1).value).toBe('合计');
    expect(totalRow.getCell(10).value).toBe(163.9 + 72 + 20);
    summary.eachRow((row) => row.eachCell((cell) => expect(cell.type).not.toBe(ExcelJS.ValueType.Formula)));

    const statement = wb.getWorksheet('AM1')!;
    const clawbackRow = statement.getRow(4);
    expect(clawbackRow.getCell(1).value).toBe('S2');
    expect(clawbackRow.getCell(7).value).toBe(-10);
    expect(String(clawbackRow.getCell(8).value)).toContain('S1');
    expect(clawbackRow.getCell(1).font?.color?.argb).toBe('FFC00000');
    expect(statement.getRow(5).getCell(1).value).toBe('S3');

    const problems: string[] = [];
    wb.getWorksheet('数据问题')!.eachRow((row) => row.eachCell((cell) => problems.push(String(cell.value))));
    expect(problems).toContain('AMX');
    expect(problems).toContain('S5');
    const plan: string[] = [];
    wb.getWorksheet('方案')!.eachRow((row) => plan.push(String(row.getCell(1).value)));
    expect(plan.join('\n')).toContain('第 1 版');
  });

  it('recomputing the month gives byte-identical JSON; December uses plan version 2', async () => {
    // Prepare
    const ctx: CliContext = { home, configDir, out: () => {}, err: () => {}, now: () => new Date('2027-01-05T01:00:00Z') };
    const path = join(home, 'reports/2026-11/incentives/incentives.json');
    await command.run(['--month', '2026-11'], ctx);
    const before = readFileSync(path);

    // Act
    const again = await command.run(['--month', '2026-11'], ctx);
    const december = await command.run(['--month', '2026-12'], ctx);

    // Assess
    expect(again).toBe(0);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(december).toBe(0);
    const dec = JSON.parse(readFileSync(join(home, 'reports/2026-12/incentives/incentives.json'), 'utf8')) as IncentiveTally;
    expect(dec.plan.version).toBe(2);
  });

  it('mails only the HR recipients, once per month and recipient list, through the outbox', async () => {
    // Prepare
    const out: string[] = [];
    const ctx: CliContext = { home, configDir, out: (l) => out.push(l), err: () => {}, now: () => new Date('2026-12-02T01:00:00Z') };
    const outbox = join(home, 'outbox');

    // Act
    const first = await command.run(['--month', '2026-11', '--send'], ctx);
    // The retry rewrites the workbook (zip entries carry the write time), so keep the first one.
    const firstWorkbook = readFileSync(join(home, 'reports/2026-11/incentives/incentives.xlsx'));
    const retry = await command.run(['--month', '2026-11', '--send'], ctx);

    // Assess
    expect([first, retry]).toEqual([0, 0]);
    const emls = readdirSync(outbox).filter((n) => n.endsWith('.eml'));
    expect(emls).toHaveLength(1);
    const mail = await simpleParser(readFileSync(join(outbox, emls[0]!)));
    expect((mail.to as AddressObject).value.map((a) => a.address)).toEqual(['hr-incentives@telco.example.cn']);
    expect(mail.cc).toBeUndefined();
    expect(mail.subject).toBe('【激励】客户经理激励核算 2026年11月');
    expect(mail.html).toContain('应发合计 255.90 元');
    expect(mail.attachments[0]!.filename).toBe('incentives-2026-11.xlsx');
    expect(mail.attachments[0]!.content.equals(firstWorkbook)).toBe(true);
    expect(out.filter((l) => l.includes('✓ sent'))).toHaveLength(1);
    expect(out.filter((l) => l.includes('= duplicate'))).toHaveLength(1);
  });

  it('a late sales day after HR got the tally: the revision opens by saying what it revises and what moved (issue 11)', async () => {
    // Prepare: a copy of the lake; the tally went to HR; then a sale of 2026-11-20 arrives
    const copy = mkdtempSync(join(tmpdir(), 'incent-revision-'));
    try {
      cpSync(home, copy, { recursive: true });
      rmSync(join(copy, 'outbox'), { recursive: true, force: true });
      rmSync(join(copy, 'runs'), { recursive: true, force: true });
      const ctx = (at: string): CliContext => ({ home: copy, configDir, out: () => {}, err: () => {}, now: () => new Date(at) });
      expect(await command.run(['--month', '2026-11', '--send'], ctx('2026-12-02T01:00:00Z'))).toBe(0);
      await writeParquet(copy, SALES, partitionKey('sales', { day: '2026-11-20', province: 'JL' }), [sale('S8', '2026-11-20', 'C8', 'mobile', 'new', '58.00', 'AM2')]);
      // Act
      expect(await command.run(['--month', '2026-11', '--send'], ctx('2026-12-02T03:00:00Z'))).toBe(0);
      // Assess
      const emls = readdirSync(join(copy, 'outbox')).filter((n) => n.endsWith('.eml')).sort();
      const [first, revised] = await Promise.all(emls.map((n) => simpleParser(readFileSync(join(copy, 'outbox', n)))));
      const total = (text: string) => /应发合计 ([\d,.]+) 元/.exec(text)?.[1];
      expect(revised!.subject).toBe('【修订】【激励】客户经理激励核算 2026年11月');
      const lines = (revised!.text ?? '').split('\n');
      expect(lines[0]).toBe('【修订】本邮件修订 2026-12-02 09:00 发出的核算，以本邮件为准。');
      expect(lines[1]).toBe(`变动：应发合计 ${total(first!.text ?? '')} → ${total(lines.slice(2).join('\n'))} 元`);
      expect(total(first!.text ?? '')).not.toBe(total(lines.slice(2).join('\n')));
      expect(first!.text).not.toContain('本邮件修订');
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('produces nothing for a month without a single sales extract: exit 1, no file, no mail', async () => {
    // Prepare: the lake holds sales of August, November and December only; October has none
    // (the 1 November service file carries an October ticket, which is no sales extract).
    const err: string[] = [];
    const out: string[] = [];
    const ctx: CliContext = { home, configDir, out: (l) => out.push(l), err: (l) => err.push(l), now: () => new Date('2026-11-02T01:00:00Z') };
    const outbox = join(home, 'outbox');
    const mailsBefore = readdirSync(outbox).length;

    // Act
    const code = await command.run(['--month', '2026-10', '--send'], ctx);

    // Assess
    expect(code).toBe(1);
    expect(err.join('\n')).toMatch(/incentives 2026-10: not produced: no sales extract was received for any day of 2026-10/);
    expect(out.join('\n')).not.toMatch(/managers, total/);
    expect(readdirSync(join(home, 'reports')).includes('2026-10')).toBe(false);
    expect(readdirSync(outbox).filter((n) => !n.includes('telco-kpi-failed'))).toHaveLength(mailsBefore);
    expect(readdirSync(outbox).filter((n) => n.includes('激励'))).toHaveLength(1);
  });

  it('refuses a bad plan with exit code 1 and a week with a usage error', async () => {
    const err: string[] = [];
    const ctx: CliContext = { home, configDir, out: () => {}, err: (l) => err.push(l), now: () => new Date('2026-12-02T01:00:00Z') };
    const badPlan = join(configDir, 'bad.yaml');
    writeFileSync(badPlan, readFileSync(join(ROOT, 'config/plans/account-manager-v1.yaml'), 'utf8').replace('pointValue: 2.00', 'pointValue: -2'));
    expect(await command.run(['--month', '2026-11', '--plan', badPlan], ctx)).toBe(1);
    expect(err.join('\n')).toContain('bad.yaml: pointValue');
    await expect(command.run(['--month', '2026-W47'], ctx)).rejects.toThrow(/not a month/);
  });
});
