/**
 * The ports the core works against. Each has one implementation per world in adapters/:
 * ObjectStore (local files | S3), QueryEngine (DuckDB | Athena), Mailer (outbox | SMTP | SES),
 * ParquetEncoder (DuckDB).
 */
import type { TableDecl } from './extracts/schema.js';

/** A flat key → bytes store with atomic replace of a single object. */
export interface ObjectStore {
  /** Writes the object whole; readers see the old bytes or the new, never a mix. */
  put(key: string, body: Uint8Array | string, options?: { contentType?: string }): Promise<void>;
  /** Writes only if no object exists at the key; false when one did (the put did nothing). */
  putIfAbsent(key: string, body: Uint8Array | string, options?: { contentType?: string }): Promise<boolean>;
  /** The object's bytes, or undefined when there is none. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Keys under a prefix, in lexicographic order. */
  list(prefix: string): Promise<string[]>;
  delete(key: string): Promise<void>;
}

export type SqlValue = string | number | boolean | null;
export type Row = Record<string, SqlValue>;
/** A result as columns: one array of values per column name, all of the result's length. */
export type Columns = Record<string, SqlValue[]>;

/** Runs a SQL file from queries/ with bound `?` parameters over the lake's tables. */
export interface QueryEngine {
  /** `name` is the query file name without `.sql`; values are bound to `?` in order. */
  run(name: string, params: readonly SqlValue[]): Promise<Row[]>;
  /**
   * The same query's result as columns, without an object per row (a national month's events
   * are over a million rows). Optional: callers fall back to `run` when an engine lacks it.
   */
  runColumns?(name: string, params: readonly SqlValue[]): Promise<Columns>;
  close(): Promise<void>;
  /**
   * How many queries the engine runs well at once (default 1). Athena and Trino queue, plan and
   * read S3 for seconds per query, so a report's independent queries overlap; DuckDB already
   * spreads one query over the machine's cores and runs them one after another.
   */
  readonly parallel?: number;
}

export interface MailAttachment {
  filename: string;
  content: Uint8Array;
  contentType: string;
  /**
   * Content-ID of an image the HTML shows inline (`<img src="cid:…">`): the message then carries
   * it in a multipart/related part beside the HTML instead of as a download.
   */
  cid?: string;
}

export interface MailMessage {
  from: string;
  to: readonly string[];
  cc?: readonly string[];
  subject: string;
  html: string;
  text: string;
  attachments: readonly MailAttachment[];
  /** Stable id so a resend of the same report can be recognised downstream. */
  messageId?: string;
  headers?: Record<string, string>;
}

/** Where a delivered message went (an .eml path, an SMTP response, an SES message id). */
export interface MailReceipt {
  transport: 'outbox' | 'smtp' | 'ses';
  location: string;
  messageId: string;
}

/** Delivers a raw MIME message built once by core/mail-mime or the adapter's builder. */
export interface Mailer {
  send(message: MailMessage): Promise<MailReceipt>;
}

/**
 * Where validation writes a file's canonical CSV as it goes (the encoder's temp file), so the
 * canonical rows are never held whole: `write` takes each chunk synchronously (the validator
 * reuses its buffer). Nothing in a spool is stored; ingest encodes it or discards it.
 */
export interface CsvSpool {
  write(bytes: Uint8Array): void;
  /** Bytes written so far. */
  readonly size: number;
  /** Removes the spool; safe to call more than once. */
  discard(): Promise<void>;
}

/** Canonical CSV as text, bytes, or a spool the encoder gave out. */
export type CanonicalCsv = string | Uint8Array | CsvSpool;

/** Turns a validated extract's canonical CSV (header = the table's stored columns) into Parquet bytes. */
export interface ParquetEncoder {
  encode(table: TableDecl, normalizedCsv: CanonicalCsv): Promise<Uint8Array>;
  /** Many files of one table in one go (the same Parquet per file as encode gives), when the encoder can. */
  encodeMany?(table: TableDecl, normalizedCsvs: ReadonlyArray<CanonicalCsv>): Promise<Uint8Array[]>;
  /** A new spool for one file's canonical CSV, when the encoder can read one (then encode takes it). */
  spool?(): CsvSpool;
}
