/**
 * The S3 server (s3rver in a child process) holding the reports and the run ledger, killed in the
 * middle of a report job: nothing is sent before the send, the job fails loudly, operators are
 * told, and a later run sends exactly once.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DuckDbQueryEngine } from '../../lambdas/adapters/duckdb-query-engine.js';
import { OutboxMailer } from '../../lambdas/adapters/outbox-mailer.js';
import { QUERIES_DIR } from '../../lambdas/config.js';
import { DeliveryError, listRuns } from '../../lambdas/core/delivery/delivery.js';
import { parsePeriod } from '../../lambdas/core/period.js';
import type { ObjectStore } from '../../lambdas/core/ports.js';
import { ReportJobError, ReportNotProducedError, runReportJob } from '../../lambdas/core/report/job.js';
import { parseSettings } from '../../lambdas/core/settings.js';
import { LakeTemplate, NATIONAL, settingsYaml } from '../helpers/lake.js';
import { readOutbox } from '../helpers/outbox.js';
import { killingStore, startRestartableS3, type RestartableS3 } from '../helpers/s3.js';

describe('S3 server stopped mid-report', () => {
  const W47 = parsePeriod('2026-W47');
  const NOW = Date.parse('2026-11-23T06:00:00Z');
  let lake: LakeTemplate;
  let home: string;
  let s3: RestartableS3;
  let engine: DuckDbQueryEngine;
  let notices: string[];

  beforeAll(async () => {
    lake = await LakeTemplate.build({ from: W47.start, days: 7, provinces: ['JL', 'GD'], types: ['revenue', 'sales', 'service'] });
  });
  afterAll(async () => lake.remove());
  beforeEach(async () => {
    home = await lake.copy();
    s3 = await startRestartableS3('reports');
    engine = new DuckDbQueryEngine(home, QUERIES_DIR);
    notices = [];
  });
  afterEach(async () => {
    await engine.close();
    await s3.close();
    await rm(home, { recursive: true, force: true });
  });

  const job = (store: ObjectStore, at: number, runId: string) => runReportJob({
    engine, store, settings: parseSettings(settingsYaml({ provinces: ['JL', 'GD'] })),
    mailer: new OutboxMailer(join(home, 'outbox'), () => new Date(at)), notifier: { notify: async (s) => { notices.push(s); } },
    now: () => new Date(at), sleep: async () => undefined, retryDelaysMs: [],
  }, { period: W47, scope: 'ALL', lang: 'zh-CN', send: true, runId });
  const reports = () => readOutbox(join(home, 'outbox'));

  it('killed while storing the workbook: nothing sent, the job fails loudly, a later run sends once', async () => {
    // Act
    const killing = killingStore(s3, (c) => c.op === 'put' && c.key.endsWith('report.xlsx'));
    const failure = await job(killing, NOW, 'run-1').then(() => undefined, (e: unknown) => e as Error);
    expect(killing.killedAt).toBeDefined();
    // Assess: nothing sent; the ledger could not be written, so the job threw and operators were told.
    expect(failure).toBeInstanceOf(ReportNotProducedError);
    expect(failure!.message).toContain('run-1');
    expect(failure!.message).toContain('nothing was sent');
    expect(failure!.message).toContain('ledger could not record');
    expect(await reports()).toEqual([]);
    expect(notices.some((n) => n.includes('run-1'))).toBe(true);
    // Act: the server is back; the next scheduled run.
    await s3.restart();
    expect(await listRuns(s3.store)).toEqual([]);
    const later = await job(s3.store, NOW + 3_600_000, 'run-2');
    const again = await job(s3.store, NOW + 7_200_000, 'run-3');
    // Assess
    expect(later.runs.map((r) => r.state)).toEqual(['sent']);
    expect(again.runs.map((r) => r.state)).toEqual(['duplicate']);
    expect((await reports()).map((m) => m.to)).toEqual([NATIONAL]);
  });

  it('killed at the delivery claim: nothing sent, the job fails loudly, a later run sends once', async () => {
    // Act
    const killing = killingStore(s3, (c) => c.op === 'putIfAbsent' && c.key.endsWith('.claim'));
    await expect(job(killing, NOW, 'run-1')).rejects.toThrow(ReportJobError);
    expect(killing.killedAt).toBeDefined();
    await s3.restart();
    expect(notices.filter((n) => n.includes('failed') && n.includes('run-1'))).toHaveLength(1);
    // Assess
    expect(await reports()).toEqual([]);
    expect(await listRuns(s3.store)).toEqual([]);
    const later = await job(s3.store, NOW + 3_600_000, 'run-2');
    expect(later.runs.map((r) => r.state)).toEqual(['sent']);
    expect((await reports()).map((m) => m.to)).toEqual([NATIONAL]);
  });

  it('killed after the send, before the ledger records it: one message, never sent again, operators told', async () => {
    // Act
    const killing = killingStore(s3, (c) => c.op === 'put' && c.key.endsWith('.sent'));
    const failure = await job(killing, NOW, 'run-1').then(() => undefined, (e: unknown) => e as Error);
    expect(killing.killedAt).toBeDefined();
    await s3.restart();
    const retry = await job(s3.store, NOW + 60_000, 'run-2');
    const later = await job(s3.store, NOW + 3_600_000, 'run-3');
    // Assess
    expect(failure).toBeInstanceOf(DeliveryError);
    expect(failure?.message).toContain('delivered');
    expect((await reports()).map((m) => m.to)).toEqual([NATIONAL]);
    expect(retry.runs.map((r) => r.state)).toEqual(['concurrent']);
    expect(later.runs.map((r) => r.state)).toEqual(['uncertain']);
    expect(notices.filter((n) => n.includes('uncertain'))).toHaveLength(2);
  });
});
