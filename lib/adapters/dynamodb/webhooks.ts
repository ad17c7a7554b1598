/**
 * The webhook repository: subscriptions (with their secrets, which only the deliveries read),
 * the index of every subscription and of each line's, and what the subscription routes do to
 * a subscription's deliveries (list their keys, put a failed one back in the due index).
 */
import type { Webhook } from '../../contract/webhooks.ts';
import { getItem, type Item, putNew, type QueryPage, queryAll, queryPage, queryPages, type TransactItem, tableName, transact } from './db.ts';
import {
  ALL_WEBHOOKS_PARTITION,
  type DeliveryTarget,
  deliveryDueKeys,
  INDEX,
  lineWebhooksPartition,
  targetDeliveriesPartitions,
  webhookIndexKeys,
  webhookKey,
} from './keys.ts';
import { keyAttributesOf } from './table.ts';

/** A subscription item as the API shows it (no secret). */
export const webhookOf = (item: Item): Webhook => ({
  __id: String(item.__id),
  url: String(item.url),
  events: (item.events ?? []) as string[],
  line: (item.line ?? null) as string | null,
  __createdAt: String(item.__createdAt),
  __createdBy: String(item.__createdBy),
});

export async function insertWebhook(hook: Webhook, secret: string, extra: TransactItem[] = []): Promise<void> {
  await transact(
    [putNew({ ...webhookKey(hook.__id), ...webhookIndexKeys(hook), entity: 'webhook', ...hook, secret }), ...extra],
    'the subscription could not be created',
  );
}

export async function findWebhook(id: string): Promise<Webhook | undefined> {
  const item = await getItem(webhookKey(id));
  return item && webhookOf(item);
}

/** Every subscription, newest first, a page at a time (a reader that has enough stops). */
export async function* allWebhooks(): AsyncGenerator<Webhook[]> {
  const pages = queryPages({
    IndexName: INDEX.allWebhooks,
    KeyConditionExpression: '#pk = :pk',
    ExpressionAttributeNames: { '#pk': keyAttributesOf(INDEX.allWebhooks).pk },
    ExpressionAttributeValues: { ':pk': ALL_WEBHOOKS_PARTITION },
    ScanIndexForward: false,
  });
  for await (const page of pages) yield page.items.map(webhookOf);
}

/** The subscriptions of one line (`null`: the ones for every line): id and event patterns. */
export async function subscriptionsOfLine(line: string | null): Promise<{ id: string; events: string[] }[]> {
  const items = await queryAll({
    IndexName: INDEX.lineWebhooks,
    KeyConditionExpression: '#pk = :pk',
    ExpressionAttributeNames: { '#pk': keyAttributesOf(INDEX.lineWebhooks).pk },
    ExpressionAttributeValues: { ':pk': lineWebhooksPartition(line) },
  });
  return items.map((item) => ({ id: String(item.__id), events: (item.events ?? []) as string[] }));
}

export async function removeWebhook(id: string, extra: TransactItem[] = []): Promise<void> {
  await transact(
    [{ Delete: { TableName: tableName(), Key: webhookKey(id), ConditionExpression: 'attribute_exists(pk)' } }, ...extra],
    'the subscription was deleted concurrently',
  );
}

/**
 * The keys of a target's newest deliveries, merged from the shards of its deliveries index:
 * the `limit` newest, newest first (the items themselves are not read).
 */
export async function newestDeliveryKeys(target: DeliveryTarget, limit: number): Promise<{ pk: string; sk: string }[]> {
  const { pk: pkName, sk: sortKey } = keyAttributesOf(INDEX.targetDeliveries);
  const pages: QueryPage[] = await Promise.all(
    targetDeliveriesPartitions(target).map((pk) =>
      queryPage({
        IndexName: INDEX.targetDeliveries,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': pkName },
        ExpressionAttributeValues: { ':pk': pk },
        ScanIndexForward: false,
        Limit: limit,
        keysOnly: true,
      }),
    ),
  );
  return pages
    .flatMap((p) => p.items)
    .sort((a, b) => String(b[sortKey]).localeCompare(String(a[sortKey])))
    .slice(0, limit)
    .map((k) => ({ pk: String(k.pk), sk: String(k.sk) }));
}

/**
 * A failed delivery pending again and due now (manual retry), with `extra` (the request's
 * idempotency record) in the same transaction; a conflict when it is no longer failed.
 */
export async function retryFailedDelivery(key: { pk: string; sk: string }, now: string, extra: TransactItem[] = []): Promise<void> {
  const due = deliveryDueKeys(key.pk, now);
  await transact(
    [
      {
        Update: {
          TableName: tableName(),
          Key: key,
          UpdateExpression: 'SET #st = :pending, nextAttemptAt = :now, manual = :true, #dpk = :dpk, #dsk = :dsk',
          ConditionExpression: '#st = :failed',
          ExpressionAttributeNames: { '#st': 'status', '#dpk': keyAttributesOf(INDEX.dueDeliveries).pk, '#dsk': keyAttributesOf(INDEX.dueDeliveries).sk },
          ExpressionAttributeValues: { ':pending': 'pending', ':now': now, ':true': true, ':dpk': due.gsi1pk, ':dsk': due.gsi1sk, ':failed': 'failed' },
        },
      },
      ...extra,
    ],
    'the delivery was retried concurrently',
  );
}
