/** s3rver in a child process on a random loopback port, with its own temp directory. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { S3Client } from '@aws-sdk/client-s3';

export interface RecordedRequest {
  method: string;
  path: string;
  query: string;
  ifNoneMatch?: string;
}

export interface S3Harness {
  client: S3Client;
  endpoint: string;
  /** Every request the server received so far. */
  requests(): Promise<RecordedRequest[]>;
  stop(): Promise<void>;
}

const CHILD = fileURLToPath(new URL('./s3rver-child.mjs', import.meta.url));

export interface S3Options {
  honourIfNoneMatch: boolean;
  /** A CORS rule on the bucket: PUT with a content-type header from this origin (the portal's landing bucket rule). */
  corsOrigin?: string;
  /** Called with each S3 notification (`{ Records: [...] }`) the server emits. */
  onEvent?: (event: unknown) => void;
}

export async function startS3(bucket: string, options: S3Options): Promise<S3Harness> {
  const directory = await mkdtemp(join(tmpdir(), 's3rver-'));
  const childOptions = JSON.stringify({ corsOrigin: options.corsOrigin, events: options.onEvent !== undefined });
  const child: ChildProcess = spawn(process.execPath, ['--openssl-legacy-provider', CHILD, directory, bucket, String(options.honourIfNoneMatch), '0', childOptions], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  child.on('message', (message: { type?: string; event?: unknown }) => {
    if (message.type === 'event') options.onEvent?.(message.event);
  });
  const lines = createInterface({ input: child.stdout! });
  const [first] = (await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(([code]) => { throw new Error(`s3rver child exited with ${String(code)} before listening`); }),
  ])) as [string];
  const { port } = JSON.parse(first) as { port: number };
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    client,
    endpoint,
    async requests() {
      const reply = new Promise<RecordedRequest[]>((resolve) => {
        const listener = (message: { type?: string; requests?: RecordedRequest[] }) => {
          if (message.type !== 'requests') return;
          child.off('message', listener);
          resolve(message.requests!);
        };
        child.on('message', listener);
      });
      child.send({ type: 'requests' });
      return reply;
    },
    async stop() {
      client.destroy();
      const exited = once(child, 'exit');
      child.disconnect();
      await exited;
      lines.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
