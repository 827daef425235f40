/**
 * One ObjectStore over several: each key goes to the store of the first route whose prefix it
 * starts with, else to the fallback. The AWS runtime uses it to keep the core's single `store`
 * while the lake (`lake/…`) lives in the curated bucket (where the Glue tables point) and
 * everything else (receipts, reports, the run ledger, mail links) in the reports bucket.
 */
import type { ObjectStore } from '../core/ports.js';

export interface StoreRoute {
  /** A key prefix ending in `/`, e.g. `lake/`. */
  prefix: string;
  store: ObjectStore;
}

export class PrefixRoutedStore implements ObjectStore {
  constructor(private readonly routes: readonly StoreRoute[], private readonly fallback: ObjectStore) {}

  /** The store a key lives in. */
  storeFor(key: string): ObjectStore {
    return this.routes.find((r) => key.startsWith(r.prefix))?.store ?? this.fallback;
  }

  put(key: string, body: Uint8Array | string, options?: { contentType?: string }): Promise<void> {
    return this.storeFor(key).put(key, body, options);
  }

  putIfAbsent(key: string, body: Uint8Array | string, options?: { contentType?: string }): Promise<boolean> {
    return this.storeFor(key).putIfAbsent(key, body, options);
  }

  get(key: string): Promise<Uint8Array | undefined> {
    return this.storeFor(key).get(key);
  }

  delete(key: string): Promise<void> {
    return this.storeFor(key).delete(key);
  }

  /** Keys under a prefix from every store that can hold such keys, each key only from the store it routes to. */
  async list(prefix: string): Promise<string[]> {
    const inside = this.routes.find((r) => prefix.startsWith(r.prefix));
    if (inside) return inside.store.list(prefix);
    const routed = (key: string) => this.routes.some((r) => key.startsWith(r.prefix));
    const keys = (await this.fallback.list(prefix)).filter((k) => !routed(k));
    for (const route of this.routes.filter((r) => r.prefix.startsWith(prefix))) {
      keys.push(...(await route.store.list(route.prefix)).filter((k) => this.storeFor(k) === route.store));
    }
    return keys.sort();
  }
}
