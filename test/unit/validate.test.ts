import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { FileNameError } from '../../lambdas/core/extracts/file-name.js';
import { formatReceipt, MAX_PROBLEMS, validateExtract, type Receipt } from '../../lambdas/core/extracts/validate.js';

const good = join(import.meta.dirname, '../fixtures/extracts/good');
const utf8 = (text: string) => new TextEncoder().encode(text);
const fixed = () => new Date('2026-11-19T01:02:03.004Z');

// One small sales day written four ways; all must normalise to the same canonical CSV.
const EN = ['event_id', 'event_date', 'province', 'city', 'customer_id', 'segment', 'sub_segment', 'channel', 'account_manager_id', 'agent_id', 'product', 'package', 'event_type', 'monthly_fee', 'prev_monthly_fee', 'one_off_fee'];
const ZH = ['流水号', '日期', '省份', '地市', '客户编号', '客户群', '行业', '渠道', '客户经理工号', '代理商编号', '产品', '套餐', '业务类型', '月费', '原月费', '一次性收入'];
const LABELLED = [
  ['S1', '2026-11-18', '吉林', '长春', 'C1', '公众', '', '直销', 'AM1', '', '移动', 'e9-129', '新装', '129', '', ''],
  ['S2', '2026-11-18', 'JL', '吉林', 'C2', '政企', '党政军', '代理商', '', 'AG1', '融合套餐', '=1+2', '升档', '199.5', '129', '10'],
];
const CANONICAL = [
  'event_id,event_date,city,customer_id,segment,sub_segment,channel,account_manager_id,agent_id,product,package,event_type,monthly_fee,prev_monthly_fee,one_off_fee',
  'S1,2026-11-18,长春,C1,public,,direct,AM1,,mobile,e9-129,new,129,,0',
  'S2,2026-11-18,吉林,C2,enterprise,gov,agent,,AG1,bundle,=1+2,upgrade,199.5,129,10',
  '',
].join('\n');

function reorder(header: string[], rows: string[][], order: number[]): string[][] {
  return [order.map((i) => header[i]!), ...rows.map((row) => order.map((i) => row[i]!))];
}

function csv(table: string[][], delimiter = ',', lineEnd = '\n'): string {
  return table.map((row) => row.join(delimiter)).join(lineEnd) + lineEnd;
}

