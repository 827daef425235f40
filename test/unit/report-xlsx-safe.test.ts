import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import { describe, expect, it } from 'vitest';
import { MAX_CELL_TEXT, looksLikeFormula, setText, textCell } from '../../lambdas/core/xlsx-safe.js';

describe('textCell', () => {
  it('keeps text starting with = + - @ exactly as typed', () => {
    // Prepare
    const inputs = ['=1+1', '+86 138', '-5', '@SUM(A1)', '=HYPERLINK("http://evil.example","x")'];
    // Act
    const outputs = inputs.map(textCell);
    // Assess
    expect(outputs).toEqual(inputs);
  });

  it('drops characters XML cannot carry and cuts to the cell limit', () => {
    // Prepare
    const dirty = `a\u0000b\u0007c\td\ne`;
    // Act
    const clean = textCell(dirty);
    const long = textCell('x'.repeat(MAX_CELL_TEXT + 10));
    // Assess
    expect(clean).toBe('abc\td\ne');
    expect(long).toHaveLength(MAX_CELL_TEXT);
  });

  it('turns non-strings into their text and null into empty text', () => {
    // Prepare, Act, Assess
    expect(textCell(12.5)).toBe('12.5');
    expect(textCell(null)).toBe('');
    expect(textCell(undefined)).toBe('');
  });

  it('recognises text a spreadsheet would run as a formula', () => {
    // Prepare, Act, Assess
    expect(['=A1', '+1', '-1', '@x', '\t=1'].every(looksLikeFormula)).toBe(true);
    expect(['吉林', 'e9-129', ''].some(looksLikeFormula)).toBe(false);
  });
});

describe('setText', () => {
  it('writes a string cell that stays a string in the saved file, with no formula element', async () => {
    // Prepare
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('s');
    // Act
    setText(ws.getCell('A1'), '=1+1');
    setText(ws.getCell('A2'), '@cmd|calc');
    const bytes = await wb.xlsx.writeBuffer();
    // Assess
    const back = new ExcelJS.Workbook();
    await back.xlsx.load(bytes);
    const cell = back.getWorksheet('s')!.getCell('A1');
    expect(cell.type).toBe(ExcelJS.ValueType.String);
    expect(cell.value).toBe('=1+1');
    expect(cell.formula).toBeUndefined();
    const xml = await (await JSZip.loadAsync(bytes)).file('xl/worksheets/sheet1.xml')!.async('string');
    expect(xml).not.toMatch(/<f[ >]/);
    expect(xml).toContain('<c r="A1" t="s">');
  });
});
