import { describe, expect, it } from 'vitest';
import { revisionChanges, revisionLines, type RevisionSummary } from '../../lambdas/core/report/revision.js';

const before: RevisionSummary = {
  tiles: { revenue: 14_575_000, arpu: 31.03, grossAdds: 2999 },
  provinceRevenue: { GD: 5_584_000, JL: 4_000_000 },
  sources: {
    'JL sales 2026-11-18': { sha256: 'a1', file: 'sales_JL_20261118.csv', uploadedAt: '2026-11-19T01:00:00Z' },
    'JL revenue 2026-11-18': { sha256: 'b1', file: 'revenue_JL_20261118.csv', uploadedAt: '2026-11-19T01:00:00Z' },
  },
  missing: ['GD 2026-11-25 revenue'],
};

describe('what a revision says it changed', () => {
  it('names the moved figures old → new as the mail formats them, late days grouped, a corrected day with its upload time', () => {
    // Prepare
    const after: RevisionSummary = {
      tiles: { revenue: 15_492_000, arpu: 31.03, grossAdds: 2999 },
      provinceRevenue: { GD: 6_501_000, JL: 4_000_000, SC: 10_000 },
      sources: {
        ...before.sources,
        'JL sales 2026-11-18': { sha256: 'a2', file: 'sales_JL_20261118.csv', uploadedAt: '2026-11-23T07:30:00Z' },
        'GD revenue 2026-11-25': { sha256: 'c', file: 'x', uploadedAt: '2026-11-30T01:00:00Z' },
        'GD revenue 2026-11-26': { sha256: 'd', file: 'x', uploadedAt: '2026-11-30T01:00:00Z' },
        'GD revenue 2026-11-28': { sha256: 'e', file: 'x', uploadedAt: '2026-11-30T01:00:00Z' },
        'GD sales 2026-11-25': { sha256: 'f', file: 'x', uploadedAt: '2026-11-30T01:00:00Z' },
      },
      missing: [],
    };
    // Act
    const lines = revisionLines(revisionChanges(before, after, 'zh-CN', '2026-11-23T04:30:00Z'), 'zh-CN');
    // Assess
    expect(lines).toEqual([
      '【修订】本邮件修订 2026-11-23 12:30 发出的版本，以本邮件为准。',
      '变动：收入（万元） 1,457.5 → 1,549.2；广东 收入（万元） 558.4 → 650.1；四川 收入（万元） – → 1.0',
      '原因：迟到的数据——广东 销售日报 11/25、收入日报 11/25–11/26, 11/28；更正的数据——吉林 11/18 销售日报（11/23 15:30 重新上传）',
    ]);
  });

  it('says so when only details changed, and speaks English for an English list', () => {
    // Act
    const lines = revisionLines(revisionChanges(before, { ...before, missing: [] }, 'en'), 'en');
    // Assess
    expect(lines).toEqual([
      'Revised: this mail replaces the version sent earlier; use this one.',
      'Changed: the headline figures are the same; details changed (see the workbook).',
    ]);
  });

  it('compares a province report by its own total only (no province lines)', () => {
    // Prepare
    const own: RevisionSummary = { ...before, provinceRevenue: {} };
    // Act
    const changes = revisionChanges(own, { ...own, tiles: { ...own.tiles, revenue: 14_600_000 } }, 'zh-CN');
    // Assess
    expect(changes.moved).toEqual([{ what: '收入（万元）', before: '1,457.5', after: '1,460.0' }]);
  });
});

describe('a revision after a targets file changed (SPEC §10)', () => {
  const withTargets: RevisionSummary = {
    ...before,
    sources: { ...before.sources, 'JL targets 2026-11': { sha256: 't1', file: 'targets_JL_202611.csv', uploadedAt: '2026-11-02T01:00:00Z' } },
    targets: { 'JL ALL revenue': 12_000_000, 'JL ALL csat': 0.9, 'JL public grossAdds': 2000 },
  };

  it('names each target that moved, in the unit 指标完成 shows it, and the file that changed it', () => {
    // Prepare
    const after: RevisionSummary = {
      ...withTargets,
      sources: {
        ...withTargets.sources,
        'JL targets 2026-11': { sha256: 't2', file: 'targets_JL_202611.csv', uploadedAt: '2026-11-24T02:00:00Z' },
        'GD targets 2026-11': { sha256: 'g1', file: 'targets_GD_202611.csv', uploadedAt: '2026-11-24T03:00:00Z' },
      },
      targets: { 'JL ALL revenue': 13_000_000, 'JL ALL csat': 0.9, 'JL public grossAdds': 2500, 'GD ALL revenue': 20_000_000 },
    };

    // Act
    const lines = revisionLines(revisionChanges(withTargets, after, 'zh-CN'), 'zh-CN');
    const en = revisionLines(revisionChanges(withTargets, after, 'en'), 'en');

    // Assess
    expect(lines[1]).toBe('变动：广东 收入目标（万元） – → 2,000.0；吉林 收入目标（万元） 1,200.0 → 1,300.0；吉林 公众 新增用户目标 2,000 → 2,500');
    expect(lines[2]).toBe('原因：迟到的数据——广东 2026年11月月度指标；更正的数据——吉林 2026年11月月度指标（11/24 10:00 重新上传）');
    expect(en[1]).toBe('Changed: Guangdong Revenue target (10k CNY) – → 2,000.0; Jilin Revenue target (10k CNY) 1,200.0 → 1,300.0; Jilin Public Gross adds target 2,000 → 2,500');
    expect(en[2]).toContain('corrected data — Jilin targets for November 2026 (uploaded again 11/24 10:00)');
  });

  it('compares no targets, and calls no targets file late, against a summary kept before targets existed', () => {
    // Act
    const changes = revisionChanges(before, withTargets, 'zh-CN');

    // Assess
    expect(changes.moved).toEqual([]);
    expect(changes.late).toEqual([]);
    expect(changes.corrected).toEqual([]);
  });
});
