import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalObjectStore } from '../../lambdas/adapters/local-object-store.js';
import { deliverOnce, jobKey, listRuns, releaseClaims, type DeliveryContent, type JobId } from '../../lambdas/core/delivery/delivery.js';
import type { MailMessage, MailReceipt, Mailer } from '../../lambdas/core/ports.js';

/** A mailer that records what it accepted and fails as scripted (transient or permanent). */
class ScriptedMailer implements Mailer {
  readonly sent: MailMessage[] = [];
  constructor(private readonly failures: Array<'transient' | 'permanent'> = []) {}
  async send(message: MailMessage): Promise<MailReceipt> {
    const failure = this.failures.shift();
    if (failure) throw Object.assign(new Error(`scripted ${failure} failure`), { transient: failure === 'transient' });
    this.sent.push(message);
    return { transport: 'outbox', location: `mem:${this.sent.length}`, messageId: message.messageId ?? '' };
  }
}

const job: JobId = { kind: 'weekly', periodId: '2026-W47', scope: 'ALL', listName: '全国市场部', to: ['exec@telco.example.cn'] };

function content(runId: string, contentHash: string): DeliveryContent {
  return {
    runId, contentHash, from: 'kpi@telco.example.cn', partial: false, missing: [],
    compose: ({ revision }) => ({ subject: `${revision > 0 ? '【修订】' : ''}【周报】W47`, html: '<p>x</p>', text: 'x', attachments: [] }),
  };
}

describe('deliverOnce', () => {
  let home: string;
  let store: LocalObjectStore;
  let notices: string[];
  let clock: number;
  const deps = (mailer: Mailer) => ({
    store, mailer, now: () => new Date(clock), sleep: async () => undefined, retryDelaysMs: [10, 10],
    notifier: { notify: async (subject: string) => { notices.push(subject); } },
  });

  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'telco-kpi-delivery-'));
    store = new LocalObjectStore(home);
    notices = [];
    clock = Date.parse('2026-11-23T01:00:00Z');
  });
  afterEach(async () => rm(home, { recursive: true, force: true }));

  it('sends once; a retry of the same content is recorded as a duplicate and sends nothing', async () => {
    const mailer = new ScriptedMailer();
    const first = await deliverOnce(deps(mailer), job, content('run-1', 'hash-a'));
    const second = await deliverOnce(deps(mailer), job, content('run-2', 'hash-a'));
    expect([first.state, second.state]).toEqual(['sent', 'duplicate']);
    expect(mailer.sent).toHaveLength(1);
    expect(mailer.sent[0]!.subject).toBe('【周报】W47');
    expect((await listRuns(store)).map((r) => r.state)).toEqual(['sent', 'duplicate']);
  });

  it('sends changed figures as a labelled revision', async () => {
    const mailer = new ScriptedMailer();
    await deliverOnce(deps(mailer), job, content('run-1', 'hash-a'));
    const revised = await deliverOnce(deps(mailer), job, content('run-2', 'hash-b'));
    expect(revised).toMatchObject({ state: 'sent', revision: 1 });
    expect(mailer.sent.map((m) => m.subject)).toEqual(['【周报】W47', '【修订】【周报】W47']);
  });

  it('retries transient failures and sends once', async () => {
    const mailer = new ScriptedMailer(['transient', 'transient']);
    const run = await deliverOnce(deps(mailer), job, content('run-1', 'hash-a'));
    expect(run).toMatchObject({ state: 'sent', attempts: 3 });
    expect(mailer.sent).toHaveLength(1);
    expect(notices).toEqual([]);
  });

  it('parks a permanent failure, tells operators, and lets a later run send', async () => {
    const refusing = new ScriptedMailer(['permanent']);
    const parked = await deliverOnce(deps(refusing), job, content('run-1', 'hash-a'));
    expect(parked).toMatchObject({ state: 'parked', attempts: 1 });
    expect(parked.error).toContain('scripted permanent failure');
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain('parked');
    const healthy = new ScriptedMailer();
    expect((await deliverOnce(deps(healthy), job, content('run-2', 'hash-a'))).state).toBe('sent');
    expect(healthy.sent).toHaveLength(1);
  });

  it('gives up after the retries and records the failure without a send', async () => {
    const mailer = new ScriptedMailer(['transient', 'transient', 'transient']);
    const run = await deliverOnce(deps(mailer), job, content('run-1', 'hash-a'));
    expect(run).toMatchObject({ state: 'failed', attempts: 3 });
    expect(mailer.sent).toHaveLength(0);
  });

  it('never resends after a crash between send and confirmation; operators are told; release allows a resend', async () => {
    // Prepare: a run claimed the content (and may have sent it) but died before writing `.sent`.
    const base = `runs/${jobKey(job)}/deliveries`;
    await store.putIfAbsent(`${base}/hash-a.claim`, JSON.stringify({ runId: 'run-dead', claimedAt: new Date(clock).toISOString() }));
    const mailer = new ScriptedMailer();
    // Act: a retry within the lease sees the claim as in progress.
    const soon = await deliverOnce(deps(mailer), job, content('run-2', 'hash-a'));
    clock += 60 * 60_000;
    const later = await deliverOnce(deps(mailer), job, content('run-3', 'hash-a'));
    // Assess
    expect(soon.state).toBe('concurrent');
    expect(later.state).toBe('uncertain');
    expect(later.error).toContain('telco-kpi runs --release');
    expect(mailer.sent).toHaveLength(0);
    expect(notices.some((n) => n.includes('uncertain'))).toBe(true);
    expect(await releaseClaims(store, jobKey(job))).toEqual([`${base}/hash-a.claim`]);
    expect((await deliverOnce(deps(mailer), job, content('run-4', 'hash-a'))).state).toBe('sent');
  });

  it('lets exactly one of two racing runs send', async () => {
    const mailer = new ScriptedMailer();
    const runs = await Promise.all([1, 2, 3, 4].map((n) => deliverOnce(deps(mailer), job, content(`run-${n}`, 'hash-a'))));
    expect(mailer.sent).toHaveLength(1);
    expect(runs.filter((r) => r.state === 'sent')).toHaveLength(1);
    expect(runs.every((r) => ['sent', 'concurrent', 'duplicate'].includes(r.state))).toBe(true);
  });

  it('keeps separate ledgers for different recipient lists of the same report', async () => {
    const mailer = new ScriptedMailer();
    await deliverOnce(deps(mailer), job, content('run-1', 'hash-a'));
    const other = await deliverOnce(deps(mailer), { ...job, listName: '吉林省分公司', to: ['jl@telco.example.cn'] }, content('run-1', 'hash-a'));
    expect(other.state).toBe('sent');
    expect(mailer.sent.map((m) => m.to)).toEqual([['exec@telco.example.cn'], ['jl@telco.example.cn']]);
  });
});
