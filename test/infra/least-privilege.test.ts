/** Issue 10, "Least privilege (from the synthesized template)": each role reaches only the keys its code reads or writes. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ESBUILD_DEFAULTS, LAMBDA_RUNTIME } from '../../infra/pipeline-function.js';
import { mailTransportConfig } from '../../lambdas/handlers/aws-config.js';
import { Template } from 'aws-cdk-lib/assertions';
import { makeApp, policiesOf, synthTemplate, type Resources, type Statement } from './synth.js';

const CONTEXT = {
  provinces: 'JL,GD',
  reportRecipients: JSON.stringify([
    { name: '全国市场部', scope: 'ALL', to: ['exec@telco.example.cn'] },
    { name: '吉林省分公司', scope: 'JL', to: ['jl@telco.example.cn'] },
  ]),
  hrRecipients: 'hr@telco.example.cn',
  operatorEmails: 'ops@telco.example.cn,oncall@telco.example.cn',
  mailFrom: 'telco-kpi <kpi@telco.example.cn>',
};

let resources: Resources;
let view: ReturnType<typeof policiesOf>;

beforeAll(() => {
  resources = synthTemplate(CONTEXT).template.toJSON().Resources as Resources;
  view = policiesOf(resources);
});

describe('the ingest role (it parses untrusted uploads)', () => {
  let ingest: Statement[];
  beforeAll(() => {
    ingest = view.functionStatements('IngestExtract');
  });

  it('writes receipts to the reports bucket and reads, writes or deletes nothing else there', () => {
    expect(view.allows(ingest, 's3:PutObject', 'arn:aws:s3:::reports/receipts/sales/JL/2026-11-18/20261119T010700000Z-sales_JL_20261118.csv.json')).toBe(true);
    expect(view.allows(ingest, 's3:GetObject', 'arn:aws:s3:::reports/receipts/sales/JL/2026-11-18/x.json')).toBe(false);
    for (const key of ['runs/weekly/2026-W47/ALL/x/deliveries/h.sent', 'reports/2026-W47/ALL/report.xlsx', 'hr/reports/2026-11/incentives/incentives.xlsx', 'mail-links/weekly/h/report.xlsx']) {
      for (const action of ['s3:GetObject', 's3:PutObject', 's3:DeleteObject']) {
        expect(view.allows(ingest, action, `arn:aws:s3:::reports/${key}`), `${action} ${key}`).toBe(false);
      }
    }
  });

  it('replaces partitions and manifests in the lake, deletes only its partition locks', () => {
    const data = 'arn:aws:s3:::curated/lake/sales/dt=2026-11-18/province=JL/data.parquet';
    const manifest = 'arn:aws:s3:::curated/lake/_manifest/sales/dt=2026-11-18/province=JL.json';
    const lock = 'arn:aws:s3:::curated/lake/_manifest/sales/dt=2026-11-18/province=JL.lock';
    expect(view.allows(ingest, 's3:PutObject', data)).toBe(true);
    expect(view.allows(ingest, 's3:GetObject', manifest)).toBe(true);
    expect(view.allows(ingest, 's3:PutObject', manifest)).toBe(true);
    expect(view.allows(ingest, 's3:DeleteObject', lock)).toBe(true);
    expect(view.allows(ingest, 's3:DeleteObject', data)).toBe(false);
    expect(view.allows(ingest, 's3:DeleteObject', manifest)).toBe(false);
    expect(view.allows(ingest, 's3:PutObject', 'arn:aws:s3:::curated/elsewhere/x')).toBe(false);
  });
});

describe('the record that decides duplicate uploads', () => {
  it('is kept in the lake, where the ingest role reads and writes it and no upload role reaches', () => {
    const ingest = view.functionStatements('IngestExtract');
    const record = 'arn:aws:s3:::curated/lake/_uploads/JL/sales_JL_20261118.csv.json';
    expect(view.allows(ingest, 's3:GetObject', record)).toBe(true);
    expect(view.allows(ingest, 's3:PutObject', record)).toBe(true);
    const uploaders = view.ofType('AWS::IAM::Role').filter(([, r]) => String(r.Properties.RoleName).startsWith('telco-kpi-uploader-'));
    expect(uploaders).toHaveLength(2);
    for (const [roleId] of uploaders) {
      for (const action of ['s3:GetObject', 's3:PutObject', 's3:DeleteObject']) expect(view.allows(view.statementsOfRole(roleId), action, record)).toBe(false);
    }
  });
});

describe('the report roles', () => {
  let weekly: Statement[];
  let incentives: Statement[];
  beforeAll(() => {
    weekly = view.functionStatements('SendWeeklyReport');
    incentives = view.functionStatements('SendMonthlyIncentives');
  });

  it('let the weekly report read receipts, write its reports, ledger and mail links, and never reach the HR tallies', () => {
    expect(view.allows(weekly, 's3:GetObject', 'arn:aws:s3:::reports/receipts/sales/JL/2026-11-18/x.json')).toBe(true);
    expect(view.allows(weekly, 's3:PutObject', 'arn:aws:s3:::reports/reports/2026-W47/ALL/report.xlsx')).toBe(true);
    expect(view.allows(weekly, 's3:PutObject', 'arn:aws:s3:::reports/reports/2026-11/JL/kpis.json')).toBe(true);
    for (const kind of ['weekly', 'monthly']) {
      for (const action of ['s3:GetObject', 's3:PutObject', 's3:DeleteObject']) {
        expect(view.allows(weekly, action, `arn:aws:s3:::reports/runs/${kind}/2026-W47/ALL/x/deliveries/h.claim`)).toBe(true);
      }
    }
    expect(view.allows(weekly, 's3:PutObject', 'arn:aws:s3:::reports/mail-links/weekly/h/report.xlsx')).toBe(true);
    expect(view.allows(weekly, 's3:GetObject', 'arn:aws:s3:::reports/mail-links/weekly/h/report.xlsx')).toBe(true);
    for (const key of ['hr/reports/2026-11/incentives/incentives.json', 'hr/runs/incentives/2026-11/HR/x/deliveries/h.sent', 'hr/mail-links/h/incentives-2026-11.xlsx',
      'reports/2026-11/incentives/incentives.json', 'runs/incentives/2026-11/HR/x/deliveries/h.sent']) {
      for (const action of ['s3:GetObject', 's3:PutObject', 's3:DeleteObject']) {
        expect(view.allows(weekly, action, `arn:aws:s3:::reports/${key}`), `${action} ${key}`).toBe(false);
      }
    }
    expect(view.allows(weekly, 's3:PutObject', 'arn:aws:s3:::reports/receipts/sales/JL/2026-11-18/x.json')).toBe(false);
    expect(view.allows(weekly, 's3:DeleteObject', 'arn:aws:s3:::reports/reports/2026-W47/ALL/report.xlsx')).toBe(false);
  });

  it('let the incentives function keep its tally, ledger and links under hr/ and nothing else of the reports bucket', () => {
    expect(view.allows(incentives, 's3:PutObject', 'arn:aws:s3:::reports/hr/reports/2026-11/incentives/incentives.xlsx')).toBe(true);
    for (const action of ['s3:GetObject', 's3:PutObject', 's3:DeleteObject']) {
      expect(view.allows(incentives, action, 'arn:aws:s3:::reports/hr/runs/incentives/2026-11/HR/x/deliveries/h.claim')).toBe(true);
    }
    expect(view.allows(incentives, 's3:GetObject', 'arn:aws:s3:::reports/hr/mail-links/h/incentives-2026-11.xlsx')).toBe(true);
    for (const key of ['receipts/sales/JL/2026-11-18/x.json', 'reports/2026-W47/ALL/report.xlsx', 'runs/weekly/2026-W47/ALL/x/deliveries/h.sent', 'mail-links/weekly/h/report.xlsx']) {
      for (const action of ['s3:GetObject', 's3:PutObject', 's3:DeleteObject']) {
        expect(view.allows(incentives, action, `arn:aws:s3:::reports/${key}`), `${action} ${key}`).toBe(false);
      }
    }
  });

  it('keep Athena results under athena/ and never delete them', () => {
    for (const statements of [weekly, incentives]) {
      expect(view.allows(statements, 's3:PutObject', 'arn:aws:s3:::results/athena/q-1.csv')).toBe(true);
      expect(view.allows(statements, 's3:GetObject', 'arn:aws:s3:::results/athena/q-1.csv')).toBe(true);
      expect(view.allows(statements, 's3:PutObject', 'arn:aws:s3:::results/elsewhere/q-1.csv')).toBe(false);
      expect(view.allows(statements, 's3:DeleteObject', 'arn:aws:s3:::results/athena/q-1.csv')).toBe(false);
      expect(view.allows(statements, 's3:GetObject', 'arn:aws:s3:::curated/lake/sales/dt=2026-11-18/province=JL/data.parquet')).toBe(true);
    }
  });

  it('send mail only from the configured address and only to the configured lists and operators', () => {
    const sesStatements = (statements: Statement[]) => statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('ses:')));
    const expected: Array<[Statement[], string[]]> = [
      [weekly, ['exec@telco.example.cn', 'jl@telco.example.cn', 'oncall@telco.example.cn', 'ops@telco.example.cn']],
      [incentives, ['hr@telco.example.cn', 'oncall@telco.example.cn', 'ops@telco.example.cn']],
    ];
    for (const [statements, recipients] of expected) {
      const ses = sesStatements(statements);
      expect(ses).toHaveLength(1);
      expect(ses[0]!.Action).toBe('ses:SendEmail');
      expect(ses[0]!.Condition).toEqual({
        'ForAllValues:StringEqualsIgnoreCase': { 'ses:Recipients': recipients },
        StringEqualsIgnoreCase: { 'ses:FromAddress': 'kpi@telco.example.cn' },
      });
    }
  });
});

describe('the upload roles and the key', () => {
  const roleOf = (res: Resources, province: string) => Object.values(res).find((r) => r.Type === 'AWS::IAM::Role' && r.Properties.RoleName === `telco-kpi-uploader-${province}`)!;

  it('trust only principals of the account tagged with the role\'s province', () => {
    for (const province of ['JL', 'GD']) {
      expect(roleOf(resources, province).Properties.AssumeRolePolicyDocument.Statement).toEqual([{
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::111122223333:root']] } },
        Condition: { StringEquals: { 'aws:PrincipalTag/telco-kpi:province': province } },
      }]);
    }
  });

  it('trust exactly the principals context uploadPrincipals names for a province, and refuse a bad entry', () => {
    const arn = 'arn:aws:iam::444455556666:role/jl-branch-uploads';
    const res = synthTemplate({ ...CONTEXT, uploadPrincipals: JSON.stringify({ JL: [arn] }) }).template.toJSON().Resources as Resources;
    expect(roleOf(res, 'JL').Properties.AssumeRolePolicyDocument.Statement).toEqual([{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { AWS: arn } }]);
    expect(roleOf(res, 'GD').Properties.AssumeRolePolicyDocument.Statement[0].Condition).toEqual({ StringEquals: { 'aws:PrincipalTag/telco-kpi:province': 'GD' } });
    expect(() => synthTemplate({ ...CONTEXT, uploadPrincipals: '{"XX":["arn:aws:iam::444455556666:root"]}' })).toThrow(/uploadPrincipals: XX is not one of the provinces/);
    expect(() => synthTemplate({ ...CONTEXT, uploadPrincipals: '{"JL":["jl-user"]}' })).toThrow(/uploadPrincipals\.JL: 'jl-user' is not an IAM principal ARN/);
  });

  it('give no one kms:* and let IAM policies use the key only through S3, SQS and Scheduler', () => {
    const [key] = Object.values(resources).filter((r) => r.Type === 'AWS::KMS::Key');
    const statements = key!.Properties.KeyPolicy.Statement as Array<Statement & { Principal: { AWS?: unknown; Service?: string } }>;
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions.filter((a) => a === 'kms:*' || a === '*')).toEqual([]);
    const dataActions = ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:ReEncryptFrom', 'kms:CreateGrant'];
    for (const s of statements.filter((x) => x.Principal.AWS !== undefined)) {
      const grantsData = [s.Action].flat().some((a) => dataActions.some((d) => d.startsWith(a.replace(/\*$/, ''))));
      if (!grantsData) continue;
      expect(s.Condition?.StringEquals?.['kms:ViaService']).toEqual([
        { 'Fn::Join': ['', ['s3.ap-southeast-1.', { Ref: 'AWS::URLSuffix' }]] },
        { 'Fn::Join': ['', ['sqs.ap-southeast-1.', { Ref: 'AWS::URLSuffix' }]] },
        { 'Fn::Join': ['', ['scheduler.ap-southeast-1.', { Ref: 'AWS::URLSuffix' }]] },
      ]);
      expect(s.Condition?.StringEquals?.['kms:CallerAccount']).toBe('111122223333');
    }
    // The account can still administer the key (CloudFormation updates it; KMS refuses a policy that locks the account out).
    expect(statements.some((s) => [s.Action].flat().includes('kms:PutKeyPolicy'))).toBe(true);
  });

  it('let an upload role use the key only for objects of the landing bucket, through S3', () => {
    const kms = view.statementsOfRole(Object.entries(resources).find(([, r]) => r.Properties.RoleName === 'telco-kpi-uploader-JL')![0])
      .filter((s) => [s.Action].flat().some((a) => a.startsWith('kms:')));
    expect(kms).toHaveLength(1);
    expect([kms[0]!.Action].flat().sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(kms[0]!.Condition).toEqual({
      StringEquals: {
        'kms:ViaService': { 'Fn::Join': ['', ['s3.ap-southeast-1.', { Ref: 'AWS::URLSuffix' }]] },
        'kms:EncryptionContext:aws:s3:arn': { 'Fn::GetAtt': [view.bucketId('LandingBucket'), 'Arn'] },
      },
    });
  });
});

describe('retention in the reports bucket', () => {
  const rulesOf = (res: Resources) => {
    const id = policiesOf(res).bucketId('ReportsBucket');
    return res[id]!.Properties.LifecycleConfiguration.Rules as Array<{ Id: string; Prefix?: string; ExpirationInDays?: number; Status: string }>;
  };
  const rule = (res: Resources, id: string) => rulesOf(res).find((r) => r.Id === id);

  it('expires mail-link copies a day after their links stop working', () => {
    const weekly = Object.values(resources).find((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Description.startsWith('weekly'))!;
    const linkSeconds = Number(weekly.Properties.Environment.Variables.MAIL_LINK_SECONDS);
    expect(linkSeconds).toBe(7 * 24 * 3600);
    for (const [id, prefix] of [['expire-mail-links', 'mail-links/'], ['expire-hr-mail-links', 'hr/mail-links/']]) {
      expect(rule(resources, id!)).toMatchObject({ Prefix: prefix, Status: 'Enabled', ExpirationInDays: linkSeconds / 86_400 + 1 });
    }
  });

  it('keeps HR tallies the configured number of years (default 3), and refuses less than the 2 years wage records are kept', () => {
    expect(rule(resources, 'expire-hr-tallies')).toMatchObject({ Prefix: 'hr/', Status: 'Enabled', ExpirationInDays: 3 * 366 });
    const five = synthTemplate({ ...CONTEXT, hrRetentionYears: 5 }).template.toJSON().Resources as Resources;
    expect(rule(five, 'expire-hr-tallies')!.ExpirationInDays).toBe(5 * 366);
    expect(() => synthTemplate({ ...CONTEXT, hrRetentionYears: 1 })).toThrow(/context hrRetentionYears: 1; expected whole years, at least 2/);
  });
});

describe('function sizes and runtime', () => {
  const bench = JSON.parse(readFileSync(join(import.meta.dirname, '../../bench/results.json'), 'utf8')) as { steps: Array<{ size: string; step: string; maxRssMb: number }> };
  const peak = (step: RegExp) => Math.max(...bench.steps.filter((s) => s.size === 'national-month' && step.test(s.step)).map((s) => s.maxRssMb));
  const memoryOf = (prefix: string) => Object.entries(resources).find(([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith(prefix))![1].Properties.MemorySize as number;

  it('gives each report function at least 1.5× the peak RSS the benchmark measured for a national month', () => {
    expect(peak(/^incentives/)).toBeGreaterThan(1024);
    expect(memoryOf('SendMonthlyIncentives')).toBeGreaterThanOrEqual(1.5 * peak(/^incentives/));
    // The weekly function also runs monthly re-runs.
    expect(memoryOf('SendWeeklyReport')).toBeGreaterThanOrEqual(1.5 * peak(/^(weekly|monthly) report/));
    expect(memoryOf('IngestExtract')).toBeGreaterThanOrEqual(1.5 * Math.max(...bench.steps.filter((s) => s.step.startsWith('ingest')).map((s) => s.maxRssMb)));
  });

  it('bundles for the Lambda runtime it runs on', () => {
    expect(ESBUILD_DEFAULTS.target).toBe(`node${LAMBDA_RUNTIME.name.replace(/^nodejs(\d+)\.x$/, '$1')}`);
  });
});

describe('mail through the operator\'s SMTP relay (AWS China regions have no SES)', () => {
  const smtpStack = (region: string, context: Record<string, unknown> = {}) => {
    const { stack } = makeApp({ ...CONTEXT, mailTransport: 'smtp', ...context }, { region });
    return Template.fromStack(stack).toJSON() as { Resources: Resources; Outputs: Record<string, { Value: unknown }> };
  };

  it('reads the relay URL from a Secrets Manager secret, with no SES identity and no SES permission', () => {
    const { Resources: res, Outputs: outputs } = smtpStack('cn-northwest-1');
    const types = Object.values(res).map((r) => r.Type);
    expect(types.filter((t) => t.startsWith('AWS::SES::'))).toEqual([]);
    const [secretId] = Object.entries(res).find(([, r]) => r.Type === 'AWS::SecretsManager::Secret')!;
    const p = policiesOf(res);
    for (const fn of ['SendWeeklyReport', 'SendMonthlyIncentives']) {
      const statements = p.functionStatements(fn);
      expect(statements.flatMap((s) => [s.Action].flat()).filter((a) => a.startsWith('ses:'))).toEqual([]);
      expect(statements.some((s) => [s.Action].flat().includes('secretsmanager:GetSecretValue') && [s.Resource].flat().some((r) => JSON.stringify(r) === JSON.stringify({ Ref: secretId })))).toBe(true);
      const env = Object.entries(res).find(([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith(fn))![1].Properties.Environment.Variables;
      expect(env.MAIL_TRANSPORT).toBe('smtp');
      expect(env.SMTP_SECRET_ARN).toEqual({ Ref: secretId });
      expect(env.SECRETS_MANAGER_ENDPOINT).toEqual({ 'Fn::Join': ['', ['https://secretsmanager.cn-northwest-1.', { Ref: 'AWS::URLSuffix' }]] });
      expect(mailTransportConfig({ ...env, SMTP_SECRET_ARN: 'arn:aws-cn:secretsmanager:…', SECRETS_MANAGER_ENDPOINT: 'https://…', AWS_REGION: 'cn-northwest-1' }).transport).toBe('smtp');
    }
    expect(p.functionStatements('IngestExtract').some((s) => [s.Action].flat().some((a) => a.startsWith('secretsmanager:')))).toBe(false);
    expect(outputs.SmtpSecretArn!.Value).toEqual({ Ref: secretId });
  });

  it('builds every ARN and service name of the stack from the partition, so it synthesizes for aws-cn', () => {
    const text = JSON.stringify(smtpStack('cn-northwest-1').Resources);
    expect(text.match(/arn:aws:[^"]*/g)).toBeNull();
    // Service principals are <service>.amazonaws.com in every partition; endpoints and kms:ViaService values are not.
    const withoutPrincipals = text.replace(/"(Service|Principal)":"[a-z0-9.-]+\.amazonaws\.com"/g, '');
    expect(withoutPrincipals.match(/[^"]*amazonaws\.com[^"]*/g)).toBeNull();
  });

  it('refuses SES in a China region, and an unknown transport', () => {
    expect(() => makeApp(CONTEXT, { region: 'cn-north-1' })).toThrow(/SES does not exist in the AWS China regions.*mailTransport=smtp/);
    expect(() => makeApp({ ...CONTEXT, mailTransport: 'pigeon' })).toThrow(/context mailTransport: 'pigeon'; expected ses or smtp/);
  });

  it('passes the AwsSolutions checks with the relay secret too', () => {
    const { app } = makeApp({ ...CONTEXT, mailTransport: 'smtp' }, { nag: true, region: 'cn-northwest-1' });
    expect(() => app.synth()).not.toThrow();
  });
});
