import { Aws, CfnOutput, Duration, Stack, TimeZone, Validations, type StackProps } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ATHENA_RESULTS_PREFIX, MAIL_LINKS_PREFIX, RECEIPT_JSON_SUFFIX, RECEIPT_TEXT_SUFFIX, landingPrefix } from '../lambdas/core/aws-layout.js';
import { HR_PREFIX, LAKE_PREFIX, UPLOAD_RECORDS_PREFIX } from '../lambdas/handlers/bucket-layout.js';
import { glueTableInputs } from '../lambdas/core/extracts/glue-tables.js';
import { readSettings, type TelcoKpiSettings } from './config.js';
import { PipelineFunction, dlqDepthAlarm, type BucketGrant } from './pipeline-function.js';
import { Portal } from './portal.js';

export const GLUE_DATABASE = 'telco_kpi';

/** CDK feature flags the stack relies on (set on the App). */
export const FEATURE_FLAGS = {
  // Grant log delivery by bucket policy, not ACL, so every bucket can keep ACLs disabled.
  '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
};
export const WORKGROUP = 'telco-kpi';
/** How long a presigned link to a too-big attachment works (SigV4's maximum); the copies expire a day later. */
const MAIL_LINK_DAYS = 7;
/** The principal tag that lets a user or role of the account assume its province's upload role. */
export const PROVINCE_TAG = 'telco-kpi:province';
const RECEIPT_SUFFIXES = [RECEIPT_JSON_SUFFIX, RECEIPT_TEXT_SUFFIX];
const WEEKDAYS = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'];

/**
 * telco-kpi on AWS (SPEC §7): branches upload into per-province prefixes of the landing
 * bucket; the ingest function validates each file into the Parquet lake (curated bucket,
 * Glue tables with partition projection); scheduled functions query it with Athena and mail
 * the reports through SES. Every asynchronous path has a dead-letter queue and an alarm.
 */
export class TelcoKpiStack extends Stack {
  readonly settings: TelcoKpiSettings;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const settings = (this.settings = readSettings(this));

