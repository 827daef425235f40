/** A real portal server (telco-kpi serve's) on loopback over a temp home, and an HTTP client with a cookie jar. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalObjectStore } from '../../lambdas/adapters/local-object-store.js';
import { startPortal, type PortalOptions } from '../../lambdas/cli/commands/serve.js';
import { addUser } from '../../lambdas/core/portal/users.js';

export const PASSWORDS = { 'jl-upload': 'jl-password-1', 'gd-upload': 'gd-password-1' } as const;

export interface TestPortal {
  url: string;
  home: string;
  errors: string[];
  /** Moves the server's clock (sessions, throttle, receipts, the calendar's today). */
  advance(ms: number): void;
  close(): Promise<void>;
}

/** Starts a portal with users jl-upload (JL) and gd-upload (GD); `now` is the server's clock. */
export async function startTestPortal(now: Date, options: Partial<PortalOptions> = {}): Promise<TestPortal> {
  const home = await mkdtemp(join(tmpdir(), 'telco-kpi-portal-'));
  const store = new LocalObjectStore(home);
  await addUser(store, { user: 'jl-upload', province: 'JL', password: PASSWORDS['jl-upload'], now });
  await addUser(store, { user: 'gd-upload', province: 'GD', password: PASSWORDS['gd-upload'], now });
  let offset = 0;
  const errors: string[] = [];
  const portal = await startPortal(
    { home, configDir: '', out: () => undefined, err: (line) => errors.push(line), now: () => new Date(now.getTime() + offset) },
    { port: 0, host: '127.0.0.1', ...options },
  );
  return {
    url: portal.url, home, errors,
    advance(ms) { offset += ms; },
    async close() {
      await portal.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** A browser-like client: keeps the session cookie, sends the CSRF token on writes. */
export class PortalClient {
  cookie = '';
  csrfToken = '';
  lastSetCookie = '';

  constructor(readonly base: string) {}

  async signIn(user: string, password: string): Promise<Response> {
    const response = await this.request('POST', '/api/session', { json: { user, password } });
    if (response.status === 200) this.csrfToken = ((await response.clone().json()) as { csrfToken: string }).csrfToken;
    return response;
  }

  async request(method: string, path: string, options: { json?: unknown; form?: FormData; headers?: Record<string, string>; csrf?: boolean } = {}): Promise<Response> {
    const headers: Record<string, string> = { ...options.headers };
    if (this.cookie) headers.cookie = this.cookie;
    if (method !== 'GET' && options.csrf !== false && this.csrfToken) headers['x-csrf-token'] = this.csrfToken;
    let body: string | FormData | undefined;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.form) body = options.form;
    const response = await fetch(new URL(path, this.base), { method, headers, body });
    const set = response.headers.get('set-cookie');
    if (set) {
      this.lastSetCookie = set;
      const pair = set.split(';')[0]!;
      this.cookie = pair.endsWith('=') ? '' : pair;
    }
    return response;
  }

  upload(fileName: string, content: string | Uint8Array, fields: Record<string, string> = {}, type = 'text/csv'): Promise<Response> {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    form.append('file', new Blob([content], { type }), fileName);
    return this.request('POST', '/api/uploads', { form });
  }
}
