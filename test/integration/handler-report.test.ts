/**
 * The scheduled handlers end to end on everything but Athena: sample extracts go through the
 * ingest handler into s3rver (landing → curated lake, receipts); the report functions run on the
 * AWS composition root (S3 store on s3rver, SES mailer and operators' notifier on an SESv2 client
 * mocked with aws-sdk-client-mock, capturing the raw MIME) with one substitution: the QueryEngine
 * is DuckDB over the lake synced from the curated bucket — the same SQL files on the same Parquet
 * objects Athena would read. Athena's protocol is tested on its own (athena-query-engine.test.ts).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { AthenaClient } from '@aws-sdk/client-athena';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AthenaQueryFailedError } from '../../lambdas/adapters/athena-query-engine.js';
import { DuckDbParquetEncoder } from '../../lambdas/adapters/duckdb-parquet-encoder.js';
import { DuckDbQueryEngine } from '../../lambdas/adapters/duckdb-query-engine.js';
import { S3ObjectStore } from '../../lambdas/adapters/s3-object-store.js';
import { FONTS_DIR, QUERIES_DIR } from '../../lambdas/config.js';
import { jobKey, listRuns } from '../../lambdas/core/delivery/delivery.js';
import { ConfigError } from '../../lambdas/core/errors.js';
import type { QueryEngine, Row, SqlValue } from '../../lambdas/core/ports.js';
import { generateSample } from '../../lambdas/core/sample/sample.js';
import { reportConfig } from '../../lambdas/handlers/aws-config.js';
import { ingestRuntime, reportRuntime, type ReportRuntime } from '../../lambdas/handlers/aws-runtime.js';
import { ingestUpload } from '../../lambdas/handlers/ingest-extract.js';
import { createIncentivesHandler, readPlans } from '../../lambdas/handlers/send-monthly-incentives.js';
import { createWeeklyReportHandler, withCharts } from '../../lambdas/handlers/send-weekly-report.js';
import { ReportEventError, ReportJobFailedError } from '../../lambdas/handlers/scheduled-job.js';
import { startS3, type S3Harness } from './s3-harness.js';
import { startScriptedSmtp } from '../helpers/smtp.js';

const LANDING = 'telco-kpi-landing';
const CURATED = 'telco-kpi-curated';
const PLANS_DIR = join(import.meta.dirname, '../../config/plans');
const EXEC = ['marketing-exec@telco.example.cn', 'cmo-office@telco.example.cn'];
const JL = ['jl-exec@telco.example.cn'];
const HR = ['hr-incentives@telco.example.cn'];
const OPS = ['ops-kpi@telco.example.cn'];
/** Monday 2026-11-23 14:00 Asia/Shanghai: past the week's 12:00 freshness deadline. */
const NOW = new Date('2026-11-23T06:00:00Z');

function env(reportsBucket: string): Record<string, string> {
  return {
    CURATED_BUCKET: CURATED,
    REPORTS_BUCKET: reportsBucket,
    ATHENA_WORKGROUP: 'telco-kpi',
    GLUE_DATABASE: 'telco_kpi',
    QUERIES_DIR,
    PLANS_DIR,
    FONTS_DIR,
    EXPECTED_PROVINCES: 'JL,GD',
    MAIL_FROM: '营销KPI周报 telco-kpi <kpi-report@telco.example.cn>',
    OPERATOR_EMAILS: OPS.join(','),
    REPORT_RECIPIENTS: JSON.stringify([{ name: '全国市场部', scope: 'ALL', to: EXEC }, { name: '吉林省分公司', scope: 'JL', to: JL }]),
    HR_RECIPIENTS: JSON.stringify([{ name: '人力资源部', to: HR }]),
  };
}

