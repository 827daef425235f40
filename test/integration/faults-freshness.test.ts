/**
 * The freshness gate and late data, through the real report job over a real lake with one
 * province missing: wait before the deadline, partial-labelled after it or at once in
 * send-partial mode, and one 【修订】 revision when the late data arrives.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DuckDbQueryEngine } from '../../lambdas/adapters/duckdb-query-engine.js';
import { LocalObjectStore } from '../../lambdas/adapters/local-object-store.js';
import { OutboxMailer } from '../../lambdas/adapters/outbox-mailer.js';
import { QUERIES_DIR } from '../../lambdas/config.js';
import { listRuns } from '../../lambdas/core/delivery/delivery.js';
import { parsePeriod } from '../../lambdas/core/period.js';
import { runReportJob } from '../../lambdas/core/report/job.js';
import { parseSettings } from '../../lambdas/core/settings.js';
import { ingestFiles, LakeTemplate, NATIONAL, sampleFiles, settingsYaml, type TestSettings } from '../helpers/lake.js';
import { readOutbox } from '../helpers/outbox.js';

const W47 = parsePeriod('2026-W47');
const SUBJECT = '【周报】营销KPI 2026年第47周（11/16–11/22）· 全国';
const BEFORE_DEADLINE = Date.parse('2026-11-23T02:00:00Z'); // Monday 10:00 Shanghai
const AFTER_DEADLINE = Date.parse('2026-11-23T04:30:00Z'); // Monday 12:30 Shanghai (deadline 12:00)
const SC_MISSING = ['16', '17', '18', '19', '20', '21', '22'].map((d) => `四川 11/${d}（销售日报、收入日报、服务日报）`).join('；');

describe('freshness gate and late data', () => {
  let lake: LakeTemplate;
  let home: string;
  let notices: string[];

  beforeAll(async () => {
    // JL and GD sent every day; SC, also expected, sent nothing.
    lake = await LakeTemplate.build({ from: W47.start, days: 7, provinces: ['JL', 'GD'], types: ['revenue', 'sales', 'service'] });
  });
  afterAll(async () => lake.remove());
  beforeEach(async () => {
    home = await lake.copy();
    notices = [];
  });
  afterEach(async () => rm(home, { recursive: true, force: true }));

  async function job(at: number, runId: string, options: TestSettings = { provinces: ['JL', 'GD', 'SC'] }) {
    const engine = new DuckDbQueryEngine(home, QUERIES_DIR);
    try {
      return await runReportJob({
        engine, store: new LocalObjectStore(home), settings: parseSettings(settingsYaml(options)),
        mailer: new OutboxMailer(join(home, 'outbox'), () => new Date(at)), notifier: { notify: async (s) => { notices.push(s); } }, now: () => new Date(at),
      }, { period: W47, scope: 'ALL', lang: 'zh-CN', send: true, runId });
    } finally {
      await engine.close();
    }
  }
  const outbox = () => readOutbox(join(home, 'outbox'));

  it('wait: holds the report before the deadline, then sends it labelled partial with the missing province-days first', async () => {
    // Act
    const early = await job(BEFORE_DEADLINE, 'run-early');
    const afterEarly = await outbox();
    const late = await job(AFTER_DEADLINE, 'run-late');
    // Assess: nothing before the deadline, the ledger says waiting with what is missing.
    expect(early.ok).toBe(false);
    expect(afterEarly).toEqual([]);
    expect(early.runs).toHaveLength(1);
    expect(early.runs[0]).toMatchObject({ state: 'waiting', partial: true });
    expect(early.runs[0]!.missing).toHaveLength(21);
    expect(early.runs[0]!.missing).toContain('SC 2026-11-16 revenue');
    // Assess: after the deadline one message, labelled partial in the subject and first lines.
    const sent = await outbox();
    expect(late.runs.map((r) => r.state)).toEqual(['sent']);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.to).toEqual(NATIONAL);
    expect(sent[0]!.subject).toBe(`${SUBJECT} · 缺7个省日数据`);
    const text = sent[0]!.parsed.text ?? '';
    expect(text.split('\n')[0]).toBe(`⚠ 数据不完整，以下省日缺数据：${SC_MISSING}`);
    const html = typeof sent[0]!.parsed.html === 'string' ? sent[0]!.parsed.html : '';
    const body = html.slice(html.indexOf('<body'));
    expect(body.indexOf('数据不完整')).toBeGreaterThan(0);
    expect(body.indexOf('数据不完整')).toBeLessThan(body.indexOf('<h1'));
    expect(body).toContain('四川 11/22（销售日报、收入日报、服务日报）');
    expect((await listRuns(new LocalObjectStore(home))).map((r) => r.state)).toEqual(['waiting', 'sent']);
    expect(notices).toEqual([]);
  });

  it('send-partial: sends at once, labelled partial', async () => {
    // Act
    const outcome = await job(BEFORE_DEADLINE, 'run-now', { provinces: ['JL', 'GD', 'SC'], week: { mode: 'send-partial', deadlineHours: 12 } });
    // Assess
    expect(outcome.runs.map((r) => [r.state, r.partial])).toEqual([['sent', true]]);
    const sent = await outbox();
    expect(sent.map((m) => m.subject)).toEqual([`${SUBJECT} · 缺7个省日数据`]);
    expect((sent[0]!.parsed.text ?? '').split('\n')[0]).toContain('数据不完整');
  });

  it('complete data before the deadline is sent at once, unlabelled', async () => {
    const outcome = await job(BEFORE_DEADLINE, 'run-complete', { provinces: ['JL', 'GD'] });
    expect(outcome.runs.map((r) => [r.state, r.partial])).toEqual([['sent', false]]);
    expect((await outbox()).map((m) => m.subject)).toEqual([SUBJECT]);
  });

  it('late data after a sent report: one 【修订】 revision, the original not resent; the same data again sends nothing', async () => {
    // Prepare: the report went out partial (SC missing) after the deadline.
    await job(AFTER_DEADLINE, 'run-1');
    // Act: SC's extracts arrive late; the job runs twice more.
    const receipts = await ingestFiles(new LocalObjectStore(home), sampleFiles({ from: W47.start, days: 7, provinces: ['SC'], types: ['revenue', 'sales', 'service'] }));
    const revised = await job(AFTER_DEADLINE + 3_600_000, 'run-2');
    const again = await job(AFTER_DEADLINE + 7_200_000, 'run-3');
    // Assess
    expect(receipts.every((r) => r.status === 'accepted')).toBe(true);
    const sent = await outbox();
    expect(sent.map((m) => m.subject)).toEqual([`${SUBJECT} · 缺7个省日数据`, `【修订】${SUBJECT}`]);
    expect(sent.map((m) => m.to)).toEqual([NATIONAL, NATIONAL]);
    // The revision opens with what changed against the version the list received, and why (issue 11).
    const [first, second] = sent.map((m) => (m.parsed.text ?? '').split('\n'));
    const revenueTile = (lines: string[]) => /^收入（万元）：(\S+)/.exec(lines.find((l) => l.startsWith('收入（万元）：')) ?? '')?.[1];
    expect(second![0]).toBe('【修订】本邮件修订 2026-11-23 12:30 发出的版本，以本邮件为准。');
    expect(second![1]).toContain(`收入（万元） ${revenueTile(first!)} → ${revenueTile(second!)}`);
    expect(revenueTile(first!)).not.toBe(revenueTile(second!));
    expect(second![1]).toMatch(/四川 收入（万元） – → [\d,.]+/);
    expect(second![2]).toBe('原因：迟到的数据——四川 销售日报 11/16–11/22、收入日报 11/16–11/22、服务日报 11/16–11/22');
    expect(second!.find((l) => l.startsWith('✓') || l.startsWith('⚠'))).toMatch(/^✓/);
    const html = typeof sent[1]!.parsed.html === 'string' ? sent[1]!.parsed.html : '';
    expect(html.indexOf('本邮件修订')).toBeGreaterThan(0);
    expect(html.indexOf('本邮件修订')).toBeLessThan(html.indexOf('<h1'));
    expect(first!.some((l) => l.includes('本邮件修订'))).toBe(false);
    expect(revised.runs.map((r) => [r.state, r.revision])).toEqual([['sent', 1]]);
    expect(again.runs.map((r) => r.state)).toEqual(['duplicate']);
    expect((await listRuns(new LocalObjectStore(home))).map((r) => r.state)).toEqual(['sent', 'sent', 'duplicate']);
  });
  it('a corrected extract after a sent report: the revision names the day, the file and the figures that moved', async () => {
    // Prepare: the complete report went out; then JL re-uploads 11/18's revenue with one figure corrected.
    await job(AFTER_DEADLINE, 'run-1', { provinces: ['JL', 'GD'] });
    const [original] = sampleFiles({ from: '2026-11-18', days: 1, provinces: ['JL'], types: ['revenue'] });
    const lines = original!.content.split('\n');
    const cells = lines[1]!.split(',');
    cells[7] = (Number(cells[7]) + 50_000).toFixed(2);
    lines[1] = cells.join(',');
    const receipts = await ingestFiles(new LocalObjectStore(home), [{ ...original!, fileName: 'revenue_JL_20261118_更正.csv', content: lines.join('\n') }], () => new Date(AFTER_DEADLINE + 1_800_000));
    // Act
    const revised = await job(AFTER_DEADLINE + 3_600_000, 'run-2', { provinces: ['JL', 'GD'] });
    // Assess
    expect(receipts.map((r) => r.status)).toEqual(['accepted']);
    expect(revised.runs.map((r) => [r.state, r.revision])).toEqual([['sent', 1]]);
    const [first, second] = (await outbox()).map((m) => (m.parsed.text ?? '').split('\n'));
    const tile = (text: string[], name: string) => /：(\S+)/.exec(text.find((l) => l.startsWith(`${name}：`)) ?? '')?.[1];
    expect(second![1]).toContain(`收入（万元） ${tile(first!, '收入（万元）')} → ${tile(second!, '收入（万元）')}`);
    expect(second![1]).toMatch(/吉林 收入（万元） [\d,.]+ → [\d,.]+/);
    expect(second![1]).not.toContain('广东');
    expect(second![2]).toBe('原因：更正的数据——吉林 11/18 收入日报（revenue_JL_20261118_更正.csv 替换 revenue_JL_20261118.csv，11/23 13:00 上传）');
  });

  it('targets set after a sent report: the revision names the targets that moved and the file, not "details changed"', async () => {
    // Prepare: the complete report went out with no targets; then JL uploads its November targets.
    await job(AFTER_DEADLINE, 'run-1', { provinces: ['JL', 'GD'] });
    const targets = 'month,province,segment,kpi,target\n2026-11,JL,ALL,revenue,9000000\n2026-11,JL,ALL,csat,0.9\n';
    const receipts = await ingestFiles(new LocalObjectStore(home), [{ type: 'targets', province: 'JL', fileName: 'targets_JL_202611.csv', content: targets, rows: 2 }], () => new Date(AFTER_DEADLINE + 1_800_000));

    // Act
    const revised = await job(AFTER_DEADLINE + 3_600_000, 'run-2', { provinces: ['JL', 'GD'] });

    // Assess
    expect(receipts.map((r) => r.status)).toEqual(['accepted']);
    expect(revised.runs.map((r) => [r.state, r.revision])).toEqual([['sent', 1]]);
    const [, second] = (await outbox()).map((m) => (m.parsed.text ?? '').split('\n'));
    expect(second![1]).toBe('变动：吉林 收入目标（万元） – → 900.0；吉林 满意度目标 – → 90.0%');
    expect(second![2]).toBe('原因：迟到的数据——吉林 2026年11月月度指标');
  });
});
