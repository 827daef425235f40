/**
 * The local portal's HTTP server: the page's static files from web/ and the §9 API of
 * core/portal/api.ts, on node:http. Bodies are read up to a limit and refused past it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { handlePortalRequest, MAX_JSON_BYTES, type PortalDeps, type PortalResponse } from '../core/portal/api.js';
import { pageCsp } from '../core/portal/csp.js';

/** The page's Content-Security-Policy: its own scripts, styles and API only; nothing inline, no framing. */
export const PAGE_CSP = pageCsp();

const PAGE_HEADERS: Record<string, string> = {
  'content-security-policy': PAGE_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
  'cross-origin-opener-policy': 'same-origin',
};

const STATIC_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.json': 'application/json; charset=utf-8',
};

export interface PortalServerOptions {
  deps: PortalDeps;
  /** The folder of the page (web/); only its top-level files of known types are served. */
  webDir: string;
  /** Called with a failure that answered 500 (the server keeps running). */
  onError?: (error: unknown) => void;
}

/** A body past the limit: the request is answered 413 and not read further. */
class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) return Promise.reject(new BodyTooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.pause();
        reject(new BodyTooLarge());
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(new Uint8Array(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, response: PortalResponse, extra: Record<string, string> = {}): void {
  res.writeHead(response.status, { ...PAGE_HEADERS, ...response.headers, ...extra });
  res.end(response.body);
}

/** Loads the page's files once; a file added to web/ later needs a restart. */
async function loadStatic(webDir: string): Promise<Map<string, { type: string; body: Buffer }>> {
  const files = new Map<string, { type: string; body: Buffer }>();
  for (const entry of await readdir(webDir, { withFileTypes: true })) {
    const type = STATIC_TYPES[extname(entry.name)];
    if (entry.isFile() && type) files.set(`/${entry.name}`, { type, body: await readFile(join(webDir, entry.name)) });
  }
  return files;
}

/** Builds the server (not yet listening). */
export async function createPortalServer(options: PortalServerOptions): Promise<Server> {
  const files = await loadStatic(options.webDir);
  return createServer((req, res) => {
    void route(options, files, req, res).catch((error: unknown) => {
      options.onError?.(error);
      if (!res.headersSent) send(res, { status: 500, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify({ error: 'internal', message: 'the server failed; the operators can see why in its log' }) });
      else res.destroy();
    });
  });
}

async function route(options: PortalServerOptions, files: Map<string, { type: string; body: Buffer }>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://portal.invalid');
  const method = req.method ?? 'GET';
  if (url.pathname.startsWith('/api/')) {
    const limit = url.pathname === '/api/uploads' ? options.deps.maxUploadBytes + 64 * 1024 : MAX_JSON_BYTES;
    let body: Uint8Array;
    try {
      body = method === 'GET' || method === 'HEAD' ? new Uint8Array() : await readBody(req, limit);
    } catch (error) {
      if (!(error instanceof BodyTooLarge)) throw error;
      const mib = Math.floor(options.deps.maxUploadBytes / 1024 / 1024);
      send(res, { status: 413, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }, body: JSON.stringify({ error: 'too_large', message: `an upload may have at most ${mib} MiB` }) }, { connection: 'close' });
      res.on('finish', () => req.destroy());
      return;
    }
    const headers: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(req.headers)) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    const response = await handlePortalRequest(options.deps, {
      method, path: url.pathname, query: url.searchParams, headers, body,
      remoteAddress: req.socket.remoteAddress ?? '', secure: false,
    });
    send(res, response);
    return;
  }
  if (method !== 'GET' && method !== 'HEAD') {
    send(res, { status: 405, headers: { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }, body: 'method not allowed\n' });
    return;
  }
  const file = files.get(url.pathname === '/' ? '/index.html' : url.pathname);
  if (!file) {
    send(res, { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'not found\n' });
    return;
  }
  send(res, { status: 200, headers: { 'content-type': file.type, 'cache-control': 'no-cache' }, body: method === 'HEAD' ? '' : file.body });
}

/** Starts listening; resolves with the URL the page is at. */
export function listen(server: Server, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      resolve(`http://${shown}:${address.port}/`);
    });
  });
}
