import { describe, expect, it } from 'vitest';
import { glueTableInput, lakeTableInput } from '../../lambdas/core/extracts/glue-tables.js';
import { EXTRACT_TYPES, partitionKey } from '../../lambdas/core/extracts/schema.js';
import { projectionProblems, trinoCreateTable, trinoProjections } from '../../lambdas/core/extracts/trino-tables.js';

const NOW = new Date('2026-12-01T02:00:00Z');
const options = { catalog: 'hive', schema: 'telco_kpi', now: NOW };

describe('lakeTableInput', () => {
  it('is the Glue declaration itself when the lake is the curated bucket', () => {
    for (const type of EXTRACT_TYPES) expect(lakeTableInput('s3://curated/lake', type)).toEqual(glueTableInput('curated', type));
  });
});

describe('trinoCreateTable', () => {
  it('declares the Glue columns, types, partition keys, location template and day projection', () => {
    const sql = trinoCreateTable(lakeTableInput('local:///lake', 'sales'), options);
    expect(sql).toMatch(/^CREATE TABLE "hive"\."telco_kpi"\."sales" \(/);
    expect(sql).toContain('"monthly_fee" decimal(18,2) COMMENT');
    expect(sql).toContain('"event_date" date COMMENT');
    expect(sql).toContain(`"dt" varchar COMMENT 'day of the extract, YYYY-MM-DD (from the path)' WITH (partition_projection_type = 'DATE', partition_projection_format = 'yyyy-MM-dd', partition_projection_range = ARRAY['2020-01-01', 'NOW'], partition_projection_interval = 1, partition_projection_interval_unit = 'DAYS')`);
    expect(sql).toContain("partition_projection_type = 'ENUM', partition_projection_values = ARRAY['BJ', 'TJ'");
    expect(sql).toContain("external_location = 'local:///lake/sales'");
    expect(sql).toContain("partitioned_by = ARRAY['dt', 'province']");
    expect(sql).toContain("partition_projection_location_template = 'local:///lake/sales/dt=${dt}/province=${province}/'");
    expect(trinoCreateTable(lakeTableInput('local:///lake', 'service'), options)).toContain('"opened_at" timestamp COMMENT');
  });

  it('turns the monthly projection Trino lacks (MONTHS) into an enum of every month to the end of next year', () => {
    const [month] = trinoProjections(lakeTableInput('local:///lake', 'market'), NOW);
    expect(month).toMatchObject({ kind: 'enum', column: 'month' });
    const values = month?.kind === 'enum' ? month.values : [];
    expect(values[0]).toBe('2020-01');
    expect(values.at(-1)).toBe('2027-12');
    expect(values).toHaveLength(8 * 12);
    expect(values).toContain('2026-11');
  });

  it('refuses a projection it cannot express instead of creating a table that reads nothing', () => {
    const input = lakeTableInput('local:///lake', 'sales');
    const weekly = { ...input, parameters: { ...input.parameters, 'projection.dt.interval.unit': 'WEEKS' } };
    expect(() => trinoCreateTable(weekly, options)).toThrow(/column dt: date projection in 1 WEEKS with format yyyy-MM-dd has no Trino equivalent/);
    const injected = { ...input, parameters: { ...input.parameters, 'projection.province.type': 'injected' } };
    expect(() => trinoCreateTable(injected, options)).toThrow(/projection type 'injected' is not supported/);
  });
});

describe('projectionProblems', () => {
  it('passes every partition the lake writer produces', () => {
    const keys = [
      partitionKey('sales', { day: '2026-11-18', province: 'JL' }),
      partitionKey('market', { month: '2026-11', province: 'GD' }),
      partitionKey('managers', { province: 'XJ' }),
    ];
    for (const type of EXTRACT_TYPES) expect(projectionProblems(type, keys, NOW)).toEqual([]);
  });

  it('names each stored partition the projection would not enumerate, and why', () => {
    const keys = [
      'lake/sales/dt=20261118/province=JL/data.parquet',
      'lake/sales/dt=2019-12-31/province=JL/data.parquet',
      'lake/sales/dt=2026-12-02/province=JL/data.parquet',
      'lake/sales/dt=2026-11-18/province=CN-JL/data.parquet',
      'lake/sales/province=JL/dt=2026-11-18/data.parquet',
      'lake/sales/dt=2026-11-18/data.parquet',
      'lake/market/month=2030-01/province=JL/data.parquet',
    ];
    expect(projectionProblems('sales', keys, NOW)).toEqual([
      "lake/sales/dt=20261118/province=JL/data.parquet: dt '20261118' does not match the projection format yyyy-MM-dd",
      "lake/sales/dt=2019-12-31/province=JL/data.parquet: dt '2019-12-31' is outside the projected range 2020-01-01 … NOW (2026-12-01 UTC)",
      "lake/sales/dt=2026-12-02/province=JL/data.parquet: dt '2026-12-02' is outside the projected range 2020-01-01 … NOW (2026-12-01 UTC)",
      "lake/sales/dt=2026-11-18/province=CN-JL/data.parquet: province 'CN-JL' is not one of the 31 values the projection lists",
      "lake/sales/province=JL/dt=2026-11-18/data.parquet: folder 'province=JL' where the table expects 'dt=…'",
      "lake/sales/province=JL/dt=2026-11-18/data.parquet: folder 'dt=2026-11-18' where the table expects 'province=…'",
      'lake/sales/dt=2026-11-18/data.parquet: 1 partition folders, the table declares 2 (dt/province)',
    ]);
    expect(projectionProblems('market', keys, NOW)).toEqual([
      "lake/market/month=2030-01/province=JL/data.parquet: month '2030-01' is not one of the 96 values the projection lists",
    ]);
  });
});
