import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { mapPool } from '../../lib/adapters/concurrency.ts';
import { logger } from '../../lib/adapters/observability.ts';
import { attemptDelivery } from '../../lib/app/webhooks/deliveries.ts';

/**
 * The delivery worker: each message names a delivery the stream consumer recorded (its item's
 * key); one attempt each, ten at a time (lib/app/webhooks/deliveries.ts `attemptDelivery`: a
 * delivery that is no longer pending, or that another worker holds, is skipped). A failed attempt
 * is no failure here: the delivery waits in the due index for the sweeper. A message fails (and
 * is reported alone, partial batch response) only when its attempt could not be recorded — SQS
 * then retries it, and after its receives it goes to the dead-letter queue. The local host runs
 * this handler too (infra/local/events.ts), fed in process.
 */
export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const failed: { itemIdentifier: string }[] = [];
  await mapPool(event.Records ?? [], 10, async (record) => {
    try {
      const { pk, sk } = JSON.parse(record.body) as { pk?: unknown; sk?: unknown };
      if (typeof pk !== 'string' || typeof sk !== 'string') throw new Error('a delivery message names no delivery key');
      await attemptDelivery(pk, sk);
    } catch (error) {
      logger.error('delivery attempt failed', { error: error as Error, messageId: record.messageId });
      failed.push({ itemIdentifier: record.messageId });
    }
  });
  return { batchItemFailures: failed };
};