describe('validateExtract on good files', () => {
  const files = readdirSync(good).filter((f) => f.endsWith('.csv')).sort();

  it('has a good file for each of the six extract types', () => {
    // Assess
    expect(files.map((f) => f.split('_')[0])).toEqual(['managers', 'market', 'revenue', 'sales', 'service', 'targets']);
  });

  it.each(files)('accepts %s with exactly the expected canonical CSV', async (file) => {
    // Prepare
    const bytes = readFileSync(join(good, file));
    const expected = readFileSync(join(good, file.replace('.csv', '.expected.txt')), 'utf8');
    // Act
    const { receipt, normalizedCsv } = await validateExtract({ fileName: file, bytes }, { now: fixed });
    // Assess
    expect(receipt.problems).toEqual([]);
    expect(receipt.status).toBe('accepted');
    expect(normalizedCsv).toBe(expected);
    const dataLines = expected.trimEnd().split('\n').length - 1;
    expect(receipt.rowsRead).toBe(dataLines);
    expect(receipt.rowsAccepted).toBe(dataLines);
  });

  it('fills the receipt: file, type, province, day, encoding, sha256 and the time received', async () => {
    // Prepare
    const bytes = readFileSync(join(good, 'sales_JL_20261118.csv'));
    // Act
    const { receipt } = await validateExtract({ fileName: `some/folder/sales_JL_20261118.csv`, bytes }, { now: fixed });
    // Assess
    expect(receipt).toMatchObject({
      file: 'sales_JL_20261118.csv', type: 'sales', province: 'JL', day: '2026-11-18', encoding: 'utf-8',
      receivedAt: '2026-11-19T01:02:03.004Z', problemCount: 0, warnings: [],
    });
    expect(receipt.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(receipt.month).toBeUndefined();
  });
});

describe('validateExtract on headers, labels and encodings', () => {
  it('reads Chinese headers in reverse order with Chinese code labels', async () => {
    // Prepare
    const order = EN.map((_, i) => EN.length - 1 - i);
    const bytes = utf8(csv(reorder(ZH, LABELLED, order)));
    // Act
    const { receipt, normalizedCsv } = await validateExtract({ fileName: 'sales_JL_20261118.csv', bytes });
    // Assess
    expect(receipt.problems).toEqual([]);
    expect(normalizedCsv).toBe(CANONICAL);
  });

  it('reads mixed English (any case) and Chinese headers in another order, from GB18030 bytes', async () => {
    // Prepare
    const mixed = EN.map((name, i) => (i % 2 === 0 ? ZH[i]! : name.toUpperCase()));
    const order = [3, 0, 15, 7, 1, 2, 9, 4, 14, 5, 6, 13, 8, 10, 12, 11];
    const bytes = new Uint8Array(iconv.encode(csv(reorder(mixed, LABELLED, order)), 'gb18030'));
    // Act
    const { receipt, normalizedCsv } = await validateExtract({ fileName: 'sales_JL_20261118.csv', bytes });
    // Assess
    expect(receipt.encoding).toBe('gb18030');
    expect(receipt.problems).toEqual([]);
    expect(normalizedCsv).toBe(CANONICAL);
  });

  it('reads UTF-8 with a byte order mark', async () => {
    // Prepare
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...utf8(csv([ZH, ...LABELLED]))]);
    // Act
    const { receipt, normalizedCsv } = await validateExtract({ fileName: 'sales_JL_20261118.csv', bytes });
    // Assess
    expect(receipt.encoding).toBe('utf-8-bom');
    expect(normalizedCsv).toBe(CANONICAL);
  });

  it('reads tab-delimited CRLF text', async () => {
    // Prepare
    const bytes = utf8(csv([EN, ...LABELLED], '\t', '\r\n'));
    // Act
    const { receipt, normalizedCsv } = await validateExtract({ fileName: 'sales_JL_20261118.csv', bytes });
    // Assess
    expect(receipt.status).toBe('accepted');
    expect(normalizedCsv).toBe(CANONICAL);
  });

  it('reads an XLSX with a date cell, number cells, a formula cell and formula-looking text', async () => {
    // Prepare
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('销售');
    sheet.addRow(ZH);
    const day = new Date(Date.UTC(2026, 10, 18));
    sheet.addRow(['S1', day, 'JL', '长春', 'C1', '公众', null, '直销', 'AM1', null, '移动', '@SUM(A1)', '新装', 129, null, { formula: 'N2/10', result: 12.9 }]);
    sheet.addRow(['S2', day, 'JL', '吉林', 'C2', '政企', '党政军', '代理商', null, 'AG1', '融合套餐', '=1+2', '升档', 199.5, 129, 10]);
    const bytes = new Uint8Array(await workbook.xlsx.writeBuffer());
    // Act
    const { receipt, normalizedCsv } = await validateExtract({ fileName: 'sales_JL_20261118.xlsx', bytes });
    // Assess
    expect(receipt.problems).toEqual([]);
    expect(receipt.encoding).toBe('xlsx');
    expect(normalizedCsv).toBe([
      CANONICAL.split('\n')[0],
      'S1,2026-11-18,长春,C1,public,,direct,AM1,,mobile,@SUM(A1),new,129,,12.9',
      'S2,2026-11-18,吉林,C2,enterprise,gov,agent,,AG1,bundle,=1+2,upgrade,199.5,129,10',
      '',
    ].join('\n'));
  });

  it('reports unknown extra columns as warnings and ignores them', async () => {
    // Prepare
    const bytes = utf8(csv([[...EN, '备注'], ...LABELLED.map((row) => [...row, 'VIP客户'])]));
    // Act
    const { receipt, normalizedCsv } = await validateExtract({ fileName: 'sales_JL_20261118.csv', bytes });
    // Assess
    expect(receipt.status).toBe('accepted');
    expect(receipt.warnings).toEqual([expect.stringContaining("unknown column '备注' was ignored")]);
    expect(normalizedCsv).toBe(CANONICAL);
  });

  it('takes type and province explicitly when the file name does not carry them', async () => {
    // Prepare
    const bytes = utf8(csv([EN, ...LABELLED]));
    // Act
    const { receipt } = await validateExtract({ fileName: '吉林销售_20261118.csv', bytes, type: 'sales', province: 'JL' });
    // Assess
    expect(receipt).toMatchObject({ type: 'sales', province: 'JL', day: '2026-11-18', status: 'accepted' });
  });

  it('throws a FileNameError when neither the name nor the caller says the type', async () => {
    // Act
    const result = validateExtract({ fileName: 'export.csv', bytes: utf8('a\n1\n') });
    // Assess
    await expect(result).rejects.toThrow(FileNameError);
  });
});

