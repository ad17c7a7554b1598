/**
 * The operator repository: an operator's record (status, groups, idle time) and the session count
 * other transactions ADD to (`activeSessions`), which a status change never overwrites.
 */

import type { Operator } from '../../contract/schemas.ts';
import { getItem, type TransactItem, tableName, transact } from './db.ts';
import { readOperator } from './items.ts';
import { operatorKey } from './keys.ts';

export async function findOperator(id: string): Promise<Operator | undefined> {
  const item = await getItem(operatorKey(id));
  return item && readOperator(item);
}

/**
 * An operator's status and groups as an update, so that the counts other transactions ADD to
 * (`activeSessions`) are never overwritten; `items` are the presence items
 * (lib/app/routing/presence.ts) written in the same transaction.
 */
export async function saveOperatorStatus(operator: Operator, items: TransactItem[], extra: TransactItem[] = []): Promise<void> {
  await transact(
    [
      {
        Update: {
          TableName: tableName(),
          Key: operatorKey(operator.__id),
          UpdateExpression: 'SET #e = :e, #id = :id, #st = :st, #g = :g, #u = :u, #i = :i, #c = if_not_exists(#c, :null), #n = if_not_exists(#n, :zero)',
          ExpressionAttributeNames: {
            '#e': 'entity',
            '#id': '__id',
            '#st': 'status',
            '#g': 'groups',
            '#u': '__updatedAt',
            '#i': 'idleSince',
            '#c': 'capacity',
            '#n': 'activeSessions',
          },
          ExpressionAttributeValues: {
            ':e': 'operator',
            ':id': operator.__id,
            ':st': operator.status,
            ':g': operator.groups,
            ':u': operator.__updatedAt,
            ':i': operator.idleSince,
            ':null': null,
            ':zero': 0,
          },
        },
      },
      ...items,
      ...extra,
    ],
    'the operator status was changed concurrently; retry',
  );
}
