/**
 * The ingest function's work in a fresh process, for the cold-start figure of `npm run bench`:
 * bench/run.ts bundles this file as the CDK bundles lambdas/handlers/ingest-extract.ts (esbuild,
 * ESBUILD_DEFAULTS, @duckdb/node-api external) and runs it with `node`. It ingests one file
 * through ingestExtract with the DuckDB encoder — the handler's path — into a local store (there is
 * no S3 here), and prints when the receipt was written, in ms since the process started.
 * Usage: node cold-ingest.mjs HOME FILE
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { DuckDbParquetEncoder } from '../lambdas/adapters/duckdb-parquet-encoder.js';
import { LocalObjectStore } from '../lambdas/adapters/local-object-store.js';
import { ingestExtract } from '../lambdas/core/extracts/ingest.js';

const [home, file] = process.argv.slice(2);
if (!home || !file) throw new Error('usage: cold-ingest HOME FILE');
const loadedMs = performance.now();
const encoder = new DuckDbParquetEncoder();
const read = await readFile(file);
const receipt = await ingestExtract({ store: new LocalObjectStore(home), encoder }, { fileName: basename(file), bytes: new Uint8Array(read.buffer, read.byteOffset, read.length) });
const receiptMs = performance.now();
await encoder.close();
process.stdout.write(`${JSON.stringify({ status: receipt.status, rows: receipt.rowsRead, loadedMs, receiptMs })}\n`);
