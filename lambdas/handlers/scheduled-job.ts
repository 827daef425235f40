/** What the scheduled handlers share: the period an event asks for and when a run counts as failed. */
import type { RunState } from '../core/delivery/delivery.js';
import { TelcoKpiError } from '../core/errors.js';
import { latestFullMonth, latestFullWeek, parsePeriod, PeriodError, type Period } from '../core/period.js';

/** A scheduled job did not reach every list; the message says which and why. */
export class ReportJobFailedError extends TelcoKpiError {}

/** The input of a scheduled or manual invocation is not a period the function runs. */
export class ReportEventError extends TelcoKpiError {}

/** States that mean a list did not get its mail and a retry or an operator is needed. */
export const FAILED_STATES: ReadonlySet<RunState> = new Set(['failed', 'parked']);

/** The period an event asks for: `previous-week`/`previous-month` relative to `now` (Asia/Shanghai), or an explicit id. */
export function resolvePeriod(requested: string | undefined, now: Date, fallback: 'previous-week' | 'previous-month'): Period {
  const asked = requested?.trim() || fallback;
  if (asked === 'previous-week') return latestFullWeek(now);
  if (asked === 'previous-month') return latestFullMonth(now);
  try {
    return parsePeriod(asked);
  } catch (error) {
    if (error instanceof PeriodError) throw new ReportEventError(`event period '${asked}': ${error.message}, or '${fallback}'`, { cause: error });
    throw error;
  }
}
