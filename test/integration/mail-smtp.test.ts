import net from 'node:net';
import { readFileSync } from 'node:fs';
import { simpleParser, type AddressObject } from 'mailparser';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { SmtpDeliveryError, SmtpMailer } from '../../lambdas/adapters/smtp-mailer.js';
import type { KpiReport } from '../../lambdas/core/kpis/kpi-types.js';
import type { MailMessage } from '../../lambdas/core/ports.js';
import { composeReportMail } from '../../lambdas/core/report/mail.js';
import { buildReportWorkbook } from '../../lambdas/core/report/workbook.js';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

interface Received {
  raw: Buffer;
  mailFrom: string;
  rcptTo: string[];
  user?: string;
}

interface Hooks {
  onRcptTo?: (address: string) => Error | undefined;
  onData?: () => Error | undefined;
}

const servers: Array<{ close: () => Promise<void> }> = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function smtpError(message: string, responseCode: number): Error {
  return Object.assign(new Error(message), { responseCode });
}

/** A real SMTP server on a random loopback port that keeps what it receives. */
async function startSmtp(hooks: Hooks = {}): Promise<{ port: number; received: Received[] }> {
  const received: Received[] = [];
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === 'kpi' && auth.password === 's3cret') callback(null, { user: auth.username });
      else callback(smtpError('bad credentials', 535));
    },
    onRcptTo(address, _session, callback) {
      callback(hooks.onRcptTo?.(address.address) ?? undefined);
    },
    onData(stream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const rejection = hooks.onData?.();
        if (rejection) return callback(rejection);
        received.push({
          raw: Buffer.concat(chunks),
          mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          rcptTo: session.envelope.rcptTo.map((r) => r.address),
          user: session.user as string | undefined,
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push({ close: () => new Promise<void>((resolve) => server.close(() => resolve())) });
  const address = server.server.address() as net.AddressInfo;
  return { port: address.port, received };
}

function message(overrides: Partial<MailMessage> = {}): MailMessage {
  return {
    from: '"营销KPI" <kpi@telco.example.cn>',
    to: ['ceo@telco.example.cn', '"市场部" <market@telco.example.cn>'],
    cc: ['ops@telco.example.cn'],
    subject: '【周报】营销KPI 2026年第47周（11/16–11/22）· 全国',
    html: '<p>hello</p>',
    text: 'hello',
    attachments: [],
    ...overrides,
  };
}

async function failureOf(promise: Promise<unknown>): Promise<SmtpDeliveryError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SmtpDeliveryError) return error;
    throw error;
  }
  throw new Error('expected the delivery to fail');
}

