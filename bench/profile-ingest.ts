/**
 * Times validation and Parquet encoding of one extract file, for profiling:
 * `node --import tsx --cpu-prof bench/profile-ingest.ts FILE`.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { DuckDbParquetEncoder } from '../lambdas/adapters/duckdb-parquet-encoder.js';
import { validateExtract } from '../lambdas/core/validate.js';

const file = process.argv[2];
if (!file) throw new Error('usage: bench/profile-ingest.ts FILE');
const bytes = new Uint8Array(await readFile(file));
let t = performance.now();
const v = await validateExtract({ fileName: basename(file), bytes });
const validateSeconds = (performance.now() - t) / 1000;
console.log(`validate: ${v.receipt.status}, ${v.receipt.rowsRead} rows in ${validateSeconds.toFixed(2)} s = ${Math.round(v.receipt.rowsRead / validateSeconds)} rows/s`);
if (v.normalized) {
  const encoder = new DuckDbParquetEncoder();
  t = performance.now();
  const parquet = await encoder.encode((await import('../lambdas/core/schema.js')).TABLES[v.receipt.type], v.normalized);
  console.log(`encode: ${parquet.length} bytes of Parquet in ${((performance.now() - t) / 1000).toFixed(2)} s`);
  await encoder.close();
}
console.log(`peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`);
