/** The local Mailer: each message becomes one `.eml` file in an outbox folder. */
import { randomUUID } from 'node:crypto';
import { link, mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { MailMessage, MailReceipt, Mailer } from '../core/ports.js';
import { messageIdOf } from './mail-envelope.js';
import { buildMime } from './mime.js';

/** `2026-11-23T01-00-00-000Z`: an ISO instant safe in file names, sorting by time. */
function fileTimestamp(instant: Date): string {
  return instant.toISOString().replace(/[:.]/g, '-');
}

/** Letters and digits of the subject (any script), joined by dashes, at most 60 characters. */
export function subjectSlug(subject: string): string {
  const slug = subject.normalize('NFKC').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-+|-+$/g, '');
  const cut = [...slug].slice(0, 60).join('').replace(/-+$/, '');
  return cut === '' ? 'message' : cut;
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

/** Writes each message to `<dir>/<timestamp>-<slug>.eml` atomically (temp file, then link or rename). */
export class OutboxMailer implements Mailer {
  constructor(private readonly dir: string, private readonly now: () => Date = () => new Date()) {}

  async send(message: MailMessage): Promise<MailReceipt> {
    const mime = await buildMime(message);
    await mkdir(this.dir, { recursive: true });
    const base = `${fileTimestamp(this.now())}-${subjectSlug(message.subject)}`;
    const temp = path.join(this.dir, `.${base}.${randomUUID()}.tmp`);
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(mime);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      const file = await this.publish(temp, base);
      return { transport: 'outbox', location: file, messageId: messageIdOf(mime) ?? message.messageId ?? '' };
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw error;
    }
  }

  /** Gives the temp file its final name without replacing an existing message. */
  private async publish(temp: string, base: string): Promise<string> {
    for (let n = 1; ; n++) {
      const file = path.join(this.dir, `${base}${n === 1 ? '' : `-${n}`}.eml`);
      try {
        await link(temp, file);
        await unlink(temp);
        return file;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') continue;
        if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EXDEV') throw error;
        // A file system without hard links: rename, which is atomic but would replace, so look first.
        if (await exists(file)) continue;
        await rename(temp, file);
        return file;
      }
    }
  }
}
