/**
 * Live push in AWS: a second consumer of the table's stream (its own event source mapping, same
 * filter as the stream consumer's): records → events (the same lib/app/events code), written to
 * the event log, then posted to every connection that may see them (lib/adapters/aws/live.ts).
 * It reports exactly the records whose push failed (a posting error other than 410 fails it), or
 * throws when the batch's first record failed, so the mapping bisects down to a poison record
 * (lib/adapters/dynamodb/stream.ts `partialBatchResponse`); a repeat re-posts events that clients
 * drop by id.
 */
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { statusOf } from '../../lib/adapters/aws/live.ts';
import { partialBatchResponse, toChangeRecord } from '../../lib/adapters/dynamodb/stream.ts';
import { logger } from '../../lib/adapters/observability.ts';
import { ApiGatewayPusher } from '../../lib/app/live/aws-pusher.ts';
import { fanOutRecords } from '../../lib/app/live/fanout.ts';

let pusher: ApiGatewayPusher | undefined;

export const handler = async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  const records = event.Records ?? [];
  if (records.length === 0) return { batchItemFailures: [] };
  pusher ??= new ApiGatewayPusher(process.env.LIVE_ENDPOINT ?? '', (error, connectionId) =>
    logger.error('live post failed', { error: error as Error, connectionId, status: statusOf(error) }),
  );
  const failures = await fanOutRecords(records.map(toChangeRecord), [pusher]);
  for (const [i, error] of failures) {
    logger.error('live fan-out record failed', { error: error as Error, sequenceNumber: records[i]?.dynamodb?.SequenceNumber });
  }
  return partialBatchResponse(records, failures.keys());
};
