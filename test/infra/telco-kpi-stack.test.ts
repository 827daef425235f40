import { Match, type Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROVINCE_CODES } from '../../lambdas/core/extracts/codes.js';
import { EXTRACT_TYPES } from '../../lambdas/core/extracts/schema.js';
import { iamMatch, makeApp, resolveArn, synthTemplate } from './synth.js';

// The synthesized template is untyped JSON; the tests below probe into it and assert every shape they use.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Resources = Record<string, { Type: string; Properties: Record<string, any> }>;

let template: Template;
let resources: Resources;
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const logicalIdOf = (prefix: string) => Object.keys(resources).find((id) => id.startsWith(prefix) && resources[id]!.Type === 'AWS::S3::Bucket')!;

beforeAll(() => {
  template = synthTemplate({ provinces: 'JL,GD', bytesScannedCutoffPerQuery: 5_368_709_120 }).template;
  resources = template.toJSON().Resources as Resources;
});

describe('TelcoKpiStack buckets', () => {
  const dataBuckets = ['LandingBucket', 'CuratedBucket', 'ResultsBucket', 'ReportsBucket'];

  it('encrypts the four data buckets with the stack key, versioned, public access blocked, access-logged', () => {
    const keyId = ofType('AWS::KMS::Key')[0]![0];
    for (const name of dataBuckets) {
      const bucket = resources[logicalIdOf(name)]!.Properties;
      expect(bucket.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault)
        .toEqual({ SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] } });
      expect(bucket.VersioningConfiguration).toEqual({ Status: 'Enabled' });
      expect(bucket.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true,
      });
      expect(bucket.LoggingConfiguration.DestinationBucketName).toEqual({ Ref: logicalIdOf('AccessLogsBucket') });
      expect(bucket.LifecycleConfiguration.Rules.length).toBeGreaterThanOrEqual(2);
    }
  });

  it('denies every request without TLS on every bucket', () => {
    const buckets = ofType('AWS::S3::Bucket').map(([id]) => id);
    expect(buckets).toHaveLength(6);
    for (const id of buckets) {
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: id },
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({
            Effect: 'Deny', Action: 's3:*', Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          })]),
        },
      });
    }
  });

  it('sends landing-bucket events to EventBridge without a notification custom resource', () => {
    expect(resources[logicalIdOf('LandingBucket')]!.Properties.NotificationConfiguration)
      .toEqual({ EventBridgeConfiguration: { EventBridgeEnabled: true } });
    expect(ofType('Custom::S3BucketNotifications')).toHaveLength(0);
  });
});

describe('TelcoKpiStack Athena and Glue', () => {
  it('enforces the workgroup result location (results bucket, KMS) and the scan cutoff', () => {
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: 'telco-kpi',
      WorkGroupConfiguration: {
        EnforceWorkGroupConfiguration: true,
        BytesScannedCutoffPerQuery: 5_368_709_120,
        ResultConfiguration: {
          OutputLocation: { 'Fn::Join': ['', ['s3://', { Ref: logicalIdOf('ResultsBucket') }, '/athena/']] },
          EncryptionConfiguration: { EncryptionOption: 'SSE_KMS' },
        },
      },
    });
  });

  it('declares one Parquet table per extract with partition projection over the curated bucket', () => {
    const tables = ofType('AWS::Glue::Table').map(([, r]) => r.Properties.TableInput);
    expect(tables.map((t) => t.Name).sort()).toEqual([...EXTRACT_TYPES].sort());
    const sales = tables.find((t) => t.Name === 'sales')!;
    expect(sales.PartitionKeys).toEqual([
      expect.objectContaining({ Name: 'dt', Type: 'string' }), expect.objectContaining({ Name: 'province', Type: 'string' }),
    ]);
    expect(sales.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe('org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe');
    expect(sales.Parameters).toMatchObject({
      'projection.enabled': 'true', 'projection.dt.type': 'date', 'projection.dt.format': 'yyyy-MM-dd',
      'projection.dt.range': '2020-01-01,NOW', 'projection.province.type': 'enum', 'projection.province.values': PROVINCE_CODES.join(','),
    });
    expect(sales.Parameters['storage.location.template'])
      .toEqual({ 'Fn::Join': ['', ['s3://', { Ref: logicalIdOf('CuratedBucket') }, '/lake/sales/dt=${dt}/province=${province}/']] });
  });
});

