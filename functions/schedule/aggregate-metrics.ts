import type { Context } from 'aws-lambda';
import { logger } from '../../lib/adapters/observability.ts';
import { type AggregateReport, aggregateMetrics } from '../../lib/app/metrics/aggregate.ts';

/**
 * Scheduled (EventBridge Scheduler in AWS, a timer in `npm start`, `npm run aggregate`): one
 * incremental aggregation run. A failure is rethrown so the scheduler retries (and finally
 * dead-letters) it; the watermark has not moved, so the retry covers the same changes.
 */
export const handler = async (_event?: unknown, context?: Partial<Context>): Promise<AggregateReport> => {
  // Stop taking sessions 15 s before the Lambda timeout; the next run continues from there.
  const remaining = context?.getRemainingTimeInMillis?.();
  try {
    const report = await aggregateMetrics(remaining !== undefined ? { deadline: Date.now() + remaining - 15_000 } : {});
    logger.info('metrics aggregated', { ...report });
    return report;
  } catch (error) {
    logger.error('metrics aggregation failed', { error: error as Error });
    throw error;
  }
};
