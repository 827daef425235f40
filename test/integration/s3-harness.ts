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

export async function startS3(bucket: string, options: { honourIfNoneMatch: boolean }): Promise<S3Harness> {
  const directory = await mkdtemp(join(tmpdir(), 's3rver-'));
  const child: ChildProcess = spawn(process.execPath, ['--openssl-legacy-provider', CHILD, directory, bucket, String(options.honourIfNoneMatch)], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
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
      const reply = once(child, 'message');
      child.send({ type: 'requests' });
      const [message] = (await reply) as [{ requests: RecordedRequest[] }];
      return message.requests;
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