describe('TelcoKpiStack functions and asynchronous paths', () => {
  it('runs every function on Node.js 24 (nodejs20.x functions cannot be created from 2027-02-01), ARM64, with its own dead-letter queue', () => {
    // Ours: ingest, weekly, monthly, the portal API; CDK's bucket-deployment function (the portal's page) is not.
    const functions = ofType('AWS::Lambda::Function').filter(([id]) => !id.startsWith('CustomCDKBucketDeployment'));
    expect(functions).toHaveLength(4);
    for (const [, fn] of functions) {
      expect(fn.Properties.Architectures).toEqual(['arm64']);
      expect(fn.Properties.Runtime).toBe('nodejs24.x');
      expect(fn.Properties.DeadLetterConfig.TargetArn['Fn::GetAtt'][1]).toBe('Arn');
      expect(fn.Properties.Environment.Variables.NODE_OPTIONS).toBe('--enable-source-maps');
    }
    const config = ofType('AWS::Lambda::EventInvokeConfig');
    expect(config).toHaveLength(4);
    for (const [, c] of config) expect(c.Properties.MaximumRetryAttempts).toBe(2);
  });

  it('has an alarm to the operators topic on every queue and on every function\'s errors', () => {
    const topic = ofType('AWS::SNS::Topic')[0]![0];
    const queues = ofType('AWS::SQS::Queue').map(([id]) => id);
    expect(queues).toHaveLength(6);
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    for (const queue of queues) {
      const alarm = alarms.find((a) => a.MetricName === 'ApproximateNumberOfMessagesVisible'
        && a.Dimensions[0].Value['Fn::GetAtt']?.[0] === queue);
      expect(alarm, `alarm on ${queue}`).toBeDefined();
      expect(alarm!.AlarmActions).toEqual([{ Ref: topic }]);
      expect(alarm!.Threshold).toBe(1);
    }
    for (const [id] of ofType('AWS::Lambda::Function').filter(([fn]) => !fn.startsWith('CustomCDKBucketDeployment'))) {
      const alarm = alarms.find((a) => a.MetricName === 'Errors' && a.Dimensions[0].Value.Ref === id);
      expect(alarm, `errors alarm on ${id}`).toBeDefined();
      expect(alarm!.AlarmActions).toEqual([{ Ref: topic }]);
    }
  });

  it('routes landing uploads of the configured provinces to ingest, with a DLQ and retries', () => {
    const [, rule] = ofType('AWS::Events::Rule')[0]!;
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.s3'], 'detail-type': ['Object Created'],
      detail: { bucket: { name: [{ Ref: logicalIdOf('LandingBucket') }] }, object: { key: [{ prefix: 'JL/' }, { prefix: 'GD/' }] } },
    });
    const target = rule.Properties.Targets[0];
    expect(target.Arn['Fn::GetAtt'][0]).toMatch(/^IngestExtract/);
    expect(target.DeadLetterConfig.Arn['Fn::GetAtt'][0]).toMatch(/^UploadEventsDlq/);
    expect(target.RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 21600, MaximumRetryAttempts: 4 });
  });

  it('schedules the weekly report Monday 09:00 and incentives on the 1st 09:00 with a catch-up on the 2nd, Asia/Shanghai, with DLQ and retries', () => {
    const schedules = ofType('AWS::Scheduler::Schedule').map(([, s]) => s.Properties);
    const weekly = schedules.find((s) => s.ScheduleExpression === 'cron(0 9 ? * MON *)');
    const monthly = schedules.find((s) => s.ScheduleExpression === 'cron(0 9 1 * ? *)');
    const catchUp = schedules.find((s) => s.ScheduleExpression === 'cron(0 9 2 * ? *)');
    for (const [schedule, fn, input] of [[weekly, 'SendWeeklyReport', 'previous-week'], [monthly, 'SendMonthlyIncentives', 'previous-month'], [catchUp, 'SendMonthlyIncentives', 'previous-month']] as const) {
      expect(schedule).toBeDefined();
      expect(schedule!.ScheduleExpressionTimezone).toBe('Asia/Shanghai');
      expect(schedule!.State).toBe('ENABLED');
      expect(schedule!.Target.Arn['Fn::GetAtt'][0]).toMatch(new RegExp(`^${fn}`));
      expect(schedule!.Target.DeadLetterConfig.Arn['Fn::GetAtt'][0]).toMatch(/^ScheduleDlq/);
      expect(schedule!.Target.RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 7200, MaximumRetryAttempts: 3 });
      expect(JSON.parse(schedule!.Target.Input).period).toBe(input);
    }
  });
});

