/**
 * Fault injection on the mail step with a real SMTP server: refusals (4xx, 5xx) and a connection
 * dropped mid-DATA, through the real report job over a small real lake.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalObjectStore } from '../../lambdas/adapters/local-object-store.js';
import { openLocalRuntime, type LocalRuntime } from '../../lambdas/cli/local-runtime.js';
import { main } from '../../lambdas/cli/main.js';
import { listRuns } from '../../lambdas/core/delivery/delivery.js';
import { parsePeriod } from '../../lambdas/core/period.js';
import { runReportJob } from '../../lambdas/core/report/job.js';
import { LakeTemplate, NATIONAL, OPERATORS, writeConfigDir } from '../helpers/lake.js';
import { startScriptedSmtp, type ScriptedSmtp, type SmtpAction } from '../helpers/smtp.js';

const W47 = parsePeriod('2026-W47');
// Monday 14:00 in Shanghai: after the weekly deadline (Monday 12:00).
const NOW = new Date('2026-11-23T06:00:00Z');

describe('report delivery against a faulty SMTP server', () => {
  let lake: LakeTemplate;
  let home: string;
  let configDir: string;
  let smtp: ScriptedSmtp | undefined;
  let runtime: LocalRuntime | undefined;
  let stderr: string[];
  let sleeps: number[];

  beforeAll(async () => {
    lake = await LakeTemplate.build({ from: W47.start, days: 7, provinces: ['JL', 'GD'], types: ['revenue', 'sales', 'service'] });
  });
  afterAll(async () => lake.remove());

  beforeEach(async () => {
    home = await lake.copy();
    configDir = await writeConfigDir(join(home, 'config'), { provinces: ['JL', 'GD'] });
    stderr = [];
    sleeps = [];
  });
  afterEach(async () => {
    await runtime?.close();
    runtime = undefined;
    await smtp?.close();
    smtp = undefined;
    await rm(home, { recursive: true, force: true });
  });

  async function runJob(script: SmtpAction[], otherwise: SmtpAction = 'accept') {
    smtp = await startScriptedSmtp(script, otherwise);
    runtime = await openLocalRuntime({ home, configDir, smtpUrl: smtp.url, out: () => undefined, err: (l) => stderr.push(l), now: () => NOW });
    const outcome = await runReportJob(
      { ...runtime, now: () => NOW, sleep: async (ms) => { sleeps.push(ms); }, retryDelaysMs: [1000, 5000, 25000] },
      { period: W47, scope: 'ALL', lang: 'zh-CN', send: true, runId: 'run-smtp' },
    );
    return { outcome, smtp };
  }

  it('retries a 4xx refusal and delivers exactly one message; the ledger says sent after 3 attempts', async () => {
    // Act
    const { outcome, smtp } = await runJob(['refuse-4xx', 'refuse-4xx', 'accept']);
    // Assess: delivered
    expect(smtp.log).toEqual(['refuse-4xx', 'refuse-4xx', 'accept']);
    expect(smtp.received).toHaveLength(1);
    const mail = smtp.received[0]!;
    expect(mail.rcptTo.sort()).toEqual([...NATIONAL].sort());
    expect(mail.parsed.subject).toBe('【周报】营销KPI 2026年第47周（11/16–11/22）· 全国');
    expect(mail.parsed.headers.get('x-telco-kpi-run')).toBe('run-smtp');
    expect(mail.parsed.attachments.filter((a) => !a.related).map((a) => a.filename)).toEqual(['telco-kpi_2026-W47_ALL.xlsx']);
    expect(sleeps).toEqual([1000, 5000]);
    // Assess: stored
    const runs = await listRuns(runtime!.store);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ state: 'sent', attempts: 3, runId: 'run-smtp', partial: false });
    expect(outcome.ok).toBe(true);
    expect(stderr.filter((l) => l.startsWith('operators:'))).toEqual([]);
  });

  it('parks a 5xx refusal: nothing delivered, ledger parked, operators notice kept in the outbox fallback', async () => {
    // Act: the server refuses every message, the operators' notice included.
    const { outcome, smtp } = await runJob([], 'refuse-5xx');
    // Assess: delivered
    expect(smtp.received).toHaveLength(0);
    expect(smtp.log).toEqual(['refuse-5xx', 'refuse-5xx']);
    expect(sleeps).toEqual([]);
    // Assess: stored
    const runs = await listRuns(runtime!.store);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ state: 'parked', attempts: 1 });
    expect(runs[0]!.error).toContain('554');
    expect(await readdir(join(home, 'runs/weekly/2026-W47/ALL')).then((d) => d.length)).toBe(1);
    expect((await readdir(join(home, 'runs', runs[0]!.job, 'deliveries')).catch(() => [])).filter((f) => f.endsWith('.claim') || f.endsWith('.sent'))).toEqual([]);
    const fallback = join(home, 'outbox', 'operators-undelivered');
    const notices = (await readdir(fallback)).filter((f) => f.endsWith('.eml'));
    expect(notices).toHaveLength(1);
    const notice = await simpleParser(await readFile(join(fallback, notices[0]!)));
    expect(notice.subject).toContain('parked');
    expect(notice.subject).toContain('run run-smtp');
    expect(notice.to).toMatchObject({ value: [{ address: OPERATORS }] });
    expect(notice.text).toContain('554');
    expect(outcome.ok).toBe(false);
  });

  it('retries a connection dropped mid-DATA and delivers exactly one message', async () => {
    // Act
    const { outcome, smtp } = await runJob(['drop-mid-data', 'accept']);
    // Assess
    expect(smtp.log).toEqual(['drop-mid-data', 'accept']);
    expect(smtp.received).toHaveLength(1);
    expect(smtp.received[0]!.rcptTo.sort()).toEqual([...NATIONAL].sort());
    expect(smtp.received[0]!.parsed.attachments.filter((a) => !a.related)).toHaveLength(1);
    expect(sleeps).toEqual([1000]);
    const runs = await listRuns(runtime!.store);
    expect(runs.map((r) => [r.state, r.attempts])).toEqual([['sent', 2]]);
    expect(outcome.ok).toBe(true);
  });

  it('a connection lost after the server took the message but before its reply: the known SMTP limit, both copies share one Message-ID', async () => {
    // SMTP cannot tell the client whether a message whose 250 reply was lost was accepted, and
    // nodemailer reports it exactly like a drop mid-DATA (ECONNECTION at CONN). The job retries, so
    // the server may hold two copies; they carry the same Message-ID, which mail clients collapse.
    // Act
    const { smtp } = await runJob(['drop-before-reply', 'accept']);
    // Assess
    expect(smtp.log).toEqual(['drop-before-reply', 'accept']);
    expect(smtp.received).toHaveLength(2);
    const ids = smtp.received.map((m) => m.parsed.messageId);
    expect(ids[0]).toMatch(/@telco-kpi>$/);
    expect(ids[1]).toBe(ids[0]);
    expect((await listRuns(runtime!.store)).map((r) => [r.state, r.attempts])).toEqual([['sent', 2]]);
  });

  it('report --send through the CLI: a 5xx exits 1 and a later run against a healthy server sends once', async () => {
    // Prepare
    const out: string[] = [];
    const refusing = await startScriptedSmtp([], 'refuse-5xx');
    let clock = NOW.getTime();
    const cli = (url: string) => main(['report', '--send', '--week', '2026-W47', '--home', home], {
      configDir, smtpUrl: url, now: () => new Date((clock += 60_000)), out: (l) => out.push(l), err: (l) => stderr.push(l),
    });
    // Act
    const refused = await cli(refusing.url);
    await refusing.close();
    smtp = await startScriptedSmtp([]);
    const healthy = await cli(smtp.url);
    const again = await cli(smtp.url);
    // Assess
    expect([refused, healthy, again]).toEqual([1, 0, 0]);
    expect(refusing.received).toHaveLength(0);
    expect(smtp.received).toHaveLength(1);
    expect(smtp.received[0]!.parsed.subject).not.toContain('修订');
    expect((await listRuns(new LocalObjectStore(home))).map((r) => r.state)).toEqual(['parked', 'sent', 'duplicate']);
    expect(out.some((l) => l.includes('parked'))).toBe(true);
  });
});
