/**
 * The portal page in AWS mode in headless Chromium (Debian's /usr/bin/chromium, playwright-core):
 * a Cognito stand-in that checks every request the page sends (test/helpers/cognito.ts), the real
 * portal-api handler behind an HTTP API stand-in that checks the tokens, s3rver for the landing
 * bucket (the presigned PUT is real) and the real ingest handler on each upload's S3 notification
 * (test/helpers/portal-aws.ts). Screenshots go to test-artifacts/portal/aws-*.png (gitignored).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CLIENT_ID, totp, type RecordedCall } from '../helpers/cognito.js';
import { startAwsPortal, type AwsPortal } from '../helpers/portal-aws.js';

// The page's globals, as the page.evaluate callbacks below use them (they run in the browser).
declare const document: { cookie: string; createElement(tag: string): { textContent: string }; body: { append(node: unknown): void } };
declare const localStorage: { length: number; key(i: number): string | null; getItem(k: string): string | null };
declare const sessionStorage: { length: number };

const ARTIFACTS = resolve('test-artifacts/portal');
const NOW = new Date('2026-11-20T04:00:00Z');
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const TEMPORARY = 'Temp-Passw0rd!x';
const CHOSEN = 'Zhang-Own-Passw0rd!';
const GD_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const JL_SECRET = 'KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU';

/** A 6-digit code that is not the one the app shows now (nor in the 30 s either side). */
function wrongCode(secret: string): string {
  const valid = new Set([-30_000, 0, 30_000].map((skew) => totp(secret, Date.now() + skew)));
  return ['000000', '111111', '222222', '333333'].find((c) => !valid.has(c))!;
}

