/**
 * Trino tables generated from the same declaration as the Glue tables (glue-tables.ts): the
 * same columns, types, location template and partition projection, in Trino's Hive-connector
 * syntax. Where Trino's projection cannot say what Athena's says (date projection in MONTHS:
 * Trino implements DAYS, HOURS, MINUTES and SECONDS only), the projection is translated to an
 * equivalent one (an enum of every month in range) and the translation is tested.
 *
 * A projection that does not match the lake returns zero rows on both engines, never an
 * error; `projectionProblems` checks a lake listing against the projection so that a mismatch
 * fails loudly instead.
 */
import { TelcoKpiError } from '../errors.js';
import { EXTRACT_TYPES, TABLES, type ExtractType } from './schema.js';
import { lakeTableInput, type GlueTableInput } from './glue-tables.js';

export interface TrinoTableOptions {
  catalog: string;
  schema: string;
  /** The clock: `NOW` bounds the projected range, and month enums run to the end of next year. */
  now: Date;
}

/** What a table's projection enumerates for one partition column. */
export type Projection =
  | { kind: 'enum'; column: string; values: readonly string[] }
  | { kind: 'date'; column: string; format: string; start: string; end: 'NOW'; interval: number; unit: 'DAYS' | 'HOURS' | 'MINUTES' | 'SECONDS' };

/** A declaration whose projection Trino cannot run, or a lake the projection does not cover. */
export class ProjectionError extends TelcoKpiError {}

const TRINO_DATE_UNITS = new Set(['DAYS', 'HOURS', 'MINUTES', 'SECONDS']);

/** Trino type of a Glue (Hive) column type. */
export function trinoType(glueType: string): string {
  const type = glueType.toLowerCase();
  if (type === 'string') return 'varchar';
  if (/^(date|timestamp|bigint|integer|int|double|boolean)$/.test(type)) return type === 'int' ? 'integer' : type;
  if (/^decimal\(\d+,\s*\d+\)$/.test(type)) return type.replace(/\s/g, '');
  throw new ProjectionError(`Glue type '${glueType}' has no Trino mapping here; add it to trinoType`);
}

/** The projection of each partition column, as Trino can run it, from the Glue parameters. */
export function trinoProjections(input: GlueTableInput, now: Date): Projection[] {
  const p = input.parameters;
  if (p['projection.enabled'] !== 'true') throw new ProjectionError(`table ${input.name}: projection.enabled is not 'true'; every lake table is projected`);
  return input.partitionKeys.map(({ name }) => {
    const type = p[`projection.${name}.type`];
    if (type === 'enum') {
      return { kind: 'enum', column: name, values: (p[`projection.${name}.values`] ?? '').split(',') };
    }
    if (type === 'date') {
      const format = p[`projection.${name}.format`] ?? '';
      const [start = '', end = ''] = (p[`projection.${name}.range`] ?? '').split(',');
      const interval = Number(p[`projection.${name}.interval`] ?? '1');
      const unit = (p[`projection.${name}.interval.unit`] ?? 'DAYS').toUpperCase();
      if (end !== 'NOW') throw new ProjectionError(`table ${input.name}, column ${name}: range end '${end}' is not NOW`);
      if (TRINO_DATE_UNITS.has(unit)) return { kind: 'date', column: name, format, start, end: 'NOW', interval, unit: unit as 'DAYS' };
      if (unit === 'MONTHS' && format === 'yyyy-MM' && interval === 1) {
        return { kind: 'enum', column: name, values: monthsFrom(start, `${now.getUTCFullYear() + 1}-12`) };
      }
      throw new ProjectionError(`table ${input.name}, column ${name}: date projection in ${interval} ${unit} with format ${format} has no Trino equivalent`);
    }
    throw new ProjectionError(`table ${input.name}, column ${name}: projection type '${type}' is not supported here (enum and date are)`);
  });
}

/** Every 'YYYY-MM' from `first` to `last`, inclusive. */
function monthsFrom(first: string, last: string): string[] {
  const months: string[] = [];
  let [y, m] = first.split('-').map(Number) as [number, number];
  for (let guard = 0; guard < 12 * 200; guard += 1) {
    const month = `${y}-${String(m).padStart(2, '0')}`;
    if (month > last) break;
    months.push(month);
    m += 1;
    if (m > 12) { m = 1; y += 1; }
  }
  return months;
}

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;
const quoteText = (text: string) => `'${text.replaceAll("'", "''")}'`;
const array = (values: readonly string[]) => `ARRAY[${values.map(quoteText).join(', ')}]`;

function projectionProperties(projection: Projection): string {
  if (projection.kind === 'enum') {
    return `partition_projection_type = 'ENUM', partition_projection_values = ${array(projection.values)}`;
  }
  return [
    `partition_projection_type = 'DATE'`,
    `partition_projection_format = ${quoteText(projection.format)}`,
    `partition_projection_range = ${array([projection.start, projection.end])}`,
    `partition_projection_interval = ${projection.interval}`,
    `partition_projection_interval_unit = ${quoteText(projection.unit)}`,
  ].join(', ');
}

