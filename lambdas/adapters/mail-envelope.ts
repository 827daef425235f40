/** Small helpers every mail transport shares: envelope addresses and the Message-ID of built MIME. */
import addressparser from 'nodemailer/lib/addressparser';
import type { MailMessage } from '../core/ports.js';

function bareAddresses(field: string): string[] {
  const out: string[] = [];
  const walk = (entries: ReturnType<typeof addressparser>): void => {
    for (const entry of entries) {
      if (entry.group) walk(entry.group);
      else if (entry.address) out.push(entry.address);
    }
  };
  walk(addressparser(field));
  return out;
}

/** The SMTP envelope of a message: the bare sender address and every To and Cc address. */
export function envelopeOf(message: MailMessage): { from: string; to: string[] } {
  const from = bareAddresses(message.from)[0] ?? message.from;
  const to = [...message.to, ...(message.cc ?? [])].flatMap(bareAddresses);
  return { from, to: [...new Set(to)] };
}

/** The Message-ID header (with angle brackets) of raw MIME, or undefined when it has none. */
export function messageIdOf(mime: Uint8Array): string | undefined {
  const text = Buffer.from(mime).toString('utf8');
  const end = text.search(/\r?\n\r?\n/);
  const head = end < 0 ? text : text.slice(0, end);
  return /^message-id:\s*(<[^>\r\n]+>)/im.exec(head)?.[1];
}
