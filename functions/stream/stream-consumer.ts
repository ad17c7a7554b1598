import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { logger } from '../../lib/adapters/aws/observability.ts';
import { toChangeRecord } from '../../lib/adapters/dynamodb/stream.ts';
import { consume, registerSink } from '../../lib/app/events/consumer.ts';
import { routingSink } from '../../lib/app/routing/sink.ts';
import { type EventBus, inProcessBus } from '../../lib/domain/events/bus.ts';

// Reactions to events, run by both hosts (this handler is the local poller's too).
registerSink(routingSink);

let bus: EventBus | undefined;
/** EventBridge in AWS (EVENT_BUS_NAME set by the stack), the in-process bus on the local host. */
async function eventBus(): Promise<EventBus> {
  if (bus) return bus;
  const name = process.env.EVENT_BUS_NAME;
  if (name) {
    const { EventBridgeBus } = await import('../../lib/adapters/aws/eventbridge.ts');
    bus = new EventBridgeBus(name);
  } else bus = inProcessBus;
  return bus;
}

/**
 * The table's stream consumer (an event source mapping in AWS; the local poller calls the same
 * export). A batch that fails is reported from its first record (partial batch response), so
 * the records before it are not repeated by Lambda and the failing ones are retried, bisected
 * and finally sent to the on-failure destination; every effect is idempotent by event id.
 */
export const handler = async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  const records = event.Records ?? [];
  if (records.length === 0) return { batchItemFailures: [] };
  try {
    const events = await consume(records.map(toChangeRecord), await eventBus());
    logger.debug('stream batch', { records: records.length, events: events.length });
    return { batchItemFailures: [] };
  } catch (error) {
    logger.error('stream batch failed', { error: error as Error, records: records.length });
    return { batchItemFailures: [{ itemIdentifier: records[0]!.dynamodb?.SequenceNumber ?? '' }] };
  }
};
