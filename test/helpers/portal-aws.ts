/**
 * The portal as it runs in AWS, on loopback: web/ served with a `mode: aws` config.json and the
 * CloudFront CSP (pageCsp with the stand-ins' origins in place of Cognito's and S3's); /api/* on the
 * same origin through a small adapter standing in for the HTTP API — the JWT authorizer's checks on
 * the Cognito stand-in's tokens, then the real portal-api handler over the real runtime; the landing,
 * curated and reports buckets on s3rver (the presigned PUT is real, CORS as infra/portal.ts sets
 * it); and each S3 notification of an upload handed to the real ingest handler, as EventBridge would.
 */
import { readdir, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join } from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { DuckDbParquetEncoder } from '../../lambdas/adapters/duckdb-parquet-encoder.js';
import { S3ObjectStore } from '../../lambdas/adapters/s3-object-store.js';
import { WEB_DIR } from '../../lambdas/config.js';
import { pageCsp } from '../../lambdas/core/portal/csp.js';
import { ingestConfig, portalConfig } from '../../lambdas/handlers/aws-config.js';
import { ingestRuntime } from '../../lambdas/handlers/aws-runtime.js';
import { createIngestHandler, type IngestOutcome } from '../../lambdas/handlers/ingest-extract.js';
import { createPortalApiHandler, portalApiRuntime } from '../../lambdas/handlers/portal-api.js';
import { startS3, type S3Harness } from '../integration/s3-harness.js';
import { CLIENT_ID, startCognito, type CognitoStandIn } from './cognito.js';

const ENV = { LANDING_BUCKET: 'telco-kpi-landing', CURATED_BUCKET: 'telco-kpi-curated', REPORTS_BUCKET: 'telco-kpi-reports' };
const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml' };
/** The API routes infra/portal.ts creates (PORTAL_ROUTES); anything else is API Gateway's own 404. */
const ROUTES = [/^POST \/api\/uploads$/, /^GET \/api\/receipts$/, /^GET \/api\/receipts\/[^/]+$/, /^GET \/api\/completeness$/];

export interface AwsPortal {
  url: string;
  cognito: CognitoStandIn;
  s3: S3Harness;
  landing: S3ObjectStore;
  /** What the ingest handler did with each upload, in order. */
  ingested: IngestOutcome[];
  /** Uploads whose name matches are not ingested (their receipt never comes). */
  holdIngest(pattern: RegExp): void;
  /** The API requests the adapter passed on or refused: `401 GET /api/receipts`. */
  apiCalls: string[];
  /** Moves the clock of the API, the ingest and the stand-in's token checks. */
  advance(ms: number): void;
  close(): Promise<void>;
}

