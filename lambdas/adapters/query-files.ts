import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The `.sql` files of queries/, read once each; the engines that run them share this. */
export class QueryFiles {
  private readonly cache = new Map<string, string>();

  /** `unreadable` makes the engine's own error for a file that cannot be read. */
  constructor(private readonly dir: string, private readonly unreadable: (message: string, cause: unknown) => Error) {}

  /** The text of `<dir>/<name>.sql`. */
  async read(name: string): Promise<string> {
    let sql = this.cache.get(name);
    if (sql === undefined) {
      const path = join(this.dir, `${name}.sql`);
      try {
        sql = await readFile(path, 'utf8');
      } catch (error) {
        throw this.unreadable(`query file ${path} cannot be read: ${(error as Error).message}`, error);
      }
      this.cache.set(name, sql);
    }
    return sql;
  }
}
