/** A real Trino server for a test file: one per file, over a temp root that holds the tests' homes. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TrinoConnection } from '../../lambdas/adapters/trino-query-engine.js';
import { localConnection, startTrino, stopTrino, syncTables, type ServerState } from '../../scripts/trino-server.js';

/** Starting a JVM and Trino on a busy 2-core machine; a cold cache adds the ~430 MiB download. */
export const TRINO_START_TIMEOUT_MS = 420_000;

export class TrinoHarness {
  private constructor(readonly root: string, readonly state: ServerState) {}

  static async start(): Promise<TrinoHarness> {
    const root = await mkdtemp(join(tmpdir(), 'telco-kpi-trino-'));
    const state = await startTrino({ root, memory: '2G', log: (line) => process.stderr.write(`[trino] ${line}\n`) });
    return new TrinoHarness(root, state);
  }

  /** A connection whose schema holds the tables of one home under the root. */
  connection(schema: string): TrinoConnection {
    return localConnection(this.state, schema);
  }

  /** Creates schema `schema` with the lake tables of `home` (a folder under the root). */
  async tablesFor(home: string, schema: string, now = new Date()): Promise<TrinoConnection> {
    const connection = this.connection(schema);
    await syncTables({ connection, root: this.root, home, now });
    return connection;
  }

  async stop(): Promise<void> {
    await stopTrino(this.root, () => {});
    await rm(this.root, { recursive: true, force: true });
  }
}