describe('portal in a real browser, AWS mode (Cognito, presigned PUT, receipts polled)', () => {
  let portal: AwsPortal;
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    portal = await startAwsPortal(NOW);
    portal.cognito.addUser({ username: 'jl-zhang', email: 'zhang@jl.example', password: TEMPORARY, temporary: true, groups: ['province-JL'] });
    portal.cognito.addUser({ username: 'gd-li', email: 'li@gd.example', password: 'Li-Passw0rd!gd', groups: ['province-GD'], totpSecret: GD_SECRET });
    portal.cognito.addUser({ username: 'jl-wang', email: 'wang@jl.example', password: 'Wang-Passw0rd!jl', groups: ['province-JL'], totpSecret: JL_SECRET });
    portal.cognito.addUser({ username: 'no-group', email: 'x@example', password: 'Nogroup-Passw0rd!', groups: ['admins'], totpSecret: GD_SECRET });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS });
    await mkdir(ARTIFACTS, { recursive: true });
    dir = await mkdtemp(join(tmpdir(), 'telco-kpi-portal-aws-'));
    const good = await readFile('test/fixtures/extracts/good/sales_JL_20261118.csv', 'utf8');
    await writeFile(join(dir, 'sales_JL_20261118.csv'), good);
    await writeFile(join(dir, 'sales_JL_20261119.csv'), good.replaceAll('2026-11-18', '2026-11-19').replace('129.00', '"12,5"').replace('own_hall', '<img src=x id=injected>'));
    await writeFile(join(dir, 'sales_GD_20261118.csv'), good.replaceAll(',JL,', ',GD,'));
    await writeFile(join(dir, 'sales_JL_20261117.csv'), good.replaceAll('2026-11-18', '2026-11-17'));
  });
  afterAll(async () => {
    await browser?.close();
    await portal?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
    vi.restoreAllMocks();
  });

  async function open(context: BrowserContext): Promise<{ page: Page; consoleErrors: string[] }> {
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    await page.goto(portal.url);
    await expect.poll(() => page.locator('#sign-in-form').isVisible(), { timeout: 15_000 }).toBe(true);
    return { page, consoleErrors };
  }
  const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `aws-${name}.png`), fullPage: true });
  const error = (page: Page) => page.locator('#sign-in-error');
  const callsSince = (n: number): RecordedCall[] => portal.cognito.calls.slice(n);
  async function signIn(page: Page, user: string, password: string): Promise<void> {
    await page.fill('#user', user);
    await page.fill('#password', password);
    await page.click('#sign-in-form button[type=submit]');
  }
  async function typeCode(page: Page, form: string, code: string): Promise<void> {
    await page.fill(`${form} input`, code);
    await page.click(`${form} button[type=submit]`);
  }

  it('first sign-in: new password and authenticator set-up; a good and a bad upload by presigned PUT, receipts from the ingest handler, calendar, download, sign-out revokes', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true, locale: 'zh-CN' });
    const { page, consoleErrors } = await open(context);
    await shot(page, '1-sign-in');

    // Signed in by e-mail with the temporary password: Cognito asks for a new one, naming the user by its user name.
    await signIn(page, 'zhang@jl.example', TEMPORARY);
    await expect.poll(() => page.locator('#new-password-form').isVisible(), { timeout: 15_000 }).toBe(true);
    expect(portal.cognito.calls[0]).toMatchObject({ target: 'InitiateAuth', body: { AuthFlow: 'USER_PASSWORD_AUTH', ClientId: CLIENT_ID, AuthParameters: { USERNAME: 'zhang@jl.example', PASSWORD: TEMPORARY } } });
    await page.fill('#new-password', CHOSEN);
    await page.fill('#repeat-password', `${CHOSEN}x`);
    await page.click('#new-password-form button[type=submit]');
    expect(await error(page).textContent()).toBe('两次输入的新密码不一致。');
    expect(portal.cognito.calls).toHaveLength(1);
    await page.fill('#new-password', 'Weakpassword1');
    await page.fill('#repeat-password', 'Weakpassword1');
    await page.click('#new-password-form button[type=submit]');
    await expect.poll(() => error(page).textContent(), { timeout: 15_000 }).toContain('新密码不符合要求');
    await page.fill('#new-password', CHOSEN);
    await page.fill('#repeat-password', CHOSEN);
    await page.click('#new-password-form button[type=submit]');

    // MFA is required and not set up: the page shows the key for the authenticator app.
    await expect.poll(() => page.locator('#mfa-setup-form').isVisible(), { timeout: 15_000 }).toBe(true);
    const secret = (await page.locator('#mfa-secret').textContent())!.replace(/\s/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(await page.locator('#mfa-link').getAttribute('href')).toBe(`otpauth://totp/telco-kpi%3Ajl-zhang?secret=${secret}&issuer=telco-kpi`);
    await shot(page, '2-mfa-setup');
    await typeCode(page, '#mfa-setup-form', wrongCode(secret));
    await expect.poll(() => error(page).textContent(), { timeout: 15_000 }).toBe('验证码不正确或已过期，请输入应用中当前显示的验证码。');
    await typeCode(page, '#mfa-setup-form', totp(secret));
    await expect.poll(() => page.locator('#app').isVisible(), { timeout: 15_000 }).toBe(true);
    expect(await page.locator('#who').textContent()).toBe('jl-zhang · JL');
    expect(portal.cognito.user('jl-zhang')).toMatchObject({ password: CHOSEN, temporary: false, totpSecret: secret });
    const signInCalls = portal.cognito.calls.map((c) => `${c.target}${c.body.ChallengeName ? ` ${String(c.body.ChallengeName)}` : ''}`);
    expect(signInCalls).toEqual(['InitiateAuth', 'RespondToAuthChallenge NEW_PASSWORD_REQUIRED', 'RespondToAuthChallenge NEW_PASSWORD_REQUIRED',
      'AssociateSoftwareToken', 'VerifySoftwareToken', 'VerifySoftwareToken', 'RespondToAuthChallenge MFA_SETUP']);
    expect(portal.cognito.calls[2]!.body.ChallengeResponses).toEqual({ USERNAME: 'jl-zhang', NEW_PASSWORD: CHOSEN });
    expect(portal.cognito.preflights.every((h) => h.split(',').sort().join() === 'content-type,x-amz-target')).toBe(true);
    // Tokens in memory only: nothing in storage or cookies.
    expect(await page.evaluate(() => ({ cookie: document.cookie, local: localStorage.length, session: sessionStorage.length }))).toEqual({ cookie: '', local: 0, session: 0 });

    // The calendar came through the authorizer with the access token.
    const cell = (day: string, type: string) => page.locator(`.calendar [data-day="${day}"][data-type="${type}"]`);
    await expect.poll(() => page.locator('.calendar table.week').count(), { timeout: 15_000 }).toBe(2);
    expect(await cell('2026-11-18', 'sales').getAttribute('data-status')).toBe('missing');
    expect(portal.apiCalls).toContain('200 GET /api/completeness');

    // A good and a bad file: presigned, PUT straight to the landing bucket, ingested on the S3 event, receipts polled.
    await page.setInputFiles('#files', [join(dir, 'sales_JL_20261118.csv'), join(dir, 'sales_JL_20261119.csv')]);
    const receipts = page.locator('#uploads > li.receipt');
    await expect.poll(() => page.locator('#uploads > li.receipt[data-status="accepted"], #uploads > li.receipt[data-status="rejected"]').count(), { timeout: 30_000 }).toBe(2);
    const good = receipts.filter({ hasText: 'sales_JL_20261118.csv' });
    const bad = receipts.filter({ hasText: 'sales_JL_20261119.csv' }).and(page.locator('[data-status="rejected"]'));
    expect(await good.locator('.badge').textContent()).toBe('已接受');
    expect(await good.locator('.fields').textContent()).toContain('接受行数5');
    // In AWS the receipt also says when S3 took the upload (its Last-Modified), in Beijing time.
    expect(await good.locator('.fields').textContent()).toMatch(/上传时间\d{4}-\d{2}-\d{2} \d{2}:\d{2}/);
    expect(await bad.locator('.badge').textContent()).toBe('未接受（整个文件退回）');
    expect((await bad.locator('.problems tbody tr').allTextContents()).join('\n')).toContain('“12,5”不是数字');
    expect(await bad.locator('.problems-title').textContent()).toBe('问题（2）');
    expect(await bad.locator('.problems tbody tr td.value').allTextContents()).toContain('<img src=x id=injected>');
    expect(await page.locator('#injected').count()).toBe(0);
    expect(portal.ingested.map((o) => `${o.key} ${o.status}`).sort()).toEqual(['JL/sales_JL_20261118.csv accepted', 'JL/sales_JL_20261119.csv rejected']);
    const s3Requests = await portal.s3.requests();
    const puts = s3Requests.filter((r) => r.method === 'PUT' && r.path.startsWith('/telco-kpi-landing/JL/sales_JL_2026111') && !r.path.includes('.receipt.'));
    expect(puts.map((r) => r.path).sort()).toEqual(['/telco-kpi-landing/JL/sales_JL_20261118.csv', '/telco-kpi-landing/JL/sales_JL_20261119.csv']);
    for (const put of puts) {
      expect(put.query).toContain('X-Amz-Signature=');
      expect(put.query).toContain('X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost');
    }
    expect(s3Requests.some((r) => r.method === 'OPTIONS')).toBe(true);
    await shot(page, '3-receipts');

    await expect.poll(() => cell('2026-11-18', 'sales').getAttribute('data-status'), { timeout: 15_000 }).toBe('received');
    expect(await cell('2026-11-19', 'sales').getAttribute('data-status')).toBe('rejected');
    await expect.poll(() => page.locator('#history tbody tr').count(), { timeout: 15_000 }).toBe(2);

    // Another province's file gets no upload URL.
    const putsBefore = (await portal.s3.requests()).filter((r) => r.method === 'PUT').length;
    await page.setInputFiles('#files', [join(dir, 'sales_GD_20261118.csv')]);
    const refused = receipts.filter({ hasText: 'sales_GD_20261118.csv' });
    await expect.poll(() => refused.getAttribute('data-status'), { timeout: 15_000 }).toBe('error');
    expect(await refused.locator('.badge').textContent()).toBe('只能上传本省的数据。');
    expect((await portal.s3.requests()).filter((r) => r.method === 'PUT')).toHaveLength(putsBefore);

    // The rejected file corrected and uploaded again under its name: the old receipt beside it is not
    // taken for the new one (the page waits for the receipt of these bytes).
    await mkdir(join(dir, 'corrected'), { recursive: true });
    await writeFile(join(dir, 'corrected', 'sales_JL_20261119.csv'), (await readFile(join(dir, 'sales_JL_20261118.csv'), 'utf8')).replaceAll('2026-11-18', '2026-11-19'));
    await page.setInputFiles('#files', [join(dir, 'corrected', 'sales_JL_20261119.csv')]);
    const corrected = receipts.first();
    await expect.poll(() => corrected.getAttribute('data-status'), { timeout: 30_000 }).toBe('accepted');
    expect(await corrected.locator('.file').textContent()).toBe('sales_JL_20261119.csv');
    await expect.poll(() => cell('2026-11-19', 'sales').getAttribute('data-status'), { timeout: 15_000 }).toBe('received');
    await expect.poll(() => page.locator('#history tbody tr').count(), { timeout: 15_000 }).toBe(3);

    // The first receipt still downloads as it was (its id names the stored copy, not the one beside the upload).
    const [download] = await Promise.all([page.waitForEvent('download'), bad.locator('button[data-format="txt"]').click()]);
    expect(download.suggestedFilename()).toBe('sales_JL_20261119.csv.receipt.txt');
    expect(await readFile(await download.path(), 'utf8')).toContain('“12,5”不是数字');

    // English, a phone-sized screen.
    await page.click('#lang');
    expect(await bad.locator('.badge').textContent()).toBe('rejected');
    await page.setViewportSize({ width: 390, height: 844 });
    await shot(page, '4-phone-en');
    await page.click('#lang');
    await page.setViewportSize({ width: 1280, height: 900 });

    // The CSP lets the page reach Cognito and S3 only: any other origin is blocked.
    const blocked = await page.evaluate(async () => fetch('http://127.0.0.1:9/').then(() => 'reached', () => 'blocked'));
    expect(blocked).toBe('blocked');
    await expect.poll(() => consoleErrors.some((e) => /Content Security Policy/.test(e) && e.includes('127.0.0.1:9')), { timeout: 10_000 }).toBe(true);

    // Sign-out revokes the refresh token at Cognito and forgets the tokens.
    const beforeSignOut = portal.cognito.calls.length;
    await page.click('#sign-out');
    await expect.poll(() => page.locator('#sign-in-form').isVisible(), { timeout: 15_000 }).toBe(true);
    await expect.poll(() => callsSince(beforeSignOut).map((c) => c.target), { timeout: 15_000 }).toEqual(['RevokeToken']);
    expect(callsSince(beforeSignOut)[0]!.body).toEqual({ ClientId: CLIENT_ID, Token: expect.stringMatching(/^[\w-]{40,}$/) });
    expect(await page.locator('#uploads > li').count()).toBe(0);
    expect(await page.evaluate(async () => (await fetch('/api/receipts')).status)).toBe(401);
    await shot(page, '5-signed-out');

    expect(portal.cognito.violations).toEqual([]);
    // Cognito's two refusals above (the weak password, the wrong code) answer 400, as it does.
    expect(consoleErrors.filter((e) => /status of 400/.test(e))).toHaveLength(2);
    expect(consoleErrors.filter((e) => !/status of (400|401|403|404|422)|Content Security Policy|127\.0\.0\.1:9/.test(e))).toEqual([]);
    await context.close();
  });

  it('a returning user: wrong password, Cognito throttling, a wrong then the right authenticator code; lockout; an account in no province', async () => {
    const context = await browser.newContext({ locale: 'zh-CN' });
    const { page } = await open(context);

    await signIn(page, 'gd-li', 'not-the-password');
    await expect.poll(() => error(page).textContent(), { timeout: 15_000 }).toBe('用户名或密码错误。');

    portal.cognito.throttle(1, 'InitiateAuth');
    await signIn(page, 'gd-li', 'Li-Passw0rd!gd');
    await expect.poll(() => error(page).textContent(), { timeout: 15_000 }).toBe('请求过于频繁，请稍等一分钟再试。');
    expect(await page.locator('#sign-in-form').isVisible()).toBe(true);

    const before = portal.cognito.calls.length;
    await signIn(page, 'gd-li', 'Li-Passw0rd!gd');
    await expect.poll(() => page.locator('#mfa-form').isVisible(), { timeout: 15_000 }).toBe(true);
    await shot(page, '6-mfa-code');
    await typeCode(page, '#mfa-form', wrongCode(GD_SECRET));
    await expect.poll(() => error(page).textContent(), { timeout: 15_000 }).toBe('验证码不正确或已过期，请输入应用中当前显示的验证码。');
    expect(await page.locator('#mfa-form').isVisible()).toBe(true);
    await typeCode(page, '#mfa-form', totp(GD_SECRET));
    await expect.poll(() => page.locator('#app').isVisible(), { timeout: 15_000 }).toBe(true);
    expect(await page.locator('#who').textContent()).toBe('gd-li · GD');
    const [initiate, wrong, right] = callsSince(before);
    expect(initiate!.target).toBe('InitiateAuth');
    expect(right!.body).toEqual({ ChallengeName: 'SOFTWARE_TOKEN_MFA', ClientId: CLIENT_ID, Session: expect.any(String), ChallengeResponses: { USERNAME: 'gd-li', SOFTWARE_TOKEN_MFA_CODE: totp(GD_SECRET) } });
    expect(wrong!.body.Session).toBe(right!.body.Session);
    await page.click('#sign-out');
    await expect.poll(() => page.locator('#sign-in-form').isVisible(), { timeout: 15_000 }).toBe(true);

    // Five wrong passwords lock the account at Cognito: the sixth attempt says so, even with the right one.
    for (let i = 0; i < 5; i++) {
      await signIn(page, 'jl-wang', `wrong-${i}`);
      await expect.poll(() => portal.cognito.calls.filter((c) => c.target === 'InitiateAuth' && (c.body.AuthParameters as Record<string, string>).PASSWORD === `wrong-${i}`).length, { timeout: 15_000 }).toBe(1);
    }
    await signIn(page, 'jl-wang', 'Wang-Passw0rd!jl');
    await expect.poll(() => error(page).textContent(), { timeout: 15_000 }).toBe('密码错误次数过多，账号暂时被锁定，请稍后再试。');

    // Signed in, but in no province group: the page says so and revokes the session it got.
    const start = portal.cognito.calls.length;
    await signIn(page, 'no-group', 'Nogroup-Passw0rd!');
    await expect.poll(() => page.locator('#mfa-form').isVisible(), { timeout: 15_000 }).toBe(true);
    await typeCode(page, '#mfa-form', totp(GD_SECRET));
    await expect.poll(() => error(page).textContent(), { timeout: 15_000 }).toBe('该账号没有分配到唯一的省份，请联系管理员。');
    expect(callsSince(start).map((c) => c.target)).toEqual(['InitiateAuth', 'RespondToAuthChallenge', 'RevokeToken']);
    expect(await page.locator('#app').isVisible()).toBe(false);

    expect(portal.cognito.violations).toEqual([]);
    await context.close();
  });

  it('tokens: refreshed before they expire (a throttled refresh is retried), a 401 refreshes once and retries, an expired refresh token signs out; a receipt that never comes times out', async () => {
    const context = await browser.newContext({ locale: 'zh-CN' });
    await context.clock.install();
    const { page } = await open(context);
    // Unlocked again (the previous test locked jl-wang).
    portal.cognito.addUser({ username: 'jl-wang', email: 'wang@jl.example', password: 'Wang-Passw0rd!jl', groups: ['province-JL'], totpSecret: JL_SECRET });
    await signIn(page, 'jl-wang', 'Wang-Passw0rd!jl');
    await expect.poll(() => page.locator('#mfa-form').isVisible(), { timeout: 15_000 }).toBe(true);
    await typeCode(page, '#mfa-form', totp(JL_SECRET));
    await expect.poll(() => page.locator('#app').isVisible(), { timeout: 15_000 }).toBe(true);
    const issued = portal.cognito.calls.at(-1)!;
    expect(issued.body.ChallengeName).toBe('SOFTWARE_TOKEN_MFA');
    const refreshes = () => portal.cognito.calls.filter((c) => c.target === 'InitiateAuth' && c.body.AuthFlow === 'REFRESH_TOKEN_AUTH');
    const tokensUntil = () => page.locator('#app').getAttribute('data-tokens-until');
    const signedInUntil = await tokensUntil();
    expect(signedInUntil).toMatch(/^\d{4}-\d\d-\d\dT/);

    // 29.5 minutes on (the tokens last 30): the page has refreshed them a minute before.
    await page.clock.fastForward('29:30');
    await expect.poll(() => refreshes().length, { timeout: 15_000 }).toBe(1);
    expect(refreshes()[0]!.body).toEqual({ AuthFlow: 'REFRESH_TOKEN_AUTH', ClientId: CLIENT_ID, AuthParameters: { REFRESH_TOKEN: expect.stringMatching(/^[\w-]{40,}$/) } });
    // The page has kept the new tokens (and set its next refresh) before the clock moves on: the stand-in records a
    // call before it answers, so on a busy machine the clock could pass the next refresh before the page set it.
    const refreshedUntil = await expect.poll(tokensUntil, { timeout: 15_000 }).not.toBe(signedInUntil).then(tokensUntil);

    // Throttled once: retried a second later, still signed in.
    portal.cognito.throttle(1, 'InitiateAuth');
    await page.clock.fastForward('29:30');
    await expect.poll(() => refreshes().length, { timeout: 15_000 }).toBe(3);
    expect(await page.locator('#app').isVisible()).toBe(true);
    // Kept before the authorizer's clock moves: the call below must go out with these tokens.
    await expect.poll(tokensUntil, { timeout: 15_000 }).not.toBe(refreshedUntil);

    // The authorizer's clock is past the token (the browser's is behind): a 401, one refresh, the call again.
    portal.advance(31 * 60_000);
    const apiBefore = portal.apiCalls.length;
    await page.click('#refresh');
    await expect.poll(() => portal.apiCalls.slice(apiBefore).filter((c) => c === '200 GET /api/completeness').length, { timeout: 15_000 }).toBe(1);
    expect(portal.apiCalls.slice(apiBefore)).toContain('401 GET /api/completeness');
    expect(refreshes()).toHaveLength(4);
    expect(await page.locator('#app').isVisible()).toBe(true);

    // An upload whose receipt never comes (the ingest does not run): a clear message once the wait is over.
    portal.holdIngest(/sales_JL_20261117/);
    await page.setInputFiles('#files', [join(dir, 'sales_JL_20261117.csv')]);
    const waiting = page.locator('#uploads > li.receipt').filter({ hasText: 'sales_JL_20261117.csv' });
    await expect.poll(() => waiting.locator('.badge').textContent(), { timeout: 15_000 }).toBe('已上传，等待校验回执…');
    expect(await portal.landing.get('JL/sales_JL_20261117.csv')).toBeDefined();
    await page.clock.fastForward('01:05');
    await expect.poll(() => waiting.getAttribute('data-status'), { timeout: 15_000 }).toBe('error');
    expect(await waiting.locator('.badge').textContent()).toMatch(/^文件已上传，但 1 分钟内未收到回执：校验可能仍在进行/);
    await shot(page, '7-receipt-timeout');

    // The refresh token has run out: at the next refresh the page signs out and says why.
    portal.cognito.expireRefreshTokens();
    await page.clock.fastForward('29:30');
    await expect.poll(() => page.locator('#sign-in-form').isVisible(), { timeout: 15_000 }).toBe(true);
    expect(await error(page).textContent()).toBe('登录已过期，请重新登录。');
    expect(await page.locator('#app').isVisible()).toBe(false);

    expect(portal.cognito.violations).toEqual([]);
    await context.close();
  });
});
