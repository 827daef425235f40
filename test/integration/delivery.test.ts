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

  /** A claim as a run that died would have left it, for revision 0 of the job. */
  async function deadClaim(phase: 'claimed' | 'sending', extra: Record<string, unknown> = {}) {
    const base = `runs/${jobKey(job)}/deliveries`;
    const claimedAt = new Date(clock).toISOString();
    const expiresAt = new Date(clock + 10 * 60_000).toISOString();
    await store.putIfAbsent(`${base}/r0000-e000.claim`, JSON.stringify({ runId: 'run-dead', contentHash: 'hash-a', revision: 0, claimedAt, expiresAt, phase, ...extra }));
    return `${base}/r0000-e000.claim`;
  }

  it('never resends after a crash between send and confirmation; operators are told; release allows a resend', async () => {
    // Prepare: a run claimed the content, handed it to the mailer and died before writing `.sent`.
    const claim = await deadClaim('sending');
    const mailer = new ScriptedMailer();
    // Act: a retry within the claim's lifetime sees it as in progress; after it, as a send that may have happened.
    const soon = await deliverOnce(deps(mailer), job, content('run-2', 'hash-a'));
    clock += 60 * 60_000;
    const later = await deliverOnce(deps(mailer), job, content('run-3', 'hash-a'));
    // Assess
    expect(soon.state).toBe('concurrent');
    expect(soon.error).toContain('run run-dead has been sending revision 0');
    expect(later.state).toBe('uncertain');
    expect(later.error).toContain('telco-kpi runs --release');
    expect(mailer.sent).toHaveLength(0);
    expect(notices.some((n) => n.includes('uncertain'))).toBe(true);
    expect(await releaseClaims(store, jobKey(job))).toEqual([claim]);
    expect((await deliverOnce(deps(mailer), job, content('run-4', 'hash-a'))).state).toBe('sent');
  });

  it('a retry waits for a claim whose run died (issue 10): it ends uncertain with operators told, never silently', async () => {
    // Prepare: the run died 1 min into a 10-min lease while sending; the retry may wait up to 12 min
    await deadClaim('sending');
    let slept = 0;
    const mailer = new ScriptedMailer();
    const waiting = { ...deps(mailer), sleep: async (ms: number) => { slept += ms; clock += ms; }, claims: { waitMs: 12 * 60_000, pollMs: 30_000 } };
    // Act
    const retry = await deliverOnce(waiting, job, content('run-2', 'hash-a'));
    // Assess
    expect(retry.state).toBe('uncertain');
    expect(slept).toBe(10 * 60_000);
    expect(notices).toHaveLength(1);
    expect(mailer.sent).toHaveLength(0);
  });

  it('knows at once that a local holder is gone, without waiting for its claim to run out', async () => {
    // Prepare
    await deadClaim('sending', { holder: { host: 'h1', pid: 4242 } });
    const mailer = new ScriptedMailer();
    const probing = { ...deps(mailer), claims: { waitMs: 60_000, gone: (h: Record<string, string | number> | undefined) => h?.pid === 4242 } };
    // Act
    const run = await deliverOnce(probing, job, content('run-2', 'hash-a'));
    // Assess
    expect(run.state).toBe('uncertain');
  });

  it('takes over a claim whose run died before handing the message to the mailer, and sends once', async () => {
    // Prepare
    await deadClaim('claimed');
    clock += 11 * 60_000;
    const mailer = new ScriptedMailer();
    // Act
    const runs = await Promise.all([2, 3, 4].map((n) => deliverOnce(deps(mailer), job, content(`run-${n}`, 'hash-a'))));
    // Assess
    expect(mailer.sent).toHaveLength(1);
    expect(runs.filter((r) => r.state === 'sent')).toHaveLength(1);
    expect(notices).toEqual([]);
    expect((await store.list(`runs/${jobKey(job)}/deliveries/`)).filter((k) => k.endsWith('.claim')).map((k) => k.slice(k.lastIndexOf('/') + 1))).toEqual(['r0000-e000.claim', 'r0000-e001.claim']);
  });

  it('two concurrent runs with different figures (issue 10): the second waits and goes out as revision 1, never both as revision 0', async () => {
    // Prepare: run A's mail is slow to be accepted; run B, with other figures, starts meanwhile
    let accept!: () => void;
    const gate = new Promise<void>((resolve) => { accept = resolve; });
    const mailer = new ScriptedMailer();
    const slow: Mailer = { send: async (m) => { if (m.subject.startsWith('【周报】')) await gate; return mailer.send(m); } };
    const previous: Array<unknown> = [];
    const summarised = (runId: string, hash: string, total: number): DeliveryContent => ({
      ...content(runId, hash), summary: { revenue: total },
      compose: (label) => { previous.push(label.previous?.summary); return content(runId, hash).compose(label); },
    });
    const waiting = { ...deps(slow), sleep: async () => { accept(); await new Promise((r) => setTimeout(r, 5)); }, claims: { waitMs: 60_000, pollMs: 1000 } };
    // Act
    const [a, b] = await Promise.all([deliverOnce(waiting, job, summarised('run-a', 'hash-a', 100)), deliverOnce(waiting, job, summarised('run-b', 'hash-b', 120))]);
    // Assess: either run may claim first; the other is its revision and says what the first sent
    expect([a, b].map((r) => r.state)).toEqual(['sent', 'sent']);
    expect([a.revision, b.revision].sort()).toEqual([0, 1]);
    expect(mailer.sent.map((m) => m.subject)).toEqual(['【周报】W47', '【修订】【周报】W47']);
    expect(previous).toEqual([undefined, { revenue: a.revision === 0 ? 100 : 120 }]);
  });

  it('without patience the second run is recorded as concurrent and sends nothing; a later run sends the revision', async () => {
    // Prepare
    let accept!: () => void;
    const gate = new Promise<void>((resolve) => { accept = resolve; });
    const mailer = new ScriptedMailer();
    const slow: Mailer = { send: async (m) => { await gate; return mailer.send(m); } };
    // Act
    const a = deliverOnce(deps(slow), job, content('run-a', 'hash-a'));
    await new Promise((r) => setTimeout(r, 50));
    const b = await deliverOnce(deps(slow), job, content('run-b', 'hash-b'));
    accept();
    await a;
    const c = await deliverOnce(deps(mailer), job, content('run-c', 'hash-b'));
    // Assess
    expect(b.state).toBe('concurrent');
    expect(c).toMatchObject({ state: 'sent', revision: 1 });
    expect(mailer.sent.map((m) => m.subject)).toEqual(['【周报】W47', '【修订】【周报】W47']);
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
