import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { DecodeError, decodeTable, parseCsv, plainNumber } from '../../lambdas/core/extracts/decode.js';

const utf8 = (text: string) => new TextEncoder().encode(text);

async function xlsx(build: (workbook: ExcelJS.Workbook) => void): Promise<Uint8Array> {
  const workbook = new ExcelJS.Workbook();
  build(workbook);
  return new Uint8Array(await workbook.xlsx.writeBuffer());
}

describe('parseCsv', () => {
  it('reads RFC 4180 quotes: delimiters, doubled quotes and line breaks inside quoted cells', () => {
    // Act
    const rows = parseCsv('a,b,c\n"x,1","say ""hi""","two\nlines"\n,,\n', ',');
    // Assess
    expect(rows).toEqual([['a', 'b', 'c'], ['x,1', 'say "hi"', 'two\nlines'], ['', '', '']]);
  });

  it('reads CRLF and a last line without a line end, and a trailing empty cell', () => {
    // Act
    const rows = parseCsv('a\tb\r\n1\t\r\n2\t3', '\t');
    // Assess
    expect(rows).toEqual([['a', 'b'], ['1', ''], ['2', '3']]);
  });

  it('reports an unterminated quote with its data row', () => {
    // Act
    const act = () => parseCsv('a,b\n1,2\n3,"open\n', ',');
    // Assess
    expect(act).toThrow(DecodeError);
    expect(act).toThrow('a quoted cell is not closed (it starts in data row 2)');
  });
});

describe('decodeTable (CSV)', () => {
  it('reads strict UTF-8, trims header cells and drops trailing empty rows', async () => {
    // Act
    const table = await decodeTable('x.csv', utf8(' 流水号 ,city\nS1,长春\n\n,\n'));
    // Assess
    expect(table).toEqual({ header: ['流水号', 'city'], rows: [['S1', '长春']], encoding: 'utf-8', delimiter: ',' });
  });

  it('strips a UTF-8 byte order mark', async () => {
    // Act
    const table = await decodeTable('x.csv', new Uint8Array([0xef, 0xbb, 0xbf, ...utf8('event_id\nS1\n')]));
    // Assess
    expect(table.header).toEqual(['event_id']);
    expect(table.encoding).toBe('utf-8-bom');
  });

  it('falls back to GB18030 for bytes that are not UTF-8 (as Chinese Excel saves CSV)', async () => {
    // Prepare
    const bytes = new Uint8Array(iconv.encode('流水号,地市\nS1,长春\n', 'gb18030'));
    // Act
    const table = await decodeTable('x.csv', bytes);
    // Assess
    expect(table).toEqual({ header: ['流水号', '地市'], rows: [['S1', '长春']], encoding: 'gb18030', delimiter: ',' });
  });

  it('accepts GB18030 text whose place names use GB2312 level-2 hanzi (深圳, 东莞)', async () => {
    // Prepare
    const bytes = new Uint8Array(iconv.encode('地市,客户群\n深圳,公众\n东莞,政企\n深圳,家庭\n', 'gb18030'));
    // Act
    const table = await decodeTable('x.csv', bytes);
    // Assess
    expect(table.encoding).toBe('gb18030');
    expect(table.rows).toEqual([['深圳', '公众'], ['东莞', '政企'], ['深圳', '家庭']]);
  });

  it.each(['big5', 'shift_jis'])('rejects traditional Chinese text saved in %s instead of reading it as GB18030', async (encoding) => {
    // Prepare
    const text = '流水號,地市,客戶群,渠道\n' + ['長春', '吉林', '四平', '延邊', '遼源'].map((c, i) => `S${i},${c},公眾,自有營業廳\n`).join('');
    // Act
    const result = decodeTable('x.csv', new Uint8Array(iconv.encode(text, encoding)));
    // Assess
    await expect(result).rejects.toThrow('it was probably saved in another encoding (Big5, Shift-JIS, Latin-1…); save it as "CSV UTF-8"');
  });

  it('detects tab-delimited CRLF files from the header line', async () => {
    // Act
    const table = await decodeTable('x.csv', utf8('a\tb\tc\r\n1\t2,5\t\r\n'));
    // Assess
    expect(table.delimiter).toBe('\t');
    expect(table.rows).toEqual([['1', '2,5', '']]);
  });

  it('rejects UTF-16 text with a sentence saying how to save the file', async () => {
    // Act
    const result = decodeTable('x.csv', new Uint8Array([0xff, 0xfe, 0x61, 0x00]));
    // Assess
    await expect(result).rejects.toThrow('the file is UTF-16 text ("Unicode text"); save it as "CSV UTF-8"');
  });
});

describe('decodeTable (XLSX)', () => {
  it('reads the first sheet: dates as YYYY-MM-DD, numbers as plain decimals, formulas as their results, formula-looking text verbatim', async () => {
    // Prepare
    const bytes = await xlsx((workbook) => {
      const sheet = workbook.addWorksheet('数据');
      workbook.addWorksheet('ignored').addRow(['nope']);
      sheet.addRow([' event_date ', 'fee', 'total', 'package', 'note', 'when']);
      sheet.addRow([new Date(Date.UTC(2026, 10, 18)), 0.1 + 0.2, { formula: 'B2*2', result: 0.6 }, '=HYPERLINK("http://x")', { richText: [{ text: '富' }, { text: '文本' }] }, new Date(Date.UTC(2026, 10, 18, 9, 30, 5))]);
      sheet.addRow([new Date(Date.UTC(2026, 10, 18)), 1234567.5, { formula: 'B3*2' }, '-5', null, null]);
      sheet.addRow([]);
    });
    // Act
    const table = await decodeTable('x.xlsx', bytes);
    // Assess
    expect(table.encoding).toBe('xlsx');
    expect(table.header).toEqual(['event_date', 'fee', 'total', 'package', 'note', 'when']);
    expect(table.rows).toEqual([
      ['2026-11-18', '0.3', '0.6', '=HYPERLINK("http://x")', '富文本', '2026-11-18 09:30:05'],
      ['2026-11-18', '1234567.5', '', '-5', '', ''],
    ]);
  });

  it('rejects a workbook without sheets', async () => {
    // Prepare
    const bytes = await xlsx(() => undefined);
    // Act
    const result = decodeTable('x.xlsx', bytes);
    // Assess
    await expect(result).rejects.toThrow('the workbook has no sheets');
  });
});

describe('plainNumber', () => {
  it.each([[12, '12'], [0.1 + 0.2, '0.3'], [1e-7, '0.0000001'], [-20.5, '-20.5'], [123456789012, '123456789012']])('%s → %s', (n, text) => {
    // Assess
    expect(plainNumber(n)).toBe(text);
  });
});