/** Starts it all; the API's and the ingest's clock starts at `now`; `receiptTimeoutSeconds` goes into config.json. */
export async function startAwsPortal(now: Date, options: { receiptTimeoutSeconds?: number } = {}): Promise<AwsPortal> {
  let offset = 0;
  const started = Date.now();
  // Runs from `now` (two uploads are never received in the same millisecond, as in AWS).
  const clock = () => new Date(now.getTime() + offset + Date.now() - started);
  let pageOrigin = '';
  const cognito = await startCognito(() => pageOrigin);
  const encoder = new DuckDbParquetEncoder();
  const ingested: IngestOutcome[] = [];
  const held: RegExp[] = [];
  const apiCalls: string[] = [];
  const pending = new Set<Promise<unknown>>();
  // Built lazily at the first event, once s3rver is up.
  const ingest = createIngestHandler(() => ingestRuntime(ingestConfig(ENV), { s3: s3.client }, encoder, clock));

  const page: Server = createServer();
  await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
  pageOrigin = `http://127.0.0.1:${(page.address() as AddressInfo).port}`;

  const s3 = await startS3(ENV.LANDING_BUCKET, {
    honourIfNoneMatch: true,
    corsOrigin: pageOrigin,
    onEvent(event) {
      // The stack's EventBridge rule: objects created in the landing bucket (the handler skips its own receipts).
      const { s3: record } = (event as { Records: Array<{ s3: { bucket: { name: string }; object: { key: string } } }> }).Records[0]!;
      const key = decodeURIComponent(record.object.key);
      if (record.bucket.name !== ENV.LANDING_BUCKET || key.includes('.receipt.') || held.some((p) => p.test(key))) return;
      const run = ingest(event).then((r) => { ingested.push(...r.uploads); }, (error: unknown) => { ingested.push({ bucket: ENV.LANDING_BUCKET, key, status: 'skipped', detail: `failed: ${(error as Error).message}` }); });
      pending.add(run);
      void run.finally(() => pending.delete(run));
    },
  });
  for (const bucket of [ENV.CURATED_BUCKET, ENV.REPORTS_BUCKET]) await s3.client.send(new CreateBucketCommand({ Bucket: bucket }));
  const api = createPortalApiHandler(() => portalApiRuntime(portalConfig(ENV), s3.client, clock));

  const files = new Map<string, { type: string; body: Buffer }>();
  for (const name of await readdir(WEB_DIR)) {
    if (TYPES[extname(name)]) files.set(`/${name}`, { type: TYPES[extname(name)]!, body: await readFile(join(WEB_DIR, name)) });
  }
  // What infra/portal.ts deploys as config.json, with the stand-in for Cognito's endpoint.
  files.set('/config.json', {
    type: 'application/json',
    body: Buffer.from(JSON.stringify({ mode: 'aws', region: 'ap-southeast-1', userPoolClientId: CLIENT_ID, cognitoEndpoint: cognito.url, receiptTimeoutSeconds: options.receiptTimeoutSeconds ?? 60 })),
  });
  // The response-headers policy of the distribution.
  const headers = {
    'content-security-policy': pageCsp([cognito.origin, s3.endpoint]),
    'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer', 'cross-origin-opener-policy': 'same-origin',
  };

  page.on('request', (req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', pageOrigin);
      const method = req.method ?? 'GET';
      if (!url.pathname.startsWith('/api/')) {
        const file = files.get(url.pathname === '/' ? '/index.html' : url.pathname);
        res.writeHead(file ? 200 : 404, { ...headers, 'content-type': file?.type ?? 'text/plain' });
        res.end(file?.body ?? 'not found');
        return;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const route = `${method} ${url.pathname}`;
      const reply = (status: number, body: string, type = 'application/json') => {
        apiCalls.push(`${status} ${route}`);
        res.writeHead(status, { ...headers, 'content-type': type });
        res.end(body);
      };
      if (!ROUTES.some((r) => r.test(route))) return reply(404, '{"message":"Not Found"}');
      // The JWT authorizer: a valid token or 401 before the function runs; its claims as API Gateway passes them.
      const claims = cognito.verify(req.headers.authorization);
      if (!claims) return reply(401, '{"message":"Unauthorized"}');
      const passed = Object.fromEntries(Object.entries(claims).map(([k, v]) => [k, Array.isArray(v) ? `[${v.join(' ')}]` : String(v)]));
      const event = {
        version: '2.0', routeKey: route, rawPath: url.pathname, rawQueryString: url.search.slice(1),
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
        body: chunks.length ? Buffer.concat(chunks).toString('utf8') : undefined, isBase64Encoded: false,
        requestContext: { http: { method, path: url.pathname }, authorizer: { jwt: { claims: passed, scopes: null } } },
      } as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;
      const result = (await api(event)) as APIGatewayProxyStructuredResultV2;
      reply(result.statusCode ?? 200, String(result.body ?? ''), String(result.headers?.['content-type'] ?? 'application/json'));
    })().catch((error: unknown) => {
      apiCalls.push(`500 ${String(req.method)} ${String(req.url)}: ${(error as Error).message}`);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });

  return {
    url: `${pageOrigin}/`, cognito, s3, ingested, apiCalls,
    landing: new S3ObjectStore(s3.client, { bucket: ENV.LANDING_BUCKET }),
    holdIngest: (pattern) => { held.push(pattern); },
    advance(ms) {
      offset += ms;
      cognito.advance(ms);
    },
    async close() {
      await Promise.allSettled([...pending]);
      page.closeAllConnections();
      await new Promise<void>((resolve) => page.close(() => resolve()));
      await cognito.close();
      await s3.stop();
      await encoder.close();
    },
  };
}
