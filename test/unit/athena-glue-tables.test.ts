import { describe, expect, it } from 'vitest';
import { PROVINCE_CODES } from '../../lambdas/core/extracts/codes.js';
import { PARQUET_SERDE, glueTableInput, glueTableInputs } from '../../lambdas/core/extracts/glue-tables.js';
import { EXTRACT_TYPES, TABLES, glueType, partitionKey } from '../../lambdas/core/extracts/schema.js';

describe('glueTableInputs', () => {
  it('declares every non-partition column of every extract with its Glue type', () => {
    // Prepare
    const tables = glueTableInputs('curated-bucket');
    // Act / Assess
    expect(tables.map((t) => t.name)).toEqual([...EXTRACT_TYPES]);
    for (const type of EXTRACT_TYPES) {
      const decl = TABLES[type];
      const input = tables.find((t) => t.name === type)!;
      const expected = decl.columns
        .filter((c) => !(decl.partitions as readonly string[]).includes(c.name))
        .map((c) => [c.name, glueType(c.type)]);
      expect(input.storageDescriptor.columns.map((c) => [c.name, c.type])).toEqual(expected);
      expect(input.partitionKeys).toEqual(decl.partitions.map((p) => expect.objectContaining({ name: p, type: 'string' })));
    }
  });

  it('keeps partition columns out of the stored columns (they come from the path)', () => {
    const sales = glueTableInput('b', 'sales');
    const names = sales.storageDescriptor.columns.map((c) => c.name);
    expect(names).not.toContain('province');
    expect(names).not.toContain('dt');
    expect(names).toContain('monthly_fee');
    expect(sales.storageDescriptor.columns.find((c) => c.name === 'monthly_fee')!.type).toBe('decimal(18,2)');
    expect(glueTableInput('b', 'service').storageDescriptor.columns.find((c) => c.name === 'opened_at')!.type).toBe('timestamp');
    expect(glueTableInput('b', 'revenue').storageDescriptor.columns.find((c) => c.name === 'active_users')!.type).toBe('bigint');
  });

  it('reads Parquet with partition projection over days and the 31 provinces', () => {
    const sales = glueTableInput('curated-bucket', 'sales');
    expect(sales.storageDescriptor.serdeInfo.serializationLibrary).toBe(PARQUET_SERDE);
    expect(sales.parameters).toMatchObject({
      'projection.enabled': 'true',
      'projection.dt.type': 'date',
      'projection.dt.format': 'yyyy-MM-dd',
      'projection.dt.range': '2020-01-01,NOW',
      'projection.province.type': 'enum',
      'storage.location.template': 's3://curated-bucket/lake/sales/dt=${dt}/province=${province}/',
    });
    const provinces = sales.parameters['projection.province.values']!.split(',');
    expect(provinces).toHaveLength(31);
    expect(provinces).toEqual(PROVINCE_CODES);
  });

  it('projects market by month and managers by province only', () => {
    const market = glueTableInput('b', 'market');
    expect(market.parameters).toMatchObject({
      'projection.month.type': 'date',
      'projection.month.format': 'yyyy-MM',
      'storage.location.template': 's3://b/lake/market/month=${month}/province=${province}/',
    });
    expect(market.storageDescriptor.columns.map((c) => c.name)).not.toContain('month');
    const managers = glueTableInput('b', 'managers');
    expect(managers.partitionKeys.map((p) => p.name)).toEqual(['province']);
    expect(managers.parameters['projection.dt.type']).toBeUndefined();
    expect(managers.parameters['storage.location.template']).toBe('s3://b/lake/managers/province=${province}/');
  });

  it('resolves to the same folder partitionKey() writes to', () => {
    // Prepare: the template filled in with one partition's values
    const cases: { type: 'sales' | 'market' | 'managers'; values: Record<string, string>; key: string }[] = [
      { type: 'sales', values: { dt: '2026-11-16', province: 'JL' }, key: partitionKey('sales', { day: '2026-11-16', province: 'JL' }) },
      { type: 'market', values: { month: '2026-10', province: 'GD' }, key: partitionKey('market', { month: '2026-10', province: 'GD' }) },
      { type: 'managers', values: { province: 'JL' }, key: partitionKey('managers', { province: 'JL' }) },
    ];
    for (const c of cases) {
      // Act
      const template = glueTableInput('b', c.type).parameters['storage.location.template']!;
      const folder = template.replace(/\$\{(\w+)\}/g, (_, name: string) => c.values[name]!);
      // Assess
      expect(`s3://b/${c.key}`).toBe(`${folder}data.parquet`);
    }
  });
});
