/** Two report jobs for the same period in two processes over one home: exactly one message. */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalObjectStore } from '../../lambdas/adapters/local-object-store.js';
import { listRuns, type RunRecord } from '../../lambdas/core/delivery/delivery.js';
import { parsePeriod } from '../../lambdas/core/period.js';
import { runTsChild } from '../helpers/child.js';
import { LakeTemplate, NATIONAL, OPERATORS, writeConfigDir } from '../helpers/lake.js';
import { readOutbox } from '../helpers/outbox.js';

const CHILD = join(import.meta.dirname, '../helpers/report-job-child.ts');
const W47 = parsePeriod('2026-W47');
const NOW = Date.parse('2026-11-23T06:00:00Z');

describe('racing report jobs', () => {
  let lake: LakeTemplate;
  let home: string;
  let configDir: string;

  beforeAll(async () => {
    lake = await LakeTemplate.build({ from: W47.start, days: 7, provinces: ['JL', 'GD'], types: ['revenue', 'sales', 'service'] });
  });
  afterAll(async () => lake.remove());
  beforeEach(async () => {
    home = await lake.copy();
    configDir = await writeConfigDir(join(home, 'config'), { provinces: ['JL', 'GD'] });
  });
  afterEach(async () => rm(home, { recursive: true, force: true }));

  const child = (runId: string) => runTsChild(CHILD, {
    TELCO_KPI_TEST_HOME: home, TELCO_KPI_TEST_CONFIG: configDir, TELCO_KPI_TEST_NOW: new Date(NOW).toISOString(),
    TELCO_KPI_TEST_PERIOD: W47.id, TELCO_KPI_TEST_SCOPE: 'ALL', TELCO_KPI_TEST_RUN_ID: runId,
  });
  const reports = async () => (await readOutbox(join(home, 'outbox'))).filter((m) => !m.to.includes(OPERATORS));

  it('two jobs for the same period in two processes: exactly one message', async () => {
    // Act
    const [a, b] = await Promise.all([child('run-a'), child('run-b')]);
    // Assess
    expect([a.code, b.code]).toEqual([0, 0]);
    const states = [...JSON.parse(a.stdout) as RunRecord[], ...JSON.parse(b.stdout) as RunRecord[]].map((r) => r.state).sort();
    expect(states[1]).toBe('sent');
    expect(['concurrent', 'duplicate']).toContain(states[0]);
    expect((await reports()).map((m) => m.to)).toEqual([NATIONAL]);
    expect((await listRuns(new LocalObjectStore(home))).map((r) => r.state).sort()).toEqual(states);
  });

});