describe('validateExtract on whole-file cases', () => {
  it('accepts a header-only sales file as a day without events', async () => {
    // Act
    const { receipt, normalizedCsv } = await validateExtract({ fileName: 'sales_JL_20261118.csv', bytes: utf8(`${EN.join(',')}\n`) });
    // Assess
    expect(receipt.status).toBe('accepted');
    expect(receipt.rowsRead).toBe(0);
    expect(normalizedCsv).toBe(`${CANONICAL.split('\n')[0]}\n`);
    expect(receipt.warnings).toEqual(['the file has no data rows: stored as a day without sales events']);
  });

  it('ignores empty rows between data rows and says so', async () => {
    // Prepare
    const bytes = utf8(`${csv([EN, LABELLED[0]!])}\n,,,\n${csv([LABELLED[1]!])}`);
    // Act
    const { receipt, normalizedCsv } = await validateExtract({ fileName: 'sales_JL_20261118.csv', bytes });
    // Assess
    expect(receipt.rowsRead).toBe(2);
    expect(receipt.warnings).toEqual(['2 empty row(s) were ignored']);
    expect(normalizedCsv).toBe(CANONICAL);
  });

  it('lists the first 100 problems and counts the rest', async () => {
    // Prepare
    const rows = Array.from({ length: 150 }, (_, i) => ['S' + i, ...LABELLED[0]!.slice(1, 13), `${i},5`, '', '']);
    const bytes = utf8(csv([EN, ...rows.map((r) => r.map((c) => (c.includes(',') ? `"${c}"` : c)))]));
    // Act
    const { receipt } = await validateExtract({ fileName: 'sales_JL_20261118.csv', bytes });
    // Assess
    expect(receipt.problemCount).toBe(150);
    expect(receipt.problems).toHaveLength(MAX_PROBLEMS);
    expect(receipt.problems[99]).toMatchObject({ row: 100, line: 101, column: 'monthly_fee', value: '99,5', code: 'decimalComma', message: "'99,5' is not a number; use a dot for decimals" });
    const text = formatReceipt(receipt, 'en');
    expect(text.split('\n').filter((line) => line.startsWith('  row '))).toHaveLength(100);
    expect(text).toContain('  …and 50 more problems\n');
    expect(formatReceipt(receipt)).toContain('  ……另有 50 个问题未列出\n');
  });
});

describe('formatReceipt', () => {
  const receipt: Receipt = {
    file: 'sales_JL_20261118.csv', type: 'sales', province: 'JL', day: '2026-11-18', status: 'rejected',
    rowsRead: 20, rowsAccepted: 0, problemCount: 2, warnings: ["unknown column 'x' was ignored"],
    notices: [{ code: 'unknownColumns', params: { columns: 'x' } }], headers: { monthly_fee: '月费' }, encoding: 'gb18030',
    sha256: 'ab', receivedAt: '2026-11-19T01:02:03.004Z',
    problems: [
      { row: 14, line: 15, column: 'monthly_fee', header: '月费', value: '12,5', message: "'12,5' is not a number; use a dot for decimals", code: 'decimalComma', params: { v: '12,5' } },
      { row: 0, column: '', value: '', message: 'the file is empty; expected a header row and one row per record', code: 'empty', params: {} },
    ],
  };

  it('writes the receipt in Chinese by default: Excel row numbers, the column as the header wrote it, what to do next', () => {
    // Act
    const text = formatReceipt(receipt);
    // Assess
    expect(text).toBe([
      '文件：sales_JL_20261118.csv', '类型：销售日报（sales）', '省份：吉林（JL）', '日期：2026-11-18', '结果：未接受（整个文件退回）',
      '读取 20 行，接受 0 行', '编码：gb18030', '接收时间：2026-11-19 09:02 (Asia/Shanghai)', '问题（共 2 个；行号与 Excel 一致，表头为第 1 行）：',
      '  第 15 行，“月费”列：“12,5”不是数字；小数点请用“.”，不要用逗号', '  文件：文件是空的；第 1 行应为表头，其下每行一条记录',
      '提示：', '  以下列不是本报表的列，已忽略：“x”', '本文件未入库。请按上面的提示改正后，重新上传整个文件。', '',
    ].join('\n'));
  });

  it('writes English with --lang en, naming the column as the file did', () => {
    // Act
    const text = formatReceipt(receipt, 'en');
    // Assess
    expect(text).toContain('Status: rejected\n');
    expect(text).toContain("  row 15, column 月费: '12,5' is not a number; use a dot for decimals\n");
    expect(text).toContain("  unknown column 'x' was ignored\n");
  });

  it('renders a receipt stored before problems had codes from its English message', () => {
    // Prepare
    const old = { ...receipt, notices: undefined, headers: undefined, problems: [{ row: 14, column: 'monthly_fee', value: '12,5', message: "'12,5' is not a number" }] };
    // Act
    const text = formatReceipt(old);
    // Assess
    expect(text).toContain("  第 15 行，“月费”列：'12,5' is not a number\n");
    expect(text).toContain("  unknown column 'x' was ignored\n");
  });
});

