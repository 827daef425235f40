/** Synthesizes the stack for tests: bundling skipped (no esbuild/npm), the app's feature flags on. */
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { FEATURE_FLAGS, TelcoKpiStack } from '../../infra/telco-kpi-stack.js';

export function makeApp(context: Record<string, unknown> = {}, options: { nag?: boolean; region?: string } = {}) {
  const app = new App({ context: { ...FEATURE_FLAGS, 'aws:cdk:bundling-stacks': [], ...context } });
  const stack = new TelcoKpiStack(app, 'TelcoKpi', { env: { account: '111122223333', region: options.region ?? 'ap-southeast-1' } });
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

// The synthesized template is untyped JSON; the helpers below probe into it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Resources = Record<string, { Type: string; Properties: Record<string, any> }>;
export interface Statement { Effect: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, unknown>> }

/**
 * What the roles of a synthesized stack may do on the stack's buckets: a statement grants when it
 * allows the action on the ARN; an explicit Deny on the same action and ARN wins, as in IAM.
 */
export function policiesOf(resources: Resources) {
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  const bucketId = (prefix: string) => Object.keys(resources).find((id) => id.startsWith(prefix) && resources[id]!.Type === 'AWS::S3::Bucket')!;
  const buckets = { [bucketId('LandingBucket')]: 'landing', [bucketId('CuratedBucket')]: 'curated', [bucketId('ReportsBucket')]: 'reports', [bucketId('ResultsBucket')]: 'results' };
  const statementsOfRole = (roleId: string): Statement[] => ofType('AWS::IAM::Policy')
    .filter(([, p]) => p.Properties.Roles?.some((r: { Ref: string }) => r.Ref === roleId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[]);
  const functionRole = (prefix: string): string => ofType('AWS::Lambda::Function').find(([id]) => id.startsWith(prefix))![1].Properties.Role['Fn::GetAtt'][0];
  const functionStatements = (prefix: string) => statementsOfRole(functionRole(prefix));
  const matches = (s: Statement, effect: string, action: string, arn: string) => s.Effect === effect
    && [s.Action].flat().some((a) => iamMatch(a, action))
    && [s.Resource].flat().some((r) => iamMatch(resolveArn(r, buckets), arn));
  const allows = (statements: Statement[], action: string, arn: string) =>
    statements.some((s) => matches(s, 'Allow', action, arn)) && !statements.some((s) => matches(s, 'Deny', action, arn));
  return { ofType, bucketId, buckets, statementsOfRole, functionRole, functionStatements, allows };
}
