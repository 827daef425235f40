/**
 * Entry point: the weekly report, invoked by EventBridge Scheduler on Mondays 09:00 Asia/Shanghai.
 * PHASE 1 PLACEHOLDER — reads its configuration and refuses to run; phase 2 wires the report core.
 */
import { TelcoKpiError } from '../core/errors.js';
import { reportConfig } from './aws-config.js';

const config = reportConfig('REPORT_RECIPIENTS');

export interface ScheduledReportEvent {
  /** `previous-week` from the schedule, or an explicit ISO week (`2026-W47`) for a re-run. */
  period?: string;
  scope?: string;
}

export async function handler(event: ScheduledReportEvent): Promise<never> {
  throw new TelcoKpiError(`weekly report for ${event.period ?? 'previous-week'} is not implemented yet (workgroup ${config.athenaWorkGroup})`);
}