describe('TelcoKpiStack upload isolation', () => {
  function uploaderStatements(province: string) {
    const [roleId] = ofType('AWS::IAM::Role').find(([, r]) => r.Properties.RoleName === `telco-kpi-uploader-${province}`)!;
    expect(resources[roleId]!.Properties.ManagedPolicyArns).toBeUndefined();
    const policies = ofType('AWS::IAM::Policy').filter(([, p]) => p.Properties.Roles?.some((r: { Ref: string }) => r.Ref === roleId));
    expect(policies).toHaveLength(1);
    return policies[0]![1].Properties.PolicyDocument.Statement as { Effect: string; Action: string | string[]; Resource: unknown }[];
  }

  /** Whether any Allow statement grants `action` on `arn` (actions and resources matched with IAM wildcards). */
  function allows(statements: ReturnType<typeof uploaderStatements>, action: string, arn: string): boolean {
    const buckets = { [logicalIdOf('LandingBucket')]: 'landing', [logicalIdOf('CuratedBucket')]: 'curated', [logicalIdOf('ReportsBucket')]: 'reports' };
    return statements.some((s) => s.Effect === 'Allow'
      && [s.Action].flat().some((a) => iamMatch(a, action))
      && [s.Resource].flat().some((r) => iamMatch(resolveArn(r, buckets), arn)));
  }

  it('lets JL put objects under landing/JL/ and nowhere else', () => {
    // Prepare
    const jl = uploaderStatements('JL');
    // Act / Assess
    expect(allows(jl, 's3:PutObject', 'arn:aws:s3:::landing/JL/sales_JL_20261116.csv')).toBe(true);
    expect(allows(jl, 's3:PutObject', 'arn:aws:s3:::landing/GD/x.csv')).toBe(false);
    expect(allows(jl, 's3:PutObject', 'arn:aws:s3:::landing/JLX/x.csv')).toBe(false);
    expect(allows(jl, 's3:PutObject', 'arn:aws:s3:::landing/x.csv')).toBe(false);
    expect(allows(jl, 's3:PutObject', 'arn:aws:s3:::curated/JL/x.csv')).toBe(false);
    expect(allows(jl, 's3:GetObject', 'arn:aws:s3:::landing/JL/sales_JL_20261116.csv')).toBe(false);
    expect(allows(jl, 's3:DeleteObject', 'arn:aws:s3:::landing/JL/sales_JL_20261116.csv')).toBe(false);
    expect(allows(jl, 's3:ListBucket', 'arn:aws:s3:::landing')).toBe(false);
  });

  it('gives GD the mirror image', () => {
    const gd = uploaderStatements('GD');
    expect(allows(gd, 's3:PutObject', 'arn:aws:s3:::landing/GD/x.csv')).toBe(true);
    expect(allows(gd, 's3:PutObject', 'arn:aws:s3:::landing/JL/x.csv')).toBe(false);
  });

  it('creates upload roles only for the provinces in context, and refuses unknown codes', () => {
    const roles = ofType('AWS::IAM::Role').map(([, r]) => r.Properties.RoleName).filter(Boolean).sort();
    expect(roles).toEqual(['telco-kpi-uploader-GD', 'telco-kpi-uploader-JL']);
    expect(() => makeApp({ provinces: 'JL,XX' })).toThrow(/provinces: XX not a province code/);
  });
});

describe('the wildcard matcher used above', () => {
  it('matches like IAM', () => {
    expect(iamMatch('arn:aws:s3:::b/JL/*', 'arn:aws:s3:::b/JL/a/b.csv')).toBe(true);
    expect(iamMatch('arn:aws:s3:::b/JL/*', 'arn:aws:s3:::b/GD/a.csv')).toBe(false);
    expect(iamMatch('s3:Put*', 's3:PutObject')).toBe(true);
    expect(iamMatch('a?c', 'abc')).toBe(true);
    expect(iamMatch('a.c', 'abc')).toBe(false);
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('passes with every finding acknowledged in code', () => {
    const { app } = makeApp({}, { nag: true });
    expect(() => app.synth()).not.toThrow();
  });

  it('would fail synth on an unacknowledged finding (the check above can fail)', () => {
    // Prepare: the same app plus one queue without TLS enforcement or a DLQ
    const { app, stack } = makeApp({}, { nag: true });
    new sqs.Queue(stack, 'UncheckedQueue');
    // Act / Assess
    expect(() => app.synth()).toThrow();
  });
});
