import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateExtract, type Problem } from '../../lambdas/core/extracts/validate.js';

const dir = join(import.meta.dirname, '../fixtures/extracts/bad');
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Record<string, { note: string; problems: Problem[] }>;

describe('validateExtract on the corpus of bad files', () => {
  it('has an expectation for every file in the corpus and at least 25 files', () => {
    // Prepare
    const files = readdirSync(dir).filter((f) => f !== 'expected.json').sort();
    // Assess
    expect(files).toEqual(Object.keys(expected).sort());
    expect(files.length).toBeGreaterThanOrEqual(25);
  });

  it.each(Object.entries(expected))('%s is rejected with exactly the expected problems', async (file, { problems }) => {
    // Prepare
    const bytes = readFileSync(join(dir, file));
    // Act
    const { receipt, normalizedCsv } = await validateExtract({ fileName: file, bytes });
    // Assess
    expect(receipt.status).toBe('rejected');
    expect(normalizedCsv).toBeUndefined();
    expect(receipt.rowsAccepted).toBe(0);
    expect(receipt.problemCount).toBe(problems.length);
    expect(receipt.problems).toHaveLength(problems.length);
    receipt.problems.forEach((actual, i) => {
      const want = problems[i]!;
      expect({ row: actual.row, column: actual.column, value: actual.value }).toEqual({ row: want.row, column: want.column, value: want.value });
      expect(actual.message).toContain(want.message);
    });
  });
});
