import { describe, expect, it } from 'vitest';
import { CHANNELS, EVENT_TYPES, PRODUCTS, ROLES, SEGMENTS, SUB_SEGMENTS, TARGET_KPIS, TICKET_CATEGORIES, type CodeList } from '../../lambdas/core/extracts/codes.js';
import { UsageError } from '../../lambdas/core/errors.js';
import { addDays, dayNumber, isValidDay, isoWeekday } from '../../lambdas/core/period.js';
import { generateSample, parseSkip, sampleFileCount, type SampleFile, type SampleOptions } from '../../lambdas/core/sample/sample.js';
import { TABLES, inputColumns } from '../../lambdas/core/extracts/schema.js';

type Row = Record<string, string>;

/** Plain CSV reading: the generator never quotes, so a field is whatever lies between commas. */
function parse(file: SampleFile): { header: string[]; rows: Row[] } {
  expect(file.content.endsWith('\n')).toBe(true);
  const [head, ...lines] = file.content.slice(0, -1).split('\n');
  const header = head!.split(',');
  const rows = lines.map((line, i) => {
    const cells = line.split(',');
    if (cells.length !== header.length) throw new Error(`${file.fileName} row ${i + 1}: ${cells.length} fields, header has ${header.length}`);
    return Object.fromEntries(header.map((h, k) => [h, cells[k]!]));
  });
  return { header, rows };
}

function all(options: SampleOptions): SampleFile[] {
  return [...generateSample(options)];
}

const isCode = (list: CodeList, value: string) => Object.hasOwn(list.codes, value);
const MONEY = /^\d+(\.\d{1,2})?$/;
const SIGNED_MONEY = /^-?\d+(\.\d{1,2})?$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;
const fileDay = (f: SampleFile) => { const m = /_(\d{4})(\d{2})(\d{2})\.csv$/.exec(f.fileName)!; return `${m[1]}-${m[2]}-${m[3]}`; };

/** Four full ISO weeks (Monday 2026-11-02 … Sunday 2026-11-29) of one province, shared by the realism tests. */
const MONTH: SampleOptions = { from: '2026-11-02', days: 28, provinces: ['JL'], seed: 7, scale: 'small' };
const monthFiles = all(MONTH);
const byType = (type: SampleFile['type']) => monthFiles.filter((f) => f.type === type);
const salesRows = byType('sales').flatMap((f) => parse(f).rows);

