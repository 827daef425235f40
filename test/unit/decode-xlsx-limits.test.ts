import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it, vi } from 'vitest';
import { DecodeError, decodedChunks, decodeXlsx, XLSX_LIMITS } from '../../lambdas/core/extracts/decode.js';
import { validateExtract } from '../../lambdas/core/extracts/validate.js';

const SALES_HEADER = ['event_id', 'event_date', 'province', 'city', 'customer_id', 'segment', 'sub_segment', 'channel',
  'account_manager_id', 'agent_id', 'product', 'package', 'event_type', 'monthly_fee', 'prev_monthly_fee', 'one_off_fee'];

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** A row of inline-string cells from column A, plus optional cells placed by address (`XFD2`). */
function rowXml(r: number, cells: readonly string[], extra: Record<string, string> = {}): string {
  const letters = (n: number) => (n < 26 ? String.fromCharCode(65 + n) : `A${String.fromCharCode(65 + n - 26)}`);
  const inline = cells.map((text, i) => `<c r="${letters(i)}${r}" t="inlineStr"><is><t>${escape(text)}</t></is></c>`).join('');
  const placed = Object.entries(extra).map(([ref, text]) => `<c r="${ref}" t="inlineStr"><is><t>${escape(text)}</t></is></c>`).join('');
  return `<row r="${r}">${inline}${placed}</row>`;
}

/** A minimal workbook built by hand, so a test can hold what Excel would never write (XFD cells, huge sheets). */
async function workbook(sheetRows: string, padding = ''): Promise<Uint8Array> {
  const zip = new JSZip();
  zip.file('[Content_Types].xml', '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    + '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    + '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    + '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>');
  zip.file('_rels/.rels', '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    + '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>');
  zip.file('xl/workbook.xml', '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    + 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="sales" sheetId="1" r:id="rId1"/></sheets></workbook>');
  zip.file('xl/_rels/workbook.xml.rels', '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    + '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>');
  zip.file('xl/worksheets/sheet1.xml', '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    + `<sheetData>${sheetRows}</sheetData>${padding}</worksheet>`);
  return new Uint8Array(await zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE' }));
}

/** Rewrites the uncompressed size of every entry in the zip's central directory (a zip that lies about its size). */
function claimSizes(zip: Uint8Array, size: number): Uint8Array {
  const out = Buffer.from(zip);
  for (let at = out.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])); at >= 0; at = at > 0 ? out.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), at - 1) : -1) {
    out.writeUInt32LE(size, at + 24);
  }
  return new Uint8Array(out);
}

