/** A DynamoDB stream record (as Lambda delivers it) read into the change the event rules map. */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, AttributeValue as LambdaAttributeValue } from 'aws-lambda';
import type { ChangeRecord } from '../../domain/events/map.ts';

const image = (i: Record<string, LambdaAttributeValue> | undefined) =>
  i ? (unmarshall(i as Record<string, AttributeValue>) as Record<string, unknown>) : undefined;

export const toChangeRecord = (r: DynamoDBRecord): ChangeRecord => ({
  eventName: r.eventName ?? 'MODIFY',
  oldImage: image(r.dynamodb?.OldImage),
  newImage: image(r.dynamodb?.NewImage),
});

/**
 * A stream batch's partial response (ReportBatchItemFailures) naming exactly the records that
 * failed, by sequence number; Lambda checkpoints before the lowest and retries from there. When
 * the batch's first record failed that response would retry the same batch unchanged, a poison
 * record never isolated: then the batch fails as a whole (this throws `BatchFailure`), and the
 * mapping, which bisects on a function error, halves it until the poison record is alone.
 */
export function partialBatchResponse(records: readonly DynamoDBRecord[], failed: Iterable<number>): DynamoDBBatchResponse {
  const indices = [...failed].sort((a, b) => a - b);
  if (indices.length === 0) return { batchItemFailures: [] };
  if (indices[0] === 0 && records.length > 1) throw new BatchFailure(indices.length, records.length);
  return { batchItemFailures: indices.map((i) => ({ itemIdentifier: records[i]?.dynamodb?.SequenceNumber ?? '' })) };
}

/** A batch whose first record failed: thrown so that the mapping bisects it. */
export class BatchFailure extends Error {
  constructor(failed: number, of: number) {
    super(`${failed} of ${of} records failed, the first among them: the batch fails so that it is bisected`);
    this.name = 'BatchFailure';
  }
}