describe('generateSample', () => {
  it('gives byte-identical files for the same options and different ones for another seed', () => {
    // Prepare
    const options: SampleOptions = { from: '2026-11-16', days: 3, provinces: ['JL', 'GD'], seed: 42, scale: 'small' };
    // Act
    const first = all(options);
    const again = all({ ...options, provinces: ['JL', 'GD'] });
    const other = all({ ...options, seed: 43 });
    // Assess
    expect(again.map((f) => [f.fileName, f.content])).toEqual(first.map((f) => [f.fileName, f.content]));
    expect(other.map((f) => f.fileName)).toEqual(first.map((f) => f.fileName));
    const sales = (files: SampleFile[]) => files.find((f) => f.fileName === 'sales_GD_20261117.csv')!.content;
    expect(sales(other)).not.toBe(sales(first));
  });

  it('writes one roster per province, a market and a targets file per month touched (none for ZJ) and three daily files per province and day', () => {
    // Prepare
    const options: SampleOptions = { from: '2026-10-30', days: 4, provinces: ['JL', 'XZ', 'ZJ'], seed: 1, scale: 'small' };
    // Act
    const names = all(options).map((f) => f.fileName).sort();
    // Assess
    const expected = ['JL', 'XZ', 'ZJ'].flatMap((p) => [
      `managers_${p}_20261030.csv`, `market_${p}_202610.csv`, `market_${p}_202611.csv`,
      ...(p === 'ZJ' ? [] : [`targets_${p}_202610.csv`, `targets_${p}_202611.csv`]),
      ...['20261030', '20261031', '20261101', '20261102'].flatMap((d) => [`sales_${p}_${d}.csv`, `revenue_${p}_${d}.csv`, `service_${p}_${d}.csv`]),
    ]).sort();
    expect(names).toEqual(expected);
    expect(sampleFileCount(options)).toBe(expected.length);
  });

  it('writes the schema\'s English headers in order, and rows that keep every SPEC §2 rule', () => {
    // Prepare
    const files = all({ from: '2026-11-28', days: 4, provinces: ['JL', 'GD'], seed: 3, scale: 'small' });
    const problems: string[] = [];
    const check = (ok: boolean, what: string) => { if (!ok && problems.length < 20) problems.push(what); };
    // Act
    for (const file of files) {
      const { header, rows } = parse(file);
      expect(header).toEqual(inputColumns(TABLES[file.type]).map((c) => c.name));
      expect(rows.length).toBe(file.rows);
      expect(file.content).not.toMatch(/["\r]/);
      const keys = new Set<string>();
      for (const [i, r] of rows.entries()) {
        const at = `${file.fileName} row ${i + 1}`;
        check(r.province === file.province, `${at}: province ${r.province}`);
        if ('segment' in r && file.type !== 'targets') {
          check(isCode(SEGMENTS, r.segment!), `${at}: segment ${r.segment}`);
          check(r.segment === 'enterprise' ? isCode(SUB_SEGMENTS, r.sub_segment!) : r.sub_segment === '', `${at}: sub_segment ${r.sub_segment} for ${r.segment}`);
          check(isCode(CHANNELS, r.channel!), `${at}: channel ${r.channel}`);
        }
        if ('product' in r) check(isCode(PRODUCTS, r.product!), `${at}: product ${r.product}`);
        if ('customer_id' in r) check(/^C[0-9a-f]{12}$/.test(r.customer_id!) && !/\d{5}/.test(r.customer_id!), `${at}: customer_id ${r.customer_id}`);
        if ('city' in r) check(r.city !== '', `${at}: empty city`);
        let key = '';
        switch (file.type) {
          case 'sales':
            key = r.event_id!;
            check(r.event_date === fileDay(file), `${at}: event_date ${r.event_date}`);
            check(isCode(EVENT_TYPES, r.event_type!), `${at}: event_type ${r.event_type}`);
            check(r.channel !== 'direct' || r.account_manager_id !== '', `${at}: direct without account_manager_id`);
            check((r.channel === 'agent') === (r.agent_id !== ''), `${at}: agent_id ${r.agent_id} on channel ${r.channel}`);
            check(!['upgrade', 'downgrade'].includes(r.event_type!) || MONEY.test(r.prev_monthly_fee!), `${at}: ${r.event_type} without prev_monthly_fee`);
            check(r.event_type !== 'upgrade' || Number(r.monthly_fee) > Number(r.prev_monthly_fee), `${at}: upgrade not upwards`);
            check(r.event_type !== 'downgrade' || Number(r.monthly_fee) < Number(r.prev_monthly_fee), `${at}: downgrade not downwards`);
            check(MONEY.test(r.monthly_fee!) && MONEY.test(r.one_off_fee!) && (r.prev_monthly_fee === '' || MONEY.test(r.prev_monthly_fee!)), `${at}: money`);
            check(r.package !== '', `${at}: empty package`);
            break;
          case 'revenue':
            key = [r.date, r.city, r.segment, r.sub_segment, r.channel, r.product].join('|');
            check(r.date === fileDay(file), `${at}: date ${r.date}`);
            check(SIGNED_MONEY.test(r.revenue!), `${at}: revenue ${r.revenue}`);
            check(/^\d+$/.test(r.active_users!), `${at}: active_users ${r.active_users}`);
            break;
          case 'service': {
            key = r.ticket_id!;
            check(TIMESTAMP.test(r.opened_at!) && r.opened_at!.slice(0, 10) === fileDay(file), `${at}: opened_at ${r.opened_at}`);
            check(isCode(TICKET_CATEGORIES, r.category!), `${at}: category ${r.category}`);
            for (const c of ['first_response_at', 'resolved_at'] as const) {
              check(r[c] === '' || (TIMESTAMP.test(r[c]!) && r[c]! >= r.opened_at!), `${at}: ${c} ${r[c]} before ${r.opened_at}`);
            }
            check(r.satisfaction === '' || /^[1-5]$/.test(r.satisfaction!), `${at}: satisfaction ${r.satisfaction}`);
            check(r.category !== 'visit' || r.account_manager_id !== '', `${at}: visit without account manager`);
            break;
          }
          case 'managers':
            key = r.account_manager_id!;
            check(/^[A-Z]{2}\d{4}$/.test(key) && key.startsWith(file.province), `${at}: id ${key}`);
            check(isCode(ROLES, r.role!) && r.name !== '' && r.team !== '', `${at}: role/name/team`);
            check(isValidDay(r.start_date!) && (r.end_date === '' || (isValidDay(r.end_date!) && r.end_date! >= r.start_date!)), `${at}: dates`);
            break;
          case 'market':
            key = `${r.operator}|${r.product}`;
            check(`${r.month!.replace('-', '')}` === /_(\d{6})\.csv$/.exec(file.fileName)![1], `${at}: month ${r.month}`);
            check(MONEY.test(r.revenue!) && /^\d+$/.test(r.users!), `${at}: revenue/users`);
            break;
          case 'targets':
            key = `${r.segment}|${r.kpi}`;
            check(r.segment === 'ALL' || isCode(SEGMENTS, r.segment!), `${at}: segment ${r.segment}`);
            check(isCode(TARGET_KPIS, r.kpi!), `${at}: kpi ${r.kpi}`);
            check(r.kpi === 'csat' ? Number(r.target) > 0.5 && Number(r.target) <= 1 : Number(r.target) > 0, `${at}: target ${r.target}`);
            check(!['grossAdds', 'netAdds'].includes(r.kpi!) || /^\d+$/.test(r.target!), `${at}: ${r.kpi} target ${r.target}`);
            break;
        }
        check(!keys.has(key), `${at}: duplicate key ${key}`);
        keys.add(key);
      }
      if (file.type === 'market') expect(rows.filter((r) => r.operator === 'self').length).toBe(5);
      if (file.type === 'targets') expect(rows.filter((r) => r.segment === 'ALL').map((r) => r.kpi)).toEqual(['revenue', 'grossAdds', 'netAdds', 'arpu', 'csat']);
    }
    // Assess
    expect(problems).toEqual([]);
  });

  it('keeps active users consistent with sales: each revenue cell moves by its new minus churn events', () => {
    // Prepare
    const cellKey = (r: Row) => [r.city, r.segment, r.sub_segment, r.channel, r.product].join('|');
    const revenue = byType('revenue').map((f) => new Map(parse(f).rows.map((r) => [cellKey(r), Number(r.active_users)])));
    const sales = byType('sales').map((f) => parse(f).rows);
    // Act
    const mismatches: string[] = [];
    for (let d = 1; d < revenue.length; d++) {
      const net = new Map<string, number>();
      for (const r of sales[d]!) {
        const delta = r.event_type === 'new' ? 1 : r.event_type === 'churn' ? -1 : 0;
        net.set(cellKey(r), (net.get(cellKey(r)) ?? 0) + delta);
      }
      for (const [cell, users] of revenue[d]!) {
        if (users - revenue[d - 1]!.get(cell)! !== (net.get(cell) ?? 0)) mismatches.push(`day ${d} ${cell}`);
      }
    }
    // Assess
    expect(mismatches).toEqual([]);
  });

  it('shows the segment structure of a provincial operator: public ≫ household > enterprise users, enterprise ARPU highest', () => {
    // Prepare
    const rows = byType('revenue').flatMap((f) => parse(f).rows);
    const users = new Map<string, number>();
    const revenue = new Map<string, number>();
    // Act
    for (const r of rows) {
      users.set(r.segment!, (users.get(r.segment!) ?? 0) + Number(r.active_users));
      revenue.set(r.segment!, (revenue.get(r.segment!) ?? 0) + Number(r.revenue));
    }
    const arpu = (s: string) => revenue.get(s)! / users.get(s)!;
    // Assess
    expect(users.get('public')!).toBeGreaterThan(2 * users.get('household')!);
    expect(users.get('household')!).toBeGreaterThan(users.get('enterprise')!);
    expect(arpu('enterprise')).toBeGreaterThan(3 * arpu('public'));
    expect(rows.some((r) => Number(r.revenue) < 0)).toBe(true);
    const enterpriseSales = salesRows.filter((r) => r.segment === 'enterprise');
    expect(enterpriseSales.filter((r) => r.channel === 'direct').length / enterpriseSales.length).toBeGreaterThan(0.5);
  });

  it('sells less on Sundays than on an average weekday, and more in the halls on Saturdays', () => {
    // Prepare
    const perDay = byType('sales').map((f) => ({ weekday: isoWeekday(fileDay(f)), rows: parse(f).rows }));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    // Act
    const sunday = mean(perDay.filter((d) => d.weekday === 7).map((d) => d.rows.length));
    const weekday = mean(perDay.filter((d) => d.weekday <= 5).map((d) => d.rows.length));
    const halls = (d: { rows: Row[] }) => d.rows.filter((r) => r.channel === 'own_hall' || r.channel === 'partner_hall').length;
    const hallSaturday = mean(perDay.filter((d) => d.weekday === 6).map(halls));
    const hallWeekday = mean(perDay.filter((d) => d.weekday <= 5).map(halls));
    // Assess
    expect(perDay).toHaveLength(28);
    expect(sunday).toBeLessThan(0.9 * weekday);
    expect(hallSaturday).toBeGreaterThan(hallWeekday);
  });

  it('changes week over week: the four weeks do not have equal sales or active users', () => {
    // Prepare
    const revenueFiles = byType('revenue');
    // Act
    const weeklySales = [0, 1, 2, 3].map((w) => salesRows.filter((r) => dayNumber(r.event_date!) - dayNumber(MONTH.from) >= 7 * w && dayNumber(r.event_date!) - dayNumber(MONTH.from) < 7 * (w + 1)).length);
    const usersOn = (i: number) => parse(revenueFiles[i]!).rows.reduce((a, r) => a + Number(r.active_users), 0);
    // Assess
    expect(new Set(weeklySales).size).toBe(4);
    expect(usersOn(27)).not.toBe(usersOn(0));
  });

  it('lets some churns hit a customer whose credited new event of the same product came 10–120 days earlier, within and beyond 90 days', () => {
    // Prepare
    const files = all({ from: '2026-07-01', days: 110, provinces: ['JL'], seed: 11, scale: 'small' });
    const rows = files.filter((f) => f.type === 'sales').flatMap((f) => parse(f).rows);
    const news = new Map(rows.filter((r) => r.event_type === 'new').map((r) => [`${r.customer_id}|${r.product}`, r]));
    // Act
    const matched = rows.filter((r) => r.event_type === 'churn' && news.has(`${r.customer_id}|${r.product}`));
    const lags = matched.map((r) => dayNumber(r.event_date!) - dayNumber(news.get(`${r.customer_id}|${r.product}`)!.event_date!));
    const credited = matched.filter((r) => news.get(`${r.customer_id}|${r.product}`)!.account_manager_id !== '');
    // Assess
    expect(lags.every((lag) => lag >= 10 && lag <= 120)).toBe(true);
    expect(lags.filter((lag) => lag <= 90).length).toBeGreaterThan(20);
    expect(lags.filter((lag) => lag > 90).length).toBeGreaterThan(0);
    expect(credited.length).toBeGreaterThan(20);
    expect(matched.every((r) => r.package === news.get(`${r.customer_id}|${r.product}`)!.package && r.city === news.get(`${r.customer_id}|${r.product}`)!.city)).toBe(true);
  });

  it('draws manager ids from the roster, except one unknown id kept for the HR data-problems sheet', () => {
    // Prepare
    const roster = new Set(parse(byType('managers')[0]!).rows.map((r) => r.account_manager_id!));
    const serviceRows = byType('service').flatMap((f) => parse(f).rows);
    // Act
    const used = [...salesRows, ...serviceRows].map((r) => r.account_manager_id!).filter((id) => id !== '');
    const unknown = new Set(used.filter((id) => !roster.has(id)));
    const directIds = salesRows.filter((r) => r.channel === 'direct').map((r) => r.account_manager_id!);
    // Assess
    expect(unknown.size).toBe(1);
    expect(directIds.filter((id) => roster.has(id)).length / directIds.length).toBeGreaterThan(0.95);
    expect(roster.size).toBe(45);
    expect(salesRows.some((r) => r.channel !== 'direct' && r.account_manager_id !== '')).toBe(true);
  });

  it('scores about 60 % of tickets, skewed towards 4 and 5, and answers most complaints and faults within 30 minutes', () => {
    // Prepare
    const tickets = byType('service').flatMap((f) => parse(f).rows);
    const minutes = (a: string, b: string) => (Date.parse(`${b}Z`) - Date.parse(`${a}Z`)) / 60_000;
    // Act
    const scored = tickets.filter((t) => t.satisfaction !== '');
    const high = scored.filter((t) => Number(t.satisfaction) >= 4).length / scored.length;
    const urgent = tickets.filter((t) => t.category === 'complaint' || t.category === 'fault');
    const inSla = urgent.filter((t) => t.first_response_at !== '' && minutes(t.opened_at!, t.first_response_at!) <= 30).length / urgent.length;
    // Assess
    expect(scored.length / tickets.length).toBeGreaterThan(0.5);
    expect(scored.length / tickets.length).toBeLessThan(0.7);
    expect(high).toBeGreaterThan(0.6);
    expect(high).toBeLessThan(0.95);
    expect(inSla).toBeGreaterThan(0.7);
    expect(inSla).toBeLessThan(0.95);
    expect(urgent.some((t) => t.first_response_at === '')).toBe(true);
  });

  it('omits exactly the skipped files and leaves every other file unchanged', () => {
    // Prepare
    const options: SampleOptions = { from: '2026-11-16', days: 3, provinces: ['JL', 'GD'], seed: 42, scale: 'small' };
    const skip = [parseSkip('sales:JL:2026-11-17'), parseSkip('service:GD:2026-11-18'), parseSkip('market:JL:2026-11')];
    // Act
    const full = all(options);
    const skipped = all({ ...options, skip });
    // Assess
    const gone = full.filter((f) => !skipped.some((s) => s.fileName === f.fileName)).map((f) => f.fileName).sort();
    expect(gone).toEqual(['market_JL_202611.csv', 'sales_JL_20261117.csv', 'service_GD_20261118.csv']);
    expect(skipped.map((f) => [f.fileName, f.content])).toEqual(full.filter((f) => !gone.includes(f.fileName)).map((f) => [f.fileName, f.content]));
    expect(sampleFileCount({ ...options, skip })).toBe(skipped.length);
  });

  it('makes a national day large, with big and small provinces', () => {
    // Prepare
    const options: SampleOptions = { from: '2026-11-18', days: 1, provinces: ['GD', 'XZ'], seed: 42, scale: 'national' };
    // Act
    const rows = new Map(all(options).map((f) => [f.fileName, f.rows]));
    // Assess
    expect(rows.get('sales_GD_20261118.csv')!).toBeGreaterThan(10_000);
    expect(rows.get('sales_XZ_20261118.csv')!).toBeLessThan(3_000);
    expect(rows.get('revenue_GD_20261118.csv')!).toBe(14 * 315);
    expect(rows.get('managers_GD_20261118.csv')!).toBeGreaterThan(1_000);
  });

  it.each([
    [{ from: '2026-02-30' }, /--from '2026-02-30'/],
    [{ days: 0 }, /--days '0'/],
    [{ days: 1.5 }, /--days '1.5'/],
    [{ provinces: ['JL', 'XX'] as never }, /'XX' is not a province code/],
    [{ provinces: [] }, /--provinces is empty/],
    [{ scale: 'huge' as never }, /--scale 'huge'/],
    [{ skip: [{ type: 'sales' as const, province: 'JL', day: '2026-12-01' }] }, /from 2026-11-16 to 2026-11-18/],
    [{ skip: [{ type: 'sales' as const, province: 'SC', day: '2026-11-16' }] }, /'SC' is not among the generated provinces/],
  ])('rejects %j with a UsageError before generating anything', (change, message) => {
    // Prepare
    const options = { from: '2026-11-16', days: 3, provinces: ['JL'], seed: 42, scale: 'small', ...change } as SampleOptions;
    // Act
    const act = () => generateSample(options);
    // Assess
    expect(act).toThrow(UsageError);
    expect(act).toThrow(message);
  });

  it('parses --skip entries and rejects malformed ones', () => {
    expect(parseSkip('sales:jl:2026-11-18')).toEqual({ type: 'sales', province: 'JL', day: '2026-11-18' });
    expect(() => parseSkip('sales-JL-2026-11-18')).toThrow(UsageError);
    expect(() => parseSkip('sales:JL:2026-11-18:x')).toThrow(UsageError);
  });

  it('covers every day from --from', () => {
    const days = byType('sales').map(fileDay);
    expect(days).toEqual(Array.from({ length: 28 }, (_, i) => addDays(MONTH.from, i)));
  });
});

describe('generateSample for the management views (SPEC §10)', () => {
  // Prepare: two months of two provinces, as the Trino parity lake and the demo hold
  const files = all({ from: '2026-10-01', days: 61, provinces: ['JL', 'GD'], seed: 11, scale: 'small' });
  const sales = files.filter((f) => f.type === 'sales').flatMap((f) => parse(f).rows);
  const tickets = files.filter((f) => f.type === 'service').flatMap((f) => parse(f).rows);
  const firstDay = sales.filter((r) => r.event_date === '2026-10-01' && r.segment === 'enterprise' && r.event_type === 'renewal');
  const feeOf = new Map<string, number>();
  for (const r of firstDay) feeOf.set(r.customer_id!, (feeOf.get(r.customer_id!) ?? 0) + Number(r.monthly_fee));
  const keyAccounts = new Set([...feeOf].filter(([, fee]) => fee >= 3334).map(([id]) => id));
  const ofKeyAccounts = (rows: Row[]) => rows.filter((r) => keyAccounts.has(r.customer_id!));
  const minutes = (a: string, b: string) => (Date.parse(`${b}Z`) - Date.parse(`${a}Z`)) / 60_000;

  it('gives each province enterprise key accounts over the watch list’s threshold, and one just under it', () => {
    // Assess
    for (const province of ['JL', 'GD']) expect([...keyAccounts].filter((id) => firstDay.find((r) => r.customer_id === id)!.province === province).length).toBeGreaterThanOrEqual(8);
    expect([...feeOf.values()]).toContain(3329);
  });

  it('gives the key accounts every warning sign: downgrades, a churn of one of their products, complaints, late and open faults, and visits', () => {
    // Act
    const keySales = ofKeyAccounts(sales);
    const keyTickets = ofKeyAccounts(tickets);
    const faults = keyTickets.filter((t) => t.category === 'fault');
    // Assess
    expect(keySales.filter((r) => r.event_type === 'downgrade').length).toBeGreaterThan(2);
    expect(keySales.filter((r) => r.event_type === 'churn').length).toBeGreaterThan(2);
    expect(keyTickets.filter((t) => t.category === 'complaint').length).toBeGreaterThan(5);
    expect(faults.filter((t) => t.resolved_at === '').length).toBeGreaterThan(0);
    expect(faults.filter((t) => t.resolved_at !== '' && minutes(t.opened_at!, t.resolved_at!) > 120).length).toBeGreaterThan(0);
    expect(faults.filter((t) => t.resolved_at !== '' && minutes(t.opened_at!, t.resolved_at!) <= 120).length).toBeGreaterThan(0);
    const visited = new Set(keyTickets.filter((t) => t.category === 'visit').map((t) => t.customer_id));
    expect(visited.size).toBeGreaterThan(keyAccounts.size / 2);
    expect(visited.size).toBeLessThan(keyAccounts.size);
  });

  it('keeps one-off ICT customers under the threshold, so only planned key accounts can be flagged', () => {
    expect(sales.filter((r) => !keyAccounts.has(r.customer_id!) && Number(r.monthly_fee) >= 3334)).toEqual([]);
  });

  it('moves users between every pair of the default fee bands and within them', () => {
    // Act
    const band = (fee: number) => [39, 89, 129].filter((edge) => fee >= edge).length;
    const moves = new Set(sales.filter((r) => r.event_type === 'upgrade' || r.event_type === 'downgrade').map((r) => `${band(Number(r.prev_monthly_fee))}→${band(Number(r.monthly_fee))}`));
    // Assess
    for (const from of [0, 1, 2, 3]) expect(moves, `from ${from}`).toContain(`${from}→${from}`);
    for (const pair of ['0→1', '1→2', '2→3', '1→0', '2→1', '3→2']) expect(moves).toContain(pair);
  });
});