/** DuckDB over the curated bucket's lake, copied once to a temp folder: the QueryEngine Athena would be. */
class SyncedLakeEngine implements QueryEngine {
  private engine?: Promise<DuckDbQueryEngine>;
  constructor(private readonly curated: S3ObjectStore, private readonly dir: string) {}
  run(name: string, params: readonly SqlValue[]): Promise<Row[]> {
    this.engine ??= (async () => {
      for (const key of await this.curated.list('lake/')) {
        await mkdir(dirname(join(this.dir, key)), { recursive: true });
        await writeFile(join(this.dir, key), (await this.curated.get(key))!);
      }
      return new DuckDbQueryEngine(this.dir, QUERIES_DIR);
    })();
    return this.engine.then((e) => e.run(name, params));
  }
  async close(): Promise<void> {
    await (await this.engine)?.close();
  }
}

/** Fails one query the way Athena reports a failed execution. */
function failing(engine: QueryEngine, query: string): QueryEngine {
  return {
    run: (name, params) => (name === query
      ? Promise.reject(new AthenaQueryFailedError(name, 'qe-0001', 'FAILED', 'HIVE_BAD_DATA: Malformed Parquet file'))
      : engine.run(name, params)),
    close: () => Promise.resolve(),
  };
}

const recipients = (mail: ParsedMail) => [mail.to ?? []].flat().flatMap((a: AddressObject) => a.value.map((v) => v.address));

