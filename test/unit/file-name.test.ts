import { describe, expect, it } from 'vitest';
import { FileNameError, parseExtractName } from '../../lambdas/core/extracts/file-name.js';

describe('parseExtractName', () => {
  it('reads type, province and day from a daily extract name, dropping folders', () => {
    // Act
    const name = parseExtractName('uploads/JL/sales_JL_20261118.csv');
    // Assess
    expect(name).toEqual({ file: 'sales_JL_20261118.csv', type: 'sales', province: 'JL', day: '2026-11-18', extension: 'csv' });
  });

  it('reads a month for market and accepts lower-case parts and .XLSX', () => {
    // Act
    const name = parseExtractName('Market_jl_202611.XLSX');
    // Assess
    expect(name).toEqual({ file: 'Market_jl_202611.XLSX', type: 'market', province: 'JL', month: '2026-11', extension: 'xlsx' });
  });

  it('accepts a roster with or without a day', () => {
    // Act
    const dated = parseExtractName('managers_JL_20261101.csv');
    const undated = parseExtractName('managers_JL.csv');
    // Assess
    expect(dated.day).toBe('2026-11-01');
    expect(undated).toEqual({ file: 'managers_JL.csv', type: 'managers', province: 'JL', extension: 'csv' });
  });

  it('lets explicit type and province override the name', () => {
    // Act
    const name = parseExtractName('吉林销售日报_20261118.csv', { type: 'sales', province: 'jl' });
    // Assess
    expect(name).toMatchObject({ type: 'sales', province: 'JL', day: '2026-11-18' });
  });

  it('keeps the extension even when it is not csv or xlsx, for the receipt to reject', () => {
    // Act
    const name = parseExtractName('sales_JL_20261118.xls');
    // Assess
    expect(name.extension).toBe('xls');
  });

  it.each([
    ['report.csv', /'report' is not an extract type.*expected \{type\}_\{province\}_\{YYYYMMDD\}/],
    ['sales_XX_20261118.csv', /'XX' is not a province code/],
    ['sales_JL.csv', /has no day: expected sales_JL_YYYYMMDD\.csv/],
    ['sales_JL_20261131.csv', /'20261131' is not a real day/],
    ['market_JL.csv', /has no month: expected market_JL_YYYYMM\.csv/],
    ['market_JL_202613.csv', /'202613' is not a month/],
  ])('rejects %s with a FileNameError naming the expected form', (file, message) => {
    // Act
    const act = () => parseExtractName(file);
    // Assess
    expect(act).toThrow(FileNameError);
    expect(act).toThrow(message);
  });
});