describe('SmtpMailer', () => {
  it('delivers the report e-mail with its workbook to a real SMTP server, envelope including Cc', async () => {
    // Prepare
    const { port, received } = await startSmtp();
    const report = JSON.parse(readFileSync(new URL('../fixtures/kpis/week.json', import.meta.url), 'utf8')) as KpiReport;
    const workbook = await buildReportWorkbook(report, { lang: 'zh-CN', runId: 'run-47' });
    const mail = composeReportMail(report, { lang: 'zh-CN', runId: 'run-47', workbookName: 'report.xlsx' });
    const mailer = new SmtpMailer(`smtp://kpi:s3cret@127.0.0.1:${port}`);
    // Act
    const receipt = await mailer.send(message({ ...mail, attachments: [{ filename: '营销KPI-2026-W47.xlsx', content: workbook, contentType: XLSX }] }));
    mailer.close();
    // Assess
    expect(received).toHaveLength(1);
    const got = received[0]!;
    expect(got.user).toBe('kpi');
    expect(got.mailFrom).toBe('kpi@telco.example.cn');
    expect(got.rcptTo.sort()).toEqual(['ceo@telco.example.cn', 'market@telco.example.cn', 'ops@telco.example.cn']);
    const parsed = await simpleParser(got.raw);
    expect(parsed.subject).toBe('【周报】营销KPI 2026年第47周（11/16–11/22）· 全国 · 缺2个省日数据');
    expect((parsed.to as AddressObject).value.map((a) => a.address)).toEqual(['ceo@telco.example.cn', 'market@telco.example.cn']);
    expect((parsed.cc as AddressObject).value.map((a) => a.address)).toEqual(['ops@telco.example.cn']);
    expect(parsed.html).toContain('数据不完整，以下省日缺数据：吉林 11/18（收入日报）；四川 11/20（销售日报、服务日报）');
    expect(parsed.text).toContain('运行编号：run-47');
    expect(parsed.attachments).toHaveLength(1);
    expect(parsed.attachments[0]!.filename).toBe('营销KPI-2026-W47.xlsx');
    expect(parsed.attachments[0]!.contentType).toBe(XLSX);
    expect(Buffer.compare(parsed.attachments[0]!.content, Buffer.from(workbook))).toBe(0);
    expect(receipt.transport).toBe('smtp');
    expect(receipt.messageId).toBe(parsed.messageId);
    expect(receipt.location).toContain(`smtp://127.0.0.1:${port}`);
    expect(receipt.location).not.toContain('s3cret');
  });

  it('maps a 4xx rejection to a transient SmtpDeliveryError with its response code', async () => {
    // Prepare
    const { port } = await startSmtp({ onRcptTo: () => smtpError('Mailbox busy, try later', 451) });
    const mailer = new SmtpMailer(`smtp://127.0.0.1:${port}`);
    // Act
    const error = await failureOf(mailer.send(message()));
    // Assess
    expect(error.responseCode).toBe(451);
    expect(error.transient).toBe(true);
    expect(error.message).toContain('451');
  });

  it('maps a 5xx rejection to a permanent SmtpDeliveryError', async () => {
    // Prepare
    const { port } = await startSmtp({ onRcptTo: () => smtpError('No such user', 550) });
    const mailer = new SmtpMailer(`smtp://127.0.0.1:${port}`);
    // Act
    const error = await failureOf(mailer.send(message()));
    // Assess
    expect(error.responseCode).toBe(550);
    expect(error.transient).toBe(false);
    expect(error.message).toMatch(/permanent/);
  });

  it('maps a message refused after DATA with 552 to permanent and with 452 to transient', async () => {
    // Prepare
    const tooBig = await startSmtp({ onData: () => smtpError('Message too large', 552) });
    const full = await startSmtp({ onData: () => smtpError('Insufficient storage', 452) });
    // Act
    const permanent = await failureOf(new SmtpMailer(`smtp://127.0.0.1:${tooBig.port}`).send(message()));
    const transient = await failureOf(new SmtpMailer(`smtp://127.0.0.1:${full.port}`).send(message()));
    // Assess
    expect([permanent.responseCode, permanent.transient]).toEqual([552, false]);
    expect([transient.responseCode, transient.transient]).toEqual([452, true]);
  });

  it('treats a dropped connection as transient, without leaking the password', async () => {
    // Prepare
    const dropper = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => dropper.listen(0, '127.0.0.1', resolve));
    servers.push({ close: () => new Promise<void>((resolve) => dropper.close(() => resolve())) });
    const { port } = dropper.address() as net.AddressInfo;
    const mailer = new SmtpMailer(`smtp://kpi:s3cret@127.0.0.1:${port}`);
    // Act
    const error = await failureOf(mailer.send(message()));
    // Assess
    expect(error.transient).toBe(true);
    expect(error.responseCode).toBeUndefined();
    expect(error.message).not.toContain('s3cret');
  });

  it('refuses a URL that is not smtp: or smtps:', () => {
    // Prepare, Act, Assess
    expect(() => new SmtpMailer('http://mail.example.cn')).toThrow(/expected smtp: or smtps:/);
  });
});
