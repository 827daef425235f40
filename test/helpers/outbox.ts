/** Reads the messages an OutboxMailer wrote, parsed with mailparser. */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';

export interface OutboxMail {
  file: string;
  to: string[];
  subject: string;
  parsed: ParsedMail;
}

export async function readOutbox(dir: string): Promise<OutboxMail[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.eml')).sort();
  } catch {
    return [];
  }
  const mails: OutboxMail[] = [];
  for (const file of names) {
    const parsed = await simpleParser(await readFile(join(dir, file)));
    const to = ([] as AddressObject[]).concat(parsed.to ?? []).flatMap((a) => a.value.map((v) => v.address ?? ''));
    mails.push({ file, to, subject: parsed.subject ?? '', parsed });
  }
  return mails;
}
