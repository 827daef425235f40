/** What the scheduled handlers share: the period an event asks for and when a run counts as failed. */
import type { ClaimPolicy, RunState } from '../core/delivery/delivery.js';
import { TelcoKpiError } from '../core/errors.js';
import { latestFullMonth, latestFullWeek, parsePeriod, PeriodError, type Period } from '../core/period.js';

/** A scheduled job did not reach every list; the message says which and why. */
export class ReportJobFailedError extends TelcoKpiError {}

/** The input of a scheduled or manual invocation is not a period the function runs. */
export class ReportEventError extends TelcoKpiError {}

/**
 * States that mean a list did not get its mail and a retry or an operator is needed. 'concurrent':
 * another run held the delivery past this invocation's patience (it may have died), so the invocation
 * fails and is retried; the retry finds the report sent, or the claim run out (taken over, or
 * 'uncertain' with operators told). 'uncertain' itself does not fail: operators were told and a
 * retry cannot know more.
 */
export const FAILED_STATES: ReadonlySet<RunState> = new Set(['failed', 'parked', 'concurrent']);

/** The part of the Lambda context the scheduled handlers read. */
export interface InvocationContext {
  getRemainingTimeInMillis(): number;
}

/** Claims of a Lambda invocation hold until its timeout; it waits for another run's claim until shortly before. */
export function invocationClaims(context: InvocationContext | undefined, now: Date): ClaimPolicy | undefined {
  const remaining = context?.getRemainingTimeInMillis?.();
  return typeof remaining === 'number' && remaining > 0 ? { deadline: now.getTime() + remaining, pollMs: 5000 } : undefined;
}

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
