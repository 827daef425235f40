/**
 * Entry point: the monthly HR incentive tally, invoked by EventBridge Scheduler on the 1st, 09:00 Asia/Shanghai.
 * PHASE 1 PLACEHOLDER — reads its configuration and refuses to run; phase 2 wires the incentives core.
 */
import { TelcoKpiError } from '../core/errors.js';
import { reportConfig } from './aws-config.js';

const config = reportConfig('HR_RECIPIENTS');

export interface ScheduledIncentivesEvent {
  /** `previous-month` from the schedule, or an explicit month (`2026-11`) for a re-run. */
  period?: string;
}

export async function handler(event: ScheduledIncentivesEvent): Promise<never> {
  throw new TelcoKpiError(`incentives for ${event.period ?? 'previous-month'} are not implemented yet (workgroup ${config.athenaWorkGroup})`);
}
