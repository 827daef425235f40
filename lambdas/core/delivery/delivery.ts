/**
 * Exactly-once delivery of a report to one recipient list, with a run ledger in the object store.
 *
 * Ledger layout under `runs/<job>/` where job = `<kind>/<period>/<scope>/<list>`:
 * - `attempts/<runId>.json`      one record per run: state, error, completeness seen, content hash;
 * - `deliveries/<hash>.sent`     written after the mailer accepted the message: its revision and the
 *                                summary of what the list received (a revision says what changed);
 * - `deliveries/r<N>-e<E>.claim` created with putIfAbsent before sending revision N (N = how many
 *                                contents the list has had): at most one delivery per period and list
 *                                is in flight, so two runs with different figures never both send as
 *                                revision 0 — the second waits and becomes revision 1, or, when its
 *                                figures are the same, a duplicate.
 * A claim says until when its run may live (`expiresAt`: the run's own deadline) and whether it has
 * handed the message to the mailer (`phase`). One that expired before `sending` is taken over by the
 * next run (a new epoch E, again with putIfAbsent). One that expired while `sending` may have gone
 * out: it is never re-sent automatically; operators are told and can release it.
 */
import { createHash } from 'node:crypto';
import { TelcoKpiError } from '../errors.js';
import type { MailAttachment, MailMessage, MailReceipt, Mailer, ObjectStore } from '../ports.js';
import { parseJson, readJson } from '../store-json.js';

export type JobKind = 'weekly' | 'monthly' | 'incentives';
export type RunState = 'sent' | 'duplicate' | 'waiting' | 'failed' | 'parked' | 'uncertain' | 'concurrent' | 'built';

export interface JobId {
  kind: JobKind;
  periodId: string;
  scope: string;
  listName: string;
  to: readonly string[];
}

export interface RunRecord {
  runId: string;
  job: string;
  kind: JobKind;
  periodId: string;
  scope: string;
  listName: string;
  to: string[];
  state: RunState;
  startedAt: string;
  finishedAt: string;
  attempts: number;
  error?: string;
  contentHash?: string;
  revision?: number;
  partial?: boolean;
  missing?: string[];
  messageId?: string;
  deliveredTo?: string;
}

/** Tells operators about failures (an operators' mailbox locally, the SNS topic in AWS). */
export interface Notifier {
  notify(subject: string, body: string): Promise<void>;
}

/** A mail error the mailer marks transient (SMTP 4xx, throttling, dropped connection) is retried. */
export function isTransient(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { transient?: unknown }).transient === true;
}

export class DeliveryError extends TelcoKpiError {}

/** How a run treats the claim of another run on the delivery it wants to make. */
export interface ClaimPolicy {
  /** How long this run's claim holds at most (default 15 min), when there is no `deadline`. */
  leaseMs?: number;
  /**
   * When this run is stopped for certain (a Lambda's timeout, epoch ms): its claim holds until then, and it
   * waits for another run's claim until SEND_RESERVE_MS before it.
   */
  deadline?: number;
  /** Without a deadline: how long to wait for another run's live claim before giving up as 'concurrent' (default 0). */
  waitMs?: number;
  /** Pause between looks at another run's claim (default 5 s). */
  pollMs?: number;
  /** Who this run is, written into its claim (e.g. `{ host, pid }` locally) for `gone` to test. */
  holder?: Record<string, string | number>;
  /** True when the holder written in another claim has certainly stopped (a local process that no longer runs). */
  gone?: (holder: Record<string, string | number> | undefined) => boolean;
}

export interface DeliveryDeps {
  store: ObjectStore;
  mailer: Mailer;
  notifier: Notifier;
  now: () => Date;
  /** Waits between retries and between looks at a claim; injectable so tests do not sleep. */
  sleep?: (ms: number) => Promise<void>;
  /** Delays before each retry of a transient failure (default 1 s, 5 s, 25 s). */
  retryDelaysMs?: readonly number[];
  claims?: ClaimPolicy;
}

/** What the ledger keeps of a delivered content, for the next revision to compare against. */
export interface SentRecord {
  runId: string;
  sentAt: string;
  revision: number;
  contentHash: string;
  summary?: unknown;
  missing?: string[];
}

export interface DeliveryContent {
  runId: string;
  contentHash: string;
  from: string;
  /**
   * Builds the message once the revision number is known (a revision is labelled in the subject)
   * and, for a revision, what the list received last (to say what changed).
   */
  compose(label: { revision: number; previous?: SentRecord }): { subject: string; html: string; text: string; attachments: MailAttachment[] };
  partial: boolean;
  missing: string[];
  /** Kept with the `.sent` record (small JSON: headline figures), handed to the next revision's compose. */
  summary?: unknown;
}

