/**
 * A report reads the receipts of the days its figures read, not every receipt ever stored: a year
 * of a national lake holds tens of thousands, on S3 each a GET. The rejected uploads of the period
 * still reach 数据完整性.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbQueryEngine } from '../../lambdas/adapters/duckdb-query-engine.js';
import { LocalObjectStore } from '../../lambdas/adapters/local-object-store.js';
import { QUERIES_DIR } from '../../lambdas/config.js';
import { parsePeriod } from '../../lambdas/core/period.js';
import type { ObjectStore } from '../../lambdas/core/ports.js';
import { buildReport } from '../../lambdas/core/report/job.js';
import { parseSettings } from '../../lambdas/core/settings.js';
import { ingestFiles, LakeTemplate, settingsYaml } from '../helpers/lake.js';

const W47 = parsePeriod('2026-W47');
const NOW = new Date('2026-11-23T06:00:00Z');

/** A broken revenue file of a day: a decimal comma, so it is rejected with a receipt. */
function brokenRevenue(day: string) {
  const compact = day.replaceAll('-', '');
  return {
    type: 'revenue' as const, province: 'JL', rows: 1, fileName: `revenue_JL_${compact}.csv`,
    content: `date,province,city,segment,sub_segment,channel,product,revenue,active_users\n${day},JL,长春,public,,online,mobile,"1234,50",10\n`,
  };
}

describe('the receipts a report reads', () => {
  let lake: LakeTemplate;
  let home: string;
  const read: string[] = [];

  beforeAll(async () => {
    // W46 and W47 of JL without JL's revenue of 11-18, then a rejected upload of that day and one a year earlier.
    lake = await LakeTemplate.build({ from: '2026-11-09', days: 14, provinces: ['JL'], skip: [{ type: 'revenue', province: 'JL', day: '2026-11-18' }] });
    home = await lake.copy();
    const receipts = await ingestFiles(new LocalObjectStore(home), [brokenRevenue('2026-11-18'), brokenRevenue('2025-11-18')]);
    expect(receipts.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  }, 60_000);
  afterAll(async () => {
    await rm(home, { recursive: true, force: true });
    await lake.remove();
  });

  it('reads the receipts of the period and its comparison period only, and lists the period\'s rejected upload', async () => {
    const local = new LocalObjectStore(home);
    const store: ObjectStore = Object.assign(Object.create(local) as ObjectStore, {
      get: (key: string) => {
        read.push(key);
        return local.get(key);
      },
    });
    const engine = new DuckDbQueryEngine(home, QUERIES_DIR);
    try {
      const { kpis } = await buildReport({ engine, store, settings: parseSettings(settingsYaml({ provinces: ['JL'] })), now: () => NOW }, { period: W47, scope: 'ALL', lang: 'zh-CN', runId: 'test' });
      const revenue = kpis.completeness.find((c) => c.type === 'revenue' && c.province === 'JL');
      expect(revenue?.rejectedUploads?.map((r) => `${r.day} ${r.file}`)).toEqual(['2026-11-18 revenue_JL_20261118.csv']);
    } finally {
      await engine.close();
    }
    const receiptDays = [...new Set(read.filter((k) => k.startsWith('receipts/')).map((k) => k.split('/')[3]!))].sort();
    expect(receiptDays.length).toBeGreaterThan(0);
    // A day key of W46–W47, or the month key (targets, market) of 2026-11.
    expect(receiptDays.filter((key) => key < '2026-11-09'.slice(0, key.length) || key > W47.end.slice(0, key.length))).toEqual([]);
  });
});
