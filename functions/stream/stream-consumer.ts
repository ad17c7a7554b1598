import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { type EventBus, inProcessBus } from '../../lib/adapters/bus.ts';
import { partialBatchResponse, toChangeRecord } from '../../lib/adapters/dynamodb/stream.ts';
import { logger } from '../../lib/adapters/observability.ts';
import { consumeRecords, registerSink } from '../../lib/app/events/consumer.ts';
import { routingSink } from '../../lib/app/routing/sink.ts';
import { type DeliveryQueue, fifoMessage, localDeliveryQueue } from '../../lib/app/webhooks/deliveries.ts';

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
 * Neither DELIVERY_QUEUE_URL nor the local host's delivery worker: the records that make
 * deliveries fail (and come again) rather than lose them. The consumer never attempts a delivery
 * itself, so it carries no HTTP sender, signing or address checks.
 */
const noDeliveryQueue: DeliveryQueue = {
  async enqueue(messages) {
    if (messages.length > 0) throw new Error('no delivery queue: DELIVERY_QUEUE_URL is not set and no local delivery worker runs');
  },
};

let sqs: DeliveryQueue | undefined;
/** The SQS queue in AWS (DELIVERY_QUEUE_URL set by the stack), else the local host's worker. */
async function deliveryQueue(): Promise<DeliveryQueue> {
  const url = process.env.DELIVERY_QUEUE_URL;
  if (!url) return localDeliveryQueue() ?? noDeliveryQueue;
  if (!sqs) {
    const { SqsDeliveryQueue } = await import('../../lib/adapters/aws/queue.ts');
    const queue = new SqsDeliveryQueue(url);
    sqs = { enqueue: (messages) => queue.enqueue(messages.map(fifoMessage)) };
  }
  return sqs;
}

/**
 * The table's stream consumer (an event source mapping in AWS; the local poller calls the same
 * export, through the same mapping semantics: infra/local/stream-mapping.ts). It reports exactly
 * the records whose effects failed (partial batch response), so Lambda checkpoints before the
 * first of them and retries from there; when the batch's first record failed it throws instead,
 * so the mapping bisects the batch and a poison record ends alone at the on-failure destination.
 * Every effect is idempotent by event id: records retried with it take effect once.
 */
export const handler = async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  const records = event.Records ?? [];
  if (records.length === 0) return { batchItemFailures: [] };
  const { events, failures } = await consumeRecords(records.map(toChangeRecord), await eventBus(), await deliveryQueue());
  logger.debug('stream batch', { records: records.length, events: events.length, failed: failures.size });
  for (const [i, error] of failures) {
    logger.error('stream record failed', { error: error as Error, sequenceNumber: records[i]?.dynamodb?.SequenceNumber, keys: records[i]?.dynamodb?.Keys });
  }
  return partialBatchResponse(records, failures.keys());
};