interface Claim {
  runId: string;
  contentHash: string;
  revision: number;
  claimedAt: string;
  expiresAt: string;
  phase: 'claimed' | 'sending';
  holder?: Record<string, string | number>;
}

/** The ledger folder of a job; the recipient list enters as a short hash so the key stays stable. */
export function jobKey(job: JobId): string {
  const listHash = createHash('sha256').update([...job.to].sort().join(',')).digest('hex').slice(0, 8);
  const slug = job.listName.replace(/[^\p{L}\p{N}_-]+/gu, '-');
  return `${job.kind}/${job.periodId}/${job.scope}/${slug}-${listHash}`;
}

/**
 * Sends the content to the job's recipients at most once; returns the run record written to the
 * ledger. Throws a DeliveryError when the message was delivered but the ledger could not say so
 * in full; any other error (an unreachable store before the send) means this run sent nothing.
 */
export async function deliverOnce(deps: DeliveryDeps, job: JobId, content: DeliveryContent): Promise<RunRecord> {
  const key = jobKey(job);
  const base = `runs/${key}`;
  const startedAt = deps.now().toISOString();
  const record = (state: RunState, extra: Partial<RunRecord> = {}): RunRecord => ({
    runId: content.runId, job: key, kind: job.kind, periodId: job.periodId, scope: job.scope, listName: job.listName,
    to: [...job.to], state, startedAt, finishedAt: deps.now().toISOString(), attempts: 0,
    contentHash: content.contentHash, partial: content.partial, missing: content.missing, ...extra,
  });
  const save = async (run: RunRecord) => {
    await deps.store.put(`${base}/attempts/${run.runId}.json`, `${JSON.stringify(run, null, 2)}\n`, { contentType: 'application/json' });
    return run;
  };

  const claim = await claimDelivery(deps, key, content, record);
  if ('state' in claim) return save(claim);
  const { claimKey, revision, previous, body } = claim;

  const messageId = `<${content.contentHash.slice(0, 24)}.${createHash('sha256').update(key).digest('hex').slice(0, 12)}@telco-kpi>`;
  let message: MailMessage;
  try {
    const composed = content.compose({ revision, ...(previous ? { previous } : {}) });
    message = { from: content.from, to: job.to, messageId, ...composed, headers: { 'X-Telco-Kpi-Run': content.runId, 'X-Telco-Kpi-Job': key } };
    if (deps.now().getTime() > Date.parse(body.expiresAt) - CLAIM_MARGIN_MS) {
      throw new DeliveryError(`this run's claim on revision ${revision} ran out (${body.expiresAt}) before the send; a later run may have taken it over`);
    }
    // From here the message may reach the recipients: a run that dies now leaves an 'uncertain' claim.
    await deps.store.put(claimKey, JSON.stringify({ ...body, phase: 'sending' } satisfies Claim));
  } catch (error) {
    await deps.store.delete(claimKey).catch(() => undefined);
    return save(await notified(deps, record('failed', { revision, error: describe(error) })));
  }

  const delays = deps.retryDelaysMs ?? [1000, 5000, 25000];
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let attempts = 0;
  let receipt: MailReceipt;
  for (;;) {
    attempts++;
    try {
      receipt = await deps.mailer.send(message);
      break;
    } catch (error) {
      const delay = delays[attempts - 1];
      if (isTransient(error) && delay !== undefined) {
        await sleep(delay);
        continue;
      }
      // The mailer refused the message, so nothing was delivered: release the claim for a later retry.
      await deps.store.delete(claimKey);
      const state: RunState = isTransient(error) ? 'failed' : 'parked';
      return save(await notified(deps, record(state, { attempts, revision, error: describe(error) })));
    }
  }

  // Delivered. From here on a failure must never release the claim: the recipients have the report.
  const done = record('sent', { attempts, revision, messageId, deliveredTo: receipt.location });
  try {
    const sent: SentRecord & { receipt: MailReceipt } = {
      runId: content.runId, sentAt: done.finishedAt, revision, contentHash: content.contentHash,
      ...(content.summary !== undefined ? { summary: content.summary } : {}), missing: content.missing, receipt,
    };
    await deps.store.put(`${base}/deliveries/${content.contentHash}.sent`, JSON.stringify(sent));
  } catch (error) {
    const rec = record('uncertain', {
      attempts, revision, messageId, deliveredTo: receipt.location,
      error: `the report was delivered (${receipt.location}) but the ledger could not record it (${describe(error)}); ` +
        `its claim stays, so no later run sends it again. Run 'telco-kpi runs --release ${key}' only if it did not arrive.`,
    });
    await tellOperators(deps, rec);
    try {
      return await save(rec);
    } catch {
      throw new DeliveryError(`run ${content.runId} delivered ${key} but the ledger is unreachable: ${rec.error}`, { cause: error });
    }
  }
  try {
    return await save(done);
  } catch (error) {
    throw new DeliveryError(`run ${content.runId} delivered ${key} and marked it sent, but its run record could not be written: ${describe(error)}`, { cause: error });
  }
}

