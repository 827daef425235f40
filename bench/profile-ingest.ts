/**
 * Times validation and Parquet encoding of one extract file, for profiling:
 * `node --import tsx --cpu-prof bench/profile-ingest.ts FILE [--validate-only]`.
 * The last line is JSON (rows/s for validation alone and for validation + encoding, peak RSS).
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { DuckDbParquetEncoder } from '../lambdas/adapters/duckdb-parquet-encoder.js';
import { TABLES } from '../lambdas/core/extracts/schema.js';
import { validateExtract } from '../lambdas/core/extracts/validate.js';

const file = process.argv[2];
if (!file) throw new Error('usage: bench/profile-ingest.ts FILE [--validate-only]');
const validateOnly = process.argv.includes('--validate-only');
const bytes = new Uint8Array(await readFile(file));
let t = performance.now();
const v = await validateExtract({ fileName: basename(file), bytes });
const validateSeconds = (performance.now() - t) / 1000;
const rows = v.receipt.rowsRead;
console.log(`validate: ${v.receipt.status}, ${rows} rows in ${validateSeconds.toFixed(2)} s = ${Math.round(rows / validateSeconds)} rows/s`);
let encodeSeconds = 0;
if (v.normalized && !validateOnly) {
  const encoder = new DuckDbParquetEncoder();
  t = performance.now();
  const parquet = await encoder.encode(TABLES[v.receipt.type], v.normalized);
  encodeSeconds = (performance.now() - t) / 1000;
  console.log(`encode: ${parquet.length} bytes of Parquet in ${encodeSeconds.toFixed(2)} s`);
  await encoder.close();
}
const rssMb = Math.round(process.resourceUsage().maxRSS / 1024);
console.log(`peak RSS ${rssMb} MB`);
console.log(JSON.stringify({
  rows, validateSeconds, encodeSeconds, validateRowsPerSecond: Math.round(rows / validateSeconds),
  totalRowsPerSecond: Math.round(rows / (validateSeconds + encodeSeconds)), peakRssMb: rssMb,
}));
