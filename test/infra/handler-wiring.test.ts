/** What the handlers need from the stack: environment the handlers accept, receipt grants, schedules, settings from context. */
import { beforeAll, describe, expect, it } from 'vitest';
import { reportConfig, ingestConfig } from '../../lambdas/handlers/aws-config.js';
import { iamMatch, makeApp, resolveArn, synthTemplate } from './synth.js';

// The synthesized template is untyped JSON; the tests below probe into it and assert every shape they use.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Resources = Record<string, { Type: string; Properties: Record<string, any> }>;
type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

function load(context: Record<string, unknown> = {}) {
  const resources = synthTemplate({ provinces: 'JL,GD', ...context }).template.toJSON().Resources as Resources;
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  const bucketId = (prefix: string) => Object.keys(resources).find((id) => id.startsWith(prefix) && resources[id]!.Type === 'AWS::S3::Bucket')!;
  const fn = (prefix: string) => ofType('AWS::Lambda::Function').find(([id]) => id.startsWith(prefix))![1].Properties;
  /** The function's environment with bucket Refs replaced by the bucket names the test chooses. */
  const environment = (prefix: string): Record<string, string> => Object.fromEntries(Object.entries(fn(prefix).Environment.Variables as Record<string, unknown>)
    .map(([k, v]) => [k, typeof v === 'string' ? v : `bucket-${String((v as { Ref: string }).Ref)}`]));
  const buckets = { [bucketId('LandingBucket')]: 'landing', [bucketId('CuratedBucket')]: 'curated', [bucketId('ReportsBucket')]: 'reports', [bucketId('ResultsBucket')]: 'results' };
  const statementsOfRole = (roleId: string): Statement[] => ofType('AWS::IAM::Policy')
    .filter(([, p]) => p.Properties.Roles?.some((r: { Ref: string }) => r.Ref === roleId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[]);
  const functionStatements = (prefix: string) => statementsOfRole(fn(prefix).Role['Fn::GetAtt'][0]);
  const roleNamed = (name: string) => ofType('AWS::IAM::Role').find(([, r]) => r.Properties.RoleName === name)![0];
  const allows = (statements: Statement[], action: string, arn: string) => statements.some((s) => s.Effect === 'Allow'
    && [s.Action].flat().some((a) => iamMatch(a, action))
    && [s.Resource].flat().some((r) => iamMatch(resolveArn(r, buckets), arn)));
  return { resources, ofType, environment, functionStatements, statementsOfRole, roleNamed, allows };
}

describe('TelcoKpiStack wiring of the handlers', () => {
  let stack: ReturnType<typeof load>;

  beforeAll(() => {
    stack = load({
      reportRecipients: JSON.stringify([
        { name: '全国市场部', scope: 'ALL', to: ['exec@telco.example.cn'] },
        { name: '吉林省分公司', scope: 'JL', lang: 'en', to: ['jl@telco.example.cn'] },
      ]),
      hrRecipients: 'hr@telco.example.cn',
      operatorEmails: 'ops@telco.example.cn,oncall@telco.example.cn',
      mailFrom: 'telco-kpi <kpi@telco.example.cn>',
    });
  });

  it('gives the weekly function an environment its handler accepts, with the recipient lists per scope', () => {
    // Act
    const config = reportConfig('weekly', { ...stack.environment('SendWeeklyReport'), LAMBDA_TASK_ROOT: '/var/task' });
    // Assess
    expect(config.settings.recipients.weekly).toEqual([
      { name: '全国市场部', scope: 'ALL', lang: 'zh-CN', to: ['exec@telco.example.cn'] },
      { name: '吉林省分公司', scope: 'JL', lang: 'en', to: ['jl@telco.example.cn'] },
    ]);
    expect(config.settings.provinces).toEqual(['JL', 'GD']);
    expect(config.settings.mail).toEqual({ from: 'telco-kpi <kpi@telco.example.cn>', operators: ['ops@telco.example.cn', 'oncall@telco.example.cn'] });
    expect(config.settings.freshness.week).toEqual({ mode: 'wait', deadlineHours: 12 });
    expect(config).toMatchObject({ athenaWorkGroup: 'telco-kpi', glueDatabase: 'telco_kpi', queriesDir: '/var/task/queries' });
    expect(stack.environment('SendWeeklyReport').HR_RECIPIENTS).toBeUndefined();
  });

  it('gives the incentives function the HR lists only, and the ingest function its three buckets', () => {
    const incentives = reportConfig('incentives', { ...stack.environment('SendMonthlyIncentives'), LAMBDA_TASK_ROOT: '/var/task' });
    expect(incentives.settings.recipients).toEqual({ weekly: [], incentives: [{ name: 'HR', to: ['hr@telco.example.cn'] }] });
    expect(incentives.plansDir).toBe('/var/task/plans');
    expect(ingestConfig(stack.environment('IngestExtract'))).toEqual({ landingBucket: expect.stringMatching(/^bucket-LandingBucket/), curatedBucket: expect.stringMatching(/^bucket-CuratedBucket/), reportsBucket: expect.stringMatching(/^bucket-ReportsBucket/) });
  });

  it('lets the ingest function write receipts beside uploads but never overwrite or delete an upload', () => {
    const ingest = stack.functionStatements('IngestExtract');
    expect(stack.allows(ingest, 's3:GetObject', 'arn:aws:s3:::landing/JL/sales_JL_20261118.csv')).toBe(true);
    expect(stack.allows(ingest, 's3:PutObject', 'arn:aws:s3:::landing/JL/sales_JL_20261118.csv.receipt.json')).toBe(true);
    expect(stack.allows(ingest, 's3:PutObject', 'arn:aws:s3:::landing/JL/sales_JL_20261118.csv.receipt.txt')).toBe(true);
    expect(stack.allows(ingest, 's3:PutObject', 'arn:aws:s3:::landing/JL/sales_JL_20261118.csv')).toBe(false);
    expect(stack.allows(ingest, 's3:DeleteObject', 'arn:aws:s3:::landing/JL/sales_JL_20261118.csv')).toBe(false);
    expect(stack.allows(ingest, 's3:PutObject', 'arn:aws:s3:::curated/lake/sales/dt=2026-11-18/province=JL/data.parquet')).toBe(true);
    expect(stack.allows(ingest, 's3:PutObject', 'arn:aws:s3:::reports/receipts/sales/JL/2026-11-18/x.json')).toBe(true);
  });

  it('lets the report functions read the lake but not write it, and write the ledger and reports', () => {
    for (const [name, claim] of [['SendWeeklyReport', 'runs/weekly/2026-W47/ALL/x'], ['SendMonthlyIncentives', 'hr/runs/incentives/2026-11/HR/x']] as const) {
      const statements = stack.functionStatements(name);
      expect(stack.allows(statements, 's3:GetObject', 'arn:aws:s3:::curated/lake/sales/dt=2026-11-18/province=JL/data.parquet')).toBe(true);
      expect(stack.allows(statements, 's3:PutObject', 'arn:aws:s3:::curated/lake/sales/dt=2026-11-18/province=JL/data.parquet')).toBe(false);
      expect(stack.allows(statements, 's3:PutObject', `arn:aws:s3:::reports/${claim}/deliveries/h.claim`)).toBe(true);
      expect(stack.allows(statements, 's3:GetObject', 'arn:aws:s3:::landing/JL/sales_JL_20261118.csv')).toBe(false);
    }
  });

  it('lets a branch read the receipts of its own uploads and nothing else', () => {
    const jl = stack.statementsOfRole(stack.roleNamed('telco-kpi-uploader-JL'));
    expect(stack.allows(jl, 's3:GetObject', 'arn:aws:s3:::landing/JL/sales_JL_20261118.csv.receipt.txt')).toBe(true);
    expect(stack.allows(jl, 's3:GetObject', 'arn:aws:s3:::landing/JL/补传/sales_JL_20261118.csv.receipt.json')).toBe(true);
    expect(stack.allows(jl, 's3:GetObject', 'arn:aws:s3:::landing/GD/sales_GD_20261118.csv.receipt.txt')).toBe(false);
    expect(stack.allows(jl, 's3:GetObject', 'arn:aws:s3:::landing/JL/sales_JL_20261118.csv')).toBe(false);
    expect(stack.allows(jl, 's3:GetObject', 'arn:aws:s3:::reports/receipts/sales/JL/2026-11-18/x.json')).toBe(false);
  });

  it('runs every scope at Monday 09:00 and catches up an hour after the freshness deadline', () => {
    const schedules = stack.ofType('AWS::Scheduler::Schedule').map(([, s]) => s.Properties);
    const weekly = schedules.filter((s) => s.Target.Arn['Fn::GetAtt'][0].startsWith('SendWeeklyReport'));
    expect(weekly.map((s) => [s.ScheduleExpression, s.ScheduleExpressionTimezone, JSON.parse(s.Target.Input)])).toEqual([
      ['cron(0 9 ? * MON *)', 'Asia/Shanghai', { period: 'previous-week' }],
      ['cron(0 13 ? * MON *)', 'Asia/Shanghai', { period: 'previous-week' }],
    ]);
    for (const s of weekly) expect(s.Target.DeadLetterConfig.Arn['Fn::GetAtt'][0]).toMatch(/^ScheduleDlq/);
  });
});

describe('TelcoKpiStack outputs', () => {
  it('names the landing bucket, the function to re-run a week with and the operators topic', () => {
    const outputs = synthTemplate({ provinces: 'JL,GD' }).template.toJSON().Outputs as Record<string, { Value: { Ref: string } }>;
    const { resources } = load();
    expect(Object.keys(outputs).sort()).toEqual(['CuratedBucketName', 'LandingBucketName', 'MonthlyIncentivesFunctionName', 'OperatorsTopicArn', 'PortalUrl', 'PortalUserPoolId', 'ReportsBucketName', 'WeeklyReportFunctionName']);
    expect(resources[outputs.LandingBucketName!.Value.Ref]!.Type).toBe('AWS::S3::Bucket');
    expect(outputs.WeeklyReportFunctionName!.Value.Ref).toMatch(/^SendWeeklyReport/);
    expect(resources[outputs.OperatorsTopicArn!.Value.Ref]!.Type).toBe('AWS::SNS::Topic');
  });
});

describe('TelcoKpiStack settings from context', () => {
  const schedulesOf = (context: Record<string, unknown>) => load(context).ofType('AWS::Scheduler::Schedule').map(([, s]) => s.Properties.ScheduleExpression as string);

  it('moves the catch-up run with the deadline, and drops it when reports never wait', () => {
    expect(schedulesOf({ freshness: '{"week":{"mode":"wait","deadlineHours":30}}' })).toContain('cron(0 7 ? * TUE *)');
    expect(schedulesOf({ freshness: { week: { mode: 'send-partial' } } }).sort()).toEqual(['cron(0 9 1 * ? *)', 'cron(0 9 2 * ? *)', 'cron(0 9 ? * MON *)']);
  });

  it('passes the watch list, the fee bands and the HR sender from context to the functions that use them', () => {
    // Arrange
    const custom = load({
      watchList: '{"feeThreshold":5000,"visitWeeks":6}',
      packages: { bands: [49, 99] },
      incentivesFrom: '激励核算 <hr-tally@telco.example.cn>',
      mailFrom: 'telco-kpi <kpi@telco.example.cn>',
    });
    // Act
    const weekly = reportConfig('weekly', custom.environment('SendWeeklyReport'));
    const incentives = reportConfig('incentives', custom.environment('SendMonthlyIncentives'));
    // Assess
    expect(weekly.settings.watchList).toEqual({ feeThreshold: 5000, faultResolveHours: 2, visitWeeks: 6, holdingsDays: 365 });
    expect(weekly.settings.packages).toEqual({ bands: [49, 99] });
    expect(incentives.settings.mail.incentivesFrom).toBe('激励核算 <hr-tally@telco.example.cn>');
    expect(custom.environment('SendWeeklyReport').MAIL_INCENTIVES_FROM).toBeUndefined();
    // SES lets the incentives function send from both its addresses (the tally's and the operators' notices'), the weekly from one.
    const fromAddresses = (name: string) => custom.functionStatements(name)
      .flatMap((s) => [(s as Statement & { Condition?: Record<string, Record<string, unknown>> }).Condition?.StringEqualsIgnoreCase?.['ses:FromAddress']].flat())
      .filter(Boolean);
    expect(fromAddresses('SendMonthlyIncentives')).toEqual(['kpi@telco.example.cn', 'hr-tally@telco.example.cn']);
    expect(fromAddresses('SendWeeklyReport')).toEqual(['kpi@telco.example.cn']);
  });

  it('keeps the defaults when no watch list, bands or HR sender is given', () => {
    const plain = load();
    const config = reportConfig('weekly', plain.environment('SendWeeklyReport'));
    expect(config.settings.watchList).toEqual({ feeThreshold: 3334, faultResolveHours: 2, visitWeeks: 4, holdingsDays: 365 });
    expect(config.settings.packages).toEqual({ bands: [39, 89, 129] });
    expect(plain.environment('SendMonthlyIncentives').MAIL_INCENTIVES_FROM).toBeUndefined();
  });

  it('turns a plain address list into one ALL list', () => {
    const config = reportConfig('weekly', load({ reportRecipients: 'a@telco.example.cn, b@telco.example.cn' }).environment('SendWeeklyReport'));
    expect(config.settings.recipients.weekly).toEqual([{ name: 'executives', scope: 'ALL', lang: 'zh-CN', to: ['a@telco.example.cn', 'b@telco.example.cn'] }]);
  });

  it.each([
    [{ reportRecipients: '[{"name":"x","scope":"ALL","to":["nobody"]}]' }, /CDK context .* is not valid: recipients\.weekly\.0\.to\.0/],
    [{ reportRecipients: '[{"name":"x","scope":"XX","to":["a@b.cn"]}]' }, /recipients\.weekly\.0\.scope/],
    [{ reportRecipients: '[{"name":' }, /context reportRecipients: not valid JSON/],
    [{ freshness: '{"week":{"mode":"wait","deadlineHours":200}}' }, /freshness\.week\.deadlineHours: 200; .* at most 166 hours/],
    [{ packages: '{"bands":[89,39]}' }, /CDK context .* is not valid: packages\.bands: edges in ascending order/],
    [{ packages: '39,89' }, /context packages: expected JSON like \{"bands":\[39,89,129\]\}/],
    [{ watchList: '{"feeThreshold":-1}' }, /watchList\.feeThreshold/],
    [{ incentivesFrom: 'hr@other.example.org', mailFrom: 'kpi@telco.example.cn' }, /context incentivesFrom: hr@other\.example\.org is not covered by the SES identity telco\.example\.cn/],
  ])('stops synth on bad settings, naming the key (%j)', (context, message) => {
    expect(() => makeApp({ provinces: 'JL,GD', ...context })).toThrow(message);
  });
});
