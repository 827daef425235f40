/**
 * Test-only: computes periods, ingests a small lake (with two tickets around Shanghai midnight)
 * and runs the weekly report job, all under the process's TZ; prints one JSON line that must be
 * identical whatever TZ the machine has. Env: TELCO_KPI_TEST_HOME (an empty folder).
 */
import { join } from 'node:path';
import { DuckDbQueryEngine } from '../../lambdas/adapters/duckdb-query-engine.js';
import { LocalObjectStore } from '../../lambdas/adapters/local-object-store.js';
import { OutboxMailer } from '../../lambdas/adapters/outbox-mailer.js';
import { QUERIES_DIR } from '../../lambdas/config.js';
import { latestFullMonth, latestFullWeek, parseTimestamp, shanghaiDateTime, shanghaiDay, weekOf } from '../../lambdas/core/period.js';
import { figuresHash, runReportJob } from '../../lambdas/core/report/job.js';
import { parseSettings } from '../../lambdas/core/settings.js';
import { ingestFiles, sampleFiles, settingsYaml } from './lake.js';
import { readOutbox } from './outbox.js';

export const SUNDAY_LATE = '2026-11-22T23:30:00+08:00';
export const MONDAY_EARLY = '2026-11-23T00:10:00+08:00';
// Monday 10:00 in Shanghai = Sunday 18:00 in Los Angeles: a local-time bug picks W46, not W47.
const NOW = new Date('2026-11-23T02:00:00Z');

const home = process.env.TELCO_KPI_TEST_HOME;
if (!home) throw new Error('TELCO_KPI_TEST_HOME is not set');
const now = () => NOW;

// Two extra tickets in the file of Sunday 2026-11-22: one opened late Sunday, one early Monday (Shanghai).
const files = sampleFiles({ from: '2026-11-16', days: 8, provinces: ['JL'], types: ['revenue', 'sales', 'service'] }).map((f) => {
  if (f.fileName !== 'service_JL_20261122.csv') return f;
  const extra = [
    `TZ-SUN,${SUNDAY_LATE},JL,长春,Ctz000000001,public,,hotline,complaint,,2026-11-22T15:45:00Z,,`,
    `TZ-MON,${MONDAY_EARLY},JL,长春,Ctz000000002,public,,hotline,complaint,,2026-11-23 00:20:00,,`,
  ];
  return { ...f, content: `${f.content.trimEnd()}\n${extra.join('\n')}\n`, rows: f.rows + 2 };
});
const store = new LocalObjectStore(home);
const receipts = await ingestFiles(store, files, now);
const engine = new DuckDbQueryEngine(home, QUERIES_DIR);
try {
  const period = latestFullWeek(NOW);
  const outcome = await runReportJob({
    engine, store, settings: parseSettings(settingsYaml({ provinces: ['JL'] })),
    mailer: new OutboxMailer(join(home, 'outbox'), now), notifier: { notify: async () => undefined }, now,
  }, { period, scope: 'ALL', lang: 'zh-CN', send: true, runId: 'run-tz' });
  const tickets = await engine.runSql("select ticket_id, cast(opened_at as varchar) as opened_at_utc, cast(opened_date as varchar) as opened_date, dt from service where ticket_id like 'TZ-%' order by ticket_id");
  const inWeek = await engine.runSql("select ticket_id from service where ticket_id like 'TZ-%' and opened_date between cast(? as date) and cast(? as date)", [period.start, period.end]);
  const [complaints] = await engine.runSql("select count(*) as n from service where category = 'complaint' and opened_date between cast(? as date) and cast(? as date)", [period.start, period.end]);
  const mails = await readOutbox(join(home, 'outbox'));
  const kpis = outcome.artifacts!.kpis;
  process.stdout.write(`${JSON.stringify({
    periods: {
      latestFullWeek: period,
      latestFullMonth: latestFullMonth(NOW),
      weekOfSunday: weekOf(shanghaiDay(parseTimestamp(SUNDAY_LATE)!)).id,
      weekOfMonday: weekOf(shanghaiDay(parseTimestamp(MONDAY_EARLY)!)).id,
      shanghaiNow: shanghaiDateTime(NOW),
    },
    receipts: receipts.filter((r) => r.status !== 'accepted').map((r) => r.file),
    receiptDays: [...new Set(receipts.map((r) => r.day))].sort(),
    tickets,
    ticketsInWeek: inWeek.map((r) => r.ticket_id),
    complaintsInWeek: complaints?.n,
    figures: {
      hash: figuresHash(kpis),
      period: kpis.period,
      total: kpis.rows.find((r) => r.dimension === 'total'),
      completeness: kpis.completeness,
    },
    runs: outcome.runs.map((r) => ({ state: r.state, periodId: r.periodId })),
    mail: mails.map((m) => ({ to: m.to, subject: m.subject, firstLine: (m.parsed.text ?? '').split('\n')[0] })),
  })}\n`);
} finally {
  await engine.close();
}
