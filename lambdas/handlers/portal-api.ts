/**
 * Entry point: the portal's §9 API in AWS (API Gateway HTTP API, JWT authorizer on a Cognito user
 * pool). The caller's province is its one `province-<P>` Cognito group; nothing in the path, query
 * or body can name another (that answers 404). `POST /api/uploads` does not take the file: it
 * answers a presigned PUT URL for `<P>/<file>` in the landing bucket, bound to the declared size
 * and content type; the ingest function validates the upload as any other and writes the receipt
 * beside it, which the page polls at `GET /api/receipts/{id}`.
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyResultV2 } from 'aws-lambda';
import { S3ObjectStore } from '../adapters/s3-object-store.js';
import { landingPrefix, RECEIPT_JSON_SUFFIX, RECEIPT_TEXT_SUFFIX } from '../core/aws-layout.js';
import { PROVINCE_CODES, type Province } from '../core/extracts/codes.js';
import { companionKey, FileNameError, parseExtractName } from '../core/extracts/file-name.js';
import type { Receipt } from '../core/extracts/validate.js';
import { shanghaiDay } from '../core/period.js';
import type { ObjectStore } from '../core/ports.js';
import { MAX_UPLOAD_BYTES } from '../core/portal/api.js';
import { listProvinceReceipts, portalReceipt, provinceCompleteness, readProvinceReceipt, requestedWeek } from '../core/portal/receipts.js';
import { portalConfig } from './aws-config.js';
import { lazy } from './aws-runtime.js';
import { LAKE_PREFIX } from './bucket-layout.js';
import { PrefixRoutedStore } from './prefix-routed-store.js';

/** How long a presigned upload URL works. */
export const UPLOAD_URL_SECONDS = 15 * 60;
/** The Cognito group of a province's staff: `province-JL`. */
export const provinceGroup = (province: string) => `province-${province}`;