/** Records a run that stopped before sending (queries, workbook or freshness) and tells operators when it failed. */
export async function recordRun(deps: Pick<DeliveryDeps, 'store' | 'notifier' | 'now'>, job: JobId, run: { runId: string; state: RunState; startedAt: Date; error?: unknown; contentHash?: string; missing?: string[] }): Promise<RunRecord> {
  const key = jobKey(job);
  const rec: RunRecord = {
    runId: run.runId, job: key, kind: job.kind, periodId: job.periodId, scope: job.scope, listName: job.listName, to: [...job.to],
    state: run.state, startedAt: run.startedAt.toISOString(), finishedAt: deps.now().toISOString(), attempts: 0,
    contentHash: run.contentHash, missing: run.missing, partial: run.missing ? run.missing.length > 0 : undefined,
    error: run.error === undefined ? undefined : describe(run.error),
  };
  await deps.store.put(`runs/${key}/attempts/${run.runId}.json`, `${JSON.stringify(rec, null, 2)}\n`, { contentType: 'application/json' });
  if (run.state === 'failed' || run.state === 'parked') await tellOperators(deps, rec);
  return rec;
}

/** Every run record in the ledger, oldest first. */
export async function listRuns(store: ObjectStore): Promise<RunRecord[]> {
  const keys = (await store.list('runs/')).filter((k) => k.includes('/attempts/') && k.endsWith('.json'));
  const runs: RunRecord[] = [];
  for (const key of keys) {
    const body = await store.get(key);
    if (body) runs.push(JSON.parse(Buffer.from(body).toString('utf8')) as RunRecord);
  }
  return runs.sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.runId.localeCompare(b.runId));
}

/**
 * Removes stuck claims (after an operator checked the report did not go out), so the next run may
 * send: every claim of a revision the list has not received.
 */
export async function releaseClaims(store: ObjectStore, jobPrefix: string): Promise<string[]> {
  const keys = await store.list(`runs/${jobPrefix}`);
  const released: string[] = [];
  for (const claimKey of keys.filter((k) => k.endsWith('.claim'))) {
    const base = claimKey.slice(0, claimKey.lastIndexOf('/') + 1);
    const sent = keys.filter((k) => k.startsWith(base) && k.endsWith('.sent')).length;
    const name = claimKey.slice(base.length);
    const revision = /^r(\d+)-e\d+\.claim$/.exec(name);
    // A claim of a revision already delivered, or (a ledger of an earlier version) of a hash with its `.sent`, stays.
    if (revision ? Number(revision[1]) < sent : keys.includes(claimKey.replace(/\.claim$/, '.sent'))) continue;
    await store.delete(claimKey);
    released.push(claimKey);
  }
  return released;
}

/** Time kept between a claim's expiry and the start of a send, so a takeover never meets a send. */
const CLAIM_MARGIN_MS = 60_000;

/** Time a run keeps before its deadline for its own send (the retries of a transient failure take 31 s). */
export const SEND_RESERVE_MS = 2 * 60_000;

const claimName = (revision: number, epoch: number) => `r${String(revision).padStart(4, '0')}-e${String(epoch).padStart(3, '0')}.claim`;

interface Claimed {
  claimKey: string;
  revision: number;
  previous?: SentRecord;
  body: Claim;
}

/**
 * Takes the one claim to send the list's next revision, or says why this run may not: the content
 * was already delivered ('duplicate'), another run holds the claim beyond this run's patience
 * ('concurrent'), or a run died while sending it ('uncertain', operators told).
 */
