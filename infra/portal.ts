/**
 * The branch upload portal in AWS (SPEC §9): the page of web/ in a private S3 bucket behind
 * CloudFront (origin access control), the §9 API on an HTTP API behind the same distribution
 * (/api/*, so the page calls its own origin), a Cognito user pool with one group per province and a
 * JWT authorizer on every route. Uploads go from the browser straight to the landing bucket
 * through presigned PUT URLs; the ingest function handles them like any other upload.
 */
import { CfnOutput, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { join } from 'node:path';
import { landingPrefix, RECEIPT_JSON_SUFFIX, RECEIPT_TEXT_SUFFIX } from '../lambdas/core/aws-layout.js';
import type { Province } from '../lambdas/core/extracts/codes.js';
import { pageCsp } from '../lambdas/core/portal/csp.js';
import { LAKE_PREFIX } from '../lambdas/handlers/bucket-layout.js';
import { PipelineFunction, REPO_ROOT } from './pipeline-function.js';

/** The routes of SPEC §9 that exist in AWS (sign-in and sign-out are Cognito's). */
export const PORTAL_ROUTES = [
  { method: apigw.HttpMethod.POST, path: '/api/uploads' },
  { method: apigw.HttpMethod.GET, path: '/api/receipts' },
  { method: apigw.HttpMethod.GET, path: '/api/receipts/{id}' },
  { method: apigw.HttpMethod.GET, path: '/api/completeness' },
] as const;

export interface PortalProps {
  provinces: readonly Province[];
  key: kms.IKey;
  alarmTopic: sns.ITopic;
  landing: s3.IBucket;
  curated: s3.IBucket;
  reports: s3.IBucket;
  accessLogs: s3.IBucket;
  /** The ingest function's timeout: the page waits that long (and a minute for the event) for an upload's receipt. */
  ingestTimeout?: Duration;
}

export class Portal extends Construct {
  readonly userPool: cognito.UserPool;
  readonly distribution: cloudfront.Distribution;
  readonly api: apigw.HttpApi;

  constructor(scope: Construct, id: string, props: PortalProps) {
    super(scope, id);
    const stack = Stack.of(this);

    // Who signs in: accounts made by operators only, one group per province, MFA by authenticator app.
    const userPool = (this.userPool = new cognito.UserPool(this, 'Users', {
      selfSignUpEnabled: false,
      signInAliases: { username: true, email: true },
      signInCaseSensitive: false,
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      passwordPolicy: { minLength: 12, requireDigits: true, requireLowercase: true, requireUppercase: true, requireSymbols: true, tempPasswordValidity: Duration.days(3) },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      featurePlan: cognito.FeaturePlan.PLUS,
      standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    }));
    for (const province of props.provinces) {
      new cognito.CfnUserPoolGroup(this, `Group${province}`, {
        userPoolId: userPool.userPoolId, groupName: `province-${province}`, description: `branch ${province}: uploads and reads ${province} only`,
      });
    }
    // USER_PASSWORD_AUTH only: threat protection checks passwords for compromised credentials only when
    // they reach Cognito (never in SRP), the page speaks it with plain fetch, and TLS carries it straight
    // to Cognito. Refresh-token sign-in is always on. A first sign-in needs a new password and an
    // authenticator app set up: 15 minutes for those challenges instead of the default 3.
    const client = userPool.addClient('PageClient', {
      authFlows: { userPassword: true },
      authSessionValidity: Duration.minutes(15),
      generateSecret: false,
      preventUserExistenceErrors: true,
      accessTokenValidity: Duration.minutes(30),
      idTokenValidity: Duration.minutes(30),
      refreshTokenValidity: Duration.hours(8),
      enableTokenRevocation: true,
    });

    // The API: one function, read-only on the lake and receipts, presigning PUTs into the landing prefixes.
    const fn = new PipelineFunction(this, 'PortalApi', {
      entry: 'lambdas/handlers/portal-api.ts',
      description: 'branch portal API: receipts, completeness, presigned uploads for the caller\'s province',
      key: props.key, alarmTopic: props.alarmTopic, memorySize: 512, timeout: Duration.seconds(20),
    })
      .bindBucket(props.landing, 'LANDING_BUCKET', { read: RECEIPT_SUFFIXES.map((s) => `*${s}`) })
      .bindBucket(props.curated, 'CURATED_BUCKET', { read: [`${LAKE_PREFIX}*`] })
      .bindBucket(props.reports, 'REPORTS_BUCKET', { read: ['receipts/*'] });
    // The presigned PUTs are signed with this role: uploads into province prefixes, never a receipt name.
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: props.provinces.map((p) => props.landing.arnForObjects(`${landingPrefix(p)}*`)) }));
    fn.addToRolePolicy(new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: ['s3:PutObject'], resources: RECEIPT_SUFFIXES.map((s) => props.landing.arnForObjects(`*${s}`)) }));
    fn.addToRolePolicy(new iam.PolicyStatement({
      actions: ['kms:GenerateDataKey'], resources: [props.key.keyArn],
      conditions: { StringEquals: { 'kms:EncryptionContext:aws:s3:arn': props.landing.bucketArn } },
    }));
    const policy = fn.role!.node.tryFindChild('DefaultPolicy')!;
    const landingId = stack.getLogicalId(props.landing.node.defaultChild as s3.CfnBucket);
    for (const p of props.provinces) {
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${landingId}.Arn>/${landingPrefix(p)}*]`,
        reason: `Presigned upload URLs for branch ${p} name files chosen at upload time under ${landingPrefix(p)}; the handler signs only the caller's own prefix.`,
      });
    }

    const accessLog = new logs.LogGroup(this, 'ApiAccessLogs', { retention: logs.RetentionDays.ONE_YEAR });
    const api = (this.api = new apigw.HttpApi(this, 'Api', {
      description: 'telco-kpi branch portal (SPEC §9)',
      createDefaultStage: false,
      defaultAuthorizer: new HttpJwtAuthorizer('CognitoJwt', `https://cognito-idp.${stack.region}.${stack.urlSuffix}/${userPool.userPoolId}`, {
        jwtAudience: [client.userPoolClientId],
        identitySource: ['$request.header.Authorization'],
      }),
    }));
    const stage = new apigw.HttpStage(this, 'Stage', {
      httpApi: api, stageName: '$default', autoDeploy: true,
      throttle: { rateLimit: 50, burstLimit: 100 },
    });
    const cfnStage = stage.node.defaultChild as apigw.CfnStage;
    cfnStage.accessLogSettings = {
      destinationArn: accessLog.logGroupArn,
      format: JSON.stringify({ requestId: '$context.requestId', ip: '$context.identity.sourceIp', route: '$context.routeKey', status: '$context.status', sub: '$context.authorizer.claims.sub', latency: '$context.integrationLatency' }),
    };
    const integration = new HttpLambdaIntegration('PortalApiIntegration', fn);
    for (const route of PORTAL_ROUTES) api.addRoutes({ path: route.path, methods: [route.method], integration });

    // The page: private bucket, CloudFront with OAC, a CSP that allows only itself, Cognito and the landing bucket.
    const site = new s3.Bucket(this, 'SiteBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: 'SiteBucket/',
      lifecycleRules: [{ id: 'expire-old-pages', noncurrentVersionExpiration: Duration.days(30) }],
    });
    // The presigned PUTs go to <landing bucket>.s3.<region>: the CSP names the regional S3 endpoint by
    // wildcard, since naming the bucket would make the bucket (its CORS names the distribution) and the
    // distribution (its CSP would name the bucket) depend on each other.
    const landingOrigin = `https://*.s3.${stack.region}.${stack.urlSuffix}`;
    const cognitoOrigin = `https://cognito-idp.${stack.region}.${stack.urlSuffix}`;
    const headers = new cloudfront.ResponseHeadersPolicy(this, 'PageHeaders', {
      customHeadersBehavior: {
        customHeaders: [
          { header: 'Permissions-Policy', value: 'camera=(), microphone=(), geolocation=()', override: true },
          { header: 'Cross-Origin-Opener-Policy', value: 'same-origin', override: true },
        ],
      },
      securityHeadersBehavior: {
        contentSecurityPolicy: { override: true, contentSecurityPolicy: pageCsp([cognitoOrigin, landingOrigin]) },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
      },
    });
    const apiOrigin = new origins.HttpOrigin(`${api.apiId}.execute-api.${stack.region}.${stack.urlSuffix}`, { protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY });
    const distribution = (this.distribution = new cloudfront.Distribution(this, 'Site', {
      comment: 'telco-kpi branch upload portal',
      defaultRootObject: 'index.html',
      minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
      enableLogging: true,
      logBucket: props.accessLogs,
      logFilePrefix: 'portal-cdn/',
      geoRestriction: cloudfront.GeoRestriction.allowlist('CN', 'HK', 'MO'),
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(site),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        responseHeadersPolicy: headers,
      },
      additionalBehaviors: {
        '/api/*': {
          origin: apiOrigin,
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
          cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
          originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
          responseHeadersPolicy: headers,
        },
      },
    }));

    Validations.of(distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR4',
        reason: 'Without a custom domain the distribution serves the default *.cloudfront.net certificate, whose TLS floor CloudFront sets; minimumProtocolVersion TLSv1.2_2021 applies as soon as README "Portal" adds a domain and ACM certificate.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason: 'The page is static and every API route needs a Cognito JWT; the HTTP API stage is throttled (50 rps, burst 100) and Cognito\'s threat protection (FULL_FUNCTION) blocks credential stuffing. A WAF web ACL (us-east-1 only) can be attached by the operator.',
      },
    );

    // The browser PUTs straight to the landing bucket: CORS for the portal's origin, PUT only.
    (props.landing.node.defaultChild as s3.CfnBucket).corsConfiguration = {
      corsRules: [{ allowedMethods: ['PUT'], allowedOrigins: [`https://${distribution.distributionDomainName}`], allowedHeaders: ['content-type'], maxAge: 3600 }],
    };

    new s3deploy.BucketDeployment(this, 'PageFiles', {
      sources: [
        s3deploy.Source.asset(join(REPO_ROOT, 'web'), { exclude: ['config.json'] }),
        s3deploy.Source.jsonData('config.json', {
          mode: 'aws', region: stack.region, userPoolClientId: client.userPoolClientId, cognitoEndpoint: `${cognitoOrigin}/`,
          receiptTimeoutSeconds: (props.ingestTimeout ?? Duration.minutes(5)).toSeconds() + 60,
        }),
      ],
      destinationBucket: site,
      distribution,
      distributionPaths: ['/*'],
      memoryLimit: 256,
    });

    // CDK's bucket-deployment function (one per stack, outside this construct): its role and runtime are CDK's.
    const deployer = stack.node.children.find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
    if (deployer) {
      const siteId = stack.getLogicalId(site.node.defaultChild as s3.CfnBucket);
      const reason = 'CDK\'s BucketDeployment function copies the page from the CDK asset bucket into the site bucket at deploy time; its role is generated by CDK for exactly those two buckets.';
      Validations.of(deployer).acknowledge(
        { id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', reason: `${reason} It logs with the basic execution policy.` },
        ...['Action::s3:GetObject*', 'Action::s3:GetBucket*', 'Action::s3:List*', 'Action::s3:DeleteObject*', 'Action::s3:Abort*', `Resource::<${siteId}.Arn>/*`, 'Resource::*']
          .map((what) => ({ id: `AwsSolutions-IAM5[${what}]`, reason })),
        { id: 'AwsSolutions-L1', reason: 'The runtime of CDK\'s BucketDeployment function is chosen by aws-cdk-lib and moves with its upgrades.' },
      );
      for (const child of deployer.node.findAll()) {
        const cfn = child as unknown as { cfnResourceType?: string };
        if (cfn.cfnResourceType === 'AWS::IAM::Policy') {
          Validations.of(child).acknowledge({ id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-${stack.account}-${stack.region}/*]`, reason });
        }
      }
    }

    new CfnOutput(stack, 'PortalUrl', { value: `https://${distribution.distributionDomainName}/`, description: 'the branch upload portal (SPEC §9)' });
    new CfnOutput(stack, 'PortalUserPoolId', { value: userPool.userPoolId, description: 'add branch staff here, each in one province-<P> group' });
  }
}

const RECEIPT_SUFFIXES = [RECEIPT_JSON_SUFFIX, RECEIPT_TEXT_SUFFIX];
