/**
 * Periods, day assignment and report figures are Asia/Shanghai whatever the machine's time zone:
 * the same probe (ingest + weekly report job) runs in child processes with TZ=UTC,
 * TZ=America/Los_Angeles and TZ=Asia/Shanghai and must print the same result.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTsChild } from '../helpers/child.js';

const PROBE = join(import.meta.dirname, '../helpers/tz-probe.ts');
const ZONES = ['UTC', 'America/Los_Angeles', 'Asia/Shanghai'] as const;

interface ProbeOutput {
  periods: Record<string, unknown> & { latestFullWeek: { id: string; start: string; end: string } };
  receipts: string[];
  receiptDays: string[];
  tickets: Array<{ ticket_id: string; opened_at_utc: string; opened_date: string; dt: string }>;
  ticketsInWeek: string[];
  complaintsInWeek: number;
  figures: { hash: string; period: { id: string }; total: { complaintsPer10k: number; activeUsersAvg: number } };
  runs: Array<{ state: string; periodId: string }>;
  mail: Array<{ to: string[]; subject: string; firstLine: string }>;
}

describe('time zones', () => {
  const outputs = new Map<string, ProbeOutput>();
  const homes: string[] = [];

  beforeAll(async () => {
    await Promise.all(ZONES.map(async (tz) => {
      const home = await mkdtemp(join(tmpdir(), 'telco-kpi-tz-'));
      homes.push(home);
      const result = await runTsChild(PROBE, { TZ: tz, TELCO_KPI_TEST_HOME: home });
      if (result.code !== 0) throw new Error(`probe under TZ=${tz} exited ${String(result.code)}: ${result.stderr}`);
      outputs.set(tz, JSON.parse(result.stdout) as ProbeOutput);
    }));
  }, 60_000);
  afterAll(async () => {
    await Promise.all(homes.map((h) => rm(h, { recursive: true, force: true })));
  });

  it('gives identical periods, ticket days and figures under UTC, Los Angeles and Shanghai', () => {
    const shanghai = outputs.get('Asia/Shanghai')!;
    expect(outputs.get('UTC')).toEqual(shanghai);
    expect(outputs.get('America/Los_Angeles')).toEqual(shanghai);
  });

  it('takes the latest full week in Shanghai: Monday 10:00 there is still Sunday in Los Angeles', () => {
    const out = outputs.get('America/Los_Angeles')!;
    expect(out.periods.latestFullWeek).toEqual({ kind: 'week', id: '2026-W47', start: '2026-11-16', end: '2026-11-22' });
    expect(out.periods.latestFullMonth).toMatchObject({ id: '2026-10' });
    expect(out.periods.shanghaiNow).toBe('2026-11-23 10:00');
    expect(out.runs).toEqual([{ state: 'sent', periodId: '2026-W47' }]);
    expect(out.mail.map((m) => m.subject)).toEqual(['【周报】营销KPI 2026年第47周（11/16–11/22）· 全国']);
  });

  it('assigns tickets to their Shanghai day: 23:30 Sunday stays in W47, 00:10 Monday (Sunday in UTC and LA) goes to W48', () => {
    const out = outputs.get('America/Los_Angeles')!;
    expect(out.receipts).toEqual([]);
    expect(out.tickets).toEqual([
      { ticket_id: 'TZ-MON', opened_at_utc: '2026-11-22 16:10:00', opened_date: '2026-11-23', dt: '2026-11-22' },
      { ticket_id: 'TZ-SUN', opened_at_utc: '2026-11-22 15:30:00', opened_date: '2026-11-22', dt: '2026-11-22' },
    ]);
    expect(out.ticketsInWeek).toEqual(['TZ-SUN']);
    // The report's complaint rate counts the week's complaints by Shanghai day, TZ-SUN included.
    expect(out.figures.total.complaintsPer10k).toBeCloseTo((out.complaintsInWeek / out.figures.total.activeUsersAvg) * 10_000, 9);
    expect(out.periods.weekOfSunday).toBe('2026-W47');
    expect(out.periods.weekOfMonday).toBe('2026-W48');
    expect(out.receiptDays).toEqual(['2026-11-16', '2026-11-17', '2026-11-18', '2026-11-19', '2026-11-20', '2026-11-21', '2026-11-22', '2026-11-23']);
  });
});
