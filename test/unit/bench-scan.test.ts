/**
 * The Athena scan model of the bench (bench/scan.ts): Parquet scans read off DuckDB's plan, a scan
 * inside a WITH query counted once per reference, as Trino inlines each use.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planScans, reportScan } from '../../bench/scan.js';
import { QUERIES_DIR } from '../../lambdas/config.js';
import { parsePeriod } from '../../lambdas/core/period.js';
import { LakeTemplate } from '../helpers/lake.js';

const parquet = (table: string, columns: string[], extra: Record<string, string> = {}) => ({
  operator_name: 'READ_PARQUET',
  extra_info: { Function: 'READ_PARQUET', Projections: [...columns, 'dt', 'province'], 'Filename(s)': `/h/lake/${table}/dt=2026-11-16/province=JL/data.parquet, ...`, ...extra },
  children: [],
});
const cte = (index: number, definition: object, use: object) => ({ operator_name: 'CTE', extra_info: { 'CTE Name': `c${index}`, 'Table Index': String(index) }, children: [definition, use] });
const ref = (index: number) => ({ operator_name: 'CTE_SCAN', extra_info: { 'CTE Index': String(index) }, children: [] });
const join = (...children: object[]) => ({ operator_name: 'HASH_JOIN', extra_info: {}, children });

describe('planScans', () => {
  it('counts a scan once per reference path to its CTE, drops unreferenced CTEs and partition columns, and keeps filter columns', () => {
    // c0 reads sales and is used twice by c1; c1 is used three times by the query; c2 is never used.
    const plan = cte(0,
      parquet('sales', ['customer_id'], { Filters: "segment='enterprise'", 'File Filters': "(dt BETWEEN '2026-11-16' AND '2026-11-22')" }),
      cte(1, join(ref(0), ref(0)),
        cte(2, parquet('revenue', ['revenue']),
          join(ref(1), ref(1), join(ref(1), parquet('service', ['ticket_id']))))));
    expect(planScans(plan)).toEqual([
      { table: 'sales', fileFilter: "(dt BETWEEN '2026-11-16' AND '2026-11-22')", columns: ['customer_id', 'segment'], times: 6 },
      { table: 'service', columns: ['ticket_id'], times: 1 },
    ]);
  });

  it('skips a scan that partition pruning left without a file', () => {
    expect(planScans({ operator_name: 'READ_PARQUET', extra_info: { Function: 'READ_PARQUET', Projections: ['revenue'], 'Total Files Read': '0' } })).toEqual([]);
  });
});

describe('reportScan', () => {
  let lake: LakeTemplate;
  let home: string;
  beforeAll(async () => {
    lake = await LakeTemplate.build({ from: '2026-11-02', days: 21, provinces: ['JL'] });
    home = await lake.copy();
  }, 60_000);
  afterAll(async () => {
    await rm(home, { recursive: true, force: true });
    await lake.remove();
  });

  it('models every query the weekly report runs, pruned to the days it reads', async () => {
    const scan = await reportScan(home, parsePeriod('2026-W47'), QUERIES_DIR);
    expect(scan.queries.map((q) => q.query).sort()).toEqual(['kpi_rows', 'market_share', 'package_mix', 'received_days', 'revenue_trend', 'targets', 'watch_list']);
    const q = (name: string) => scan.queries.find((x) => x.query === name)!;
    // received_days reads sales, revenue and service once each, from the month's first day (W46's
    // Monday is later) to W47's Sunday: 2026-11-01 … 11-22, of which the lake holds 11-02 … 11-22.
    expect(q('received_days')).toMatchObject({ scans: 3, files: 3 * 21 });
    // kpi_rows reads service twice (the tickets, and the tickets carried by more than one file).
    expect(q('kpi_rows').scans).toBeGreaterThan(3);
    for (const x of scan.queries) expect(x.columnBytes).toBeLessThanOrEqual(x.bytes);
    expect(scan.bytes).toBe(scan.queries.reduce((n, x) => n + x.bytes, 0));
  }, 120_000);
});
