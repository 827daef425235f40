import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Settings of every DuckDB instance we open: no extension downloads (offline machines, Lambda),
 * a memory limit well under the 1.5 GB budget (DuckDB spills to disk past it instead of growing),
 * and spill files in the OS temp folder (Lambda's code folder is read-only).
 */
export function duckDbOptions(): Record<string, string> {
  return {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    memory_limit: '1GB',
    temp_directory: join(tmpdir(), 'telco-kpi-duckdb'),
  };
}
