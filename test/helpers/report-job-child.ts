/**
 * Test-only: runs the weekly report job once in its own process, with the local runtime (outbox
 * mailer) over the home in TELCO_KPI_TEST_HOME. Prints the run records as one JSON line.
 *
 * Env: TELCO_KPI_TEST_HOME, TELCO_KPI_TEST_CONFIG, TELCO_KPI_TEST_NOW (ISO instant),
 * TELCO_KPI_TEST_PERIOD (2026-W47), TELCO_KPI_TEST_SCOPE (ALL), TELCO_KPI_TEST_RUN_ID;
 * TELCO_KPI_TEST_EXIT_AFTER_SEND=1 kills the process right after the mailer wrote the message,
 * before the job records the send (a crash between sending and recording).
 */
import { openLocalRuntime } from '../../lambdas/cli/local-runtime.js';
import { parsePeriod } from '../../lambdas/core/period.js';
import type { Mailer } from '../../lambdas/core/ports.js';
import { runReportJob } from '../../lambdas/core/report/job.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const now = () => new Date(env('TELCO_KPI_TEST_NOW'));
const runtime = await openLocalRuntime({
  home: env('TELCO_KPI_TEST_HOME'), configDir: env('TELCO_KPI_TEST_CONFIG'), now,
  out: (line) => process.stderr.write(`${line}\n`), err: (line) => process.stderr.write(`${line}\n`),
});
const mailer: Mailer = {
  async send(message) {
    const receipt = await runtime.mailer.send(message);
    if (process.env.TELCO_KPI_TEST_EXIT_AFTER_SEND === '1') process.exit(137);
    return receipt;
  },
};
try {
  const outcome = await runReportJob(
    { ...runtime, mailer, now, sleep: async () => undefined, retryDelaysMs: [] },
    { period: parsePeriod(env('TELCO_KPI_TEST_PERIOD')), scope: process.env.TELCO_KPI_TEST_SCOPE ?? 'ALL', lang: 'zh-CN', send: true, runId: env('TELCO_KPI_TEST_RUN_ID') },
  );
  process.stdout.write(`${JSON.stringify(outcome.runs)}\n`);
} finally {
  await runtime.close();
}
