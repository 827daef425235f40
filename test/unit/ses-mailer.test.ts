import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { simpleParser } from 'mailparser';
import { beforeEach, describe, expect, it } from 'vitest';
import { MessageTooLargeError, SesMailer } from '../../lambdas/adapters/ses-mailer.js';
import type { MailAttachment, MailMessage } from '../../lambdas/core/ports.js';

const ses = mockClient(SESv2Client);
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

function message(attachmentBytes: number): MailMessage {
  const content = new Uint8Array(attachmentBytes);
  for (let i = 0; i < content.length; i += 1) content[i] = (i * 7) % 256;
  return {
    from: 'kpi@example.cn',
    to: ['ceo@example.cn'],
    cc: ['ops@example.cn'],
    subject: '2026-W47 周报 KPI',
    html: '<html><body><p>本周收入 1,234.56 万元</p></body></html>',
    text: '本周收入 1,234.56 万元',
    messageId: '<2026-W47.ALL@telco-kpi>',
    attachments: [{ filename: '2026-W47 周报.xlsx', content, contentType: XLSX }],
  };
}

function sentRaw(): Buffer {
  const input = ses.commandCalls(SendEmailCommand)[0]!.args[0].input;
  return Buffer.from(input.Content!.Raw!.Data!);
}

describe('SesMailer', () => {
  beforeEach(() => {
    ses.reset();
    ses.on(SendEmailCommand).resolves({ MessageId: 'ses-0001' });
  });

  it('sends the raw MIME with the attachment intact', async () => {
    // Prepare
    const links: MailAttachment[] = [];
    const mailer = new SesMailer(new SESv2Client({ region: 'cn-northwest-1' }), {
      linkFor: async (a) => { links.push(a); return 'https://unused'; },
    });
    const msg = message(50_000);
    // Act
    const receipt = await mailer.send(msg);
    // Assess
    const parsed = await simpleParser(sentRaw());
    expect(parsed.subject).toBe('2026-W47 周报 KPI');
    expect(parsed.messageId).toBe('<2026-W47.ALL@telco-kpi>');
    expect(parsed.attachments).toHaveLength(1);
    expect(parsed.attachments[0]!.filename).toBe('2026-W47 周报.xlsx');
    expect(parsed.attachments[0]!.contentType).toBe(XLSX);
    expect(Buffer.compare(parsed.attachments[0]!.content, Buffer.from(msg.attachments[0]!.content))).toBe(0);
    const input = ses.commandCalls(SendEmailCommand)[0]!.args[0].input;
    expect(input.FromEmailAddress).toBe('kpi@example.cn');
    expect(input.Destination).toEqual({ ToAddresses: ['ceo@example.cn'], CcAddresses: ['ops@example.cn'] });
    expect(links).toHaveLength(0);
    expect(receipt).toEqual({ transport: 'ses', location: 'ses:ses-0001', messageId: '<2026-W47.ALL@telco-kpi>' });
  });

  it('replaces attachments by download links when the message exceeds the size limit', async () => {
    // Prepare: a 200 kB attachment and a 100 kB limit
    const stored: MailAttachment[] = [];
    const mailer = new SesMailer(new SESv2Client({ region: 'cn-northwest-1' }), {
      maxMessageBytes: 100_000,
      linkFor: async (a) => { stored.push(a); return `https://reports.example/${encodeURIComponent(a.filename)}?X-Amz-Signature=abc&x=1`; },
    });
    const msg = message(200_000);
    // Act
    await mailer.send(msg);
    // Assess
    const raw = sentRaw();
    expect(raw.byteLength).toBeLessThanOrEqual(100_000);
    const parsed = await simpleParser(raw);
    expect(parsed.attachments).toHaveLength(0);
    expect(stored.map((a) => a.filename)).toEqual(['2026-W47 周报.xlsx']);
    expect(stored[0]!.content).toBe(msg.attachments[0]!.content);
    const url = 'https://reports.example/2026-W47%20%E5%91%A8%E6%8A%A5.xlsx?X-Amz-Signature=abc&x=1';
    expect(parsed.text).toContain(url);
    expect(parsed.text).toContain('本周收入');
    expect(parsed.html).toContain(`<a href="${url.replace('&', '&amp;')}">2026-W47 周报.xlsx</a>`);
    expect(parsed.html).toMatch(/下载.*<\/ul><\/body>/s);
  });

  it('refuses a message that is too big even without attachments', async () => {
    const mailer = new SesMailer(new SESv2Client({ region: 'cn-northwest-1' }), { maxMessageBytes: 2_000, linkFor: async () => 'https://x' });
    const msg = { ...message(10), html: `<p>${'长'.repeat(3_000)}</p>` };
    await expect(mailer.send(msg)).rejects.toBeInstanceOf(MessageTooLargeError);
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(0);
  });
});
