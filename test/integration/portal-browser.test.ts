/**
 * The portal end to end in headless Chromium (Debian's /usr/bin/chromium driven by playwright-core,
 * never a browser download): sign in, upload a good and a bad file, read both receipts on the page,
 * check the calendar, switch language, download a receipt, sign out. Screenshots go to
 * test-artifacts/portal/ (gitignored).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORDS, startTestPortal, type TestPortal } from '../helpers/portal.js';

// The page's globals, as the page.evaluate callbacks below use them (they run in the browser).
declare const document: {
  cookie: string;
  documentElement: { scrollWidth: number; clientWidth: number };
  createElement(tag: string): { textContent: string };
  body: { append(node: unknown): void };
};
declare const window: Record<string, unknown>;

const ARTIFACTS = resolve('test-artifacts/portal');
const NOW = new Date('2026-11-20T04:00:00Z');
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe('portal in a real browser', () => {
  let portal: TestPortal;
  let browser: Browser;
  let files: { good: string; bad: string; other: string };

  beforeAll(async () => {
    portal = await startTestPortal(NOW);
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS });
    await mkdir(ARTIFACTS, { recursive: true });
    const good = await readFile('test/fixtures/extracts/good/sales_JL_20261118.csv', 'utf8');
    const dir = join(portal.home, 'upload');
    await mkdir(dir, { recursive: true });
    files = { good: join(dir, 'sales_JL_20261118.csv'), bad: join(dir, 'sales_JL_20261119.csv'), other: join(dir, 'sales_GD_20261118.csv') };
    await writeFile(files.good, good);
    // Two broken cells, one of them markup that must show as text, never become an element.
    await writeFile(files.bad, good.replaceAll('2026-11-18', '2026-11-19').replace('129.00', '"12,5"').replace('own_hall', '<img src=x id=injected>'));
    await writeFile(files.other, good.replaceAll(',JL,', ',GD,'));
  });
  afterAll(async () => {
    await browser?.close();
    await portal?.close();
  });

  async function shot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  }

  it('sign in, upload a good and a bad file, read both receipts, check the calendar, download, sign out', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true, locale: 'zh-CN' });
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => consoleErrors.push(e.message));

    await page.goto(portal.url);
    await expect.poll(() => page.locator('#sign-in').isVisible(), { timeout: 15_000 }).toBe(true);
    expect(await page.locator('h1').textContent()).toBe('省分数据上传');
    await shot(page, '1-sign-in');

    // A wrong password first: the page says so in Chinese.
    await page.fill('#user', 'jl-upload');
    await page.fill('#password', 'not-the-password');
    await page.click('#sign-in-form button[type=submit]');
    await expect.poll(() => page.locator('#sign-in-error').textContent(), { timeout: 15_000 }).toBe('用户名或密码错误。');

    await page.fill('#password', PASSWORDS['jl-upload']);
    await page.click('#sign-in-form button[type=submit]');
    await expect.poll(() => page.locator('#app').isVisible(), { timeout: 15_000 }).toBe(true);
    expect(await page.locator('#who').textContent()).toBe('jl-upload · JL');
    // The session cookie is HttpOnly: the page's script cannot read it.
    expect(await page.evaluate(() => document.cookie)).toBe('');

    // Calendar before any upload: this week (W47, today 2026-11-20) and last week, all missing or not yet due.
    const cell = (day: string, type: string) => page.locator(`.calendar [data-day="${day}"][data-type="${type}"]`);
    await expect.poll(() => page.locator('.calendar table.week').count(), { timeout: 15_000 }).toBe(2);
    expect(await page.locator('.calendar table.week').first().getAttribute('data-week')).toBe('2026-W47');
    expect(await page.locator('.calendar table.week').nth(1).getAttribute('data-week')).toBe('2026-W46');
    expect(await cell('2026-11-18', 'sales').getAttribute('data-status')).toBe('missing');
    expect(await cell('2026-11-21', 'sales').getAttribute('data-status')).toBe('upcoming');

    // Upload a good and a bad file at once.
    await page.setInputFiles('#files', [files.good, files.bad]);
    const receipts = page.locator('#uploads > li.receipt');
    await expect.poll(() => page.locator('#uploads > li.receipt[data-status="accepted"], #uploads > li.receipt[data-status="rejected"]').count(), { timeout: 30_000 }).toBe(2);
    const good = receipts.filter({ hasText: 'sales_JL_20261118.csv' });
    const bad = receipts.filter({ hasText: 'sales_JL_20261119.csv' });
    expect(await good.getAttribute('data-status')).toBe('accepted');
    expect(await good.locator('.badge').textContent()).toBe('已接受');
    expect(await good.locator('.fields').textContent()).toContain('接受行数5');
    expect(await bad.getAttribute('data-status')).toBe('rejected');
    expect(await bad.locator('.badge').textContent()).toBe('未接受（整个文件退回）');
    expect(await bad.locator('.problems-title').textContent()).toBe('问题（2）');
    const rows = await bad.locator('.problems tbody tr').allTextContents();
    expect(rows).toHaveLength(2);
    expect(rows.join('\n')).toContain('“12,5”不是数字');
    expect(await bad.locator('.problems tbody tr td').first().textContent()).toBe('2');
    expect(await bad.locator('.problems tbody tr td.value').allTextContents()).toContain('<img src=x id=injected>');
    expect(await page.locator('#injected').count()).toBe(0);
    await shot(page, '2-receipts-zh');

    // The calendar now shows the good day received and the bad day rejected; the history lists both.
    await expect.poll(() => cell('2026-11-18', 'sales').getAttribute('data-status'), { timeout: 15_000 }).toBe('received');
    expect(await cell('2026-11-19', 'sales').getAttribute('data-status')).toBe('rejected');
    expect(await cell('2026-11-18', 'revenue').getAttribute('data-status')).toBe('missing');
    await expect.poll(() => page.locator('#history tbody tr').count(), { timeout: 15_000 }).toBe(2);

    // Another province's file is refused without a receipt.
    await page.setInputFiles('#files', [files.other]);
    const refused = receipts.filter({ hasText: 'sales_GD_20261118.csv' });
    await expect.poll(() => refused.getAttribute('data-status'), { timeout: 15_000 }).toBe('error');
    expect(await refused.locator('.badge').textContent()).toBe('只能上传本省的数据。');

    // Download the bad file's receipt as text.
    const [download] = await Promise.all([page.waitForEvent('download'), bad.locator('button[data-format="txt"]').click()]);
    expect(download.suggestedFilename()).toBe('sales_JL_20261119.csv.receipt.txt');
    const text = await readFile(await download.path(), 'utf8');
    expect(text).toContain('sales_JL_20261119.csv');
    expect(text).toContain('“12,5”不是数字');

    // English on request, then back; the choice applies to receipts already shown.
    await page.click('#lang');
    expect(await page.locator('h1').textContent()).toBe('Branch data upload');
    expect(await bad.locator('.badge').textContent()).toBe('rejected');
    expect((await bad.locator('.problems tbody tr').allTextContents()).join('\n')).toContain("'12,5' is not a number");
    expect(await page.locator('.calendar th').first().textContent()).toBe('This week 2026-W47');
    await shot(page, '3-receipts-en');
    await page.click('#lang');
    expect(await page.locator('h1').textContent()).toBe('省分数据上传');

    // A phone-sized screen: nothing wider than the screen but the tables' own scroll areas.
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shot(page, '4-phone');
    await page.setViewportSize({ width: 1280, height: 900 });

    // Sign out: the sign-in form again, and the old session no longer reads anything.
    await page.click('#sign-out');
    await expect.poll(() => page.locator('#sign-in').isVisible(), { timeout: 15_000 }).toBe(true);
    expect(await page.locator('#uploads > li').count()).toBe(0);
    const after = await page.evaluate(async () => (await fetch('/api/receipts')).status);
    expect(after).toBe(401);
    await shot(page, '5-signed-out');
    expect(consoleErrors.filter((e) => !/status of (401|403|404|422)/.test(e))).toEqual([]);
    await context.close();
  });

  it('reloading the page keeps the session; the CSP blocks an injected inline script', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (m) => { if (/Content Security Policy/.test(m.text())) violations.push(m.text()); });
    await page.goto(portal.url);
    await page.fill('#user', 'jl-upload');
    await page.fill('#password', PASSWORDS['jl-upload']);
    await page.click('#sign-in-form button[type=submit]');
    await expect.poll(() => page.locator('#app').isVisible(), { timeout: 10_000 }).toBe(true);
    await page.reload();
    await expect.poll(() => page.locator('#app').isVisible(), { timeout: 10_000 }).toBe(true);
    await page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.injected = true';
      document.body.append(s);
    });
    expect(await page.evaluate(() => window.injected)).toBeUndefined();
    // The console reports the violation asynchronously: wait for it rather than race it on a busy machine.
    await expect.poll(() => violations.length, { timeout: 10_000 }).toBeGreaterThan(0);
    await context.close();
  });
});
