/** The monthly incentive job: queries → tally → incentives.json + incentives.xlsx → HR e-mail. */
import { createHash } from 'node:crypto';
import { Decimal } from 'decimal.js';
import { TelcoKpiError } from '../errors.js';
import { addDays, parsePeriod, shanghaiDateTime, type Period } from '../period.js';
import { escapeHtml } from '../report/mail.js';
import { newRunId } from '../report/job.js';
import { deliverOnce, recordRun, type ClaimPolicy, type JobId, type Notifier, type RunRecord } from '../delivery/delivery.js';
import type { Mailer, ObjectStore, QueryEngine, SqlValue } from '../ports.js';
import { incentivesSender, type Settings } from '../settings.js';
import { tallyEvents } from './calculate.js';
import { SalesEventColumns } from './event-columns.js';
import { planFor, type Plan } from './plan.js';
import { packedEventColumn, packedEventRows, toRoster, toTicketScores } from './rows.js';
import { receivedDaysParams } from '../kpis/kpis.js';
import type { IncentiveTally } from './types.js';
import { buildIncentiveWorkbook, tallyJsonBytes } from './workbook.js';

/** The incentive job cannot run as asked (wrong period, nobody to mail, no mailer). */
export class IncentiveJobError extends TelcoKpiError {}

/** The month has no sales extract at all (SPEC §5): a tally of zeros would mislead HR, so none is made. */
export class IncentivesNotProducedError extends IncentiveJobError {}

export interface IncentiveJobDeps {
  engine: QueryEngine;
  store: ObjectStore;
  settings: Settings;
  plans: Plan[];
  now: () => Date;
  /** Needed only to send: mail goes through the run ledger, at most once per content and HR list. */
  delivery?: { mailer: Mailer; notifier: Notifier; sleep?: (ms: number) => Promise<void>; retryDelaysMs?: readonly number[]; claims?: ClaimPolicy };
}

export interface IncentiveJobRequest {
  /** `YYYY-MM`. */
  month: string;
  send: boolean;
  runId?: string;
}

export interface IncentiveSummary {
  month: string;
  plan: string;
  version: number;
  managers: number;
  /** Σ payout, CNY. */
  total: number;
  capped: number;
  clawbackLines: number;
  unknownManagers: number;
}

export interface IncentiveJobResult {
  /** incentives.json as UTF-8 bytes (built in pieces: a national month is hundreds of MB). */
  json: Uint8Array;
  xlsx: Uint8Array;
  jsonKey: string;
  xlsxKey: string;
  /** One ledger record per HR list when `send` was asked (sent, duplicate, failed…). */
  runs: RunRecord[];
  tally: IncentiveTally;
  summary: IncentiveSummary;
}

const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** Computes one month's tally with the plan in force on its first day, stores both files, mails HR when asked. */
export async function runIncentives(deps: IncentiveJobDeps, request: IncentiveJobRequest): Promise<IncentiveJobResult> {
  const period = parsePeriod(request.month);
  if (period.kind !== 'month') throw new IncentiveJobError(`'${request.month}' is not a month: incentives are monthly, use YYYY-MM`);
  const started = deps.now();
  const runId = request.runId ?? newRunId(started);
  const lists = request.send ? deps.settings.recipients.incentives : [];
  if (request.send && lists.length === 0) throw new IncentiveJobError('no HR recipients: add recipients.incentives to config/telco-kpi.yaml; the tally goes to HR only');
  if (request.send && !deps.delivery) throw new IncentiveJobError('--send needs a mailer, and none is configured');
  const jobOf = (list: { name: string; to: string[] }): JobId => ({ kind: 'incentives', periodId: period.id, scope: 'HR', listName: list.name, to: list.to });
  let built: Omit<IncentiveJobResult, 'runs'>;
  try {
    built = await buildIncentives(deps, period);
  } catch (error) {
    for (const list of lists) await recordRun({ ...deps, notifier: deps.delivery!.notifier }, jobOf(list), { runId, state: 'failed', startedAt: started, error });
    throw error;
  }
  const runs: RunRecord[] = [];
  for (const list of lists) {
    runs.push(await deliverOnce({ ...deps.delivery!, store: deps.store, now: deps.now }, jobOf(list), {
      runId,
      contentHash: createHash('sha256').update(built.json).digest('hex'),
      from: incentivesSender(deps.settings.mail),
      partial: false,
      missing: [],
      summary: built.summary,
      compose: ({ revision, previous }) => {
        const revised = revision > 0 ? revisionLines(previous?.summary as IncentiveSummary | undefined, built.summary, previous?.sentAt) : [];
        return {
          subject: `${revision > 0 ? '【修订】' : ''}【激励】客户经理激励核算 ${period.id.slice(0, 4)}年${Number(period.id.slice(5))}月`,
          html: mailHtml(built.tally, built.summary, revised),
          text: mailText(built.tally, built.summary, revised),
          attachments: [{ filename: `incentives-${period.id}.xlsx`, content: built.xlsx, contentType: XLSX_TYPE }],
        };
      },
    }));
  }
  return { ...built, runs };
}

