import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export const REPO_ROOT = join(import.meta.dirname, '..');

/**
 * The one runtime of every function. Node.js 24, not 22: nodejs20.x functions cannot be created
 * from 2027-02-01 and nodejs22.x is deprecated from 2027-04-30, so 22 would need the same move
 * again within months. The code runs on Node 20 locally and in CI (package.json engines) and uses
 * nothing Node 24 removed; the handlers are async (Node 24 on Lambda drops callback handlers).
 */
export const LAMBDA_RUNTIME = lambda.Runtime.NODEJS_24_X;

/** esbuild settings every function shares; bundle-sizes.ts builds with the same ones. */
export const ESBUILD_DEFAULTS = {
  /** The Lambda runtime's Node major, not the local one: the bundle runs only there. */
  target: 'node24',
  format: 'esm' as const,
  minify: true,
  /** Error classes keep their names (TelcoKpiError sets name from the class), so logs and alarms say ConfigError, not `v1`. */
  keepNames: true,
  sourcemap: true,
  // The AWS SDK is bundled, not taken from the Lambda runtime: the runtime's copy is whatever version
  // Lambda ships, and the run ledger relies on PutObject's IfNoneMatch (an older SDK drops the header
  // and every claim "succeeds") and on the checksum settings the adapters were tested with.
  external: [] as string[],
  /** ESM bundles still meet CommonJS dependencies that call require(). */
  banner: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
};

/** Key patterns (IAM wildcards, relative to the bucket) a function reads, writes and deletes in one bucket. */
export interface BucketGrant {
  read?: readonly string[];
  write?: readonly string[];
  delete?: readonly string[];
}

export interface PipelineFunctionProps {
  /** Handler file, relative to the repository root (`lambdas/handlers/….ts`). */
  entry: string;
  description: string;
  key: kms.IKey;
  alarmTopic: sns.ITopic;
  environment?: Record<string, string>;
  timeout?: Duration;
  memorySize?: number;
  /** Ship @duckdb/node-api (linux-arm64 binary) beside the bundle. */
  duckdb?: boolean;
  /** Copy queries/*.sql into the bundle (QUERIES_DIR). */
  queries?: boolean;
  /** Copy config/plans/*.yaml into the bundle's plans/ (PLANS_DIR). */
  plans?: boolean;
  /**
   * Draws report charts: ship @resvg/resvg-js (its native linux-arm64 binding, which esbuild cannot
   * bundle) beside the bundle and copy assets/fonts/ (the CJK font) into its fonts/ (FONTS_DIR).
   */
  charts?: boolean;
}

/**
 * A NodejsFunction with the pipeline's defaults: Node 24 on ARM64, ESM bundle with source
 * maps, its own log group with retention, its own role (no managed policies), a KMS-encrypted
 * dead-letter queue for failed asynchronous invocations, and alarms on errors and DLQ depth.
 */
