import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalObjectStore, ObjectKeyError } from '../../lambdas/adapters/local-object-store.js';

describe('LocalObjectStore', () => {
  let root: string;
  let store: LocalObjectStore;
  const text = (bytes: Uint8Array | undefined) => (bytes ? new TextDecoder().decode(bytes) : undefined);

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'telco-kpi-store-'));
    store = new LocalObjectStore(root);
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('puts, replaces and gets an object, leaving no temp file behind', async () => {
    // Act
    await store.put('lake/sales/dt=2026-11-18/province=JL/data.parquet', 'one');
    await store.put('lake/sales/dt=2026-11-18/province=JL/data.parquet', new TextEncoder().encode('two'));
    // Assess
    expect(text(await store.get('lake/sales/dt=2026-11-18/province=JL/data.parquet'))).toBe('two');
    expect(await readdir(join(root, 'lake/sales/dt=2026-11-18/province=JL'))).toEqual(['data.parquet']);
  });

  it('returns undefined for a missing object', async () => {
    // Assess
    expect(await store.get('nothing/here.json')).toBeUndefined();
  });

  it('putIfAbsent writes once and then refuses without changing the object', async () => {
    // Act
    const first = await store.putIfAbsent('sent/2026-W47.json', 'first');
    const second = await store.putIfAbsent('sent/2026-W47.json', 'second');
    // Assess
    expect([first, second]).toEqual([true, false]);
    expect(text(await store.get('sent/2026-W47.json'))).toBe('first');
    expect(await readdir(join(root, 'sent'))).toEqual(['2026-W47.json']);
  });

  it('lets exactly one of several concurrent putIfAbsent calls win', async () => {
    // Act
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => store.putIfAbsent('lock.json', `writer ${i}`)));
    // Assess
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(text(await store.get('lock.json'))).toBe(`writer ${results.indexOf(true)}`);
  });

  it('lists keys under a prefix recursively and sorted, prefix not bound to folders', async () => {
    // Prepare
    for (const key of ['b/2.txt', 'a/x/1.txt', 'a/0.txt', 'ab/3.txt', 'c.txt']) await store.put(key, key);
    // Act
    const all = await store.list('');
    const underA = await store.list('a/');
    const startingA = await store.list('a');
    // Assess
    expect(all).toEqual(['a/0.txt', 'a/x/1.txt', 'ab/3.txt', 'b/2.txt', 'c.txt']);
    expect(underA).toEqual(['a/0.txt', 'a/x/1.txt']);
    expect(startingA).toEqual(['a/0.txt', 'a/x/1.txt', 'ab/3.txt']);
    expect(await store.list('missing/')).toEqual([]);
  });

  it('deletes an object and ignores a missing one', async () => {
    // Prepare
    await store.put('k.txt', 'v');
    // Act
    await store.delete('k.txt');
    await store.delete('k.txt');
    // Assess
    expect(await store.get('k.txt')).toBeUndefined();
  });

  it.each(['../escape.txt', '/abs.txt', 'a//b', 'a/./b', ''])('refuses the key %j', async (key) => {
    // Act
    const result = store.put(key, 'x');
    // Assess
    await expect(result).rejects.toThrow(ObjectKeyError);
  });
});