async function buildIncentives(deps: IncentiveJobDeps, period: Period): Promise<Omit<IncentiveJobResult, 'runs'>> {
  const plan = planFor(deps.plans, period.start);
  const planForMonth = (day: string): Plan | undefined => {
    try {
      return planFor(deps.plans, day, plan.plan);
    } catch {
      return undefined;
    }
  };

  // A month without a single sales extract (no province-day with sales rows, as received_days
  // sees the lake) is not produced: nothing is written, so nothing reads as zeros.
  const received = await deps.engine.run('received_days', receivedDaysParams(period.start, period.end, 'ALL'));
  if (!received.some((r) => r.type === 'sales')) {
    throw new IncentivesNotProducedError(`no sales extract was received for any day of ${period.id} (${period.start} – ${period.end}): an incentive tally of zeros would mislead HR, so none is produced`);
  }

  const tally = await tallyMonth(deps.engine, period, plan, planForMonth);
  const json = tallyJsonBytes(tally);
  const xlsx = await buildIncentiveWorkbook(tally, plan, deps.now());

  const prefix = `reports/${period.id}/incentives`;
  const jsonKey = `${prefix}/incentives.json`;
  const xlsxKey = `${prefix}/incentives.xlsx`;
  await deps.store.put(jsonKey, json, { contentType: 'application/json; charset=utf-8' });
  await deps.store.put(xlsxKey, xlsx, { contentType: XLSX_TYPE });

  const summary: IncentiveSummary = {
    month: period.id,
    plan: plan.plan,
    version: plan.version,
    managers: tally.managers.length,
    total: tally.total,
    capped: tally.managers.filter((m) => m.capped).length,
    clawbackLines: tally.managers.reduce((k, m) => k + m.lines.filter((l) => l.clawbackOf).length, 0),
    unknownManagers: tally.dataProblems.unknownManagers.length,
  };

  return { json, xlsx, jsonKey, xlsxKey, tally, summary };
}

/**
 * Reads the month's events and tallies them. The events (over a million records in a national
 * month) are this function's alone, so they can be collected before the files are written.
 */
async function tallyMonth(engine: QueryEngine, period: Period, plan: Plan, planForMonth: (day: string) => Plan | undefined): Promise<IncentiveTally> {
  const n = plan.clawback?.withinDays ?? 0;
  // The clawback query first: it returns few rows, and its events go in first, so the month's
  // events are checked against these few for the churns both queries return.
  const columns = new SalesEventColumns();
  if (n > 0) {
    const query = 'incentive_clawback_events';
    const newsFrom = addDays(period.start, -2 * n);
    columns.addPacked(await packedEvents(engine, query, [newsFrom, period.end, addDays(period.start, -n), period.end, n, newsFrom, period.start]), query);
  }
  const month = await packedEvents(engine, 'incentive_sales_events', [period.start, period.end]);
  // The two small queries run on the engine while the month's events are read here, a slice at
  // a time (DuckDB works on threads of its own: its scan of the service extracts and the reading overlap).
  const ticketRows = engine.run('incentive_ticket_scores', [addDays(period.start, -1), addDays(period.end, 1), period.start, period.end]);
  const rosterRows = engine.run('incentive_roster', []);
  try {
    await columns.addPackedInSlices(month, 'incentive_sales_events');
  } finally {
    await Promise.allSettled([ticketRows, rosterRows]);
  }
  const tickets = toTicketScores(await ticketRows, 'incentive_ticket_scores');
  const roster = toRoster(await rosterRows, 'incentive_roster');
  return tallyEvents({ period, plan, planForMonth, columns, tickets, roster });
}

