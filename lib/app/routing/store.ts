/**
 * The reads routing needs, each a key read or a Query (no Scan): the online operators of some
 * groups (pattern 28, then one strongly consistent BatchGetItem of their records), a line's
 * queue (gsi1 `LINE#<line>#STATE#Waiting`, creation order; priority sorted in memory), every
 * line (gsi1 `LINES`, to find an operator's lines), and the line's recent assignments.
 */

import { getItems, queryAll, queryPage } from '../../adapters/dynamodb/db.ts';
import { readOperator } from '../../adapters/dynamodb/items.ts';
import { allShards, INDEX, lineSessionsByStatePartition, lineShards, onlineGroupPartition, operatorKey } from '../../adapters/dynamodb/keys.ts';
import { readSession } from '../../adapters/dynamodb/sessions.ts';
import { keyAttributesOf } from '../../adapters/dynamodb/table.ts';
import type { Operator, Session } from '../../contract/schemas.ts';
import { queueOrder } from '../../domain/routing/queue.ts';

/** The operators online in any of these groups, with their counts (strongly consistent). */
export async function onlineOperatorsOf(groups: readonly string[]): Promise<Operator[]> {
  const ids = new Set<string>();
  await Promise.all(
    [...new Set(groups)].map(async (group) => {
      const items = await queryAll({
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': onlineGroupPartition(group) },
        ConsistentRead: true,
      });
      for (const item of items) ids.add(String(item.sk));
    }),
  );
  const items = await getItems([...ids].map((id) => operatorKey(id)));
  return items
    .filter((item) => item !== undefined)
    .map((item) => readOperator(item))
    .filter((o) => o.status === 'online');
}

/** A line's waiting sessions in queue order (priority, then age), from every shard of its `Waiting` partition. Eventually consistent (an index). */
export async function waitingSessions(lineId: string): Promise<Session[]> {
  const index = INDEX.lineSessionsByState;
  const shards = await Promise.all(
    allShards(lineSessionsByStatePartition(lineId, 'Waiting'), lineShards()).map((pk) =>
      queryAll({
        IndexName: index,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': keyAttributesOf(index).pk },
        ExpressionAttributeValues: { ':pk': pk },
      }),
    ),
  );
  return shards
    .flat()
    .map((i) => readSession(i))
    .filter((s) => s._state === 'Waiting')
    .sort(queueOrder);
}

/** The newest sessions of a line taken by operators (for the queue estimate): newest first, at most `limit`. */
export async function recentlyAssigned(lineId: string, limit: number): Promise<Session[]> {
  const index = INDEX.lineSessionsByState;
  const partitions = ['AssignedToOperator', 'Closed'].flatMap((state) => allShards(lineSessionsByStatePartition(lineId, state), lineShards()));
  const pages = await Promise.all(
    partitions.map((pk) =>
      queryPage({
        IndexName: index,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': keyAttributesOf(index).pk },
        ExpressionAttributeValues: { ':pk': pk },
        ScanIndexForward: false,
        Limit: limit,
      }),
    ),
  );
  return pages
    .flatMap((page) => page.items.map((item) => readSession(item)))
    .sort((a, b) => b.__createdAt.localeCompare(a.__createdAt))
    .slice(0, limit);
}
