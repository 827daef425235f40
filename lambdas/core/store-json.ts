/** Small JSON records in the object store (manifests, locks, claims): read back, or undefined when absent or unreadable. */
import type { ObjectStore } from './ports.js';

/** The object at `key` parsed as JSON; undefined when there is none or it is not JSON. */
export async function readJson<T>(store: ObjectStore, key: string): Promise<T | undefined> {
  const bytes = await store.get(key);
  return bytes ? parseJson<T>(bytes) : undefined;
}

/** UTF-8 JSON bytes parsed; undefined when they are not JSON. */
export function parseJson<T>(bytes: Uint8Array): T | undefined {
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as T;
  } catch {
    return undefined;
  }
}
