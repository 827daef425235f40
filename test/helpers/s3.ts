/** A real S3 protocol server (s3rver, child process) that a test can kill and restart with its data. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Agent } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { S3Client } from '@aws-sdk/client-s3';
import { S3ObjectStore } from '../../lambdas/adapters/s3-object-store.js';
import { CrashingStore, type StoreCall } from './faulty-store.js';

const CHILD = fileURLToPath(new URL('../integration/s3rver-child.mjs', import.meta.url));

export interface RestartableS3 {
  store: S3ObjectStore;
  /** SIGKILLs the server and waits until it is gone; requests then fail with a connection error. */
  kill(): Promise<void>;
  /** Starts the server again on the same port over the same directory. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

async function spawnServer(directory: string, bucket: string, port: number): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--openssl-legacy-provider', CHILD, directory, bucket, 'true', String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const [first] = (await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(([code]) => { throw new Error(`s3rver exited with ${String(code)} before listening`); }),
  ])) as [string];
  lines.close();
  return { child, port: (JSON.parse(first) as { port: number }).port };
}

export async function startRestartableS3(bucket = 'curated'): Promise<RestartableS3> {
  const directory = await mkdtemp(join(tmpdir(), 's3rver-restartable-'));
  let { child, port } = await spawnServer(directory, bucket, 0);
  let alive = true;
  const client = new S3Client({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // The SDK's retries stay on (a busy machine may drop a request); a killed server still fails
    // the call after them.
    maxAttempts: 3,
    // No kept-alive sockets: a socket to the killed server must not be reused after a restart.
    requestHandler: { httpAgent: new Agent({ keepAlive: false }) },
  });
  const kill = async () => {
    if (!alive) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
    alive = false;
  };
  return {
    store: new S3ObjectStore(client, { bucket, prefix: 'home/' }),
    kill,
    async restart() {
      if (alive) return;
      ({ child, port } = await spawnServer(directory, bucket, port));
      alive = true;
    },
    async close() {
      await kill();
      client.destroy();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** A store over the server that kills it just before the first call matching `when`; that call then fails for real. */
export function killingStore(s3: RestartableS3, when: (call: StoreCall, previous: StoreCall[]) => boolean): CrashingStore & { killedAt?: StoreCall } {
  const store: CrashingStore & { killedAt?: StoreCall } = new CrashingStore(s3.store, async (call) => {
    if (!store.killedAt && when(call, store.calls)) {
      store.killedAt = call;
      await s3.kill();
    }
    return false;
  });
  return store;
}
