/**
 * The branch upload portal's JSON API (SPEC §9), independent of the HTTP server that carries it:
 * a request record in, a response record out. Uploads go through the same ingest as the CLI.
 * Every answer about another province is 404, whatever the path, query or body names.
 */
import { FileNameError, isExtractType, parseExtractName } from '../extracts/file-name.js';
import { PartitionBusyError } from '../extracts/ingest.js';
import type { ExtractInput, Receipt } from '../extracts/validate.js';
import { shanghaiDay } from '../period.js';
import type { ObjectStore } from '../ports.js';
import { listProvinceReceipts, portalReceipt, provinceCompleteness, readProvinceReceipt, receiptId, requestedWeek } from './receipts.js';
import { formatReceipt } from '../extracts/receipt-text.js';
import { csrfMatches, SessionStore, SignInThrottle, type Session } from './sessions.js';
import { authenticate } from './users.js';

export interface PortalRequest {
  method: string;
  /** The path without the query, e.g. `/api/receipts/abc`. */
  path: string;
  query: URLSearchParams;
  /** Lower-case header names. */
  headers: Readonly<Record<string, string | undefined>>;
  body: Uint8Array;
  /** The client's address, for the sign-in throttle. */
  remoteAddress: string;
  /** True when the page was reached over https (the cookie is then Secure). */
  secure: boolean;
}

export interface PortalResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Uint8Array;
}

export interface PortalDeps {
  store: ObjectStore;
  /** Validates and stores one extract: the CLI's ingestExtract over the same store. */
  ingest: (input: ExtractInput) => Promise<Receipt>;
  sessions: SessionStore;
  throttle: SignInThrottle;
  now: () => Date;
  /** Largest upload body accepted, in bytes (the server also stops reading past it). */
  maxUploadBytes: number;
}

/** 100 MiB: the largest .xlsx the validator takes inflates to 100 MB; CSV of a province-day is far smaller. */
export const MAX_UPLOAD_BYTES = 100 * 1024 * 1024;
/** The sign-in body is a user name and a password. */
export const MAX_JSON_BYTES = 4096;
export const SESSION_COOKIE = 'telco_kpi_session';
const RECEIPT_LIST_LIMIT = 200;

/** Content types a browser gives a .csv or .xlsx (Windows names CSV after Excel); anything else is refused. */
const FILE_TYPES = new Set([
  '', 'text/csv', 'text/plain', 'application/csv', 'text/comma-separated-values', 'application/vnd.ms-excel',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'application/octet-stream',
]);

const SECURITY_HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };

function json(status: number, value: unknown, headers: Record<string, string> = {}): PortalResponse {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', ...SECURITY_HEADERS, ...headers }, body: JSON.stringify(value) };
}

/** An error answer: `error` is a stable code the page translates; `message` says it in English for API users. */
function fail(status: number, error: string, message: string, headers: Record<string, string> = {}): PortalResponse {
  return json(status, { error, message }, headers);
}

const notFound = () => fail(404, 'not_found', 'no such resource');

/** Answers one request. Throws only on failures that are not the caller's (the server answers 500). */
export async function handlePortalRequest(deps: PortalDeps, request: PortalRequest): Promise<PortalResponse> {
  const { method, path } = request;
  if (path === '/api/session') {
    if (method === 'POST') return signIn(deps, request);
    if (method === 'DELETE') return signOut(deps, request);
    if (method === 'GET') return withSession(deps, request, (session) => json(200, sessionView(deps, session)));
    return methodNotAllowed('GET, POST, DELETE');
  }
  if (path === '/api/uploads') {
    if (method !== 'POST') return methodNotAllowed('POST');
    return withSession(deps, request, (session) => upload(deps, request, session), { write: true });
  }
  if (path === '/api/receipts') {
    if (method !== 'GET') return methodNotAllowed('GET');
    return withSession(deps, request, async (session) => {
      if (namesOtherProvince(request.query.get('province'), session)) return notFound();
      return json(200, { province: session.province, receipts: await listProvinceReceipts(deps.store, session.province, RECEIPT_LIST_LIMIT) });
    });
  }
  const receiptPath = /^\/api\/receipts\/([^/]+)$/.exec(path);
  if (receiptPath) {
    if (method !== 'GET') return methodNotAllowed('GET');
    return withSession(deps, request, (session) => receipt(deps, request, session, receiptPath[1]!));
  }
  if (path === '/api/completeness') {
    if (method !== 'GET') return methodNotAllowed('GET');
    return withSession(deps, request, (session) => completeness(deps, request, session));
  }
  return notFound();
}

