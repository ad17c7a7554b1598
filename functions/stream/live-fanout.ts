/**
 * Live push in AWS: a second consumer of the table's stream (its own event source mapping, same
 * filter as the stream consumer's): records → events (the same lib/app/events code), written to the
 * event log, then posted to every connection that may see them (lib/adapters/aws/live.ts). A failing
 * batch is reported from its first record, so Lambda retries and bisects it; a repeat re-posts
 * events that clients drop by id.
 */
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { ApiGatewayPusher } from '../../lib/adapters/aws/live.ts';
import { logger } from '../../lib/adapters/aws/observability.ts';
import { toChangeRecord } from '../../lib/adapters/dynamodb/stream.ts';
import { eventsOfRecords } from '../../lib/app/events/consumer.ts';
import { publishLive } from '../../lib/app/live/fanout.ts';

let pusher: ApiGatewayPusher | undefined;

export const handler = async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  const records = event.Records ?? [];
  if (records.length === 0) return { batchItemFailures: [] };
  try {
    pusher ??= new ApiGatewayPusher(process.env.LIVE_ENDPOINT ?? '');
    const events = await eventsOfRecords(records.map(toChangeRecord));
    await publishLive(events, [pusher]);
    return { batchItemFailures: [] };
  } catch (error) {
    logger.error('live fan-out failed', { error: error as Error, records: records.length });
    return { batchItemFailures: [{ itemIdentifier: records[0]!.dynamodb?.SequenceNumber ?? '' }] };
  }
};
