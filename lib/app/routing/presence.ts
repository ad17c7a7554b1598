/**
 * Who is online in a group (pattern 28): one item per group of an online operator, written and
 * deleted in the transaction of its status change, so routing reads a group's online operators
 * with one Query instead of reading every operator.
 */

import { type TransactItem, tableName } from '../../adapters/dynamodb/db.ts';
import { onlineMemberKey } from '../../adapters/dynamodb/keys.ts';
import type { Operator } from '../../contract/schemas.ts';

/** The presence writes of a status change from `before` (may be absent) to `after`. */
export function presenceItems(before: Operator | undefined, after: Operator): TransactItem[] {
  const items: TransactItem[] = [];
  const now = after.status === 'online' ? new Set(after.groups) : new Set<string>();
  const was = before?.status === 'online' ? new Set(before.groups) : new Set<string>();
  for (const group of now) {
    items.push({ Put: { TableName: tableName(), Item: { ...onlineMemberKey(group, after.__id), entity: 'presence', since: after.__updatedAt } } });
  }
  for (const group of was) if (!now.has(group)) items.push({ Delete: { TableName: tableName(), Key: onlineMemberKey(group, after.__id) } });
  return items;
}