export class PipelineFunction extends NodejsFunction {
  readonly deadLetterQueueFor: sqs.Queue;
  private readonly key: kms.IKey;

  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, { retention: logs.RetentionDays.THREE_MONTHS });
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${id}: ${props.description}`,
    });
    const dlq = new sqs.Queue(scope, `${id}Dlq`, {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(dlq).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the dead-letter queue of the function\'s asynchronous invocations; a DLQ of a DLQ would only hide messages further.',
    });
    const commandHooks: BundlingOptions['commandHooks'] = {
      beforeBundling: () => [],
      // npm installs the optional native binding for the platform in .npmrc: the Lambda's, not this machine's.
      beforeInstall: (_input: string, output: string) => (props.duckdb || props.charts ? [`printf 'os=linux\\ncpu=arm64\\nlibc=glibc\\n' > "${output}/.npmrc"`] : []),
      afterBundling: (input: string, output: string) => [
        ...(props.queries && existsSync(join(REPO_ROOT, 'queries')) ? [`mkdir -p "${output}/queries"`, `cp "${input}"/queries/*.sql "${output}/queries/"`] : []),
        ...(props.plans ? [`mkdir -p "${output}/plans"`, `cp "${input}"/config/plans/*.yaml "${output}/plans/"`] : []),
        ...(props.charts ? [`mkdir -p "${output}/fonts"`, `cp "${input}"/assets/fonts/*.ttc "${input}"/assets/fonts/LICENSE* "${output}/fonts/"`] : []),
      ],
    };
    super(scope, id, {
      entry: join(REPO_ROOT, props.entry),
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      description: props.description,
      runtime: LAMBDA_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      handler: 'handler',
      timeout: props.timeout ?? Duration.minutes(1),
      memorySize: props.memorySize ?? 512,
      role,
      logGroup,
      deadLetterQueueEnabled: true,
      deadLetterQueue: dlq,
      retryAttempts: 2,
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
      bundling: {
        target: ESBUILD_DEFAULTS.target,
        format: OutputFormat.ESM,
        minify: ESBUILD_DEFAULTS.minify,
        keepNames: ESBUILD_DEFAULTS.keepNames,
        sourceMap: ESBUILD_DEFAULTS.sourcemap,
        banner: ESBUILD_DEFAULTS.banner,
        externalModules: ESBUILD_DEFAULTS.external,
        nodeModules: props.duckdb || props.charts ? [...(props.duckdb ? ['@duckdb/node-api'] : []), ...(props.charts ? ['@resvg/resvg-js'] : [])] : undefined,
        forceDockerBundling: false,
        commandHooks,
      },
    });
    this.deadLetterQueueFor = dlq;
    this.key = props.key;
    logGroup.grantWrite(role);

    const alarmAction = new cwActions.SnsAction(props.alarmTopic);
    this.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' })
      .createAlarm(this, 'ErrorsAlarm', {
        alarmDescription: `${id} failed at least once in 5 minutes`,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      })
      .addAlarmAction(alarmAction);
    dlqDepthAlarm(this, 'DlqAlarm', dlq, `${id}: asynchronous invocations that failed after retries`).addAlarmAction(alarmAction);
  }

  /**
   * Grants exactly the S3 and KMS actions the function's ObjectStore needs on the key patterns
   * its code uses in one bucket, and sets the variable that names the bucket: read = GetObject,
   * write = PutObject (+ multipart abort), delete = DeleteObject, each on its own patterns. A
   * function that reads also gets ListBucket: S3 answers a missing key with 404 (which the store
   * reads as "absent") only to callers that may list, and 403 to others. Each wildcard pattern is
   * acknowledged here, with the bucket and the actions named.
   */
  bindBucket(bucket: s3.IBucket, variable: string, grant: BucketGrant): this {
    const kinds: Array<[keyof BucketGrant, string[]]> = [
      ['read', ['s3:GetObject']],
      ['write', ['s3:PutObject', 's3:AbortMultipartUpload']],
      ['delete', ['s3:DeleteObject']],
    ];
    const policy = () => this.role!.node.tryFindChild('DefaultPolicy')!;
    const bucketId = Stack.of(this).getLogicalId(bucket.node.defaultChild as s3.CfnBucket);
    for (const [kind, actions] of kinds) {
      const patterns = grant[kind] ?? [];
      if (patterns.length === 0) continue;
      this.addToRolePolicy(new iam.PolicyStatement({ actions, resources: patterns.map((p) => bucket.arnForObjects(p)) }));
      for (const pattern of patterns.filter((p) => p.includes('*'))) {
        Validations.of(policy()).acknowledge({
          id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${pattern}]`,
          reason: `${variable}: objects under ${pattern} are named at run time (one per partition, file, report or delivery); ${actions.join(', ')} only, only there.`,
        });
      }
    }
    const reads = (grant.read ?? []).length > 0;
    const writes = (grant.write ?? []).length > 0;
    if (reads) this.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket', 's3:GetBucketLocation'], resources: [bucket.bucketArn] }));
    // A multipart upload to an SSE-KMS bucket decrypts the data key of its parts, so writers decrypt too.
    this.addToRolePolicy(new iam.PolicyStatement({
      actions: ['kms:Decrypt', ...(writes ? ['kms:GenerateDataKey', 'kms:Encrypt'] : [])],
      resources: [this.key.keyArn],
    }));
    this.addEnvironment(variable, bucket.bucketName);
    return this;
  }
}

/** An alarm raised as soon as a dead-letter queue holds a message. */
export function dlqDepthAlarm(scope: Construct, id: string, queue: sqs.IQueue, description: string): cloudwatch.Alarm {
  return queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' })
    .createAlarm(scope, id, {
      alarmDescription: `Dead letters: ${description}`,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
}