const FILE_TYPES: Record<string, readonly string[]> = {
  csv: ['text/csv', 'application/vnd.ms-excel', 'text/plain', 'application/octet-stream'],
  xlsx: ['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'application/octet-stream'],
};

export interface PortalApiRuntime {
  /** The landing bucket: the receipts beside uploads. */
  landing: ObjectStore;
  /** lake/ (curated bucket) and receipts/ (reports bucket), as the ingest function writes them. */
  store: ObjectStore;
  /** A PUT URL for one landing key that S3 honours only with this content type and length. */
  presignPut(key: string, contentType: string, size: number): Promise<string>;
  now: () => Date;
}

type Event = APIGatewayProxyEventV2WithJWTAuthorizer;

const json = (statusCode: number, body: unknown): APIGatewayProxyResultV2 => ({
  statusCode, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' }, body: JSON.stringify(body),
});
const fail = (statusCode: number, error: string, message: string) => json(statusCode, { error, message });
const notFound = () => fail(404, 'not_found', 'no such resource');

/** The caller's province: its one `province-<P>` group (API Gateway passes a list claim as `[a b]`). */
export function provinceOfClaims(claims: Record<string, string | number | boolean | string[]> | undefined): Province | undefined {
  const raw = claims?.['cognito:groups'];
  const groups = Array.isArray(raw) ? raw : String(raw ?? '').replace(/^\[|\]$/g, '').split(/[\s,]+/);
  const provinces = groups.map((g) => /^province-([A-Z]{2})$/.exec(g)?.[1]).filter((p): p is Province => p !== undefined && (PROVINCE_CODES as readonly string[]).includes(p));
  return provinces.length === 1 ? provinces[0] : undefined;
}

/** The id of an upload's receipt beside it: `u` + base64url of the landing key. */
const uploadId = (key: string) => `u${Buffer.from(key).toString('base64url')}`;

export function createPortalApiHandler(runtime: () => PortalApiRuntime) {
  return async function handler(event: Event): Promise<APIGatewayProxyResultV2> {
    const rt = runtime();
    const province = provinceOfClaims(event.requestContext.authorizer?.jwt?.claims);
    if (!province) return fail(401, 'unauthenticated', 'sign in as a member of exactly one province group');
    const query = new URLSearchParams(event.rawQueryString ?? '');
    const named = query.get('province');
    if (named !== null && named.toUpperCase() !== province) return notFound();
    const route = `${event.requestContext.http.method} ${event.rawPath}`;

    if (route === 'POST /api/uploads') {
      let body: { fileName?: unknown; size?: unknown; contentType?: unknown; type?: unknown; province?: unknown };
      try {
        body = JSON.parse(event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : event.body ?? '') as typeof body;
      } catch {
        return fail(400, 'bad_request', 'send {"fileName","size","contentType"} as JSON');
      }
      if (typeof body.province === 'string' && body.province.toUpperCase() !== province) return notFound();
      const { fileName, size, contentType } = body;
      if (typeof fileName !== 'string' || typeof size !== 'number' || typeof contentType !== 'string' || !Number.isInteger(size) || size <= 0) {
        return fail(400, 'bad_request', 'send {"fileName","size","contentType"}: the file\'s name, its size in bytes and its type');
      }
      if (size > MAX_UPLOAD_BYTES) return fail(413, 'too_large', `an upload may have at most ${MAX_UPLOAD_BYTES / 1024 / 1024} MiB`);
      let name;
      try {
        name = parseExtractName(fileName, { province });
      } catch (error) {
        if (error instanceof FileNameError) return fail(422, 'file_name', error.message);
        throw error;
      }
      const stated = (() => { try { return parseExtractName(fileName).province; } catch { return undefined; } })();
      if (stated !== undefined && stated !== province) return notFound();
      if (!FILE_TYPES[name.extension]?.includes(contentType.split(';')[0]!.trim().toLowerCase())) {
        return fail(415, 'unsupported_media_type', `a .${name.extension} file of type '${contentType}' is not an extract: send .csv or .xlsx`);
      }
      const key = `${landingPrefix(province)}${name.file}`;
      const url = await rt.presignPut(key, contentType, size);
      return json(200, { id: uploadId(key), uploadUrl: url, method: 'PUT', headers: { 'content-type': contentType }, expiresInSeconds: UPLOAD_URL_SECONDS });
    }
    if (route === 'GET /api/receipts') {
      return json(200, { province, receipts: await listProvinceReceipts(rt.store, province, 200) });
    }
    const receiptPath = /^GET \/api\/receipts\/([A-Za-z0-9_-]{1,1500})$/.exec(route);
    if (receiptPath) {
      const id = receiptPath[1]!;
      const format = query.get('format') === 'txt' ? 'txt' : 'json';
      if (id.startsWith('u')) {
        const key = Buffer.from(id.slice(1), 'base64url').toString('utf8');
        if (!key.startsWith(landingPrefix(province)) || key.includes('/', landingPrefix(province).length)) return notFound();
        const bytes = await rt.landing.get(companionKey(key, format === 'txt' ? RECEIPT_TEXT_SUFFIX : RECEIPT_JSON_SUFFIX));
        if (!bytes) return notFound();
        const text = new TextDecoder().decode(bytes);
        if (format === 'txt') return { statusCode: 200, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }, body: text };
        const receipt = JSON.parse(text) as Receipt;
        if (receipt.province !== province) return notFound();
        return json(200, portalReceipt(receipt, id));
      }
      const found = await readProvinceReceipt(rt.store, id, province, format);
      if (!found) return notFound();
      if (format === 'txt') return { statusCode: 200, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }, body: found.text! };
      return json(200, found.receipt);
    }
    if (route === 'GET /api/completeness') {
      const today = shanghaiDay(rt.now());
      const week = requestedWeek(query.get('week'), today);
      if ('error' in week) return fail(400, 'bad_request', week.error);
      return json(200, { today, ...(await provinceCompleteness(rt.store, province, week, today)) });
    }
    return notFound();
  };
}

/** The AWS adapters, built once per container. */
export function portalApiRuntime(): PortalApiRuntime {
  const config = portalConfig();
  const s3 = new S3Client({});
  const reports = new S3ObjectStore(s3, { bucket: config.reportsBucket });
  return {
    landing: new S3ObjectStore(s3, { bucket: config.landingBucket }),
    store: new PrefixRoutedStore([{ prefix: LAKE_PREFIX, store: new S3ObjectStore(s3, { bucket: config.curatedBucket }) }], reports),
    presignPut: (key, contentType, size) => presignedPut(s3, config.landingBucket, key, contentType, size),
    now: () => new Date(),
  };
}

/** A presigned PutObject whose signature covers Content-Type and Content-Length: another type or size is refused by S3. */
export function presignedPut(s3: S3Client, bucket: string, key: string, contentType: string, size: number): Promise<string> {
  return getSignedUrl(s3, new PutObjectCommand({ Bucket: bucket, Key: key, ContentType: contentType, ContentLength: size }), {
    expiresIn: UPLOAD_URL_SECONDS,
    signableHeaders: new Set(['content-type', 'content-length']),
  });
}

export const handler = createPortalApiHandler(lazy(portalApiRuntime));