    // Encryption: one customer-managed key for buckets, queues, topic and query results. Its policy
    // replaces CDK's default (the account root may do kms:*): the account administers the key, and
    // IAM policies of the account may use it only through the services that hold our data.
    const viaServices = ['s3', 'sqs', 'scheduler'].map((service) => `${service}.${this.region}.${Aws.URL_SUFFIX}`);
    const key = new kms.Key(this, 'DataKey', {
      description: 'telco-kpi data: buckets, queues, alarm topic, Athena results',
      enableKeyRotation: true,
      policy: new iam.PolicyDocument({
        statements: [
          new iam.PolicyStatement({
            sid: 'AccountAdministersTheKey',
            principals: [new iam.AccountRootPrincipal()],
            // Administration only: no Encrypt/Decrypt/GenerateDataKey and no CreateGrant (a grant could hand out decryption).
            actions: [
              'kms:DescribeKey', 'kms:GetKeyPolicy', 'kms:GetKeyRotationStatus', 'kms:ListAliases', 'kms:ListGrants', 'kms:ListKeyPolicies',
              'kms:ListResourceTags', 'kms:ListKeyRotations', 'kms:PutKeyPolicy', 'kms:CreateAlias', 'kms:UpdateAlias', 'kms:DeleteAlias',
              'kms:UpdateKeyDescription', 'kms:EnableKey', 'kms:DisableKey', 'kms:EnableKeyRotation', 'kms:DisableKeyRotation',
              'kms:RotateKeyOnDemand', 'kms:RevokeGrant', 'kms:RetireGrant', 'kms:TagResource', 'kms:UntagResource',
              'kms:ScheduleKeyDeletion', 'kms:CancelKeyDeletion',
            ],
            resources: ['*'],
          }),
          new iam.PolicyStatement({
            sid: 'AccountUsesTheKeyThroughItsDataServices',
            principals: [new iam.AccountRootPrincipal()],
            actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*'],
            resources: ['*'],
            conditions: { StringEquals: { 'kms:ViaService': viaServices, 'kms:CallerAccount': this.account } },
          }),
        ],
      }),
    });
    // Services that write to the encrypted queues and topic on our behalf.
    for (const service of ['events.amazonaws.com', 'scheduler.amazonaws.com', 'cloudwatch.amazonaws.com']) {
      key.addToResourcePolicy(new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal(service)],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }));
    }

    // Operators hear about every failure here.
    const operators = new sns.Topic(this, 'OperatorsTopic', {
      displayName: 'telco-kpi operators',
      masterKey: key,
      enforceSSL: true,
    });
    for (const email of settings.operatorEmails) operators.addSubscription(new subscriptions.EmailSubscription(email));

    // Storage.
    const accessLogs = new s3.Bucket(this, 'AccessLogsBucket', {
      // S3 server access logging can only deliver to SSE-S3 buckets.
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ id: 'expire-logs', expiration: Duration.days(365), noncurrentVersionExpiration: Duration.days(30) }],
    });
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the server-access-log bucket of the other buckets; logging it into itself would log its own log deliveries.',
    });
    const dataBucket = (id: string, lifecycleRules: s3.LifecycleRule[]) => new s3.Bucket(this, id, {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: key,
      bucketKeyEnabled: true,
      enforceSSL: true,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: `${id}/`,
      lifecycleRules: [{ id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) }, ...lifecycleRules],
    });
    const landing = dataBucket('LandingBucket', [
      { id: 'expire-raw-uploads', expiration: Duration.days(400), noncurrentVersionExpiration: Duration.days(30) },
    ]);
    // EventBridge notifications set on the CloudFormation resource itself: no notification custom resource.
    (landing.node.defaultChild as s3.CfnBucket).notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };
    const curated = dataBucket('CuratedBucket', [
      { id: 'expire-replaced-partitions', noncurrentVersionExpiration: Duration.days(30) },
    ]);
    const results = dataBucket('ResultsBucket', [
      { id: 'expire-query-results', expiration: Duration.days(7), noncurrentVersionExpiration: Duration.days(1) },
    ]);
    // Mail-link copies are only there for their presigned links: gone a day after the links stop working.
    // HR tallies (everything under hr/, their ledger included) are kept hrRetentionYears, then expire;
    // where rules overlap S3 applies the shorter one, so hr/mail-links/ still goes after days.
    const mailLinkExpiry = Duration.days(MAIL_LINK_DAYS + 1);
    const reports = dataBucket('ReportsBucket', [
      { id: 'expire-replaced-reports', noncurrentVersionExpiration: Duration.days(90) },
      { id: 'expire-mail-links', prefix: MAIL_LINKS_PREFIX, expiration: mailLinkExpiry, noncurrentVersionExpiration: Duration.days(1) },
      { id: 'expire-hr-mail-links', prefix: `${HR_PREFIX}${MAIL_LINKS_PREFIX}`, expiration: mailLinkExpiry, noncurrentVersionExpiration: Duration.days(1) },
      { id: 'expire-hr-tallies', prefix: HR_PREFIX, expiration: Duration.days(366 * settings.hrRetentionYears) },
    ]);

    // Catalog: one Glue table per extract, generated from lambdas/core/extracts/schema.ts.
    const database = new glue.CfnDatabase(this, 'GlueDatabase', {
      catalogId: this.account,
      databaseInput: { name: GLUE_DATABASE, description: 'telco-kpi lake (Parquet, partition projection)' },
    });
    const tableNames: string[] = [];
    for (const table of glueTableInputs(curated.bucketName)) {
      tableNames.push(table.name);
      const cfn = new glue.CfnTable(this, `GlueTable-${table.name}`, {
        catalogId: this.account,
        databaseName: GLUE_DATABASE,
        tableInput: {
          name: table.name,
          description: table.description,
          tableType: table.tableType,
          parameters: table.parameters,
          partitionKeys: table.partitionKeys,
          storageDescriptor: table.storageDescriptor,
        },
      });
      cfn.addResourceDependency(database);
    }

    // Queries: enforced result location, encrypted results, a scan limit per query.
    const workgroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: WORKGROUP,
      description: 'telco-kpi reports',
      state: 'ENABLED',
      recursiveDeleteOption: false,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: settings.bytesScannedCutoffPerQuery,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: results.s3UrlForObject(ATHENA_RESULTS_PREFIX),
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: key.keyArn },
        },
      },
    });

    // Mail: SES, or the operator's SMTP relay (its URL in a secret the operator fills after the first deploy).
    const mailIdentity = settings.mailTransport === 'ses' ? new ses.EmailIdentity(this, 'MailIdentity', {
      identity: settings.sesIdentity.includes('@') ? ses.Identity.email(settings.sesIdentity) : ses.Identity.domain(settings.sesIdentity),
    }) : undefined;
    /** SESv2 SendEmail from the configured address to these addresses only (a report or the operators), no one else. */
    const sendMailTo = (identity: ses.EmailIdentity, recipients: readonly string[], senders: readonly string[]) => new iam.PolicyStatement({
      actions: ['ses:SendEmail'],
      resources: [this.formatArn({ service: 'ses', resource: 'identity', resourceName: identity.emailIdentityName })],
      conditions: {
        'ForAllValues:StringEqualsIgnoreCase': { 'ses:Recipients': [...new Set([...recipients, ...settings.operatorEmails])].sort() },
        StringEqualsIgnoreCase: { 'ses:FromAddress': senders.length === 1 ? senders[0]! : [...senders] },
      },
    });
    const smtpSecret = settings.mailTransport === 'smtp' ? new secretsmanager.Secret(this, 'SmtpRelaySecret', {
      description: 'telco-kpi: the SMTP relay as a URL, smtp://user:password@host:587 (put it after the first deploy, README "Deploy")',
    }) : undefined;
    if (smtpSecret) {
      Validations.of(smtpSecret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason: 'The secret holds the credentials of the operator\'s own SMTP relay, which only its owner can change; a rotation function here could not. The operator puts the new URL when the relay\'s password changes.',
      });
    }

    // Functions.
    const ingest = new PipelineFunction(this, 'IngestExtract', {
      entry: 'lambdas/handlers/ingest-extract.ts',
      description: 'validates an uploaded extract into the Parquet lake and writes its receipt',
      key, alarmTopic: operators, duckdb: true, memorySize: 2048, timeout: Duration.minutes(5),
    })
      .bindBucket(landing, 'LANDING_BUCKET', { read: ['*'] })
      // Partitions, their manifests and its record of each upload (which decides duplicates: branches cannot reach it).
      .bindBucket(curated, 'CURATED_BUCKET', { read: [`${LAKE_PREFIX}_manifest/*`, `${UPLOAD_RECORDS_PREFIX}*`], write: [`${LAKE_PREFIX}*`], delete: [`${LAKE_PREFIX}_manifest/*.lock`] })
      // It parses untrusted files, so in the reports bucket it may only add receipts: no report, HR tally or run ledger.
      .bindBucket(reports, 'REPORTS_BUCKET', { write: ['receipts/*'] });
    // The receipt beside each upload, for the branch to read: the function may write receipts only, never overwrite an upload.
    const receiptObjects = RECEIPT_SUFFIXES.map((suffix) => landing.arnForObjects(`*${suffix}`));
    ingest.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: receiptObjects }));
    ingest.addToRolePolicy(new iam.PolicyStatement({ actions: ['kms:GenerateDataKey'], resources: [key.keyArn] }));
    for (const suffix of RECEIPT_SUFFIXES) {
      Validations.of(ingest.role!.node.tryFindChild('DefaultPolicy')!).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(landing.node.defaultChild as s3.CfnBucket)}.Arn>/*${suffix}]`,
        reason: `Receipts are written beside uploads whose keys branches choose; PutObject is limited to keys ending in ${suffix}, so uploads cannot be overwritten.`,
      });
    }

    // The report settings, checked at synth with the schema of config/telco-kpi.yaml and read back by aws-config.ts.
    const settingsEnvironment = {
      EXPECTED_PROVINCES: settings.provinces.join(','),
      MAIL_FROM: settings.mailFrom,
      OPERATOR_EMAILS: settings.operatorEmails.join(','),
      MAIL_LINK_SECONDS: String(MAIL_LINK_DAYS * 24 * 3600),
      FRESHNESS: JSON.stringify(settings.freshness),
    };
    interface ReportFunction {
      id: string;
      entry: string;
      description: string;
      environment: Record<string, string>;
      /** What it reads and writes in the reports bucket. */
      reportsGrant: BucketGrant;
      /** Who it mails, besides the operators. */
      recipients: string[];
      /** The addresses it mails from (operators' notices always come from mailFrom's). */
      senders: string[];
      memorySize: number;
      plans?: boolean;
      charts?: boolean;
    }
    const reportFunction = (props: ReportFunction) => {
      const fn = new PipelineFunction(this, props.id, {
        entry: props.entry, description: props.description, key, alarmTopic: operators, queries: true, plans: props.plans, charts: props.charts,
        memorySize: props.memorySize, timeout: Duration.minutes(10),
        environment: { ATHENA_WORKGROUP: WORKGROUP, GLUE_DATABASE, ...settingsEnvironment, ...props.environment },
      })
        .bindBucket(curated, 'CURATED_BUCKET', { read: [`${LAKE_PREFIX}*`] })
        .bindBucket(reports, 'REPORTS_BUCKET', props.reportsGrant)
        // Athena writes and reads the query results with the caller's permissions.
        .bindBucket(results, 'RESULTS_BUCKET', { read: [`${ATHENA_RESULTS_PREFIX}*`], write: [`${ATHENA_RESULTS_PREFIX}*`] });
      fn.addToRolePolicy(new iam.PolicyStatement({
        actions: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StopQueryExecution', 'athena:GetWorkGroup'],
        resources: [this.formatArn({ service: 'athena', resource: 'workgroup', resourceName: WORKGROUP })],
      }));
      fn.addToRolePolicy(new iam.PolicyStatement({
        actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartition', 'glue:GetPartitions'],
        resources: [
          this.formatArn({ service: 'glue', resource: 'catalog' }),
          this.formatArn({ service: 'glue', resource: 'database', resourceName: GLUE_DATABASE }),
          ...tableNames.map((t) => this.formatArn({ service: 'glue', resource: 'table', resourceName: `${GLUE_DATABASE}/${t}` })),
        ],
      }));
      if (mailIdentity) fn.addToRolePolicy(sendMailTo(mailIdentity, props.recipients, props.senders));
      if (smtpSecret) {
        smtpSecret.grantRead(fn);
        fn.addEnvironment('MAIL_TRANSPORT', 'smtp')
          .addEnvironment('SMTP_SECRET_ARN', smtpSecret.secretArn)
          .addEnvironment('SECRETS_MANAGER_ENDPOINT', `https://secretsmanager.${this.region}.${Aws.URL_SUFFIX}`);
      }
      fn.node.addDependency(workgroup);
      return fn;
    };
    // The weekly function also runs monthly re-runs (`{"period":"2026-11"}`): both ledgers are its own.
    const ledgers = ['runs/weekly/*', 'runs/monthly/*'];
    const weekly = reportFunction({
      id: 'SendWeeklyReport', entry: 'lambdas/handlers/send-weekly-report.ts',
      description: 'weekly executive KPI report: Athena -> workbook -> SES',
      environment: {
        REPORT_RECIPIENTS: JSON.stringify(settings.reportRecipients),
        WATCH_LIST: JSON.stringify(settings.watchList),
        PACKAGES: JSON.stringify(settings.packages),
      },
      reportsGrant: { read: ['receipts/*', ...ledgers, `${MAIL_LINKS_PREFIX}*`], write: ['reports/*', ...ledgers, `${MAIL_LINKS_PREFIX}*`], delete: ledgers },
      recipients: settings.reportRecipients.flatMap((l) => l.to),
      senders: [settings.mailFromAddress],
      // README Benchmarks (bench/results.json): a national month peaks at 1,007 MB RSS for the weekly and
      // 1,365 MB for a monthly re-run (1,822 MB before the queries summed per day first); 3,072 MB is 2.2×
      // the larger, kept for the ~1.7 vCPU it brings to the workbook, charts and mail beside Athena's waits.
      memorySize: 3072,
      // The weekly e-mail and 概览 carry the charts of SPEC §10 (resvg + the CJK font in fonts/).
      charts: true,
    });
    // However a layout changes, the weekly role never reaches an HR tally (SPEC §5: HR only).
    weekly.addToRolePolicy(new iam.PolicyStatement({
      effect: iam.Effect.DENY,
      actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
      resources: [reports.arnForObjects(`${HR_PREFIX}*`), reports.arnForObjects('reports/*/incentives/*'), reports.arnForObjects('runs/incentives/*')],
    }));
    const hr = (pattern: string) => `${HR_PREFIX}${pattern}`;
    const monthly = reportFunction({
      id: 'SendMonthlyIncentives', entry: 'lambdas/handlers/send-monthly-incentives.ts',
      description: 'monthly account-manager incentive tally for HR: Athena -> workbook -> SES',
      environment: {
        HR_RECIPIENTS: JSON.stringify(settings.hrRecipients),
        ...(settings.incentivesFrom === undefined ? {} : { MAIL_INCENTIVES_FROM: settings.incentivesFrom }),
      },
      reportsGrant: { read: [hr('runs/*'), hr(`${MAIL_LINKS_PREFIX}*`)], write: [hr('reports/*'), hr('runs/*'), hr(`${MAIL_LINKS_PREFIX}*`)], delete: [hr('runs/*')] },
      recipients: settings.hrRecipients.flatMap((l) => l.to),
      senders: [...new Set([settings.mailFromAddress, settings.incentivesFromAddress].map((a) => a.toLowerCase()))],
      // README Benchmarks (bench/results.json): the national incentive month (19,199 managers, 617 k lines)
      // peaks at 1,477–1,628 MB RSS; 3,072 MB is 1.9× the highest, and the ~1.7 vCPU it brings shortens the 31 s run.
      memorySize: 3072,
      plans: true,
    });

    // Upload → ingest, through EventBridge (no notification custom resource), with a DLQ.
    const deadLetters = (id: string, what: string) => {
      const queue = new sqs.Queue(this, id, {
        encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: key, enforceSSL: true, retentionPeriod: Duration.days(14),
      });
      Validations.of(queue).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason: `This queue is itself the dead-letter queue of ${what}; a DLQ of a DLQ would only hide messages further.`,
      });
      dlqDepthAlarm(this, `${id}Alarm`, queue, what).addAlarmAction(new cwActions.SnsAction(operators));
      return queue;
    };
    const uploadDlq = deadLetters('UploadEventsDlq', 'landing-bucket upload events that could not be delivered to the ingest function');
    new events.Rule(this, 'UploadRule', {
      description: 'an extract uploaded to the landing bucket starts the ingest',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: { bucket: { name: [landing.bucketName] }, object: { key: settings.provinces.map((p) => ({ prefix: landingPrefix(p) })) } },
      },
      targets: [new eventTargets.LambdaFunction(ingest, { deadLetterQueue: uploadDlq, retryAttempts: 4, maxEventAge: Duration.hours(6) })],
    });

    // Schedules, in China time.
    const scheduleDlq = deadLetters('ScheduleDlq', 'scheduled report invocations that could not be delivered');
    const schedulerRole = (id: string, fn: PipelineFunction) => {
      const role = new iam.Role(this, id, {
        assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': this.account } } }),
        description: `EventBridge Scheduler: invoke ${fn.node.id}`,
      });
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(fn.node.defaultChild as lambda.CfnFunction)}.Arn>:*]`,
        reason: `The scheduler target grant covers ${fn.node.id} and its versions/aliases (the :* suffix); no other function.`,
      });
      return role;
    };
    // Every scheduled invocation: its own role, three retries within two hours, then the DLQ.
    const invoke = (fn: PipelineFunction, roleId: string, input: Record<string, string>) =>
      new schedulerTargets.LambdaInvoke(fn, {
        role: schedulerRole(roleId, fn),
        input: scheduler.ScheduleTargetInput.fromObject(input),
        deadLetterQueue: scheduleDlq, retryAttempts: 3, maxEventAge: Duration.hours(2),
      });
    new scheduler.Schedule(this, 'WeeklyReportSchedule', {
      description: 'weekly executive report, Monday 09:00 Asia/Shanghai, for the previous ISO week',
      schedule: scheduler.ScheduleExpression.cron({ minute: '0', hour: '9', weekDay: 'MON', timeZone: TimeZone.ASIA_SHANGHAI }),
      key,
      target: invoke(weekly, 'WeeklyReportSchedulerRole', { period: 'previous-week' }),
    });
    if (settings.weeklyCatchUpHours > 0) {
      // Lists that waited for late data (freshness: wait) get the report, labelled partial if still incomplete;
      // lists already sent at 09:00 are not sent again (the run ledger).
      const hours = settings.weeklyCatchUpHours;
      new scheduler.Schedule(this, 'WeeklyReportCatchUpSchedule', {
        description: `weekly report catch-up, ${hours} h after the week ends (1 h past the freshness deadline), Asia/Shanghai`,
        schedule: scheduler.ScheduleExpression.cron({ minute: '0', hour: String(hours % 24), weekDay: WEEKDAYS[Math.floor(hours / 24)], timeZone: TimeZone.ASIA_SHANGHAI }),
        key,
        target: invoke(weekly, 'WeeklyReportCatchUpSchedulerRole', { period: 'previous-week' }),
      });
    }
    new scheduler.Schedule(this, 'MonthlyIncentivesSchedule', {
      description: 'monthly HR incentive tally, 1st of the month 09:00 Asia/Shanghai, for the previous month',
      schedule: scheduler.ScheduleExpression.cron({ minute: '0', hour: '9', day: '1', timeZone: TimeZone.ASIA_SHANGHAI }),
      key,
      target: invoke(monthly, 'MonthlyIncentivesSchedulerRole', { period: 'previous-month' }),
    });
    // A tally the 1st did not deliver (HR's mail refused, a run killed mid-send and released by an operator, the
    // retries used up while another run held the claim) goes out a day later; HR lists that have it get nothing.
    new scheduler.Schedule(this, 'MonthlyIncentivesCatchUpSchedule', {
      description: 'monthly HR incentive tally catch-up, 2nd of the month 09:00 Asia/Shanghai, for lists the 1st did not reach',
      schedule: scheduler.ScheduleExpression.cron({ minute: '0', hour: '9', day: '2', timeZone: TimeZone.ASIA_SHANGHAI }),
      key,
      target: invoke(monthly, 'MonthlyIncentivesCatchUpSchedulerRole', { period: 'previous-month' }),
    });

    // Branch upload principals: each may only put objects under its own prefix. A role is assumed by the
    // principals context uploadPrincipals names for it, else by principals of this account that carry the
    // tag telco-kpi:province=<P> (README "How branches upload").
    for (const province of settings.provinces) {
      const named = settings.uploadPrincipals[province];
      const role = new iam.Role(this, `Uploader${province}`, {
        roleName: `telco-kpi-uploader-${province}`,
        description: `branch ${province}: upload extracts to landing/${landingPrefix(province)} only`,
        assumedBy: named
          ? new iam.CompositePrincipal(...named.map((arn) => new iam.ArnPrincipal(arn)))
          : new iam.AccountRootPrincipal().withConditions({ StringEquals: { [`aws:PrincipalTag/${PROVINCE_TAG}`]: province } }),
        maxSessionDuration: Duration.hours(1),
      });
      const policy = new iam.Policy(this, `Uploader${province}Policy`, {
        statements: [
          new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [landing.arnForObjects(`${landingPrefix(province)}*`)] }),
          // The branch reads the receipts of its own uploads, and nothing else in the bucket.
          new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: RECEIPT_SUFFIXES.map((suffix) => landing.arnForObjects(`${landingPrefix(province)}*${suffix}`)) }),
          // The key only for landing-bucket objects (with S3 Bucket Keys the encryption context is the bucket ARN):
          // GenerateDataKey to put, Decrypt to read receipts and to complete multipart uploads (aws s3 cp above 8 MB).
          new iam.PolicyStatement({
            actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
            resources: [key.keyArn],
            conditions: { StringEquals: { 'kms:ViaService': `s3.${this.region}.${Aws.URL_SUFFIX}`, 'kms:EncryptionContext:aws:s3:arn': landing.bucketArn } },
          }),
        ],
      });
      policy.attachToRole(role);
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(landing.node.defaultChild as s3.CfnBucket)}.Arn>/${landingPrefix(province)}*]`,
        reason: `The wildcard is the branch's own prefix ${landingPrefix(province)}: file names are chosen at upload time; PutObject only.`,
      });
      for (const suffix of RECEIPT_SUFFIXES) {
        Validations.of(policy).acknowledge({
          id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(landing.node.defaultChild as s3.CfnBucket)}.Arn>/${landingPrefix(province)}*${suffix}]`,
          reason: `The branch reads the receipts of its own uploads: GetObject only, only under ${landingPrefix(province)} and only keys ending in ${suffix}.`,
        });
      }
    }

    // The branch upload portal (SPEC §9): the page on CloudFront, the API behind Cognito, uploads by presigned PUT.
    new Portal(this, 'Portal', { provinces: settings.provinces, key, alarmTopic: operators, landing, curated, reports, accessLogs, ingestTimeout: ingest.timeout });

    // What operators and branches need after `cdk deploy` (README "Deploy").
    new CfnOutput(this, 'LandingBucketName', { value: landing.bucketName, description: 'branches upload to s3://<this>/<PROVINCE>/…; receipts appear beside each upload' });
    new CfnOutput(this, 'CuratedBucketName', { value: curated.bucketName, description: 'the Parquet lake (lake/…), read by Athena' });
    new CfnOutput(this, 'ReportsBucketName', { value: reports.bucketName, description: 'receipts/, reports/, runs/ (the delivery ledger); hr/ holds the HR tallies and their ledger' });
    new CfnOutput(this, 'WeeklyReportFunctionName', { value: weekly.functionName, description: 'invoke with {"period":"2026-W47"} to re-run a week' });
    new CfnOutput(this, 'MonthlyIncentivesFunctionName', { value: monthly.functionName, description: 'invoke with {"period":"2026-10"} to re-run a month' });
    if (smtpSecret) new CfnOutput(this, 'SmtpSecretArn', { value: smtpSecret.secretArn, description: 'put the relay URL here: aws secretsmanager put-secret-value --secret-id <this> --secret-string smtp://…' });
    new CfnOutput(this, 'OperatorsTopicArn', { value: operators.topicArn, description: 'alarms of every function and dead-letter queue' });
  }
}