function methodNotAllowed(allow: string): PortalResponse {
  return fail(405, 'method_not_allowed', `use ${allow}`, { allow });
}

/** True when a province named in the request is not the caller's (the request then answers 404). */
function namesOtherProvince(named: string | null | undefined, session: Session): boolean {
  return named !== null && named !== undefined && named.trim().toUpperCase() !== session.province;
}

function cookieToken(request: PortalRequest): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === SESSION_COOKIE) return value.join('=');
  }
  return undefined;
}

/**
 * Writes must come from the page itself: an Origin, when the browser sends one, must be the
 * host's own (a cross-site form post carries the other site's), and the session's CSRF token
 * must be in X-CSRF-Token (a page of another site cannot read it).
 */
function sameOrigin(request: PortalRequest): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  const host = request.headers.host;
  return host !== undefined && (origin === `http://${host}` || origin === `https://${host}`);
}

async function withSession(
  deps: PortalDeps, request: PortalRequest, handle: (session: Session) => PortalResponse | Promise<PortalResponse>, options: { write?: boolean } = {},
): Promise<PortalResponse> {
  const session = deps.sessions.get(cookieToken(request));
  if (!session) return fail(401, 'unauthenticated', 'sign in first (POST /api/session)');
  if (options.write && (!sameOrigin(request) || !csrfMatches(session, request.headers['x-csrf-token']))) {
    return fail(403, 'csrf', 'the X-CSRF-Token header is missing or wrong, or the request came from another site');
  }
  return handle(session);
}

function sessionView(deps: PortalDeps, session: Session) {
  return { user: session.user, province: session.province, csrfToken: session.csrfToken, expiresAt: new Date(deps.sessions.expiresAt(session)).toISOString() };
}

function sessionCookie(request: PortalRequest, token: string, maxAgeSeconds: number): string {
  return `${SESSION_COOKIE}=${token}; Path=/api; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${request.secure ? '; Secure' : ''}`;
}

function mediaType(value: string | undefined): string {
  return (value ?? '').split(';')[0]!.trim().toLowerCase();
}

async function signIn(deps: PortalDeps, request: PortalRequest): Promise<PortalResponse> {
  if (!sameOrigin(request)) return fail(403, 'csrf', 'sign-in from another site is refused');
  if (mediaType(request.headers['content-type']) !== 'application/json') return fail(415, 'unsupported_media_type', 'send {"user","password"} as application/json');
  if (request.body.length > MAX_JSON_BYTES) return fail(413, 'too_large', `the sign-in body may have at most ${MAX_JSON_BYTES} bytes`);
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(request.body));
  } catch {
    return fail(400, 'bad_request', 'the body is not JSON: send {"user","password"}');
  }
  const { user, password } = (body ?? {}) as { user?: unknown; password?: unknown };
  if (typeof user !== 'string' || typeof password !== 'string' || user.length === 0 || user.length > 64 || password.length > 1024) {
    return fail(400, 'bad_request', 'send {"user","password"}: two strings, the user at most 64 characters');
  }
  const wait = deps.throttle.retryAfterMs(user, request.remoteAddress);
  if (wait > 0) {
    const seconds = Math.ceil(wait / 1000);
    return fail(429, 'too_many_attempts', `too many failed sign-ins: try again in ${seconds} s`, { 'retry-after': String(seconds) });
  }
  const principal = await authenticate(deps.store, user, password);
  if (!principal) {
    deps.throttle.fail(user, request.remoteAddress);
    return fail(401, 'bad_credentials', 'the user name or the password is wrong');
  }
  deps.throttle.succeed(user);
  const { token, session } = deps.sessions.open(principal);
  const maxAge = Math.floor((deps.sessions.expiresAt(session) - session.createdAt) / 1000);
  return json(200, sessionView(deps, session), { 'set-cookie': sessionCookie(request, token, maxAge) });
}