describe('scheduled report handlers over an s3rver lake, DuckDB for Athena, SES mocked', () => {
  let s3: S3Harness;
  let lakeDir: string;
  let engine: SyncedLakeEngine;
  let bucketCount = 0;
  let runtime: ReportRuntime;
  let ses: SESv2Client;
  let sesMock: ReturnType<typeof mockClient>;

  beforeAll(async () => {
    s3 = await startS3(LANDING, { honourIfNoneMatch: true });
    for (const bucket of [CURATED, 'telco-kpi-reports']) await s3.client.send(new CreateBucketCommand({ Bucket: bucket }));
    const encoder = new DuckDbParquetEncoder();
    const ingest = ingestRuntime({ landingBucket: LANDING, curatedBucket: CURATED, reportsBucket: 'telco-kpi-reports' }, { s3: s3.client }, encoder, () => NOW);
    for (const file of generateSample({ from: '2026-11-16', days: 7, provinces: ['JL', 'GD'], seed: 7, scale: 'small' })) {
      const key = `${file.province}/${file.fileName}`;
      await ingest.landing.put(key, file.content);
      const outcome = await ingestUpload(ingest, { bucket: LANDING, key, rawKey: key });
      expect(outcome.status, key).toBe('accepted');
    }
    await encoder.close();
    lakeDir = await mkdtemp(join(tmpdir(), 'handler-lake-'));
    engine = new SyncedLakeEngine(new S3ObjectStore(s3.client, { bucket: CURATED }), lakeDir);
  }, 120_000);

  afterAll(async () => {
    await engine.close();
    await s3.stop();
    await rm(lakeDir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const reportsBucket = `telco-kpi-reports-${++bucketCount}`;
    await s3.client.send(new CreateBucketCommand({ Bucket: reportsBucket }));
    ses = new SESv2Client({ region: 'ap-southeast-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    sesMock = mockClient(ses);
    let n = 0;
    sesMock.on(SendEmailCommand).callsFake(() => ({ MessageId: `ses-${++n}` }));
    const athena = new AthenaClient({ region: 'ap-southeast-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    mockClient(athena).rejects(new Error('Athena is not reachable in tests; the DuckDB engine stands in'));
    runtime = withCharts({ ...reportRuntime(reportConfig('weekly', env(reportsBucket)), { s3: s3.client, athena, ses }, () => NOW), engine });
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  async function sent(): Promise<ParsedMail[]> {
    const calls = sesMock.commandCalls(SendEmailCommand);
    return Promise.all(calls.map((c) => simpleParser(Buffer.from((c.args[0].input as { Content: { Raw: { Data: Uint8Array } } }).Content.Raw.Data), { keepCidLinks: true })));
  }

  it('sends the previous week once to every recipient list, each its own scope, with the workbook attached', async () => {
    // Prepare
    const handler = createWeeklyReportHandler(() => runtime);
    // Act
    const summary = await handler({ period: 'previous-week' });
    // Assess
    expect(summary).toEqual({
      period: '2026-W47',
      scopes: [
        { scope: 'ALL', ok: true, runs: [expect.objectContaining({ listName: '全国市场部', state: 'sent', revision: 0, partial: false })] },
        { scope: 'JL', ok: true, runs: [expect.objectContaining({ listName: '吉林省分公司', state: 'sent', revision: 0, partial: false })] },
      ],
    });
    const mails = await sent();
    expect(mails).toHaveLength(2);
    expect(mails.map(recipients)).toEqual([EXEC, JL]);
    expect(mails.map((m) => m.attachments.filter((a) => !a.related).map((a) => a.filename))).toEqual([['telco-kpi_2026-W47_ALL.xlsx'], ['telco-kpi_2026-W47_JL.xlsx']]);
    expect(mails[0]!.attachments.find((a) => !a.related)!.content.subarray(0, 2).toString()).toBe('PK');
    // SES raw carries the two charts inline, each shown by the HTML through its Content-ID.
    for (const mail of mails) {
      const inline = mail.attachments.filter((a) => a.related);
      expect(inline.map((a) => [a.filename, a.contentType])).toEqual([['trend.png', 'image/png'], ['mix.png', 'image/png']]);
      for (const image of inline) expect(mail.html || '').toContain(`src="cid:${image.cid}"`);
    }
    expect(mails.every((m) => m.from?.value[0]?.address === 'kpi-report@telco.example.cn')).toBe(true);
    const reports = await runtime.store.list('reports/2026-W47/');
    expect(reports).toEqual(['reports/2026-W47/ALL/kpis.json', 'reports/2026-W47/ALL/report.xlsx', 'reports/2026-W47/JL/kpis.json', 'reports/2026-W47/JL/report.xlsx']);
    expect((await listRuns(runtime.store)).map((r) => r.state)).toEqual(['sent', 'sent']);
  });

  it('sends nothing the second time: the ledger in the reports bucket already holds both deliveries', async () => {
    // Prepare
    const handler = createWeeklyReportHandler(() => runtime);
    await handler({ period: 'previous-week' });
    sesMock.resetHistory();
    // Act
    const again = await handler({ period: '2026-W47' });
    // Assess
    expect(again.scopes.flatMap((s) => s.runs.map((r) => r.state))).toEqual(['duplicate', 'duplicate']);
    expect(sesMock.commandCalls(SendEmailCommand)).toHaveLength(0);
  });

  it('a retry that finds the claim of an invocation killed while sending fails for another retry, then reports uncertain; nothing is resent (issue 10)', async () => {
    // Prepare: an invocation with a 4-minute timeout handed the ALL report to SES and was killed before the ledger said so
    const deliveries = `runs/${jobKey({ kind: 'weekly', periodId: '2026-W47', scope: 'ALL', listName: '全国市场部', to: EXEC })}/deliveries`;
    await runtime.store.put(`${deliveries}/r0000-e000.claim`, JSON.stringify({
      runId: 'run-killed', contentHash: 'h', revision: 0, claimedAt: NOW.toISOString(), expiresAt: new Date(NOW.getTime() + 4 * 60_000).toISOString(), phase: 'sending',
    }));
    const context = { getRemainingTimeInMillis: () => 2 * 60_000 };
    // Act: Lambda's retry a minute later, with too little time left to wait for the claim to run out
    const soon = createWeeklyReportHandler(() => ({ ...runtime, now: () => new Date(NOW.getTime() + 60_000) }));
    const failure = await soon({ period: '2026-W47', scope: 'ALL' }, context).then(() => undefined, (e: unknown) => e as Error);
    // …and the next retry, after the killed invocation's timeout
    const later = createWeeklyReportHandler(() => ({ ...runtime, now: () => new Date(NOW.getTime() + 5 * 60_000) }));
    const summary = await later({ period: '2026-W47', scope: 'ALL' }, context);
    // Assess
    expect(failure).toBeInstanceOf(ReportJobFailedError);
    expect(failure!.message).toContain('全国市场部 concurrent');
    expect(summary.scopes[0]!.runs.map((r) => r.state)).toEqual(['uncertain']);
    const mails = await sent();
    expect(mails.map(recipients)).toEqual([OPS]);
    expect(mails[0]!.subject).toContain('uncertain');
    expect((await listRuns(runtime.store)).map((r) => r.state)).toEqual(['concurrent', 'uncertain']);
  });

  it('a retry takes over the claim of an invocation killed before it handed the report to SES, and sends it once', async () => {
    // Prepare
    const deliveries = `runs/${jobKey({ kind: 'weekly', periodId: '2026-W47', scope: 'ALL', listName: '全国市场部', to: EXEC })}/deliveries`;
    await runtime.store.put(`${deliveries}/r0000-e000.claim`, JSON.stringify({
      runId: 'run-killed', contentHash: 'h', revision: 0, claimedAt: NOW.toISOString(), expiresAt: new Date(NOW.getTime() + 4 * 60_000).toISOString(), phase: 'claimed',
    }));
    const handler = createWeeklyReportHandler(() => ({ ...runtime, now: () => new Date(NOW.getTime() + 5 * 60_000) }));
    // Act
    const summary = await handler({ period: '2026-W47', scope: 'ALL' }, { getRemainingTimeInMillis: () => 9 * 60_000 });
    // Assess
    expect(summary.scopes[0]!.runs.map((r) => [r.state, r.revision])).toEqual([['sent', 0]]);
    expect((await sent()).map(recipients)).toEqual([EXEC]);
    const claim = JSON.parse(Buffer.from((await runtime.store.get(`${deliveries}/r0000-e001.claim`))!).toString('utf8')) as { expiresAt: string; phase: string };
    expect(claim).toMatchObject({ expiresAt: new Date(NOW.getTime() + 14 * 60_000).toISOString(), phase: 'sending' });
  });

  it('runs only the scope an event names', async () => {
    const summary = await createWeeklyReportHandler(() => runtime)({ period: '2026-W47', scope: 'jl' });
    expect(summary.scopes.map((s) => s.scope)).toEqual(['JL']);
    expect((await sent()).map(recipients)).toEqual([JL]);
  });

  it('sends no report when a query fails, tells the operators, records the failure and throws for the retry and alarm', async () => {
    // Prepare
    const broken = { ...runtime, engine: failing(engine, 'kpi_rows') };
    const handler = createWeeklyReportHandler(() => broken);
    // Act / Assess
    await expect(handler({ period: 'previous-week' })).rejects.toThrow(ReportJobFailedError);
    const mails = await sent();
    expect(mails).toHaveLength(2);
    expect(mails.every((m) => recipients(m).join(',') === OPS.join(','))).toBe(true);
    expect(mails[0]!.subject).toMatch(/\[telco-kpi\] failed: weekly 2026-W47 ALL/);
    expect(mails[0]!.text).toMatch(/kpi_rows\.sql \(Athena execution qe-0001\) ended FAILED: HIVE_BAD_DATA/);
    expect(await runtime.store.list('reports/2026-W47/')).toEqual([]);
    expect((await listRuns(runtime.store)).map((r) => r.state)).toEqual(['failed', 'failed']);
  });

  it('then sends normally once the query works again (the failure claimed nothing)', async () => {
    // Prepare
    await expect(createWeeklyReportHandler(() => ({ ...runtime, engine: failing(engine, 'received_days') }))({})).rejects.toThrow(ReportJobFailedError);
    sesMock.resetHistory();
    // Act
    const summary = await createWeeklyReportHandler(() => runtime)({});
    // Assess
    expect(summary.scopes.every((s) => s.ok)).toBe(true);
    expect((await sent()).map(recipients)).toEqual([EXEC, JL]);
  });

  it('refuses a period that is not a week or month, naming it', async () => {
    await expect(createWeeklyReportHandler(() => runtime)({ period: 'last-week' })).rejects.toThrow(ReportEventError);
    expect(sesMock.commandCalls(SendEmailCommand)).toHaveLength(0);
  });

  it('mails through the operator\'s SMTP relay when MAIL_TRANSPORT=smtp, its URL read once from Secrets Manager', async () => {
    // Prepare: a real SMTP server, and an HTTP endpoint answering GetSecretValue with its URL
    const smtp = await startScriptedSmtp([]);
    const requests: Array<{ headers: Record<string, string | string[] | undefined>; body: string }> = [];
    const secrets = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        requests.push({ headers: req.headers, body });
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify({ Name: 'telco-kpi-smtp', SecretString: smtp.url }));
      });
    });
    await new Promise<void>((resolve) => secrets.listen(0, '127.0.0.1', resolve));
    const secretArn = 'arn:aws-cn:secretsmanager:cn-north-1:111122223333:secret:telco-kpi-smtp-AbCdEf';
    try {
      const config = reportConfig('weekly', {
        ...env(`telco-kpi-reports-${bucketCount}`), MAIL_TRANSPORT: 'smtp', SMTP_SECRET_ARN: secretArn,
        SECRETS_MANAGER_ENDPOINT: `http://127.0.0.1:${(secrets.address() as AddressInfo).port}/`, AWS_REGION: 'cn-north-1',
      });
      const credentials = () => ({ accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret', sessionToken: 'test-token' });
      const rt = { ...reportRuntime(config, { s3: s3.client, athena: new AthenaClient({ region: 'cn-north-1' }), ses, credentials }, () => NOW), engine };
      // Act
      const summary = await createWeeklyReportHandler(() => rt)({ period: 'previous-week' });
      // Assess
      expect(summary.scopes.map((sc) => [sc.scope, sc.ok])).toEqual([['ALL', true], ['JL', true]]);
      expect(smtp.received.map((m) => [...m.rcptTo].sort())).toEqual([[...EXEC].sort(), JL]);
      expect(smtp.received[0]!.parsed.attachments.map((a) => a.filename)).toEqual(['telco-kpi_2026-W47_ALL.xlsx']);
      expect(sesMock.commandCalls(SendEmailCommand)).toHaveLength(0);
      expect(requests).toHaveLength(1);
      expect(requests[0]!.headers['x-amz-target']).toBe('secretsmanager.GetSecretValue');
      expect(requests[0]!.headers['x-amz-security-token']).toBe('test-token');
      expect(requests[0]!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/cn-north-1\/secretsmanager\/aws4_request, /);
      expect(JSON.parse(requests[0]!.body)).toEqual({ SecretId: secretArn });
    } finally {
      await new Promise((resolve) => secrets.close(resolve));
      await smtp.close();
    }
  });

  it('mails the month\'s incentive tally to HR only, once, with the bundled plans', async () => {
    // Prepare
    const rt = { ...reportRuntime(reportConfig('incentives', env(`telco-kpi-reports-${bucketCount}`)), { s3: s3.client, athena: new AthenaClient({ region: 'ap-southeast-1' }), ses }, () => NOW), engine };
    const handler = createIncentivesHandler(() => rt, () => readPlans(rt.config.plansDir));
    // Act
    const first = await handler({ period: '2026-11' });
    const second = await handler({ period: '2026-11' });
    // Assess
    expect(first.runs).toEqual([expect.objectContaining({ listName: '人力资源部', state: 'sent' })]);
    expect(first.summary.managers).toBeGreaterThan(0);
    expect(second.runs.map((r) => r.state)).toEqual(['duplicate']);
    const mails = await sent();
    expect(mails).toHaveLength(1);
    expect(recipients(mails[0]!)).toEqual(HR);
    expect(mails[0]!.attachments.map((a) => a.filename)).toEqual(['incentives-2026-11.xlsx']);
    expect(await rt.store.list('reports/2026-11/incentives/')).toEqual(['reports/2026-11/incentives/incentives.json', 'reports/2026-11/incentives/incentives.xlsx']);
    // In the bucket, everything of the HR tally is under hr/, the prefix only the incentives role reaches.
    const bucket = new S3ObjectStore(s3.client, { bucket: `telco-kpi-reports-${bucketCount}` });
    const keys = await bucket.list('');
    expect(keys).toContain('hr/reports/2026-11/incentives/incentives.xlsx');
    expect(keys.filter((k) => k.includes('/deliveries/')).every((k) => k.startsWith('hr/runs/incentives/2026-11/'))).toBe(true);
    expect(keys.filter((k) => !k.startsWith('hr/'))).toEqual([]);
    await expect(handler({ period: '2026-W47' })).rejects.toThrow(/incentives are monthly/);
  });
});

describe('report function configuration from the environment', () => {
  const base = env('telco-kpi-reports');

  it('builds the same settings the YAML would give, defaults included', () => {
    const config = reportConfig('weekly', base);
    expect(config.settings.provinces).toEqual(['JL', 'GD']);
    expect(config.settings.recipients.weekly.map((l) => [l.scope, l.lang])).toEqual([['ALL', 'zh-CN'], ['JL', 'zh-CN']]);
    expect(config.settings.freshness.week).toEqual({ mode: 'wait', deadlineHours: 12 });
    expect(config.mailLinkSeconds).toBe(604_800);
    expect(config.mail).toEqual({ transport: 'ses' });
  });

  it.each([
    ['a missing recipients variable', { REPORT_RECIPIENTS: '' }, /REPORT_RECIPIENTS is not set/],
    ['recipients that are not JSON', { REPORT_RECIPIENTS: 'exec@example.cn' }, /REPORT_RECIPIENTS is not JSON/],
    ['a bad address inside the JSON', { REPORT_RECIPIENTS: '[{"name":"x","scope":"ALL","to":["not-an-address"]}]' }, /REPORT_RECIPIENTS \(recipients\.weekly\.0\.to\.0\): an e-mail address/],
    ['an unknown province', { EXPECTED_PROVINCES: 'JL,XX' }, /EXPECTED_PROVINCES \(provinces\.1\)/],
    ['a missing bucket', { REPORTS_BUCKET: ' ' }, /REPORTS_BUCKET is not set/],
    ['an unknown mail transport', { MAIL_TRANSPORT: 'pigeon' }, /MAIL_TRANSPORT is 'pigeon'; expected ses or smtp/],
    ['the relay without its secret', { MAIL_TRANSPORT: 'smtp', SECRETS_MANAGER_ENDPOINT: 'https://secretsmanager.cn-north-1.amazonaws.com.cn', AWS_REGION: 'cn-north-1' }, /SMTP_SECRET_ARN is not set/],
  ])('fails the cold start on %s, naming the variable', (_what, change, message) => {
    expect(() => reportConfig('weekly', { ...base, ...change })).toThrow(ConfigError);
    expect(() => reportConfig('weekly', { ...base, ...change })).toThrow(message);
  });

  it('does not need the weekly lists in the incentives function, but needs HR', () => {
    const { REPORT_RECIPIENTS: _weekly, ...incentivesEnv } = base;
    expect(reportConfig('incentives', incentivesEnv).settings.recipients.incentives[0]!.to).toEqual(HR);
    expect(() => reportConfig('incentives', { ...incentivesEnv, HR_RECIPIENTS: '' })).toThrow(/HR_RECIPIENTS is not set/);
  });
});
