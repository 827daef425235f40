/**
 * Glue table definitions generated from the extract schemas (schema.ts), so Athena reads the
 * same lake layout and column types as the local DuckDB engine: Parquet files under
 * `lake/<type>/<partition>=…/`, partition columns from the path, partition projection
 * instead of a crawler or MSCK REPAIR.
 */
import { PROVINCE_CODES } from './codes.js';
import { EXTRACT_TYPES, TABLES, glueType, type ExtractType, type TableDecl } from './schema.js';

export interface GlueColumn {
  name: string;
  type: string;
  comment?: string;
}

/** The parts of a Glue `TableInput` that the stack needs (plain data, no CDK types). */
export interface GlueTableInput {
  name: string;
  description: string;
  tableType: 'EXTERNAL_TABLE';
  parameters: Record<string, string>;
  partitionKeys: GlueColumn[];
  storageDescriptor: {
    columns: GlueColumn[];
    location: string;
    inputFormat: string;
    outputFormat: string;
    serdeInfo: { serializationLibrary: string; parameters: Record<string, string> };
  };
}

export const PARQUET_INPUT_FORMAT = 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat';
export const PARQUET_OUTPUT_FORMAT = 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat';
export const PARQUET_SERDE = 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe';

/** First day partition projection enumerates for `dt` and `month`. */
export const PROJECTION_START_DAY = '2020-01-01';
export const PROJECTION_START_MONTH = '2020-01';

const PARTITION_COMMENTS: Record<'dt' | 'month' | 'province', string> = {
  dt: 'day of the extract, YYYY-MM-DD (from the path)',
  month: 'month of the extract, YYYY-MM (from the path)',
  province: 'province code (from the path)',
};

/** Projection parameters for one partition column (Athena partition projection). */
function projectionParameters(partition: 'dt' | 'month' | 'province'): Record<string, string> {
  switch (partition) {
    case 'dt':
      return {
        'projection.dt.type': 'date',
        'projection.dt.format': 'yyyy-MM-dd',
        'projection.dt.range': `${PROJECTION_START_DAY},NOW`,
        'projection.dt.interval': '1',
        'projection.dt.interval.unit': 'DAYS',
      };
    case 'month':
      return {
        'projection.month.type': 'date',
        'projection.month.format': 'yyyy-MM',
        'projection.month.range': `${PROJECTION_START_MONTH},NOW`,
        'projection.month.interval': '1',
        'projection.month.interval.unit': 'MONTHS',
      };
    case 'province':
      return {
        'projection.province.type': 'enum',
        'projection.province.values': PROVINCE_CODES.join(','),
      };
  }
}

/** `s3://bucket/lake/<type>/dt=${dt}/province=${province}/`: the partition path template. */
export function locationTemplate(bucketName: string, table: TableDecl): string {
  return lakeLocationTemplate(`s3://${bucketName}/lake`, table);
}

/** `<lakeUri>/<type>/dt=${dt}/province=${province}/` for a lake at any URI (s3://…, local:///…). */
export function lakeLocationTemplate(lakeUri: string, table: TableDecl): string {
  const parts = table.partitions.map((p) => `${p}=\${${p}}`);
  return `${lakeUri.replace(/\/+$/, '')}/${table.name}/${parts.join('/')}/`;
}

/** The Glue table for one extract type, its data in `bucketName` under `lake/<type>/`. */
export function glueTableInput(bucketName: string, type: ExtractType): GlueTableInput {
  return lakeTableInput(`s3://${bucketName}/lake`, type);
}

/**
 * The table declaration for one extract type over a lake at `lakeUri`: the Glue table when the
 * lake is `s3://bucket/lake`, and the source of the Trino table (trino-tables.ts) for any lake.
 */
export function lakeTableInput(lakeUri: string, type: ExtractType): GlueTableInput {
  const table = TABLES[type];
  const lake = lakeUri.replace(/\/+$/, '');
  const partitionNames = new Set<string>(table.partitions);
  const columns = table.columns
    .filter((c) => !partitionNames.has(c.name))
    .map((c) => ({ name: c.name, type: glueType(c.type), comment: c.description.slice(0, 255) }));
  const partitionKeys = table.partitions.map((p) => ({ name: p, type: 'string', comment: PARTITION_COMMENTS[p] }));
  const parameters: Record<string, string> = {
    classification: 'parquet',
    EXTERNAL: 'TRUE',
    'parquet.compression': 'SNAPPY',
    'projection.enabled': 'true',
    'storage.location.template': lakeLocationTemplate(lake, table),
  };
  for (const p of table.partitions) Object.assign(parameters, projectionParameters(p));
  return {
    name: table.name,
    description: `${table.titleZh}: ${table.grain}`,
    tableType: 'EXTERNAL_TABLE',
    parameters,
    partitionKeys,
    storageDescriptor: {
      columns,
      location: `${lake}/${table.name}/`,
      inputFormat: PARQUET_INPUT_FORMAT,
      outputFormat: PARQUET_OUTPUT_FORMAT,
      serdeInfo: { serializationLibrary: PARQUET_SERDE, parameters: { 'serialization.format': '1' } },
    },
  };
}

/** Glue tables for every extract type, in `EXTRACT_TYPES` order. */
export function glueTableInputs(bucketName: string): GlueTableInput[] {
  return EXTRACT_TYPES.map((type) => glueTableInput(bucketName, type));
}
