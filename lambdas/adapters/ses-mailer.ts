import { SendEmailCommand, type SESv2Client } from '@aws-sdk/client-sesv2';
import { TelcoKpiError } from '../core/errors.js';
import { escapeHtml } from '../core/report/mail.js';
import type { MailAttachment, MailMessage, MailReceipt, Mailer } from '../core/ports.js';
import { buildMime } from './mime.js';

/** SES v2 refuses a raw message above 40 MB (attachments and encoding included). */
export const SES_MAX_MESSAGE_BYTES = 40 * 1000 * 1000;

export interface AttachmentLink {
  filename: string;
  url: string;
}

export interface SesMailerOptions {
  /** Raw message size above which attachments are replaced by links. Default SES_MAX_MESSAGE_BYTES. */
  maxMessageBytes?: number;
  /** Stores one attachment somewhere downloadable and returns its URL (e.g. S3 put + presigned GET). */
  linkFor: (attachment: MailAttachment) => Promise<string>;
  /** SES configuration set (event publishing, suppression), when one is configured. */
  configurationSetName?: string;
  /** The paragraph added to the body in place of the attachments. */
  linkNotice?: (links: readonly AttachmentLink[]) => { html: string; text: string };
}

/** Even with its attachments turned into links the message is too big for SES. */
export class MessageTooLargeError extends TelcoKpiError {}


/** Default notice, in Chinese and English since the mailer does not know the report's language. */
export function defaultLinkNotice(links: readonly AttachmentLink[]): { html: string; text: string } {
  const html = '<hr><p>附件过大，无法随邮件发送，请通过以下链接下载 / The attachments were too large for e-mail; download them here:</p><ul>'
    + links.map((l) => `<li><a href="${escapeHtml(l.url)}">${escapeHtml(l.filename)}</a></li>`).join('')
    + '</ul>';
  const text = '\n\n附件过大，无法随邮件发送，请通过以下链接下载 / The attachments were too large for e-mail; download them here:\n'
    + links.map((l) => `- ${l.filename}: ${l.url}`).join('\n') + '\n';
  return { html, text };
}

/** The Mailer port on SES v2: sends the raw MIME built by buildMime(), links instead of attachments when too big. */
export class SesMailer implements Mailer {
  private readonly maxMessageBytes: number;

  constructor(private readonly client: SESv2Client, private readonly options: SesMailerOptions) {
    this.maxMessageBytes = options.maxMessageBytes ?? SES_MAX_MESSAGE_BYTES;
  }

  async send(message: MailMessage): Promise<MailReceipt> {
    let raw = await buildMime(message);
    if (raw.byteLength > this.maxMessageBytes && message.attachments.some((a) => !a.cid)) {
      raw = await buildMime(await this.withLinks(message));
    }
    if (raw.byteLength > this.maxMessageBytes) {
      throw new MessageTooLargeError(
        `message '${message.subject}' is ${raw.byteLength} bytes without attachments (inline charts kept); SES accepts at most ${this.maxMessageBytes}`,
      );
    }
    const out = await this.client.send(new SendEmailCommand({
      FromEmailAddress: message.from,
      Destination: { ToAddresses: [...message.to], CcAddresses: message.cc ? [...message.cc] : undefined },
      Content: { Raw: { Data: raw } },
      ConfigurationSetName: this.options.configurationSetName,
    }));
    const sesId = out.MessageId ?? '';
    return { transport: 'ses', location: `ses:${sesId}`, messageId: message.messageId ?? sesId };
  }

  /** The same message with every attachment replaced by a download link in both bodies; inline images stay. */
  private async withLinks(message: MailMessage): Promise<MailMessage> {
    const links: AttachmentLink[] = [];
    for (const attachment of message.attachments.filter((a) => !a.cid)) {
      links.push({ filename: attachment.filename, url: await this.options.linkFor(attachment) });
    }
    const notice = (this.options.linkNotice ?? defaultLinkNotice)(links);
    const html = /<\/body>/i.test(message.html)
      ? message.html.replace(/<\/body>/i, `${notice.html}</body>`)
      : message.html + notice.html;
    return { ...message, html, text: message.text + notice.text, attachments: message.attachments.filter((a) => a.cid) };
  }
}