async function claimDelivery(deps: DeliveryDeps, key: string, content: DeliveryContent, record: (s: RunState, e?: Partial<RunRecord>) => RunRecord): Promise<Claimed | RunRecord> {
  const base = `runs/${key}/deliveries/`;
  const policy = deps.claims ?? {};
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const pollMs = policy.pollMs ?? 5000;
  let waited = 0;
  for (;;) {
    const keys = await deps.store.list(base);
    const sentKeys = keys.filter((k) => k.endsWith('.sent'));
    if (sentKeys.includes(`${base}${content.contentHash}.sent`)) return record('duplicate');
    const revision = sentKeys.length;
    const tag = claimName(revision, 0).slice(0, -'-e000.claim'.length);
    const top = keys.filter((k) => k.startsWith(`${base}${tag}-e`) && k.endsWith('.claim')).sort().at(-1);
    let epoch = 0;
    if (top) {
      const bytes = await deps.store.get(top);
      if (!bytes) continue; // released meanwhile
      // A claim that cannot be read is taken as a send that may have happened.
      const held = parseJson<Claim>(bytes) ?? { runId: '?', contentHash: '', revision, claimedAt: '?', expiresAt: new Date(0).toISOString(), phase: 'sending' };
      epoch = Number(/-e(\d+)\.claim$/.exec(top)![1]) + 1;
      const now = deps.now().getTime();
      const over = now >= Date.parse(held.expiresAt) || (policy.gone?.(held.holder) ?? false);
      if (!over) {
        const patience = policy.deadline !== undefined ? now + pollMs <= policy.deadline - SEND_RESERVE_MS : waited < (policy.waitMs ?? 0);
        if (!patience) {
          return record('concurrent', {
            revision,
            error: `run ${held.runId} has been sending revision ${revision} of this report to the list since ${held.claimedAt} (its claim holds until ${held.expiresAt}); ` +
              `this run waited ${Math.round(waited / 1000)} s and sent nothing. A later run sends ${held.contentHash === content.contentHash ? 'nothing if that one succeeds' : 'these figures as a revision'}.`,
          });
        }
        await sleep(pollMs);
        waited += pollMs;
        continue;
      }
      if (held.phase === 'sending') {
        const rec = record('uncertain', {
          revision,
          error: `run ${held.runId} claimed this report at ${held.claimedAt}, handed it to the mailer and stopped without recording the send: it may have been delivered. ` +
            `Check the recipients' mailbox or the outbox, then run 'telco-kpi runs --release ${key}' to allow a resend.`,
        });
        await tellOperators(deps, rec);
        return rec;
      }
      // The holder stopped before it handed anything to the mailer: nothing went out; take over.
    }
    const claimedAt = deps.now();
    const body: Claim = {
      runId: content.runId, contentHash: content.contentHash, revision, claimedAt: claimedAt.toISOString(),
      expiresAt: new Date(policy.deadline ?? claimedAt.getTime() + (policy.leaseMs ?? 15 * 60_000)).toISOString(), phase: 'claimed',
      ...(policy.holder ? { holder: policy.holder } : {}),
    };
    const claimKey = `${base}${claimName(revision, epoch)}`;
    if (!(await deps.store.putIfAbsent(claimKey, JSON.stringify(body)))) continue;
    return { claimKey, revision, body, ...(revision > 0 ? { previous: await lastSent(deps.store, sentKeys) } : {}) };
  }
}

/** The `.sent` record of the list's latest revision. */
async function lastSent(store: ObjectStore, sentKeys: string[]): Promise<SentRecord | undefined> {
  let latest: SentRecord | undefined;
  for (const key of sentKeys) {
    const sent = await readJson<SentRecord>(store, key);
    if (sent && (latest === undefined || (sent.revision ?? 0) > (latest.revision ?? 0))) latest = { ...sent, contentHash: sent.contentHash ?? key.slice(key.lastIndexOf('/') + 1, -'.sent'.length) };
  }
  return latest;
}

async function notified(deps: DeliveryDeps, rec: RunRecord): Promise<RunRecord> {
  await tellOperators(deps, rec);
  return rec;
}

async function tellOperators(deps: Pick<DeliveryDeps, 'notifier'>, rec: RunRecord): Promise<void> {
  const subject = `[telco-kpi] ${rec.state}: ${rec.kind} ${rec.periodId} ${rec.scope} → ${rec.listName} (run ${rec.runId})`;
  const body = [
    rec.deliveredTo
      ? `Run ${rec.runId} of job ${rec.job} ended '${rec.state}'. The report WAS delivered to ${rec.to.join(', ')} (${rec.deliveredTo}); do not resend it.`
      : `Run ${rec.runId} of job ${rec.job} ended '${rec.state}'. Nothing was sent to ${rec.to.join(', ')} by this run.`,
    rec.error ? `Error: ${rec.error}` : '',
    rec.missing?.length ? `Missing data: ${rec.missing.join('; ')}` : '',
    `Started ${rec.startedAt}, finished ${rec.finishedAt}, ${rec.attempts} delivery attempt(s).`,
  ].filter(Boolean).join('\n');
  try {
    await deps.notifier.notify(subject, body);
  } catch {
    // The ledger already holds the failure; the CLI and handlers surface it through their exit code or alarm.
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
