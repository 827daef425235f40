/** ObjectStore on a local folder: keys are relative paths; writes go through a temp file and a rename/link. */
import { randomBytes } from 'node:crypto';
import { link, mkdir, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { TelcoKpiError } from '../core/errors.js';
import type { ObjectStore } from '../core/ports.js';

/** An object key that would leave the store's folder or is not a plain relative path. */
export class ObjectKeyError extends TelcoKpiError {}

const TEMP_SUFFIX = '.tmp~';

export class LocalObjectStore implements ObjectStore {
  constructor(readonly root: string) {}

  async put(key: string, body: Uint8Array | string): Promise<void> {
    const path = this.pathOf(key);
    const temp = await this.writeTemp(path, body);
    try {
      await rename(temp, path);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw error;
    }
  }

  async putIfAbsent(key: string, body: Uint8Array | string): Promise<boolean> {
    const path = this.pathOf(key);
    const temp = await this.writeTemp(path, body);
    try {
      await link(temp, path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    } finally {
      await unlink(temp).catch(() => undefined);
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(this.pathOf(key)));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return undefined;
      throw error;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const slash = prefix.lastIndexOf('/');
    const base = slash >= 0 ? prefix.slice(0, slash) : '';
    if (base) this.pathOf(base);
    const keys: string[] = [];
    await this.walk(base, keys);
    return keys.filter((k) => k.startsWith(prefix)).sort();
  }

  async delete(key: string): Promise<void> {
    try {
      await unlink(this.pathOf(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }

  private async walk(dir: string, keys: string[]): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir ? join(this.root, ...dir.split('/')) : this.root, { withFileTypes: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      throw error;
    }
    for (const entry of entries) {
      const key = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await this.walk(key, keys);
      else if (entry.isFile() && !entry.name.endsWith(TEMP_SUFFIX)) keys.push(key);
    }
  }

  private async writeTemp(path: string, body: Uint8Array | string): Promise<string> {
    await mkdir(dirname(path), { recursive: true });
    const temp = `${path}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`;
    await writeFile(temp, body, { flag: 'wx' });
    return temp;
  }

  private pathOf(key: string): string {
    const parts = key.split('/');
    if (key === '' || key.startsWith('/') || key.includes('\\') || parts.some((p) => p === '' || p === '.' || p === '..') || key.includes(sep + sep)) {
      throw new ObjectKeyError(`'${key}' is not an object key; expected a relative path like lake/sales/dt=2026-11-18/province=JL/data.parquet`);
    }
    return join(this.root, ...parts);
  }
}
