/**
 * Exactly-once delivery of a report to one recipient list, with a run ledger in the object store.
 *
 * Ledger layout under `runs/<job>/` where job = `<kind>/<period>/<scope>/<list>`:
 * - `attempts/<runId>.json`    one record per run: state, error, completeness seen, content hash;
 * - `deliveries/<hash>.claim`  created with putIfAbsent before sending: only one run may send a content;
 * - `deliveries/<hash>.sent`   written after the mailer accepted the message.
 * A claim without a `.sent` means a run died while sending (or is sending now): the report may have
 * gone out, so it is never re-sent automatically; operators are told and can release it.
 */
import { createHash } from 'node:crypto';
import { TelcoKpiError } from '../errors.js';
import type { MailAttachment, MailMessage, MailReceipt, Mailer, ObjectStore } from '../ports.js';

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

export interface DeliveryDeps {
  store: ObjectStore;
  mailer: Mailer;
  notifier: Notifier;
  now: () => Date;
  /** Waits between retries; injectable so tests do not sleep. */
  sleep?: (ms: number) => Promise<void>;
  /** Delays before each retry of a transient failure (default 1 s, 5 s, 25 s). */
  retryDelaysMs?: readonly number[];
  /** How old a claim without a `.sent` must be before it is reported as uncertain rather than in progress. */
  claimLeaseMs?: number;
}

export interface DeliveryContent {
  runId: string;
  contentHash: string;
  from: string;
  /** Builds the message once the revision number is known (a revision is labelled in the subject). */
  compose(label: { revision: number }): { subject: string; html: string; text: string; attachments: MailAttachment[] };
  partial: boolean;
  missing: string[];
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

  const sentKeys = (await deps.store.list(`${base}/deliveries/`)).filter((k) => k.endsWith('.sent'));
  if (sentKeys.some((k) => k.endsWith(`/${content.contentHash}.sent`))) return save(record('duplicate'));
  const revision = sentKeys.length;

  const claimKey = `${base}/deliveries/${content.contentHash}.claim`;
  const claimed = await deps.store.putIfAbsent(claimKey, JSON.stringify({ runId: content.runId, claimedAt: startedAt }));
  if (!claimed) return save(await lostClaim(deps, key, claimKey, record));

  const messageId = `<${content.contentHash.slice(0, 24)}.${createHash('sha256').update(key).digest('hex').slice(0, 12)}@telco-kpi>`;
  let message: MailMessage;
  try {
    const composed = content.compose({ revision });
    message = { from: content.from, to: job.to, messageId, ...composed, headers: { 'X-Telco-Kpi-Run': content.runId, 'X-Telco-Kpi-Job': key } };
  } catch (error) {
    await deps.store.delete(claimKey);
    return save(await notified(deps, record('failed', { error: describe(error) })));
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
    await deps.store.put(`${base}/deliveries/${content.contentHash}.sent`, JSON.stringify({ runId: content.runId, sentAt: done.finishedAt, revision, receipt }));
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

/** Removes a stuck claim (after an operator checked the report did not go out), so the next run may send. */
export async function releaseClaims(store: ObjectStore, jobPrefix: string): Promise<string[]> {
  const keys = (await store.list(`runs/${jobPrefix}`)).filter((k) => k.endsWith('.claim'));
  const released: string[] = [];
  for (const claim of keys) {
    if (await store.get(claim.replace(/\.claim$/, '.sent'))) continue;
    await store.delete(claim);
    released.push(claim);
  }
  return released;
}

async function lostClaim(deps: DeliveryDeps, key: string, claimKey: string, record: (s: RunState, e?: Partial<RunRecord>) => RunRecord): Promise<RunRecord> {
  if (await deps.store.get(claimKey.replace(/\.claim$/, '.sent'))) return record('duplicate');
  const claim = await deps.store.get(claimKey);
  const claimedAt = claim ? Date.parse((JSON.parse(Buffer.from(claim).toString('utf8')) as { claimedAt: string }).claimedAt) : 0;
  if (deps.now().getTime() - claimedAt < (deps.claimLeaseMs ?? 15 * 60_000)) return record('concurrent');
  const rec = record('uncertain', {
    error: `an earlier run claimed this report at ${new Date(claimedAt).toISOString()} and never recorded the send: it may have been delivered. ` +
      `Check the recipients' mailbox or the outbox, then run 'telco-kpi runs --release ${key}' to allow a resend.`,
  });
  await tellOperators(deps, rec);
  return rec;
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
