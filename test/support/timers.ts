/**
 * Sessions with running clocks, written straight to the table with BatchWriteItem (25 items a
 * call, 8 in flight): the session item with its timer attributes, its creation history and the
 * due items its clocks need — exactly what an inbound first message writes (lib/app/timers), minus
 * the client and guard items. Used by the timer tests and the benchmark.
 */
import { randomUUID } from 'node:crypto';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mapPool } from '../../lib/adapters/concurrency.ts';
import { db, tableName } from '../../lib/adapters/dynamodb/db.ts';
import { messageItem } from '../../lib/adapters/dynamodb/items.ts';
import { sessionItem, timerAttributes } from '../../lib/adapters/dynamodb/sessions.ts';
import { dueItem, timerWrites, withSlaTargets } from '../../lib/app/writes/timers.ts';
import type { Line } from '../../lib/contract/schemas.ts';
import { historyMessage, openSession } from '../../lib/domain/sessions/session.ts';

/** Writes `count` Waiting sessions of the line, opened by a client message at `at`; returns their ids. */
export async function seedTimedSessions(line: Line, channel: string, count: number, at = new Date().toISOString()): Promise<string[]> {
  const ids: string[] = [];
  const items: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const session = openSession({ line: line.__id, channel, client: randomUUID(), state: 'Waiting', by: 'seed', now: at });
    const timers = timerWrites(line, null, session, { kind: 'create', at, clientMessage: true });
    items.push({ ...timerAttributes(timers.timers.after), ...sessionItem(session), evSeq: 1, evOut: [] });
    items.push(messageItem(withSlaTargets(historyMessage(null, session, 'create', 'seed'), line)));
    for (const clock of timers.plan.start) items.push(dueItem(clock, session));
    ids.push(session.__id);
  }
  const batches: Record<string, unknown>[][] = [];
  for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
  await mapPool(batches, 8, async (batch) => {
    let pending = batch.map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 20) throw new Error('BatchWriteItem kept returning unprocessed items');
      const out = await db().send(new BatchWriteCommand({ RequestItems: { [tableName()]: pending } }));
      pending = (out.UnprocessedItems?.[tableName()] ?? []) as typeof pending;
      if (pending.length) await new Promise((r) => setTimeout(r, 50 * (attempt + 1)));
    }
  });
  return ids;
}
