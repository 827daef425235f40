import { describe, expect, it } from 'vitest';
import { companionKey, fitName, FileNameError, parseExtractName } from '../../lambdas/core/extracts/file-name.js';

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

describe('fitName and companionKey', () => {
  it('keeps a name that fits and shortens a longer one deterministically, at a character boundary, with a hash', () => {
    // Prepare
    const long = `sales_JL_20261118_${'长春'.repeat(100)}.csv`;
    // Act
    const short = fitName(long, 100);
    // Assess
    expect(fitName('sales_JL_20261118.csv', 100)).toBe('sales_JL_20261118.csv');
    expect(Buffer.byteLength(short)).toBeLessThanOrEqual(100);
    expect(short).toMatch(/^sales_JL_20261118_(长春)+长?~[0-9a-f]{16}$/);
    expect(fitName(long, 100)).toBe(short);
    expect(fitName(long.replace('.csv', '.xlsx'), 100)).not.toBe(short);
  });

  it('gives every companion of an upload key a key within 1,024 bytes and 255 bytes per part, sharing one start', () => {
    // Prepare
    const key = `JL/${'d'.repeat(700)}/${'x'.repeat(300)}.csv`;
    // Act
    const json = companionKey(key, '.receipt.json');
    const txt = companionKey(key, '.receipt.txt');
    // Assess
    expect(companionKey('JL/sales_JL_20261118.csv', '.receipt.json')).toBe('JL/sales_JL_20261118.csv.receipt.json');
    expect(Buffer.byteLength(json)).toBeLessThanOrEqual(1024);
    expect(Buffer.byteLength(json.slice(json.lastIndexOf('/') + 1))).toBeLessThanOrEqual(255);
    expect(json.replace(/\.receipt\.json$/, '')).toBe(txt.replace(/\.receipt\.txt$/, ''));
  });
});
