/**
 * The table's change stream as the event rules read it: a DynamoDB stream record (as Lambda
 * delivers it) unmarshalled, then its items read into the objects they hold — a session with its
 * outbox, a channel. Everything else in the table is filtered out before it reaches a consumer
 * (see STREAM_FILTER).
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, AttributeValue as LambdaAttributeValue } from 'aws-lambda';
import type { ChangeKind, ItemChange } from '../../contract/changes.ts';
import type { OutboxEntry } from '../../contract/events.ts';
import { type Session, SessionSchema } from '../../contract/schemas.ts';
import { read, readChannel } from './items.ts';
import { outboxOfItem } from './sessions.ts';

type Image = Record<string, unknown>;

/** One stream record, unmarshalled. */
export interface ChangeRecord {
  eventName: ChangeKind;
  oldImage?: Image | undefined;
  newImage?: Image | undefined;
}

/**
 * The item kinds whose records reach the consumer: the filter of the event source mapping, and of
 * the local poller. Operator records make no published event: they only trigger routing
 * (an operator coming online, lib/app/routing/sink.ts), which reads them from the raw records.
 */
const EVENT_ENTITIES = ['session', 'channel', 'operator', 'erasure'] as const;
/** Lambda event-source filter criteria (one pattern), also evaluated by the local stream poller. */
export const STREAM_FILTER = { dynamodb: { NewImage: { entity: { S: [...EVENT_ENTITIES] } } } };

const image = (i: Record<string, LambdaAttributeValue> | undefined) =>
  i ? (unmarshall(i as Record<string, AttributeValue>) as Record<string, unknown>) : undefined;

export const toChangeRecord = (r: DynamoDBRecord): ChangeRecord => ({
  eventName: r.eventName ?? 'MODIFY',
  oldImage: image(r.dynamodb?.OldImage),
  newImage: image(r.dynamodb?.NewImage),
});

const readSessionImage = (item: Image): Session => read(SessionSchema, item, 'session');

/** The objects of a record that makes events (a session or a channel still there); undefined for any other. */
export function readChange(record: ChangeRecord): ItemChange | undefined {
  const { eventName, oldImage, newImage } = record;
  if (newImage?.entity === 'session') {
    const outbox = outboxOfItem(newImage);
    return {
      entity: 'session',
      eventName,
      before: oldImage ? readSessionImage(oldImage) : null,
      after: readSessionImage(newImage),
      sequence: outbox.sequence,
      previousSequence: oldImage ? outboxOfItem(oldImage).sequence : 0,
      entries: outbox.entries as OutboxEntry[],
    };
  }
  if (newImage?.entity === 'channel') {
    return { entity: 'channel', eventName, before: oldImage ? readChannel(oldImage) : null, after: readChannel(newImage) };
  }
  if (newImage?.entity === 'erasure') {
    return {
      entity: 'erasure',
      eventName,
      client: String(newImage.client),
      line: String(newImage.line),
      channel: String(newImage.channel),
      before: oldImage ? String(oldImage.state) : null,
      after: String(newImage.state),
      by: String(newImage.by ?? 'system'),
      at: String(newImage.doneAt ?? newImage.startedAt),
      sessions: Number(newImage.sessions ?? 0),
      messages: Number(newImage.messages ?? 0),
    };
  }
  return undefined;
}

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
