import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describePlan, loadPlans, planFor, PlanError } from '../../lambdas/core/incentives/plan.js';

const CONFIG_PLANS = join(import.meta.dirname, '../../config/plans');
const BASE = readFileSync(join(import.meta.dirname, '../fixtures/incentives/spec-plan.yaml'), 'utf8');

function errorOf(files: Array<{ name: string; text: string }>): string {
  try {
    loadPlans(files);
  } catch (error) {
    expect(error).toBeInstanceOf(PlanError);
    return (error as Error).message;
  }
  throw new Error('expected loadPlans to reject the plan');
}

const one = (text: string) => [{ name: 'plan.yaml', text }];

describe('loadPlans', () => {
  it('loads both shipped versions and picks the one in force on the first day of a month', () => {
    // Prepare
    const files = readdirSync(CONFIG_PLANS).map((name) => ({ name, text: readFileSync(join(CONFIG_PLANS, name), 'utf8') }));

    // Act
    const plans = loadPlans(files);

    // Assess
    expect(plans.map((p) => [p.version, p.effectiveFrom])).toEqual([[1, '2026-01-01'], [2, '2026-12-01']]);
    expect(planFor(plans, '2026-01-01').version).toBe(1);
    expect(planFor(plans, '2026-11-01').version).toBe(1);
    expect(planFor(plans, '2026-12-01').version).toBe(2);
    expect(planFor(plans, '2027-03-01').version).toBe(2);
    expect(() => planFor(plans, '2025-12-01')).toThrow(/no version of plan 'account-manager' is in force on 2025-12-01.*effective from 2026-01-01/);
  });

  it('describes the plan in words for the 方案 sheet', () => {
    const [plan] = loadPlans(one(BASE));
    const text = describePlan(plan!).join('\n');
    expect(text).toContain('new-bundle：业务类型=新装，产品=融合套餐 → 每笔 20 分 + 每元月费 0.5 分');
    expect(text).toContain('90 天内');
    expect(text).toContain('≥ 90%');
  });

  it('rejects an unknown rule key, naming it and the allowed keys', () => {
    const message = errorOf(one(BASE.replace('    points: 10\n', '    pointz: 10\n')));
    expect(message).toMatch(/plan\.yaml: rules\.0: unknown key 'pointz'; allowed keys: id, name, description, when, points/);
  });

  it('rejects an unknown `when` key, listing the allowed ones', () => {
    const message = errorOf(one(BASE.replace('when: { eventType: new, product: mobile }', 'when: { eventType: new, prodct: mobile }')));
    expect(message).toContain("rules.0.when: unknown key 'prodct'; allowed keys: eventType, product, segment, subSegment, channel, province");
  });

  it('rejects two versions effective on the same day', () => {
    const v2 = BASE.replace('version: 1', 'version: 2');
    const message = errorOf([{ name: 'v1.yaml', text: BASE }, { name: 'v2.yaml', text: v2 }]);
    expect(message).toContain("plan 'account-manager' versions 1 (v1.yaml) and 2 (v2.yaml) are both effective from 2026-01-01");
  });

  it('rejects a later version that starts earlier, and a version number used twice', () => {
    const v2Early = BASE.replace('version: 1', 'version: 2').replace('2026-01-01', '2025-06-01');
    expect(errorOf([{ name: 'v1.yaml', text: BASE }, { name: 'v2.yaml', text: v2Early }]))
      .toContain('version 2 (v2.yaml) starts 2025-06-01, before version 1 (v1.yaml) starting 2026-01-01');
    const again = BASE.replace('2026-01-01', '2026-06-01');
    expect(errorOf([{ name: 'a.yaml', text: BASE }, { name: 'b.yaml', text: again }]))
      .toContain("plan 'account-manager' version 1 is defined twice (a.yaml, b.yaml)");
  });

  it('rejects a multiplier band above 100 % that can never apply', () => {
    const message = errorOf(one(BASE.replace('atLeast: 0.90, factor: 1.10', 'atLeast: 1.2, factor: 1.10')));
    expect(message).toContain('multipliers[0] (atLeast: 1.2): can never apply');
  });

  it('rejects a band shadowed by an earlier one', () => {
    const shadowed = BASE.replace(
      '  - { metric: csat, below: 0.70, factor: 0.90 }\n',
      '  - { metric: csat, below: 0.70, factor: 0.90 }\n  - { metric: csat, atLeast: 0.95, factor: 1.20 }\n',
    );
    expect(errorOf(one(shadowed))).toContain('multipliers[2] (atLeast: 0.95): can never apply');
  });

  it('rejects negative points', () => {
    const message = errorOf(one(BASE.replace('    points: 10\n', '    points: -5\n')));
    expect(message).toMatch(/rules\.0\.points: .*(>=0|non-?negative|>= ?0).*\(value -5\)/i);
  });

  it('rejects a rule that can never match: an unknown code, or every event taken by an earlier rule', () => {
    expect(errorOf(one(BASE.replace('product: mobile }', 'product: mobil }'))))
      .toContain("rules[0] (new-mobile).when.product: 'mobil' is not a product code, so the rule can never match");
    const shadowed = BASE.replace('rules:\n', 'rules:\n  - id: any-new\n    when: { eventType: new }\n    points: 5\n');
    expect(errorOf(one(shadowed))).toContain("rules[1] (new-mobile): can never match; every event it matches is taken first by the earlier rule 'any-new'");
  });

  it('rejects a plan without pointValue', () => {
    expect(errorOf(one(BASE.replace('pointValue: 2.00\n', '')))).toContain('plan.yaml: pointValue: missing; expected number');
  });

  it('rejects an effectiveFrom that is not the first of a month', () => {
    expect(errorOf(one(BASE.replace('2026-01-01', '2026-01-15')))).toContain("effectiveFrom: '2026-01-15' is not the first day of a month");
  });

  it('rejects a churn rule and a fee-increase rate on events that have no increase', () => {
    expect(errorOf(one(BASE.replace('when: { eventType: upgrade }', 'when: { eventType: churn }'))))
      .toContain('churn events never earn points');
    expect(errorOf(one(BASE.replace('when: { eventType: upgrade }', 'when: { eventType: renewal }'))))
      .toContain('only upgrade and downgrade events have a fee increase');
  });

  it('reports every problem of every file at once', () => {
    const message = errorOf([
      { name: 'a.yaml', text: BASE.replace('pointValue: 2.00\n', '') },
      { name: 'b.yaml', text: BASE.replace('plan: account-manager', 'plan: other').replace('points: 10', 'points: -1') },
    ]);
    expect(message).toContain('a.yaml: pointValue: missing');
    expect(message).toContain('b.yaml: rules.0.points');
  });
});