/** A sales query's packed events, read as columns where the engine can (a national month: no object per row). */
async function packedEvents(engine: QueryEngine, query: string, params: readonly SqlValue[]): Promise<readonly unknown[]> {
  return engine.runColumns
    ? packedEventColumn(await engine.runColumns(query, params), query)
    : packedEventRows(await engine.run(query, params), query);
}

function yuan(value: number): string {
  const [int, frac] = new Decimal(value).toFixed(2).split('.') as [string, string];
  return `${int.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${frac}`;
}


function mailFacts(tally: IncentiveTally, s: IncentiveSummary): string[] {
  return [
    `核算月份：${tally.period.start} 至 ${tally.period.end}`,
    `方案：${s.plan} 第 ${s.version} 版（${tally.plan.effectiveFrom} 起生效）`,
    `客户经理 ${s.managers} 人，应发合计 ${yuan(s.total)} 元`,
    `封顶 ${s.capped} 人；扣回 ${s.clawbackLines} 笔`,
    s.unknownManagers > 0 ? `数据问题：${s.unknownManagers} 个工号不在名册，已照常计算，请见附件“数据问题”表` : '数据问题：无',
  ];
}

/** A revised tally opens by saying so, and what moved against the version HR received. */
function revisionLines(before: IncentiveSummary | undefined, after: IncentiveSummary, sentAt: string | undefined): string[] {
  const moved: string[] = [];
  if (before && yuan(before.total) !== yuan(after.total)) moved.push(`应发合计 ${yuan(before.total)} → ${yuan(after.total)} 元`);
  if (before && before.managers !== after.managers) moved.push(`客户经理 ${before.managers} → ${after.managers} 人`);
  if (before && before.capped !== after.capped) moved.push(`封顶 ${before.capped} → ${after.capped} 人`);
  if (before && (before.plan !== after.plan || before.version !== after.version)) moved.push(`方案 ${before.plan} 第 ${before.version} 版 → ${after.plan} 第 ${after.version} 版`);
  return [
    `【修订】本邮件修订${sentAt ? ` ${shanghaiDateTime(new Date(sentAt))} 发出` : '此前发出'}的核算，以本邮件为准。`,
    moved.length > 0 ? `变动：${moved.join('；')}` : '变动：合计未变，个别客户经理的明细有变动（见附件）。',
  ];
}

function mailHtml(tally: IncentiveTally, s: IncentiveSummary, revised: readonly string[] = []): string {
  const items = mailFacts(tally, s).map((f) => `<li>${escapeHtml(f)}</li>`).join('');
  return `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"></head>`
    + `<body style="font-family:sans-serif;font-size:15px;line-height:1.5">`
    + (revised.length > 0 ? `<p style="border:2px solid #c0392b;padding:8px 10px">${revised.map((l, i) => (i === 0 ? `<strong>${escapeHtml(l)}</strong>` : escapeHtml(l))).join('<br>')}</p>` : '')
    + `<p>${escapeHtml(`${tally.period.id} 客户经理激励核算已完成。`)}</p><ul>${items}</ul>`
    + `<p>附件 incentives-${escapeHtml(tally.period.id)}.xlsx 含汇总、每位客户经理的积分明细（扣回行标红并注明原新装）、数据问题和方案说明。</p>`
    + `<p style="color:#666;font-size:12px">本邮件仅发送人力资源部。telco-kpi 自动生成。</p></body></html>`;
}

function mailText(tally: IncentiveTally, s: IncentiveSummary, revised: readonly string[] = []): string {
  return [...revised, ...(revised.length > 0 ? [''] : []), `${tally.period.id} 客户经理激励核算已完成。`, ...mailFacts(tally, s).map((f) => `- ${f}`),
    `附件 incentives-${tally.period.id}.xlsx 含汇总、积分明细、数据问题和方案说明。`, ''].join('\n');
}
