/** ObjectStore wrappers for fault injection: a crash at the n-th write, or a seeded jitter between calls. */
import type { ObjectStore } from '../../lambdas/core/ports.js';

export type StoreOp = 'put' | 'putIfAbsent' | 'get' | 'list' | 'delete';

export interface StoreCall {
  op: StoreOp;
  key: string;
}

/** Thrown by a CrashingStore: the process "died" at this call. */
export class SimulatedCrash extends Error {
  override name = 'SimulatedCrash';
}

/**
 * Passes calls through until `before(call, n)` says stop (n counts every call from 1); from then
 * on every call fails, as if the process or the server had gone away. `calls` records what ran.
 */
export class CrashingStore implements ObjectStore {
  readonly calls: StoreCall[] = [];
  crashed = false;
  /** Calls begun, counted when they begin: calls made side by side (a batch ingest) each get a number of their own. */
  private begun = 0;

  constructor(private readonly inner: ObjectStore, private readonly before: (call: StoreCall, n: number) => boolean | Promise<boolean>) {}

  private async gate(op: StoreOp, key: string): Promise<void> {
    if (this.crashed) throw new SimulatedCrash(`store gone: ${op} ${key}`);
    const call = { op, key };
    const n = ++this.begun;
    if (await this.before(call, n)) {
      this.crashed = true;
      throw new SimulatedCrash(`store gone at call ${n}: ${op} ${key}`);
    }
    this.calls.push(call);
  }

  async put(key: string, body: Uint8Array | string, options?: { contentType?: string }) { await this.gate('put', key); return this.inner.put(key, body, options); }
  async putIfAbsent(key: string, body: Uint8Array | string, options?: { contentType?: string }) { await this.gate('putIfAbsent', key); return this.inner.putIfAbsent(key, body, options); }
  async get(key: string) { await this.gate('get', key); return this.inner.get(key); }
  async list(prefix: string) { await this.gate('list', prefix); return this.inner.list(prefix); }
  async delete(key: string) { await this.gate('delete', key); return this.inner.delete(key); }
}

/** A small seeded PRNG (mulberry32): the same seed gives the same interleavings. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Yields a seeded random number of event-loop turns before and after each call, so concurrent callers interleave. */
export class JitteryStore implements ObjectStore {
  constructor(private readonly inner: ObjectStore, private readonly random: () => number) {}

  private async jitter(): Promise<void> {
    const turns = Math.floor(this.random() * 4);
    for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  }

  private async around<T>(call: () => Promise<T>): Promise<T> {
    await this.jitter();
    const result = await call();
    await this.jitter();
    return result;
  }

  put(key: string, body: Uint8Array | string, options?: { contentType?: string }) { return this.around(() => this.inner.put(key, body, options)); }
  putIfAbsent(key: string, body: Uint8Array | string, options?: { contentType?: string }) { return this.around(() => this.inner.putIfAbsent(key, body, options)); }
  get(key: string) { return this.around(() => this.inner.get(key)); }
  list(prefix: string) { return this.around(() => this.inner.list(prefix)); }
  delete(key: string) { return this.around(() => this.inner.delete(key)); }
}
