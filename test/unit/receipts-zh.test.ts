import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { formatReceipt, validateExtract } from '../../lambdas/core/extracts/validate.js';

const utf8 = (text: string) => new TextEncoder().encode(text);
const ZH = ['流水号', '日期', '省份', '地市', '客户编号', '客户群', '行业', '渠道', '客户经理工号', '代理商编号', '产品', '套餐', '业务类型', '月费', '原月费', '一次性收入'];
const row = (i: number, province = 'JL', fee = '129'): string[] =>
  [`S${i}`, '2026-11-18', province, '长春', `C${i}`, '公众', '', '自有营业厅', '', '', '移动', 'e9-129', '新装', fee, '', ''];
const csv = (rows: string[][]): string => rows.map((r) => r.join(',')).join('\n') + '\n';

async function xlsx(sheets: { name: string; rows: string[][] }[]): Promise<Uint8Array> {
  const workbook = new ExcelJS.Workbook();
  for (const sheet of sheets) {
    const ws = workbook.addWorksheet(sheet.name);
    for (const r of sheet.rows) ws.addRow(r);
  }
  return new Uint8Array(await workbook.xlsx.writeBuffer());
}

describe('receipts a branch clerk reads (issue 12)', () => {
  it('are Chinese by default, name the column as the header did and give the row as Excel numbers it', async () => {
    // Prepare
    const bytes = utf8(csv([ZH, row(1), row(2, 'JL', '一百二十九')]));
    // Act
    const { receipt } = await validateExtract({ fileName: 'sales_JL_20261118.csv', bytes });
    const text = formatReceipt(receipt);
    // Assess
    expect(receipt.problems).toMatchObject([{ row: 2, line: 3, column: 'monthly_fee', header: '月费', value: '一百二十九', code: 'notMoney' }]);
    expect(text).toContain('  第 3 行，“月费”列：“一百二十九”不是数字；应填以元为单位的金额，如 129.00');
    expect(text).toContain('行号与 Excel 一致，表头为第 1 行');
    expect(text).not.toMatch(/monthly_fee|is not a number/);
    expect(formatReceipt(receipt, 'en')).toContain("  row 3, column 月费: '一百二十九' is not a number; expected an amount in CNY like 129.00");
  });

  it('say "move the header to row 1" for an XLSX with a title row above the header, once', async () => {
    // Prepare
    const bytes = await xlsx([{ name: '销售', rows: [['吉林省分公司销售日报 2026-11-18'], [], ZH, row(1)] }]);
    // Act
    const { receipt } = await validateExtract({ fileName: 'sales_JL_20261118.xlsx', bytes });
    // Assess
    expect(receipt.status).toBe('rejected');
    expect(receipt.problems).toHaveLength(1);
    expect(receipt.problems[0]).toMatchObject({ row: 0, code: 'headerBelowRow1', params: { line: 3 } });
    expect(receipt.warnings).toEqual([]);
    expect(formatReceipt(receipt)).toContain('表头在第 3 行，不在第 1 行（上面是“吉林省分公司销售日报 2026-11-18”）；请删除表头上方的标题行，把表头移到第 1 行后重新上传');
  });

  it('say the same of a CSV with a title line', async () => {
    // Prepare
    const bytes = utf8(`吉林省分公司销售日报,,\n${csv([ZH, row(1)])}`);
    // Act
    const { receipt } = await validateExtract({ fileName: 'sales_JL_20261118.csv', bytes });
    // Assess
    expect(receipt.problems.map((p) => p.code)).toEqual(['headerBelowRow1']);
    expect(receipt.problems[0]!.params).toMatchObject({ line: 2 });
  });

  it('say "put the data on the first sheet" when a notes sheet comes first', async () => {
    // Prepare
    const bytes = await xlsx([{ name: '填表说明', rows: [['请按模板填写'], ['月费单位：元']] }, { name: '销售日报', rows: [ZH, row(1)] }]);
    // Act
    const { receipt } = await validateExtract({ fileName: 'sales_JL_20261118.xlsx', bytes });
    // Assess
    expect(receipt.problems).toHaveLength(1);
    expect(receipt.problems[0]).toMatchObject({ code: 'dataOnOtherSheet', params: { first: '填表说明', sheet: '销售日报' } });
    expect(formatReceipt(receipt)).toContain('第一个工作表“填表说明”上没有销售日报的表头，工作表“销售日报”上才有；请把数据放在第一个工作表');
  });

  it('accept headers with a unit suffix in yuan and refuse one in 万元', async () => {
    // Prepare
    const header = ZH.map((h) => (h === '月费' ? '月费（元）' : h === '原月费' ? '原月费(元)' : h));
    const revenue = ['日期', '省份', '地市', '客户群', '行业', '渠道', '产品', '收入（万元）', '在网用户数（户）'];
    // Act
    const ok = await validateExtract({ fileName: 'sales_JL_20261118.csv', bytes: utf8(csv([header, row(1)])) });
    const wrong = await validateExtract({
      fileName: 'revenue_JL_20261118.csv', bytes: utf8(csv([revenue, ['2026-11-18', 'JL', '长春', '公众', '', '自有营业厅', '移动', '1.5', '10']])),
    });
    // Assess
    expect(ok.receipt.status).toBe('accepted');
    expect(ok.receipt.headers).toMatchObject({ monthly_fee: '月费（元）', prev_monthly_fee: '原月费(元)' });
    expect(wrong.receipt.problems).toMatchObject([{ column: 'revenue', code: 'unitMismatch', params: { unit: '万元', base: '收入' } }]);
    expect(formatReceipt(wrong.receipt)).toContain('表头“收入（万元）”表示单位是万元；该列必须以元为单位');
  });

  it('give one summary when every row is another province\'s, not a hundred lines', async () => {
    // Prepare
    const bytes = utf8(csv([ZH, ...Array.from({ length: 120 }, (_, i) => row(i, 'JL'))]));
    // Act
    const { receipt } = await validateExtract({ fileName: 'sales_GD_20261118.csv', bytes });
    // Assess
    expect(receipt.problemCount).toBe(1);
    expect(receipt.problems[0]).toMatchObject({ row: 0, column: 'province', value: 'JL', code: 'allRowsProvince', params: { rows: 120, suggested: 'sales_JL_20261118.csv' } });
    expect(formatReceipt(receipt)).toContain('全部 120 行的省份都是 JL，而文件名是 GD 的：这是 JL 的文件，请改名为 sales_JL_20261118.csv');
  });

  it('still list the rows when only some rows are another province\'s', async () => {
    // Prepare
    const bytes = utf8(csv([ZH, row(1, 'GD'), row(2, 'JL'), row(3, 'GD')]));
    // Act
    const { receipt } = await validateExtract({ fileName: 'sales_GD_20261118.csv', bytes });
    // Assess
    expect(receipt.problems).toMatchObject([{ row: 2, line: 3, code: 'notFileProvince' }]);
  });

  it('give one summary when every row is of another day', async () => {
    // Prepare
    const rows = Array.from({ length: 5 }, (_, i) => row(i).map((c) => (c === '2026-11-18' ? '2026-11-17' : c)));
    // Act
    const { receipt } = await validateExtract({ fileName: 'sales_JL_20261118.csv', bytes: utf8(csv([ZH, ...rows])) });
    // Assess
    expect(receipt.problems).toMatchObject([{ code: 'allRowsDay', params: { suggested: 'sales_JL_20261117.csv' } }]);
    expect(formatReceipt(receipt)).toContain('全部 5 行的日期都是 2026-11-17，而文件名是 2026-11-18');
  });

  it('name unknown columns once, without repeating the expected list', async () => {
    // Prepare
    const bytes = utf8(csv([[...ZH, '备注', '经办人'], [...row(1), '', '张三']]));
    // Act
    const { receipt } = await validateExtract({ fileName: 'sales_JL_20261118.csv', bytes });
    // Assess
    expect(receipt.status).toBe('accepted');
    expect(receipt.warnings).toEqual(["unknown columns '备注', '经办人' were ignored"]);
    expect(formatReceipt(receipt)).toContain('  以下列不是本报表的列，已忽略：“备注”、“经办人”\n');
  });

  it('list every missing required column in one problem', async () => {
    // Prepare
    const header = ZH.filter((h) => h !== '月费' && h !== '套餐');
    const bytes = utf8(csv([header, row(1).filter((_, i) => ZH[i] !== '月费' && ZH[i] !== '套餐')]));
    // Act
    const { receipt } = await validateExtract({ fileName: 'sales_JL_20261118.csv', bytes });
    // Assess
    expect(receipt.problems).toMatchObject([{ code: 'missingColumns' }]);
    expect(formatReceipt(receipt)).toContain('表头缺少必填列：套餐、月费');
  });

  it('give an encoding hint for a header that lost its characters in a Big5 round trip', async () => {
    // Prepare: Big5 has no 号/户/经/…: a tool that converted the file wrote '?' for them, then saved it as UTF-8
    const garbled = iconv.decode(iconv.encode(csv([ZH, row(1)]), 'big5'), 'gb18030');
    // Act
    const { receipt } = await validateExtract({ fileName: 'sales_JL_20261118.csv', bytes: utf8(garbled) });
    // Assess
    expect(receipt.problems.map((p) => p.code)).toEqual(['garbledHeader']);
    expect(receipt.warnings).toEqual([]);
    expect(formatReceipt(receipt)).toContain('表头是乱码');
    expect(formatReceipt(receipt)).toContain('另存为“CSV UTF-8（逗号分隔）”');
  });

  it('give an encoding hint for UTF-8 text converted to GBK twice', async () => {
    // Prepare: 月费 as UTF-8 bytes read as GBK is 鏈堣垂
    const twice = iconv.decode(Buffer.from(csv([ZH, row(1)]), 'utf8'), 'gbk');
    // Act
    const { receipt } = await validateExtract({ fileName: 'sales_JL_20261118.csv', bytes: utf8(twice) });
    // Assess
    expect(receipt.problems.map((p) => p.code)).toEqual(['garbledHeader']);
  });

  it('say plainly that the first row is no header when nothing else explains it', async () => {
    // Prepare
    const bytes = utf8('a,b,c\n1,2,3\n');
    // Act
    const { receipt } = await validateExtract({ fileName: 'sales_JL_20261118.csv', bytes });
    // Assess
    expect(receipt.problems.map((p) => p.code)).toEqual(['headerNotFound']);
    expect(formatReceipt(receipt)).toContain('第 1 行不是销售日报的表头');
  });

  it('say a share is written as a fraction when a target carries a percent sign', async () => {
    // Prepare: a CSAT target typed as Excel shows a percentage
    const bytes = utf8(csv([['月份', '省份', '客户群', '指标', '目标值'], ['2026-12', 'JL', 'ALL', '满意度', '92.5%'], ['2026-12', 'JL', 'ALL', '收入', '6500000']]));
    // Act
    const { receipt } = await validateExtract({ fileName: 'targets_JL_202612.csv', bytes });
    // Assess
    expect(receipt.problems).toMatchObject([{ line: 2, column: 'target', code: 'percentSign' }]);
    expect(formatReceipt(receipt)).toContain('  第 2 行，“目标值”列：“92.5%”带百分号；比例请写成小数（92.5% 写 0.925），金额不带 %');
    expect(formatReceipt(receipt, 'en')).toContain("'92.5%' carries a percent sign; write a share as a fraction (92.5% as 0.925)");
  });

  it('number a duplicate key\'s first row as Excel does', async () => {
    // Prepare
    const bytes = utf8(csv([ZH, row(1), row(1)]));
    // Act
    const { receipt } = await validateExtract({ fileName: 'sales_JL_20261118.csv', bytes });
    // Assess
    expect(formatReceipt(receipt)).toContain('  第 3 行，“流水号”列：“S1”重复（第一次在第 2 行）；同一文件中流水号不能重复');
  });
});