function signOut(deps: PortalDeps, request: PortalRequest): Promise<PortalResponse> {
  return withSession(deps, request, () => {
    deps.sessions.close(cookieToken(request));
    return json(200, { signedOut: true }, { 'set-cookie': sessionCookie(request, '', 0) });
  }, { write: true });
}

async function upload(deps: PortalDeps, request: PortalRequest, session: Session): Promise<PortalResponse> {
  const contentType = request.headers['content-type'] ?? '';
  if (mediaType(contentType) !== 'multipart/form-data') return fail(415, 'unsupported_media_type', 'send the file as multipart/form-data in the field "file"');
  if (request.body.length > deps.maxUploadBytes) return tooLarge(deps);
  let form: FormData;
  try {
    form = await new Response(request.body, { headers: { 'content-type': contentType } }).formData();
  } catch {
    return fail(400, 'bad_request', 'the multipart body cannot be read');
  }
  if (namesOtherProvince(formText(form, 'province'), session)) return notFound();
  const files = form.getAll('file').filter((f): f is Exclude<ReturnType<FormData['getAll']>[number], string> => typeof f !== 'string');
  if (files.length !== 1) return fail(400, 'bad_request', `send exactly one file in the field "file" (got ${files.length})`);
  const file = files[0]!;
  if (!FILE_TYPES.has(mediaType(file.type))) return fail(415, 'unsupported_media_type', `a file of type '${file.type}' is not an extract: send .csv or .xlsx`);
  if (file.size > deps.maxUploadBytes) return tooLarge(deps);
  const typeField = formText(form, 'type');
  if (typeField !== undefined && !isExtractType(typeField)) return fail(400, 'bad_request', `'${typeField}' is not an extract type`);
  const type = typeField as ExtractInput['type'];
  const named = provinceOfName(file.name, type);
  if (named !== undefined && named !== session.province) return notFound();
  let receipt: Receipt;
  try {
    receipt = await deps.ingest({ fileName: file.name, bytes: new Uint8Array(await file.arrayBuffer()), type, province: session.province });
  } catch (error) {
    if (error instanceof FileNameError) return fail(422, 'file_name', error.message);
    if (error instanceof PartitionBusyError) return fail(503, 'busy', error.message, { 'retry-after': '30' });
    throw error;
  }
  return json(receipt.status === 'rejected' ? 422 : 200, portalReceipt(receipt, receiptId(receipt)));
}

function tooLarge(deps: PortalDeps): PortalResponse {
  return fail(413, 'too_large', `an upload may have at most ${Math.floor(deps.maxUploadBytes / 1024 / 1024)} MiB; send larger extracts by the CLI`);
}

function formText(form: FormData, name: string): string | undefined {
  const value = form.get(name);
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** The province a file's name states on its own (undefined when the name states none). */
function provinceOfName(fileName: string, type: ExtractInput['type']): string | undefined {
  try {
    return parseExtractName(fileName, { type }).province;
  } catch {
    return undefined;
  }
}

async function receipt(deps: PortalDeps, request: PortalRequest, session: Session, id: string): Promise<PortalResponse> {
  const format = request.query.get('format') === 'txt' ? 'txt' : 'json';
  const found = await readProvinceReceipt(deps.store, id, session.province, format);
  if (!found) return notFound();
  const download = request.query.get('download') === '1';
  const name = `${found.receipt.file}.receipt.${format}`;
  const disposition: Record<string, string> = download
    ? { 'content-disposition': `attachment; filename="${name.replace(/[^\x20-\x7e]|["\\]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(name)}` }
    : {};
  if (format === 'txt') {
    // The stored text is Chinese (SPEC §6); `?lang=en` renders the same receipt in English.
    const body = request.query.get('lang') === 'en' ? formatReceipt(found.receipt, 'en') : found.text!;
    return { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS, ...disposition }, body };
  }
  return json(200, found.receipt, disposition);
}

async function completeness(deps: PortalDeps, request: PortalRequest, session: Session): Promise<PortalResponse> {
  if (namesOtherProvince(request.query.get('province'), session)) return notFound();
  const today = shanghaiDay(deps.now());
  const week = requestedWeek(request.query.get('week'), today);
  if ('error' in week) return fail(400, 'bad_request', week.error);
  return json(200, { today, ...(await provinceCompleteness(deps.store, session.province, week, today)) });
}
