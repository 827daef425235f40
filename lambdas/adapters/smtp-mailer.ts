/** The Mailer for any SMTP server, from an `smtp://user:pass@host:port` URL. */
import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
import { ConfigError, TelcoKpiError } from '../core/errors.js';
import type { MailMessage, MailReceipt, Mailer } from '../core/ports.js';
import { envelopeOf, messageIdOf } from './mail-envelope.js';
import { buildMime } from './mime.js';

/** Failure codes nodemailer gives a dropped or unreachable connection: worth retrying later. */
const CONNECTION_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH']);

/** An SMTP server refused or lost a message. 4xx replies and dropped connections are transient, 5xx permanent. */
export class SmtpDeliveryError extends TelcoKpiError {
  readonly responseCode?: number;
  readonly transient: boolean;
  readonly code?: string;

  constructor(message: string, details: { responseCode?: number; transient: boolean; code?: string }, options?: { cause?: unknown }) {
    super(message, options);
    this.responseCode = details.responseCode;
    this.transient = details.transient;
    this.code = details.code;
  }
}

interface NodemailerFailure {
  message?: string;
  code?: string;
  responseCode?: number;
  response?: string;
  command?: string;
}

/** Maps a nodemailer failure to a SmtpDeliveryError saying what failed and whether to retry. */
export function toDeliveryError(error: unknown, where: string): SmtpDeliveryError {
  const failure = (typeof error === 'object' && error !== null ? error : {}) as NodemailerFailure;
  const responseCode = typeof failure.responseCode === 'number' ? failure.responseCode : undefined;
  const code = typeof failure.code === 'string' ? failure.code : undefined;
  let transient: boolean;
  if (responseCode !== undefined) transient = responseCode >= 400 && responseCode < 500;
  else transient = code !== undefined && CONNECTION_CODES.has(code);
  const reply = failure.response ?? failure.message ?? String(error);
  const step = failure.command ? ` at ${failure.command}` : '';
  const advice = transient
    ? 'transient: the server or connection asked to try again later'
    : 'permanent: the server refused the message; fix the address, sender or message before sending again';
  const codeText = responseCode !== undefined ? `reply ${responseCode}` : `error ${code ?? 'unknown'}`;
  return new SmtpDeliveryError(`SMTP delivery to ${where} failed${step} (${codeText}): ${reply} — ${advice}`, { responseCode, transient, code }, { cause: error });
}

/** `smtp://host:port` of a URL, without credentials, for messages and receipts. */
export function redactSmtpUrl(url: URL): string {
  return `${url.protocol}//${url.hostname}${url.port ? `:${url.port}` : ''}`;
}

/** Sends the one MIME built by buildMime() with an explicit envelope (from, To and Cc). */
export class SmtpMailer implements Mailer {
  private readonly transport: Transporter;
  private readonly where: string;

  constructor(url: string) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch (cause) {
      throw new ConfigError('SMTP_URL is not a URL: expected smtp://user:pass@host:port or smtps://…', { cause });
    }
    if (parsed.protocol !== 'smtp:' && parsed.protocol !== 'smtps:') {
      throw new ConfigError(`SMTP_URL has protocol '${parsed.protocol}': expected smtp: or smtps:`);
    }
    this.where = redactSmtpUrl(parsed);
    this.transport = nodemailer.createTransport(url);
  }

  async send(message: MailMessage): Promise<MailReceipt> {
    const raw = await buildMime(message);
    const envelope = envelopeOf(message);
    let info: { response?: string; rejected?: unknown[]; messageId?: string };
    try {
      info = await this.transport.sendMail({ envelope, raw });
    } catch (error) {
      throw toDeliveryError(error, this.where);
    }
    const rejected = (info.rejected ?? []).map(String);
    const location = `${this.where} ${info.response ?? ''}`.trim() + (rejected.length > 0 ? ` (rejected: ${rejected.join(', ')})` : '');
    return { transport: 'smtp', location, messageId: messageIdOf(raw) ?? info.messageId ?? '' };
  }

  close(): void {
    this.transport.close();
  }
}
