/** ParquetEncoder on DuckDB: canonical CSV → typed Parquet (zstd), columns and types from schema.ts. */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { mkdtemp, open as openFile, readdir, readFile, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { duckDbOptions } from './duckdb-options.js';
import type { CanonicalCsv, CsvSpool, ParquetEncoder } from '../core/ports.js';
import { sqlType, type TableDecl } from '../core/extracts/schema.js';

/**
 * The DuckDB package through require, not import: an ESM import of this CommonJS package makes Node
 * parse each of its files for their export names first (~0.3 s of every ingest's start on this
 * machine, against ~0.2 s to require it).
 */
const { DuckDBInstance } = createRequire(import.meta.url)('@duckdb/node-api') as typeof import('@duckdb/node-api');
type DuckDBInstance = import('@duckdb/node-api').DuckDBInstance;

const literal = (text: string): string => `'${text.replace(/'/g, "''")}'`;
const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** The column encodeMany partitions by: which file a row came from. No extract column starts with `__`. */
const FILE_COLUMN = '__file';

/** The stored columns (partition columns live in the path) of canonical CSV files read with their declared types. */
function readCanonical(table: TableDecl, csvPaths: readonly string[], withFileName = false): { select: string; read: string } {
  const stored = table.columns.filter((c) => !table.partitions.includes(c.name as 'province'));
  const columns = stored.map((c) => `${literal(c.name)}: ${literal(sqlType(c.type))}`).join(', ');
  return {
    select: stored.map((c) => ident(c.name)).join(', '),
    read: `read_csv([${csvPaths.map(literal).join(', ')}], header = true, auto_detect = false, delim = ',', quote = '"', escape = '"', `
      + `columns = {${columns}}${withFileName ? ', filename = true' : ''})`,
  };
}

/** Bytes a spool keeps in memory while its file is being opened; past them it opens one synchronously. */
const SPOOL_QUEUE_BYTES = 8 * 1024 * 1024;

/**
 * A temp file the validator writes a file's canonical CSV into, chunk by chunk (synchronous
 * writes: the validator reuses its buffer). The file is opened on the thread pool (a synchronous
 * open stalled the validator up to a few ms per file while DuckDB was busy with the disk); chunks
 * written before it is open are copied and written once it is. A large file's validation does not
 * give the open's callback a turn, so past SPOOL_QUEUE_BYTES the spool opens a file of its own
 * synchronously instead (`x<number>.csv`) and drops the other: memory stays bounded. `path` is
 * read by DuckDB once close() has resolved. The spools of one encoder share a folder (made for the
 * first, removed with the last).
 */
class FileSpool implements CsvSpool {
  private fd: number | undefined;
  private handle: FileHandle | undefined;
  private readonly opened: Promise<void>;
  private queued: Buffer[] = [];
  private queuedBytes = 0;
  private closing: Promise<void> | undefined;
  /** discard() was called: what is queued is dropped, not written. */
  private discarding = false;
  private open = true;
  /** The file opened on the thread pool (`path` is another once it was given up for a synchronous one). */
  private readonly first: string;
  size = 0;

  constructor(private readonly folder: SpoolFolder, readonly number: number, public path: string) {
    this.first = path;
    this.opened = openFile(path, 'w').then(async (handle) => {
      if (this.fd !== undefined || this.discarding) {
        // Given up for a synchronous file, or discarded before it opened.
        await handle.close();
        return;
      }
      // Also when close() already waits for this open (the rows were all written before the file
      // opened, on a busy thread pool): the queued chunks are the file's content, and close() ends it.
      this.fd = handle.fd;
      this.handle = handle;
      this.flushQueue();
    });
    this.opened.catch(() => undefined);
  }

  write(bytes: Uint8Array): void {
    if (this.closing) throw new Error('write to a spool that was closed');
    if (this.fd === undefined && this.queuedBytes + bytes.length > SPOOL_QUEUE_BYTES) {
      this.path = join(dirname(this.first), `x${this.number}.csv`);
      this.fd = openSync(this.path, 'w');
      this.flushQueue();
    }
    if (this.fd === undefined) {
      this.queued.push(Buffer.from(bytes));
      this.queuedBytes += bytes.length;
    } else this.writeNow(bytes);
    this.size += bytes.length;
  }

  private flushQueue(): void {
    const queued = this.queued;
    this.queued = [];
    this.queuedBytes = 0;
    for (const chunk of queued) this.writeNow(chunk);
  }

  private writeNow(bytes: Uint8Array): void {
    for (let at = 0; at < bytes.length;) at += writeSync(this.fd!, bytes, at, bytes.length - at);
  }

  /** Ends writing: resolves when every chunk is in the file and it is closed (the file stays until discard). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        if (this.fd === undefined) await this.opened;
      } finally {
        const { handle, fd } = this;
        this.handle = undefined;
        this.fd = undefined;
        if (handle) await handle.close();
        else if (fd !== undefined) closeSync(fd);
      }
    })();
    return this.closing;
  }

  async discard(): Promise<void> {
    this.discarding = true;
    await this.close().catch(() => undefined);
    if (!this.open) return;
    this.open = false;
    // The file opened on the thread pool exists once its open has settled (also when it was given up).
    await this.opened.catch(() => undefined);
    rmSync(this.path, { force: true });
    if (this.path !== this.first) rmSync(this.first, { force: true });
    this.folder.release();
  }
}

/** The folder an encoder's spools live in while any is open (synchronous: no spool sees it half made or half removed). */
class SpoolFolder {
  private dir: string | undefined;
  private live = 0;

  constructor(private readonly parent: string) {}

  /** A path for spool `number`, the folder made when it is the first open spool. */
  take(number: number): string {
    this.dir ??= mkdtempSync(join(this.parent, 'telco-kpi-spool-'));
    this.live++;
    return join(this.dir, `${number}.csv`);
  }

  release(): void {
    if (--this.live > 0 || this.dir === undefined) return;
    rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }
}

/**
 * Threads of the encoder's DuckDB. One: the validator keeps a core busy while the COPY of the
 * batch before runs beside it, and a second COPY thread only takes that core from it (side by
 * side, 2 cores: ingest 18–24 s with 2 threads, 15–17 s with 1, loaded machine); a COPY's own
 * memory also halves (one 1 M-row sales file: peak RSS 653–670 → 452–461 MB, encode time alike).
 */
export const ENCODER_THREADS = 1;

/**
 * One DuckDB instance reused across calls; encodes one extract at a time, or many of one table in
 * one COPY … PARTITION_BY (encodeMany). Validation can write canonical CSV straight into a temp
 * file (spool) that the COPY reads, so a large file's canonical rows are never in memory. Call
 * close() when done.
 */
export class DuckDbParquetEncoder implements ParquetEncoder {
  private connection?: Promise<{ instance: DuckDBInstance; connection: DuckDBConnection }>;
  private queue: Promise<unknown> = Promise.resolve();
  private spools = 0;
  private readonly spoolFolder: SpoolFolder;

  constructor(private readonly options: { tempDir?: string; threads?: number } = {}) {
    this.spoolFolder = new SpoolFolder(options.tempDir ?? tmpdir());
  }

  spool(): CsvSpool {
    const number = ++this.spools;
    const path = this.spoolFolder.take(number);
    try {
      return new FileSpool(this.spoolFolder, number, path);
    } catch (error) {
      this.spoolFolder.release();
      throw error;
    }
  }

  encode(table: TableDecl, normalizedCsv: CanonicalCsv): Promise<Uint8Array> {
    const next = this.queue.then(() => this.encodeNow(table, normalizedCsv));
    this.queue = next.catch(() => undefined);
    return next;
  }

  encodeMany(table: TableDecl, normalizedCsvs: ReadonlyArray<CanonicalCsv>): Promise<Uint8Array[]> {
    const next = this.queue.then(() => this.encodeManyNow(table, normalizedCsvs));
    this.queue = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    const opened = this.connection;
    this.connection = undefined;
    if (!opened) return;
    await this.queue;
    const { instance, connection } = await opened;
    connection.closeSync();
    instance.closeSync();
  }

  private open() {
    this.connection ??= (async () => {
      const instance = await DuckDBInstance.create(':memory:', { ...duckDbOptions(), threads: String(this.options.threads ?? ENCODER_THREADS) });
      return { instance, connection: await instance.connect() };
    })();
    return this.connection;
  }

  private async encodeNow(table: TableDecl, normalizedCsv: CanonicalCsv): Promise<Uint8Array> {
    const { connection } = await this.open();
    const dir = await mkdtemp(join(this.options.tempDir ?? tmpdir(), 'telco-kpi-parquet-'));
    try {
      const csvPath = await csvFile(normalizedCsv, join(dir, 'data.csv'));
      const parquetPath = join(dir, 'data.parquet');
      const { select, read } = readCanonical(table, [csvPath]);
      await connection.run(`copy (select ${select} from ${read}) to ${literal(parquetPath)} (format parquet, compression zstd)`);
      return new Uint8Array(await readFile(parquetPath));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * All files in one statement: each file's rows carry its number (from its temp file's name) and
   * PARTITION_BY that number writes one Parquet object per file, without the number in it. A file
   * whose output is not exactly one object (no rows: no folder) is encoded alone.
   */
  private async encodeManyNow(table: TableDecl, normalizedCsvs: ReadonlyArray<CanonicalCsv>): Promise<Uint8Array[]> {
    const { connection } = await this.open();
    const dir = await mkdtemp(join(this.options.tempDir ?? tmpdir(), 'telco-kpi-parquet-'));
    try {
      // A spool's file is named by its own number; text and bytes get numbers of their own from the same counter.
      const base = this.spools;
      this.spools += normalizedCsvs.length;
      const fileNumber = (i: number) => {
        const csv = normalizedCsvs[i];
        return csv instanceof FileSpool ? csv.number : base + i + 1;
      };
      const csvPaths = await Promise.all(normalizedCsvs.map((csv, i) => csvFile(csv, join(dir, `${fileNumber(i)}.csv`))));
      const out = join(dir, 'out');
      const { select, read } = readCanonical(table, csvPaths, true);
      await connection.run(
        `copy (select ${select}, cast(regexp_extract(filename, '([0-9]+)\\.csv$', 1) as integer) as ${FILE_COLUMN} from ${read}) `
        + `to ${literal(out)} (format parquet, compression zstd, partition_by (${FILE_COLUMN}))`,
      );
      return await Promise.all(normalizedCsvs.map(async (csv, i) => {
        const folder = join(out, `${FILE_COLUMN}=${fileNumber(i)}`);
        const parts = await readdir(folder).catch(() => [] as string[]);
        return parts.length === 1 ? new Uint8Array(await readFile(join(folder, parts[0]!))) : this.encodeNow(table, csv);
      }));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

/** The path DuckDB reads: a spool's own file (closed for writing), else `path` written with the text or bytes. */
async function csvFile(csv: CanonicalCsv, path: string): Promise<string> {
  if (csv instanceof FileSpool) {
    await csv.close();
    // Every byte the validator wrote is in the file, or nothing is encoded: a short file would be
    // stored as a partition with fewer rows than its receipt says.
    const { size } = await stat(csv.path);
    if (size !== csv.size) throw new Error(`spool ${csv.path} holds ${size} of the ${csv.size} bytes written to it: not encoded`);
    return csv.path;
  }
  if (typeof csv !== 'string' && !(csv instanceof Uint8Array)) throw new Error('a spool from another encoder');
  await writeFile(path, csv);
  return path;
}
