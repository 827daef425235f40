import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeApp, policiesOf, type Resources } from './synth.js';

describe('Portal (SPEC §9 in AWS)', () => {
  let template: Template;
  let resources: Resources;
  let outdir: string;
  /** A template string with its pseudo parameters resolved as in ap-southeast-1. */
  const resolve = (value: unknown): string => {
    if (typeof value === 'string') return value;
    const v = value as { 'Fn::Join'?: [string, unknown[]]; Ref?: string };
    if (v['Fn::Join']) return v['Fn::Join'][1].map(resolve).join(v['Fn::Join'][0]);
    if (v.Ref === 'AWS::URLSuffix') return 'amazonaws.com';
    throw new Error(`cannot resolve ${JSON.stringify(value)}`);
  };

  beforeAll(() => {
    const { app, stack } = makeApp({ provinces: 'JL,GD' });
    template = Template.fromStack(stack);
    outdir = app.outdir;
    resources = template.toJSON().Resources as Resources;
  });

  it('has the §9 routes on an HTTP API, each behind the Cognito JWT authorizer', () => {
    const routes = Object.values(resources).filter((r) => r.Type === 'AWS::ApiGatewayV2::Route');
    expect(routes.map((r) => r.Properties.RouteKey).sort()).toEqual(['GET /api/completeness', 'GET /api/receipts', 'GET /api/receipts/{id}', 'POST /api/uploads']);
    for (const route of routes) expect(route.Properties.AuthorizationType).toBe('JWT');
    const [authorizerId] = Object.entries(resources).find(([, r]) => r.Type === 'AWS::ApiGatewayV2::Authorizer')!;
    for (const route of routes) expect(route.Properties.AuthorizerId).toEqual({ Ref: authorizerId });
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Audience: [{ Ref: Match.stringLikeRegexp('PortalUsersPageClient') }], Issuer: Match.objectLike({ 'Fn::Join': Match.anyValue() }) },
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { AccessLogSettings: Match.objectLike({ DestinationArn: Match.anyValue() }), DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 } });
  });

  it('has a user pool without self sign-up, with MFA, and one group per province', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', { AdminCreateUserConfig: { AllowAdminCreateUserOnly: true }, MfaConfiguration: 'ON' });
    const groups = Object.values(resources).filter((r) => r.Type === 'AWS::Cognito::UserPoolGroup').map((r) => r.Properties.GroupName).sort();
    expect(groups).toEqual(['province-GD', 'province-JL']);
    template.hasResourceProperties('AWS::Cognito::UserPool', { MfaConfiguration: 'ON', EnabledMfas: ['SOFTWARE_TOKEN_MFA'] });
  });

  it('lets the page sign in with USER_PASSWORD_AUTH only (threat protection sees the password), 15 minutes for a first sign-in\'s challenges', () => {
    const [client] = Object.values(resources).filter((r) => r.Type === 'AWS::Cognito::UserPoolClient');
    expect(client!.Properties.GenerateSecret).toBe(false);
    expect([...client!.Properties.ExplicitAuthFlows].sort()).toEqual(['ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_USER_PASSWORD_AUTH']);
    expect(client!.Properties.AuthSessionValidity).toBe(15);
    expect(client!.Properties.EnableTokenRevocation).toBe(true);
  });

  it('serves the page from a private bucket through CloudFront with origin access control and a CSP', () => {
    template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultRootObject: 'index.html',
        Origins: Match.arrayWith([Match.objectLike({ OriginAccessControlId: Match.anyValue(), S3OriginConfig: { OriginAccessIdentity: '' } })]),
        CacheBehaviors: [Match.objectLike({ PathPattern: '/api/*', ViewerProtocolPolicy: 'https-only', AllowedMethods: Match.arrayWith(['POST', 'DELETE']) })],
        DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: 'redirect-to-https' }),
      }),
    });
    const policy = Object.values(resources).find((r) => r.Type === 'AWS::CloudFront::ResponseHeadersPolicy')!;
    const config = policy.Properties.ResponseHeadersPolicyConfig;
    const csp = resolve(config.SecurityHeadersConfig.ContentSecurityPolicy.ContentSecurityPolicy);
    const directives = new Map(csp.split('; ').map((d) => [d.split(' ')[0]!, d.split(' ').slice(1)]));
    expect(directives.get('default-src')).toEqual(["'none'"]);
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    // The page signs in at Cognito and PUTs to the landing bucket's virtual-hosted S3 endpoint, nowhere else.
    expect(directives.get('connect-src')).toEqual(["'self'", 'https://cognito-idp.ap-southeast-1.amazonaws.com', 'https://*.s3.ap-southeast-1.amazonaws.com']);
    expect(csp).not.toContain('unsafe');
    expect(config.CustomHeadersConfig.Items).toEqual(expect.arrayContaining([expect.objectContaining({ Header: 'Cross-Origin-Opener-Policy', Value: 'same-origin' })]));
    const site = Object.entries(resources).find(([id, r]) => id.startsWith('PortalSiteBucket') && r.Type === 'AWS::S3::Bucket')!;
    expect(site[1].Properties.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    const sitePolicy = Object.values(resources).find((r) => r.Type === 'AWS::S3::BucketPolicy' && JSON.stringify(r.Properties.Bucket).includes(site[0]))!;
    expect(JSON.stringify(sitePolicy.Properties.PolicyDocument)).toContain('cloudfront.amazonaws.com');
    template.hasResourceProperties('Custom::CDKBucketDeployment', { DestinationBucketName: { Ref: site[0] } });
  });

  it('deploys the config.json the page reads in AWS: its app client, the Cognito endpoint, the receipt wait of the ingest timeout and a minute', () => {
    const deployment = Object.values(resources).find((r) => r.Type === 'Custom::CDKBucketDeployment')!;
    const keys = deployment.Properties.SourceObjectKeys as string[];
    const markers = deployment.Properties.SourceMarkers as Array<Record<string, unknown>>;
    const staged = keys.map((key, i) => ({ dir: join(outdir, `asset.${key.replace(/\.zip$/, '')}`), markers: markers[i]! })).find((a) => existsSync(join(a.dir, 'config.json')))!;
    // The asset holds markers for deploy-time values; put back what each one stands for.
    let text = readFileSync(join(staged.dir, 'config.json'), 'utf8');
    for (const [marker, value] of Object.entries(staged.markers)) text = text.replace(marker, JSON.stringify(value).replaceAll('"', "'"));
    const config = JSON.parse(text) as Record<string, unknown>;
    const [clientId] = Object.entries(resources).find(([, r]) => r.Type === 'AWS::Cognito::UserPoolClient')!;
    expect(config).toEqual({
      mode: 'aws', region: 'ap-southeast-1', userPoolClientId: `{'Ref':'${clientId}'}`,
      cognitoEndpoint: "https://cognito-idp.ap-southeast-1.{'Ref':'AWS::URLSuffix'}/", receiptTimeoutSeconds: 5 * 60 + 60,
    });
    expect(readdirSync(staged.dir)).toEqual(['config.json']);
  });

  it('the API function may presign uploads into province prefixes only, never a receipt, and reads no report or HR object', () => {
    const p = policiesOf(resources);
    const statements = p.functionStatements('PortalPortalApi');
    expect(p.allows(statements, 's3:PutObject', 'arn:aws:s3:::landing/JL/sales_JL_20261118.csv')).toBe(true);
    expect(p.allows(statements, 's3:PutObject', 'arn:aws:s3:::landing/JL/sales_JL_20261118.csv.receipt.json')).toBe(false);
    expect(p.allows(statements, 's3:PutObject', 'arn:aws:s3:::landing/sales_JL_20261118.csv')).toBe(false);
    expect(p.allows(statements, 's3:GetObject', 'arn:aws:s3:::landing/JL/sales_JL_20261118.csv')).toBe(false);
    expect(p.allows(statements, 's3:GetObject', 'arn:aws:s3:::landing/JL/sales_JL_20261118.csv.receipt.json')).toBe(true);
    expect(p.allows(statements, 's3:GetObject', 'arn:aws:s3:::reports/receipts/sales/JL/2026-11-18/x.json')).toBe(true);
    for (const key of ['reports/2026-W47/ALL/report.xlsx', 'hr/reports/2026-11/incentives/incentives.json', 'runs/weekly/x.json']) {
      expect(p.allows(statements, 's3:GetObject', `arn:aws:s3:::reports/${key}`), key).toBe(false);
    }
    expect(p.allows(statements, 's3:PutObject', 'arn:aws:s3:::curated/lake/sales/dt=2026-11-18/province=JL/data.parquet')).toBe(false);
  });

  it('lets the browser PUT to the landing bucket from the portal\'s origin only', () => {
    const landing = Object.entries(resources).find(([id, r]) => id.startsWith('LandingBucket') && r.Type === 'AWS::S3::Bucket')![1];
    expect(landing.Properties.CorsConfiguration.CorsRules).toEqual([expect.objectContaining({ AllowedMethods: ['PUT'], AllowedHeaders: ['content-type'] })]);
    expect(JSON.stringify(landing.Properties.CorsConfiguration.CorsRules[0].AllowedOrigins)).toContain('DomainName');
  });
});
