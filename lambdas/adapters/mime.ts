import type { MailMessage } from '../core/ports.js';

/** nodemailer's MIME builder, loaded on the first message: a command that mails nothing never compiles it. */
const createBuilder = async () => (await import('nodemailer')).default.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
let builder: ReturnType<typeof createBuilder> | undefined;

/** The one MIME builder: every transport (outbox, SMTP, SES) sends these exact bytes. */
export async function buildMime(message: MailMessage): Promise<Buffer> {
  const info = await (await (builder ??= createBuilder())).sendMail({
    from: message.from,
    to: [...message.to],
    cc: message.cc ? [...message.cc] : undefined,
    subject: message.subject,
    html: message.html,
    text: message.text,
    messageId: message.messageId,
    headers: message.headers,
    attachments: message.attachments.map((a) => ({
      filename: a.filename,
      content: Buffer.from(a.content),
      contentType: a.contentType,
      ...(a.cid ? { cid: a.cid, contentDisposition: 'inline' as const } : {}),
    })),
  });
  return info.message as Buffer;
}
