import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalObjectStore } from '../../lambdas/adapters/local-object-store.js';
import { main } from '../../lambdas/cli/main.js';
import { USERS_KEY } from '../../lambdas/core/portal/users.js';
import { PASSWORDS, PortalClient, startTestPortal, type TestPortal } from '../helpers/portal.js';

const GOOD = join('test/fixtures/extracts/good');
const NOW = new Date('2026-11-20T04:00:00Z');

type ReceiptBody = { id: string; status: string; province: string; file: string; problems: Array<{ row: number; column: string; value: string; message: string }> };

describe('portal API (SPEC §9) over real HTTP', () => {
  let portal: TestPortal;
  let jl: PortalClient;
  let gd: PortalClient;
  let gdReceipt: ReceiptBody;
  let jlGood: string;
  let gdGood: string;

  beforeAll(async () => {
    portal = await startTestPortal(NOW);
    jlGood = await readFile(join(GOOD, 'sales_JL_20261118.csv'), 'utf8');
    gdGood = await readFile(join(GOOD, 'revenue_GD_20261118.csv'), 'utf8');
    jl = new PortalClient(portal.url);
    gd = new PortalClient(portal.url);
    expect((await jl.signIn('jl-upload', PASSWORDS['jl-upload'])).status).toBe(200);
    expect((await gd.signIn('gd-upload', PASSWORDS['gd-upload'])).status).toBe(200);
    const uploaded = await gd.upload('revenue_GD_20261118.csv', gdGood);
    expect(uploaded.status).toBe(200);
    gdReceipt = (await uploaded.json()) as ReceiptBody;
  });
  afterAll(async () => portal?.close());

  it('no session answers 401 on every route', async () => {
    const anonymous = new PortalClient(portal.url);
    for (const [method, path] of [['GET', '/api/session'], ['GET', '/api/receipts'], ['GET', `/api/receipts/${gdReceipt.id}`], ['GET', '/api/completeness'], ['DELETE', '/api/session']] as const) {
      const response = await anonymous.request(method, path);
      expect(response.status, `${method} ${path}`).toBe(401);
      expect(((await response.json()) as { error: string }).error).toBe('unauthenticated');
    }
    expect((await anonymous.upload('sales_JL_20261118.csv', jlGood)).status).toBe(401);
  });

  it('signs in with an HttpOnly, SameSite=Strict cookie; a wrong password is 401', async () => {
    const client = new PortalClient(portal.url);
    const response = await client.signIn('jl-upload', PASSWORDS['jl-upload']);
    expect(response.status).toBe(200);
    expect(client.lastSetCookie).toMatch(/^telco_kpi_session=[A-Za-z0-9_-]{43}; Path=\/api; HttpOnly; SameSite=Strict; Max-Age=1800$/);
    const body = (await response.json()) as { user: string; province: string; csrfToken: string };
    expect(body).toMatchObject({ user: 'jl-upload', province: 'JL' });
    expect(body.csrfToken).not.toBe(client.cookie.split('=')[1]);
    expect((await new PortalClient(portal.url).signIn('jl-upload', 'wrong-password')).status).toBe(401);
    expect((await new PortalClient(portal.url).signIn('nobody', 'wrong-password')).status).toBe(401);
  });

  it('province A gets 404 for B\'s receipt, whatever the id or query says', async () => {
    const direct = await jl.request('GET', `/api/receipts/${gdReceipt.id}`);
    expect(direct.status).toBe(404);
    expect(await direct.text()).not.toContain('GD');
    expect((await jl.request('GET', `/api/receipts/${gdReceipt.id}?format=txt`)).status).toBe(404);
    // An id that decodes to GD's key with JL written in, or a path out of receipts/.
    const key = Buffer.from(gdReceipt.id, 'base64url').toString('utf8');
    for (const forged of [key.replace('/GD/', '/JL/'), `revenue/JL/../GD/${key.split('/').slice(3).join('/')}`, '../portal/users']) {
      expect((await jl.request('GET', `/api/receipts/${Buffer.from(forged).toString('base64url')}`)).status, forged).toBe(404);
    }
    expect((await jl.request('GET', `/api/receipts/${encodeURIComponent('../../portal/users.json')}`)).status).toBe(404);
    expect((await jl.request('GET', '/api/receipts?province=GD')).status).toBe(404);
    const own = (await (await gd.request('GET', `/api/receipts/${gdReceipt.id}`)).json()) as ReceiptBody;
    expect(own).toMatchObject({ id: gdReceipt.id, province: 'GD', status: 'accepted' });
    const list = (await (await jl.request('GET', '/api/receipts')).json()) as { receipts: ReceiptBody[] };
    expect(list.receipts.every((r) => r.province === 'JL')).toBe(true);
    expect(list.receipts.map((r) => r.id)).not.toContain(gdReceipt.id);
  });

  it('province A gets 404 for B\'s completeness; its own calendar shows only its days', async () => {
    expect((await jl.request('GET', '/api/completeness?week=2026-W47&province=GD')).status).toBe(404);
    expect((await jl.request('GET', '/api/completeness?province=gd')).status).toBe(404);
    const own = (await (await jl.request('GET', '/api/completeness?week=2026-W47&province=JL')).json()) as { province: string; cells: Array<{ day: string; type: string; status: string }> };
    expect(own.province).toBe('JL');
    expect(own.cells.find((c) => c.day === '2026-11-18' && c.type === 'revenue')?.status).toBe('missing');
    const gdGrid = (await (await gd.request('GET', '/api/completeness?week=2026-W47')).json()) as typeof own;
    expect(gdGrid.cells.find((c) => c.day === '2026-11-18' && c.type === 'revenue')?.status).toBe('received');
    expect((await jl.request('GET', '/api/completeness?week=2026-11')).status).toBe(400);
  });

  it('cannot upload a file for B: 404 and nothing stored, by file name or by form field', async () => {
    const store = new LocalObjectStore(portal.home);
    const before = await store.list('');
    const byName = await jl.upload('revenue_GD_20261119.csv', gdGood.replaceAll('2026-11-18', '2026-11-19'));
    expect(byName.status).toBe(404);
    const byField = await jl.upload('sales_JL_20261118.csv', jlGood, { province: 'GD' });
    expect(byField.status).toBe(404);
    expect(await store.list('')).toEqual(before);
  });

  it('a file without a province in its name is the caller\'s; a GD row in it is rejected, not stored for GD', async () => {
    const response = await jl.upload('sales_20261118.csv', jlGood.replaceAll(',JL,', ',GD,'));
    expect(response.status).toBe(422);
    const receipt = (await response.json()) as ReceiptBody;
    expect(receipt.province).toBe('JL');
    expect(receipt.problems[0]).toMatchObject({ column: 'province', value: 'GD' });
    expect(await new LocalObjectStore(portal.home).list('lake/sales/')).toEqual([]);
  });

  it('accepts a good file (200) and rejects a bad one (422), each with a receipt id the caller can read as JSON and text', async () => {
    const good = await jl.upload('sales_JL_20261118.csv', jlGood);
    expect(good.status).toBe(200);
    const accepted = (await good.json()) as ReceiptBody;
    expect(accepted).toMatchObject({ status: 'accepted', province: 'JL', file: 'sales_JL_20261118.csv' });
    const bad = await jl.upload('sales_JL_20261119.csv', jlGood.replaceAll('2026-11-18', '2026-11-19').replace('129.00', '"12,5"'));
    expect(bad.status).toBe(422);
    const rejected = (await bad.json()) as ReceiptBody;
    expect(rejected.status).toBe('rejected');
    expect(rejected.problems[0]).toMatchObject({ row: 1, column: 'monthly_fee', value: '12,5' });
    const text = await jl.request('GET', `/api/receipts/${rejected.id}?format=txt&download=1`);
    expect(text.status).toBe(200);
    expect(text.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(text.headers.get('content-disposition')).toContain('attachment; filename="sales_JL_20261119.csv.receipt.txt"');
    expect(await text.text()).toContain('“12,5”不是数字');
    expect(await (await jl.request('GET', `/api/receipts/${rejected.id}?format=txt&lang=en`)).text()).toContain("'12,5' is not a number");
    // The page shows problems as the server renders them: the row as Excel numbers it, the column as the file named it.
    const display = (rejected as unknown as { display: Record<string, { problems: Array<{ line: number; column: string; text: string }> }> }).display;
    expect(display['zh-CN']!.problems[0]).toMatchObject({ line: 2, column: 'monthly_fee' });
    expect(display['zh-CN']!.problems[0]!.text).toContain('“12,5”不是数字');
    expect(display.en!.problems[0]!.text).toContain("'12,5' is not a number");
    const list = (await (await jl.request('GET', '/api/receipts')).json()) as { receipts: ReceiptBody[] };
    expect(list.receipts.slice(0, 2).map((r) => r.id).sort()).toEqual([accepted.id, rejected.id].sort());
    const grid = (await (await jl.request('GET', '/api/completeness?week=2026-W47')).json()) as { cells: Array<{ day: string; type: string; status: string; receiptId?: string }> };
    expect(grid.cells.find((c) => c.day === '2026-11-18' && c.type === 'sales')?.status).toBe('received');
    expect(grid.cells.find((c) => c.day === '2026-11-19' && c.type === 'sales')).toMatchObject({ status: 'rejected', receiptId: rejected.id });
    expect(grid.cells.find((c) => c.day === '2026-11-21' && c.type === 'sales')?.status).toBe('upcoming');
  });

  it('writes need the CSRF token and the page\'s own origin', async () => {
    const form = new FormData();
    form.append('file', new Blob([jlGood], { type: 'text/csv' }), 'sales_JL_20261118.csv');
    expect((await jl.request('POST', '/api/uploads', { form, csrf: false })).status).toBe(403);
    expect((await jl.request('POST', '/api/uploads', { form, headers: { 'x-csrf-token': 'forged' }, csrf: false })).status).toBe(403);
    expect((await jl.request('POST', '/api/uploads', { form, headers: { origin: 'https://evil.example' } })).status).toBe(403);
    expect((await jl.request('DELETE', '/api/session', { csrf: false })).status).toBe(403);
  });

  it('refuses other content types (415) and bodies past the limit (413)', async () => {
    expect((await jl.upload('sales_JL_20261118.csv', '<html></html>', {}, 'text/html')).status).toBe(415);
    expect((await jl.request('POST', '/api/uploads', { json: { file: jlGood } })).status).toBe(415);
    const small = await startTestPortal(NOW, { maxUploadBytes: 2048 });
    try {
      const client = new PortalClient(small.url);
      expect((await client.signIn('jl-upload', PASSWORDS['jl-upload'])).status).toBe(200);
      const big = await client.upload('sales_JL_20261118.csv', `${jlGood}${'x'.repeat(4096)}`);
      expect(big.status).toBe(413);
      expect(((await big.json()) as { error: string }).error).toBe('too_large');
      expect(await new LocalObjectStore(small.home).list('receipts/')).toEqual([]);
    } finally {
      await small.close();
    }
    const raw = await fetch(new URL('/api/session', portal.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'x', password: 'y'.repeat(8000) }) });
    expect(raw.status).toBe(413);
  });

  it('the 6th failed sign-in within 15 minutes answers 429, even with the right password, until the window passes', async () => {
    const limited = await startTestPortal(NOW);
    try {
      const client = new PortalClient(limited.url);
      for (let i = 1; i <= 5; i++) expect((await client.signIn('jl-upload', `wrong-${i}`)).status, `attempt ${i}`).toBe(401);
      const sixth = await client.signIn('jl-upload', PASSWORDS['jl-upload']);
      expect(sixth.status).toBe(429);
      expect(Number(sixth.headers.get('retry-after'))).toBe(900);
      // Another user from the same address is not blocked by jl-upload's failures.
      expect((await new PortalClient(limited.url).signIn('gd-upload', PASSWORDS['gd-upload'])).status).toBe(200);
      limited.advance(15 * 60_000);
      expect((await client.signIn('jl-upload', PASSWORDS['jl-upload'])).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('a session expires after 30 minutes idle and after 8 hours however busy; sign-out ends it at once', async () => {
    const timed = await startTestPortal(NOW);
    try {
      const idle = new PortalClient(timed.url);
      await idle.signIn('jl-upload', PASSWORDS['jl-upload']);
      timed.advance(29 * 60_000);
      expect((await idle.request('GET', '/api/session')).status).toBe(200);
      timed.advance(29 * 60_000);
      expect((await idle.request('GET', '/api/session')).status).toBe(200);
      timed.advance(30 * 60_000);
      expect((await idle.request('GET', '/api/session')).status).toBe(401);

      const busy = new PortalClient(timed.url);
      await busy.signIn('jl-upload', PASSWORDS['jl-upload']);
      for (let i = 0; i < 17; i++) {
        timed.advance(28 * 60_000);
        expect((await busy.request('GET', '/api/receipts')).status, `after ${(i + 1) * 28} min`).toBe(200);
      }
      timed.advance(28 * 60_000);
      expect((await busy.request('GET', '/api/receipts')).status).toBe(401);

      const leaving = new PortalClient(timed.url);
      await leaving.signIn('jl-upload', PASSWORDS['jl-upload']);
      const cookie = leaving.cookie;
      expect((await leaving.request('DELETE', '/api/session')).status).toBe(200);
      expect(leaving.lastSetCookie).toContain('Max-Age=0');
      leaving.cookie = cookie;
      expect((await leaving.request('GET', '/api/receipts')).status).toBe(401);
    } finally {
      await timed.close();
    }
  });

  it('serves the page with a CSP that allows no inline script', async () => {
    const page = await fetch(portal.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    const html = await page.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\son[a-z]+=/);
    expect((await fetch(new URL('/app.js', portal.url))).headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await fetch(new URL('/../package.json', portal.url))).status).toBe(404);
    expect((await fetch(new URL('/%2e%2e/package.json', portal.url))).status).toBe(404);
  });
});

describe('telco-kpi users add', () => {
  it('keeps only a scrypt hash of the password from stdin, and the user can sign in', async () => {
    const portal = await startTestPortal(NOW);
    try {
      const out: string[] = [];
      const code = await main(['users', 'add', '--province', 'sc', '--user', 'sc-upload', '--home', portal.home], {
        out: (l) => out.push(l), err: () => undefined, now: () => NOW, readPassword: async () => 'sc-password-1',
      });
      expect(code).toBe(0);
      expect(out.join('\n')).toContain('added sc-upload (SC)');
      const file = await readFile(join(portal.home, USERS_KEY), 'utf8');
      expect(file).not.toContain('sc-password-1');
      expect(JSON.parse(file).users.find((u: { user: string }) => u.user === 'sc-upload')).toMatchObject({ province: 'SC', passwordHash: expect.stringMatching(/^scrypt\$32768\$8\$1\$/) });
      // The running server reads users at sign-in: no restart needed.
      expect((await new PortalClient(portal.url).signIn('sc-upload', 'sc-password-1')).status).toBe(200);
      const short = await main(['users', 'add', '--province', 'JL', '--user', 'x', '--home', portal.home], { out: () => undefined, err: (l) => out.push(l), now: () => NOW, readPassword: async () => 'short' });
      expect(short).toBe(1);
      expect(out.join('\n')).toContain('it needs at least 10');
      expect(await main(['users', 'add', '--user', 'x', '--home', portal.home], { out: () => undefined, err: () => undefined, now: () => NOW })).toBe(2);
    } finally {
      await portal.close();
    }
  });
});
