/** A DynamoDB stream record (as Lambda delivers it) read into the change the event rules map. */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, AttributeValue as LambdaAttributeValue } from 'aws-lambda';
import type { ChangeRecord } from '../../domain/events/map.ts';

const image = (i: Record<string, LambdaAttributeValue> | undefined) =>
  i ? (unmarshall(i as Record<string, AttributeValue>) as Record<string, unknown>) : undefined;

export const toChangeRecord = (r: DynamoDBRecord): ChangeRecord => ({
  eventName: r.eventName ?? 'MODIFY',
  oldImage: image(r.dynamodb?.OldImage),
  newImage: image(r.dynamodb?.NewImage),
});
