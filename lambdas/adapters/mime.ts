import nodemailer from 'nodemailer';
import type { MailMessage } from '../core/ports.js';

const builder = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });

/** The one MIME builder: every transport (outbox, SMTP, SES) sends these exact bytes. */
export async function buildMime(message: MailMessage): Promise<Buffer> {
  const info = await builder.sendMail({
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
