/** Synthesizes the stack for tests: bundling skipped (no esbuild/npm), the app's feature flags on. */
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { FEATURE_FLAGS, TelcoKpiStack } from '../../infra/telco-kpi-stack.js';

export function makeApp(context: Record<string, unknown> = {}, options: { nag?: boolean } = {}) {
  const app = new App({ context: { ...FEATURE_FLAGS, 'aws:cdk:bundling-stacks': [], ...context } });
  const stack = new TelcoKpiStack(app, 'TelcoKpi', { env: { account: '111122223333', region: 'ap-southeast-1' } });
  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}

export function synthTemplate(context: Record<string, unknown> = {}) {
  const { stack } = makeApp(context);
  return { stack, template: Template.fromStack(stack) };
}

type Json = unknown;

/**
 * Resolves the CloudFormation intrinsics IAM resources use (Fn::Join, Fn::GetAtt …Arn, Ref)
 * to plain strings: a bucket's Arn becomes `arn:aws:s3:::<name>` with the name from `buckets`.
 */
export function resolveArn(value: Json, buckets: Record<string, string>): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, Json>;
  if ('Fn::Join' in v) {
    const [sep, parts] = v['Fn::Join'] as [string, Json[]];
    return parts.map((p) => resolveArn(p, buckets)).join(sep);
  }
  if ('Fn::GetAtt' in v) {
    const [logicalId, attr] = v['Fn::GetAtt'] as [string, string];
    const name = buckets[logicalId];
    if (attr === 'Arn' && name) return `arn:aws:s3:::${name}`;
    return `<${logicalId}.${attr}>`;
  }
  if ('Ref' in v) return v.Ref === 'AWS::Partition' ? 'aws' : `<${String(v.Ref)}>`;
  throw new Error(`cannot resolve ${JSON.stringify(value)}`);
}

/** IAM-style wildcard match: `*` any run of characters, `?` one character. */
export function iamMatch(pattern: string, value: string): boolean {
  const regex = new RegExp(`^${pattern.split('').map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('')}$`, 's');
  return regex.test(value);
}
