/**
 * The report job killed between sending and recording, two jobs racing for the same period, and a
 * ledger write failing after the send: no report is ever delivered twice, operators are told,
 * and `runs --release` allows exactly one resend.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalObjectStore } from '../../lambdas/adapters/local-object-store.js';
import { OutboxMailer } from '../../lambdas/adapters/outbox-mailer.js';
import { main } from '../../lambdas/cli/main.js';
import { DuckDbQueryEngine } from '../../lambdas/adapters/duckdb-query-engine.js';
import { QUERIES_DIR } from '../../lambdas/config.js';
import { listRuns } from '../../lambdas/core/delivery/delivery.js';
import type { ObjectStore } from '../../lambdas/core/ports.js';
import { parsePeriod } from '../../lambdas/core/period.js';
import { runReportJob } from '../../lambdas/core/report/job.js';
import { parseSettings } from '../../lambdas/core/settings.js';
import { runTsChild } from '../helpers/child.js';
import { LakeTemplate, NATIONAL, OPERATORS, settingsYaml, writeConfigDir } from '../helpers/lake.js';
import { readOutbox } from '../helpers/outbox.js';

const CHILD = join(import.meta.dirname, '../helpers/report-job-child.ts');
const W47 = parsePeriod('2026-W47');
const NOW = Date.parse('2026-11-23T06:00:00Z');

describe('report job crashes and races', () => {
  let lake: LakeTemplate;
  let home: string;
  let configDir: string;
  let out: string[];
  let err: string[];

  beforeAll(async () => {
    lake = await LakeTemplate.build({ from: W47.start, days: 7, provinces: ['JL', 'GD'], types: ['revenue', 'sales', 'service'] });
  });
  afterAll(async () => lake.remove());
  beforeEach(async () => {
    home = await lake.copy();
    configDir = await writeConfigDir(join(home, 'config'), { provinces: ['JL', 'GD'] });
    out = [];
    err = [];
  });
  afterEach(async () => rm(home, { recursive: true, force: true }));

  const child = (runId: string, extra: Record<string, string> = {}) => runTsChild(CHILD, {
    TELCO_KPI_TEST_HOME: home, TELCO_KPI_TEST_CONFIG: configDir, TELCO_KPI_TEST_NOW: new Date(NOW).toISOString(),
    TELCO_KPI_TEST_PERIOD: W47.id, TELCO_KPI_TEST_SCOPE: 'ALL', TELCO_KPI_TEST_RUN_ID: runId, ...extra,
  });
  const cli = (args: string[], at: number) => main([...args, '--home', home], { configDir, now: () => new Date(at), out: (l) => out.push(l), err: (l) => err.push(l) });
  const reports = async () => (await readOutbox(join(home, 'outbox'))).filter((m) => !m.to.includes(OPERATORS));
  const notices = async () => (await readOutbox(join(home, 'outbox'))).filter((m) => m.to.includes(OPERATORS));

  it('killed after sending but before recording: never re-sent automatically, uncertain, operators told; --release allows one resend', async () => {
    // Act: the job dies right after the outbox wrote the message.
    const crashed = await child('run-crash', { TELCO_KPI_TEST_EXIT_AFTER_SEND: '1' });
    // Assess: one message out, nothing recorded but the claim.
    expect(crashed.code).toBe(137);
    expect((await reports()).map((m) => m.to)).toEqual([NATIONAL]);
    const store = new LocalObjectStore(home);
    expect(await listRuns(store)).toEqual([]);
    const deliveries = await store.list('runs/weekly/2026-W47/ALL/');
    expect(deliveries.filter((k) => k.endsWith('.claim'))).toHaveLength(1);
    expect(deliveries.filter((k) => k.endsWith('.sent'))).toHaveLength(0);

    // Act: re-runs soon after (a scheduler retry) and after the claim's lease.
    const soon = await cli(['report', '--send', '--week', W47.id], NOW + 60_000);
    const later = await cli(['report', '--send', '--week', W47.id], NOW + 60 * 60_000);
    // Assess: no second message; the process that held the claim is gone, so the retry a minute
    // later already says uncertain and tells operators (issue 10: a stale claim never ends silently).
    expect([soon, later]).toEqual([1, 1]);
    expect(await reports()).toHaveLength(1);
    const runs = await listRuns(store);
    expect(runs.map((r) => r.state)).toEqual(['uncertain', 'uncertain']);
    expect(runs[0]!.error).toContain('telco-kpi runs --release');
    const told = await notices();
    expect(told).toHaveLength(2);
    expect(told[0]!.subject).toContain('uncertain');
    expect(told[0]!.subject).toContain(runs[0]!.runId);

    // Act: the operator checked the mailbox and releases the claim; two more runs follow.
    expect(await cli(['runs', '--release', runs[1]!.job], NOW + 61 * 60_000)).toBe(0);
    const resend = await cli(['report', '--send', '--week', W47.id], NOW + 62 * 60_000);
    const after = await cli(['report', '--send', '--week', W47.id], NOW + 63 * 60_000);
    // Assess: exactly one resend, not labelled as a revision (same figures), then a duplicate.
    expect([resend, after]).toEqual([0, 0]);
    const sent = await reports();
    expect(sent).toHaveLength(2);
    expect(sent[1]!.subject).toBe(sent[0]!.subject);
    expect((await listRuns(store)).map((r) => r.state)).toEqual(['uncertain', 'uncertain', 'sent', 'duplicate']);
    expect(out.some((l) => l.includes('released 1 claim'))).toBe(true);
  });

  it('two jobs racing in one process with separate engines: exactly one message per list', async () => {
    // Prepare
    const settings = parseSettings(settingsYaml({ provinces: ['JL', 'GD'] }));
    const mailer = new OutboxMailer(join(home, 'outbox'));
    const job = async (runId: string) => {
      const engine = new DuckDbQueryEngine(home, QUERIES_DIR);
      try {
        return await runReportJob(
          { engine, store: new LocalObjectStore(home), settings, mailer, notifier: { notify: async () => undefined }, now: () => new Date(NOW) },
          { period: W47, scope: 'JL', lang: 'zh-CN', send: true, runId },
        );
      } finally {
        await engine.close();
      }
    };
    // Act
    const outcomes = await Promise.all([job('run-1'), job('run-2'), job('run-3')]);
    // Assess
    expect(outcomes.flatMap((o) => o.runs).filter((r) => r.state === 'sent')).toHaveLength(1);
    expect((await reports()).map((m) => m.to)).toEqual([['jl-exec@telco.example.cn']]);
  });

  it('a ledger write failing after the send keeps the claim: the report is not sent again', async () => {
    // Prepare: the store refuses the `.sent` marker once (the server stays reachable).
    const settings = parseSettings(settingsYaml({ provinces: ['JL', 'GD'] }));
    const mailer = new OutboxMailer(join(home, 'outbox'));
    const local = new LocalObjectStore(home);
    let refused = 0;
    const store: ObjectStore = {
      put: async (key, body) => {
        if (key.endsWith('.sent') && refused++ === 0) throw new Error('InternalError: We encountered an internal error. Please try again.');
        return local.put(key, body);
      },
      putIfAbsent: (key, body) => local.putIfAbsent(key, body), get: (key) => local.get(key), list: (p) => local.list(p), delete: (key) => local.delete(key),
    };
    const notices: string[] = [];
    const engine = new DuckDbQueryEngine(home, QUERIES_DIR);
    const deps = { engine, store, settings, mailer, notifier: { notify: async (s: string) => { notices.push(s); } }, sleep: async () => undefined, retryDelaysMs: [] };
    try {
      // Act
      const first = await runReportJob({ ...deps, now: () => new Date(NOW) }, { period: W47, scope: 'ALL', lang: 'zh-CN', send: true, runId: 'run-1' });
      const retry = await runReportJob({ ...deps, now: () => new Date(NOW + 60 * 60_000) }, { period: W47, scope: 'ALL', lang: 'zh-CN', send: true, runId: 'run-2' });
      // Assess: one message; the first run's failure is loud and says the report went out.
      expect(await reports()).toHaveLength(1);
      expect(first.ok).toBe(false);
      expect(first.runs.map((r) => r.state)).toEqual(['uncertain']);
      expect(first.runs[0]!.error).toContain('was delivered');
      expect(first.runs[0]!.error).toContain('InternalError');
      expect(retry.runs.map((r) => r.state)).toEqual(['uncertain']);
      expect(notices.filter((n) => n.includes('uncertain'))).toHaveLength(2);
      expect(await local.list('runs/weekly/2026-W47/ALL/')).toEqual(expect.arrayContaining([expect.stringMatching(/\.claim$/)]));
    } finally {
      await engine.close();
    }
  });
});
