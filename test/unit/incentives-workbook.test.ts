import { describe, expect, it } from 'vitest';
import { statementSheetNames } from '../../lambdas/core/incentives/workbook.js';

describe('statementSheetNames', () => {
  it('makes Excel-safe, unique names of at most 31 characters from manager ids', () => {
    // Prepare
    const ids = ['AM1', 'am1', 'JL/001:[a]*?', 'X'.repeat(40), `${'X'.repeat(31)}Y`, '汇总', "'quoted'"];

    // Act
    const names = statementSheetNames(ids.map((accountManagerId) => ({ accountManagerId })));

    // Assess
    expect([...names.values()]).toEqual(['AM1', 'am1~2', 'JL_001__a___', 'X'.repeat(31), `${'X'.repeat(29)}~2`, '汇总~2', 'quoted']);
    for (const name of names.values()) {
      expect(name.length).toBeLessThanOrEqual(31);
      expect(name).not.toMatch(/[\\/?*[\]:]/);
    }
    expect(new Set([...names.values()].map((n) => n.toLowerCase())).size).toBe(ids.length);
  });
});