describe('validateExtract timestamps', () => {
  it('stores fractional seconds to the millisecond, the precision Athena engine version 3 reads', async () => {
    // Prepare: Athena reads timestamp columns as timestamp(3) and fails or rounds finer values
    // ("Athena engine version 3", timestamp changes); DuckDB would keep microseconds.
    const header = '工单号,受理时间,省份,地市,客户编号,客户群,行业,受理渠道,类别,客户经理工号,首次响应时间,办结时间,满意度\n';
    const row = 'T1,2026-11-18 09:30:00.123456,JL,长春,C1,公众,,10000号,投诉,,2026-11-18 09:45:00.9999,,5\n';

    // Act
    const { receipt, normalizedCsv } = await validateExtract({ fileName: 'service_JL_20261118.csv', bytes: utf8(header + row) }, { now: fixed });

    // Assess
    expect(receipt.status).toBe('accepted');
    expect(normalizedCsv!.split('\n')[1]).toBe('T1,2026-11-18 01:30:00.123,长春,C1,public,,hotline,complaint,,2026-11-18 01:45:00.999,,5,2026-11-18');
  });

  it('converts each form to UTC and gives the Shanghai day, the same on clean rows and on rows read as text', async () => {
    // Prepare: clean rows (the byte reader) around midnight and 08:00 Shanghai, across a month end,
    // with T or a space, with Z; the same rows with a quoted city go through the text reader.
    const header = 'ticket_id,opened_at,province,city,customer_id,segment,sub_segment,channel,category,account_manager_id,first_response_at,resolved_at,satisfaction\n';
    const rows = (city: string) => [
      `T1,2026-11-18T00:00:00,JL,${city},C1,public,,hotline,complaint,,2026-11-18T07:59:59,2026-11-18 08:00:00,5`,
      `T2,2026-11-17 23:59:59,JL,${city},C1,public,,hotline,complaint,,2026-11-18T15:59:59Z,2026-12-01T00:00:01,5`,
      `T3,2026-11-18T16:00:00Z,JL,${city},C1,public,,hotline,complaint,,2026-11-19T23:59:59,2027-01-01T07:00:00,`,
    ].map((r, i) => r.replace(/^T\d/, `T${i + 1}${city === '长春' ? '' : 'q'}`));
    const expected = (id: string) => [
      `T1${id},2026-11-17 16:00:00,长春,C1,public,,hotline,complaint,,2026-11-17 23:59:59,2026-11-18 00:00:00,5,2026-11-18`,
      `T2${id},2026-11-17 15:59:59,长春,C1,public,,hotline,complaint,,2026-11-18 15:59:59,2026-11-30 16:00:01,5,2026-11-17`,
      `T3${id},2026-11-18 16:00:00,长春,C1,public,,hotline,complaint,,2026-11-19 15:59:59,2026-12-31 23:00:00,,2026-11-19`,
    ];

    // Act
    const clean = await validateExtract({ fileName: 'service_JL_20261118.csv', bytes: utf8(header + rows('长春').join('\n') + '\n') }, { now: fixed });
    const quoted = await validateExtract({ fileName: 'service_JL_20261118.csv', bytes: utf8(header + rows('"长春"').join('\n') + '\n') }, { now: fixed });

    // Assess
    expect(clean.receipt.status).toBe('accepted');
    expect(clean.normalizedCsv!.trimEnd().split('\n').slice(1)).toEqual(expected(''));
    expect(quoted.receipt.status).toBe('accepted');
    expect(quoted.normalizedCsv!.trimEnd().split('\n').slice(1)).toEqual(expected('q'));
  });

  it('decides the window and order of the timestamps of a clean row as the text reader does, at each bound', async () => {
    // Prepare: each case alone after a good row (once a file has a problem every later row is read
    // as text), clean and with a quoted city (the text reader); the file's day is 2026-11-18, so
    // opened_at may fall on 11-17 to 11-19 Shanghai and a later time up to 2027-02-16.
    const header = 'ticket_id,opened_at,province,city,customer_id,segment,sub_segment,channel,category,account_manager_id,first_response_at,resolved_at,satisfaction\n';
    const good = (city: string) => `T0,2026-11-18 10:00:00,JL,${city},C1,public,,hotline,complaint,,,,5`;
    const cases: Array<[string, string, string, string]> = [
      // [opened_at, first_response_at, resolved_at, what]
      ['2026-11-17T00:00:00', '', '', 'first moment of the window'],
      ['2026-11-16T23:59:59', '', '', 'a second before it'],
      ['2026-11-19T15:59:59Z', '', '', 'last second of the window, UTC'],
      ['2026-11-19T16:00:00Z', '', '', 'the window end'],
      ['2026-11-18 10:00:00', '2026-11-18 09:59:59', '', 'a response before opening'],
      ['2026-11-18 10:00:00', '2026-11-18 10:00:00', '2026-11-18T02:00:00Z', 'response and resolution at the opening'],
      ['2026-11-18 10:00:00', '', '2027-02-16T23:59:59', 'last second of the later window'],
      ['2026-11-18 10:00:00', '', '2027-02-17T00:00:00', 'the later window end'],
      ['2026-11-18 10:00:00.5', '2026-11-18 10:00:00', '', 'an opening with a fraction (read as text)'],
      ['2026-11-18T07:59:59', '2026-11-18T08:00:00+08:00', '2026-11-17T23:59:59Z', 'an offset beside clean ones'],
    ];
    for (const [opened, first, resolved, what] of cases) {
      const file = (city: string) => utf8(`${header}${good(city)}\nT1,${opened},JL,${city},C1,public,,hotline,complaint,,${first},${resolved},5\n`);

      // Act
      const clean = await validateExtract({ fileName: 'service_JL_20261118.csv', bytes: file('长春') }, { now: fixed });
      const text = await validateExtract({ fileName: 'service_JL_20261118.csv', bytes: file('"长春"') }, { now: fixed });

      // Assess
      expect(clean.receipt.problems, what).toEqual(text.receipt.problems);
      expect(clean.receipt.status, what).toBe(text.receipt.status);
      expect(clean.normalizedCsv, what).toBe(text.normalizedCsv);
    }
  });

  it('reports an impossible time or day on a clean row as the text reader does', async () => {
    // Prepare
    const header = 'ticket_id,opened_at,province,city,customer_id,segment,sub_segment,channel,category,account_manager_id,first_response_at,resolved_at,satisfaction\n';
    const body = [
      'T1,2026-11-18T09:00:00,JL,长春,C1,public,,hotline,complaint,,,,5',
      'T2,2026-11-18T24:00:00,JL,长春,C1,public,,hotline,complaint,,,,5',
      'T3,2026-11-18T09:00:00,JL,长春,C1,public,,hotline,complaint,,2026-02-30T10:00:00,,5',
    ].join('\n');

    // Act
    const { receipt } = await validateExtract({ fileName: 'service_JL_20261118.csv', bytes: utf8(`${header}${body}\n`) }, { now: fixed });

    // Assess
    expect(receipt.status).toBe('rejected');
    expect(receipt.problems.map((p) => [p.row, p.column, p.value, p.code])).toEqual([
      [2, 'opened_at', '2026-11-18T24:00:00', 'notRealTime'],
      [3, 'first_response_at', '2026-02-30T10:00:00', 'notRealTime'],
    ]);
  });
});