/** `CREATE TABLE` for one declared table, in Trino's Hive-connector syntax. */
export function trinoCreateTable(input: GlueTableInput, options: TrinoTableOptions): string {
  const projections = new Map(trinoProjections(input, options.now).map((p) => [p.column, p]));
  const columns = input.storageDescriptor.columns.map((c) =>
    `    ${quoteIdent(c.name)} ${trinoType(c.type)}${c.comment ? ` COMMENT ${quoteText(c.comment)}` : ''}`);
  const partitions = input.partitionKeys.map((c) =>
    `    ${quoteIdent(c.name)} ${trinoType(c.type)}${c.comment ? ` COMMENT ${quoteText(c.comment)}` : ''} WITH (${projectionProperties(projections.get(c.name)!)})`);
  return [
    `CREATE TABLE ${quoteIdent(options.catalog)}.${quoteIdent(options.schema)}.${quoteIdent(input.name)} (`,
    [...columns, ...partitions].join(',\n'),
    `)`,
    `COMMENT ${quoteText(input.description)}`,
    `WITH (`,
    `    format = 'PARQUET',`,
    `    external_location = ${quoteText(input.storageDescriptor.location.replace(/\/+$/, ''))},`,
    `    partitioned_by = ${array(input.partitionKeys.map((k) => k.name))},`,
    `    partition_projection_enabled = true,`,
    `    partition_projection_location_template = ${quoteText(input.parameters['storage.location.template']!)}`,
    `)`,
  ].join('\n');
}

/** The declaration of every lake table over `lakeUri` (s3://bucket/lake, local:///lake …). */
export function lakeTableInputs(lakeUri: string): GlueTableInput[] {
  return EXTRACT_TYPES.map((type) => lakeTableInput(lakeUri, type));
}

/** Java date-format letters the projections use, as the regex of one value. */
function formatPattern(format: string): RegExp {
  const tokens: Record<string, string> = { yyyy: '\\d{4}', MM: '(0[1-9]|1[0-2])', dd: '(0[1-9]|[12]\\d|3[01])', HH: '([01]\\d|2[0-3])', mm: '[0-5]\\d', ss: '[0-5]\\d' };
  const source = format.replace(/yyyy|MM|dd|HH|mm|ss|[^A-Za-z]/g, (t) => tokens[t] ?? t.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&'));
  return new RegExp(`^${source}$`);
}

/** `value` in the projection's format for an instant, UTC (as Trino and Athena evaluate NOW). */
function formatUtc(format: string, at: Date): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const parts: Record<string, string> = {
    yyyy: pad(at.getUTCFullYear(), 4), MM: pad(at.getUTCMonth() + 1), dd: pad(at.getUTCDate()),
    HH: pad(at.getUTCHours()), mm: pad(at.getUTCMinutes()), ss: pad(at.getUTCSeconds()),
  };
  return format.replace(/yyyy|MM|dd|HH|mm|ss/g, (t) => parts[t]!);
}

/**
 * Every stored partition of the lake listing (keys like `lake/sales/dt=…/province=…/data.parquet`)
 * that the table's projection would not enumerate — data the engine would silently not see.
 * Empty when the projection covers the whole lake.
 */
export function projectionProblems(type: ExtractType, keys: readonly string[], now: Date, input: GlueTableInput = lakeTableInput('s3://lake/lake', type)): string[] {
  const projections = trinoProjections(input, now);
  const table = TABLES[type];
  const problems: string[] = [];
  const prefix = `lake/${type}/`;
  for (const key of keys) {
    if (!key.startsWith(prefix) || !key.endsWith('/data.parquet')) continue;
    const segments = key.slice(prefix.length, -'/data.parquet'.length).split('/');
    if (segments.length !== table.partitions.length) {
      problems.push(`${key}: ${segments.length} partition folders, the table declares ${table.partitions.length} (${table.partitions.join('/')})`);
      continue;
    }
    segments.forEach((segment, i) => {
      const projection = projections[i]!;
      const [name, value = ''] = segment.split('=', 2) as [string, string?];
      if (name !== projection.column) {
        problems.push(`${key}: folder '${segment}' where the table expects '${projection.column}=…'`);
      } else if (projection.kind === 'enum') {
        if (!projection.values.includes(value)) problems.push(`${key}: ${name} '${value}' is not one of the ${projection.values.length} values the projection lists`);
      } else if (!formatPattern(projection.format).test(value)) {
        problems.push(`${key}: ${name} '${value}' does not match the projection format ${projection.format}`);
      } else if (value < projection.start || value > formatUtc(projection.format, now)) {
        problems.push(`${key}: ${name} '${value}' is outside the projected range ${projection.start} … NOW (${formatUtc(projection.format, now)} UTC)`);
      }
    });
  }
  return problems;
}
