/**
 * Capacity: an operator's `activeSessions` changes in the same transaction as every
 * change of who holds a session — assign, reassign, close, spam, unmark, an operator's own new
 * session, a routed assignment — under a condition, so that no operator ever holds more than its
 * capacity whatever runs in parallel. Builds the conditional items (the rules are in
 * lib/domain/routing/capacity.ts); the use cases add them to their one TransactWriteItems.
 */

import { type TransactItem, tableName } from '../../adapters/dynamodb/db.ts';
import { operatorKey } from '../../adapters/dynamodb/keys.ts';
import { conflict } from '../../contract/errors.ts';
import type { Line, Operator, Session } from '../../contract/schemas.ts';
import { effectiveCapacity, fullDetail, holderOf } from '../../domain/routing/capacity.ts';

/** A conditional item of the session's transaction with the 409 its failure means. */
export interface CapacityCheck {
  item: TransactItem;
  conflict: string;
}

/** `ADD activeSessions 1` on the new holder, conditional on its room (the effective capacity). */
export function takeSlot(operatorId: string, cap: number | null, now: string): CapacityCheck {
  return {
    item: {
      Update: {
        TableName: tableName(),
        Key: operatorKey(operatorId),
        UpdateExpression: 'SET #i = :now ADD #n :one',
        // Online at the moment of the write too: an operator going offline gets nothing new.
        ConditionExpression: `#st = :online${cap === null ? '' : ' AND (attribute_not_exists(#n) OR #n < :cap)'}`,
        ExpressionAttributeNames: { '#n': 'activeSessions', '#i': 'idleSince', '#st': 'status' },
        ExpressionAttributeValues: { ':one': 1, ':now': now, ':online': 'online', ...(cap === null ? {} : { ':cap': cap }) },
      },
    },
    conflict:
      cap === null
        ? `${operatorId} went offline meanwhile: sessions can be assigned to online operators only`
        : `${operatorId} is at capacity (${cap} active sessions) or went offline meanwhile; close or hand one over first`,
  };
}

/**
 * `ADD activeSessions n` on an operator for n sessions assigned in one transaction, conditional
 * as if they had been taken one after the other: the k-th (1-based) of capacity c needs a count
 * below c after the k − 1 before it, so the count before them must be at most c − k for every one
 * of them (`caps`: each session's effective capacity in order, null for no limit).
 */
export function takeSlots(operatorId: string, caps: readonly (number | null)[], now: string): TransactItem {
  let limit: number | null = null;
  caps.forEach((cap, i) => {
    if (cap !== null) limit = Math.min(limit ?? Number.POSITIVE_INFINITY, cap - (i + 1));
  });
  return {
    Update: {
      TableName: tableName(),
      Key: operatorKey(operatorId),
      UpdateExpression: 'SET #i = :now ADD #n :count',
      // A count never written is 0; a negative limit (more sessions than room) holds for none.
      ConditionExpression: `#st = :online${limit === null ? '' : ` AND (${limit >= 0 ? 'attribute_not_exists(#n) OR ' : ''}#n <= :limit)`}`,
      ExpressionAttributeNames: { '#n': 'activeSessions', '#i': 'idleSince', '#st': 'status' },
      ExpressionAttributeValues: { ':count': caps.length, ':now': now, ':online': 'online', ...(limit === null ? {} : { ':limit': limit }) },
    },
  };
}

/** `ADD activeSessions -1` on the old holder, conditional on a positive count. */
export function releaseSlot(operatorId: string, now: string): CapacityCheck {
  return {
    item: {
      Update: {
        TableName: tableName(),
        Key: operatorKey(operatorId),
        UpdateExpression: 'SET #i = :now ADD #n :minus',
        ConditionExpression: '#n > :zero',
        ExpressionAttributeNames: { '#n': 'activeSessions', '#i': 'idleSince' },
        ExpressionAttributeValues: { ':minus': -1, ':zero': 0, ':now': now },
      },
    },
    conflict: `the session count of ${operatorId} changed concurrently; retry`,
  };
}

/**
 * The count changes of a change of holder (none when the holder stays). Refuses (409) at once
 * when the new holder's record, as read, is already full; the condition settles any race after.
 * A release whose operator record reads no session (an uncounted one) is skipped rather than
 * refusing the change: a count never goes below zero.
 */
export function capacityChange(
  before: Session | null,
  after: Session,
  line: Line,
  records: ReadonlyMap<string, Operator | undefined>,
  now: string,
): CapacityCheck[] {
  const from = holderOf(before);
  const to = holderOf(after);
  if (from === to) return [];
  const out: CapacityCheck[] = [];
  if (from) {
    const record = records.get(from);
    if (record && record.activeSessions > 0) out.push(releaseSlot(from, now));
  }
  if (to) {
    const record = records.get(to);
    const cap = effectiveCapacity(record, line);
    if (record && cap !== null && record.activeSessions >= cap) throw conflict(fullDetail(to, record.activeSessions, cap));
    out.push(takeSlot(to, cap, now));
  }
  return out;
}
