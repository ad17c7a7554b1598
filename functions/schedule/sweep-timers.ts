import type { Context } from 'aws-lambda';
import { logger } from '../../lib/adapters/observability.ts';
import { type SweepReport, sweepTimers } from '../../lib/app/timers/sweep.ts';

/**
 * Scheduled (EventBridge Scheduler every minute in AWS; `npm start -- --timers-every <s>` and
 * `npm run timers` locally): fires every timer that has come due. A failure is rethrown so the
 * scheduler retries (and finally dead-letters) it; the watermark has not moved past what is left,
 * so the retry (or the next run) fires the rest, once.
 */
export const handler = async (_event?: unknown, context?: Partial<Context>): Promise<Omit<SweepReport, 'lateness'> & { maxLatenessMs: number }> => {
  // Stop taking timers 10 s before the Lambda timeout; the next run fires the rest.
  const remaining = context?.getRemainingTimeInMillis?.();
  try {
    const { lateness, ...report } = await sweepTimers(remaining !== undefined ? { deadline: Date.now() + remaining - 10_000 } : {});
    const summary = { ...report, maxLatenessMs: lateness.length ? Math.max(...lateness) : 0 };
    if (report.due > 0) logger.info('timers swept', { ...summary });
    // A timer that keeps failing holds the watermark back: visible in the logs, by its due item.
    if (report.errors.length > 0) logger.warn('timers left for the next sweep after an error', { errors: report.errors.slice(0, 20) });
    return summary;
  } catch (error) {
    logger.error('timer sweep failed', { error: error as Error });
    throw error;
  }
};