/** Two sheets whose workbook order (数据 first, as after dragging its tab) differs from their part names (数据 is sheet2.xml). */
async function reorderedWorkbook(): Promise<Uint8Array> {
  const book = new ExcelJS.Workbook();
  book.addWorksheet('old').addRow(['old']);
  const data = book.addWorksheet('数据');
  data.addRow(['event_id', 'city']);
  data.getRow(3).values = ['S1', '长春'];
  const zip = await JSZip.loadAsync(await book.xlsx.writeBuffer());
  const workbookXml = await zip.file('xl/workbook.xml')!.async('string');
  const sheets = /<sheets>(<sheet [^>]*\/>)(<sheet [^>]*\/>)<\/sheets>/.exec(workbookXml)!;
  zip.file('xl/workbook.xml', workbookXml.replace(sheets[0], `<sheets>${sheets[2]}${sheets[1]}</sheets>`));
  return new Uint8Array(await zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE' }));
}

/** The same two sheets by hand, with inline strings and no shared strings part (exceljs' stream reader emits only one of them). */
async function reorderedInlineWorkbook(): Promise<Uint8Array> {
  const zip = await JSZip.loadAsync(await workbook(rowXml(1, ['old'])));
  const ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"';
  const rel = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
  zip.file('xl/workbook.xml', `<?xml version="1.0" encoding="UTF-8"?><workbook ${ns} xmlns:r="${rel}"><sheets><sheet name="数据" sheetId="2" r:id="rId2"/><sheet name="old" sheetId="1" r:id="rId1"/></sheets></workbook>`);
  zip.file('xl/_rels/workbook.xml.rels', '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    + `<Relationship Id="rId1" Type="${rel}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="${rel}/worksheet" Target="worksheets/sheet2.xml"/></Relationships>`);
  zip.file('xl/worksheets/sheet2.xml', `<?xml version="1.0" encoding="UTF-8"?><worksheet ${ns}><sheetData>${rowXml(1, ['event_id', 'city'])}${rowXml(3, ['S1', '长春'])}</sheetData></worksheet>`);
  return new Uint8Array(await zip.generateAsync({ type: 'uint8array', compression: 'DEFLATE' }));
}

const goodRow = (i: number) => ['S' + i, '2026-11-18', 'JL', '长春', 'C' + i, 'public', '', 'own_hall', '', '', 'mobile', 'e9-129', 'new', '129', '', ''];

describe('decodeXlsx limits', () => {
  it('rejects 3,000 rows that each have one cell in column XFD, naming the column limit, without building the empty cells', async () => {
    // Prepare
    let rows = rowXml(1, SALES_HEADER);
    for (let r = 2; r <= 3001; r++) rows += rowXml(r, goodRow(r), { [`XFD${r}`]: 'x' });
    const bytes = await workbook(rows);
    const before = process.memoryUsage().rss;
    // Act
    const { receipt } = await validateExtract({ fileName: 'sales_JL_20261118.xlsx', bytes });
    // Assess
    expect(receipt.status).toBe('rejected');
    expect(receipt.problems).toMatchObject([{
      row: 1, column: 'XFD', value: 'x',
      message: `the cell XFD2 is beyond column IV; an extract may have at most ${XLSX_LIMITS.columns} columns: delete the cells right of the extract's columns, or save it as CSV UTF-8`,
    }]);
    expect(process.memoryUsage().rss - before).toBeLessThan(300 * 2 ** 20);
    // exceljs' stream reader parks a sheet read before the shared strings in a temp file: none is left behind
    await vi.waitFor(() => expect(readdirSync(tmpdir()).filter((f) => f.startsWith(`tmp-${process.pid}-`))).toEqual([]), { timeout: 2000 });
  });

  it('rejects a sheet with more data rows than the limit before loading it, saying to save it as CSV', async () => {
    // Prepare
    let rows = rowXml(1, SALES_HEADER);
    for (let r = 2; r <= 13; r++) rows += rowXml(r, goodRow(r));
    const bytes = await workbook(rows);
    // Act
    const result = decodeXlsx(bytes, { ...XLSX_LIMITS, rows: 10 });
    // Assess
    await expect(result).rejects.toThrow(DecodeError);
    await expect(result).rejects.toThrow('the workbook has 12 data rows; an .xlsx extract may have at most 10 rows: save it as CSV UTF-8, which has no such limit');
  });

  it('rejects a workbook whose parts inflate beyond the limit, read from the zip directory before inflating', async () => {
    // Prepare
    const bytes = await workbook(rowXml(1, SALES_HEADER), ' '.repeat(2 * 2 ** 20));
    // Act
    const result = decodeXlsx(bytes, { ...XLSX_LIMITS, inflatedBytes: 2 ** 20 });
    // Assess
    await expect(result).rejects.toThrow('the workbook inflates to 2.0 MB; an .xlsx extract may inflate to at most 1.0 MB: save it as CSV UTF-8, which has no such limit');
  });

  it('rejects a workbook whose zip directory understates the inflated size', async () => {
    // Prepare
    const bytes = claimSizes(await workbook(rowXml(1, SALES_HEADER), ' '.repeat(2 * 2 ** 20)), 1000);
    // Act
    const result = decodeXlsx(bytes, { ...XLSX_LIMITS, inflatedBytes: 2 ** 20 });
    // Assess
    await expect(result).rejects.toThrow('an .xlsx extract may inflate to at most 1.0 MB');
  });

  it('accepts a workbook within the limits', async () => {
    // Prepare
    let rows = rowXml(1, SALES_HEADER);
    for (let r = 2; r <= 11; r++) rows += rowXml(r, goodRow(r));
    const bytes = await workbook(rows);
    // Act
    const { receipt } = await validateExtract({ fileName: 'sales_JL_20261118.xlsx', bytes });
    // Assess
    expect(receipt.problems).toEqual([]);
    expect(receipt.rowsAccepted).toBe(10);
  });

  it.each([['as Excel saves it', reorderedWorkbook], ['by hand, without shared strings', reorderedInlineWorkbook]])('reads the first sheet in the workbook\'s order, not the first part in the zip, and keeps row numbers across empty rows (%s)', async (_, build) => {
    // Prepare
    const bytes = await build();
    // Act
    const table = await decodeXlsx(bytes);
    const rows: string[][] = [];
    table.forEachRow((cells) => rows.push([...cells]));
    // Assess
    expect(table.header).toEqual(['event_id', 'city']);
    expect(rows).toEqual([['', ''], ['S1', '长春']]);
  });

  it.each([
    ['inline strings', false],
    ['shared strings, as Excel saves it', true],
  ])('keeps Chinese text whole where a character straddles two inflated chunks (%s; exceljs issue #2063)', async (_, shared) => {
    // Prepare: 400 rows of a 300-character Chinese cell put a chunk boundary (every 16 KB) inside a character
    const text = (r: number) => `${'吉林省长春市朝阳区客户经理'.repeat(23)}${r}`;
    let bytes: Uint8Array;
    if (shared) {
      const book = new ExcelJS.Workbook();
      const sheet = book.addWorksheet('sales');
      sheet.addRow(['event_id', 'city']);
      for (let r = 2; r <= 401; r++) sheet.addRow([`S${r}`, text(r)]);
      bytes = new Uint8Array(await book.xlsx.writeBuffer());
    } else {
      let rows = rowXml(1, ['event_id', 'city']);
      for (let r = 2; r <= 401; r++) rows += rowXml(r, [`S${r}`, text(r)]);
      bytes = await workbook(rows);
    }
    // Act
    const table = await decodeXlsx(bytes);
    const cities: string[] = [];
    table.forEachRow((cells) => cities.push(cells[1]!));
    // Assess
    expect(cities).toHaveLength(400);
    expect(cities.filter((c, i) => c !== text(i + 2))).toEqual([]);
  });

  it('decodes a character split between two chunks whole', async () => {
    // Prepare
    const bytes = Buffer.from('长春', 'utf8');
    async function* chunks() { yield bytes.subarray(0, 2); yield bytes.subarray(2, 4); yield bytes.subarray(4); }
    // Act
    const parts: string[] = [];
    for await (const part of decodedChunks(chunks())) parts.push(part);
    // Assess
    expect(parts.join('')).toBe('长春');
  });
});
