/**
 * Routing as a stream consumer sink (registered in functions/stream/stream-consumer.ts, so both hosts
 * run it). What triggers it:
 * - a session event whose session is now `Waiting` (created, handed to a group, unmarked,
 *   returned to the queue) → route that session;
 * - a session event whose change took the session from an operator (close, spam, reassign, hand
 *   to a group or the bot) → that operator freed a slot: fill it;
 * - an operator record that came online or got a larger capacity override (an internal trigger
 *   read from the raw stream records; operator records make no published event) → fill it.
 * At least once: every effect is a conditional assignment (runner.ts), so a repeat does nothing
 * more than the first run did.
 */

import { mapPool } from '../../adapters/concurrency.ts';
import { allLines } from '../../adapters/dynamodb/lines.ts';
import type { ChangeRecord } from '../../adapters/dynamodb/stream.ts';
import type { ChatlinesEvent } from '../../contract/events.ts';
import type { Line, Session, SessionFieldChange } from '../../contract/schemas.ts';
import { holderOf } from '../../domain/routing/capacity.ts';
import type { EventSink } from '../events/consumer.ts';
import { routeSessions } from './batch.ts';
import { fillOperator } from './runner.ts';

export interface RoutingWork {
  /** Sessions to route, in event order; `created` when the trigger is the session's creation. */
  sessions: Map<string, { created: boolean }>;
  /** Operators to fill. */
  operators: Set<string>;
}

/** The operator that held the session before this change (from the event's `changes`). */
function holderBefore(after: Session, changes: readonly SessionFieldChange[] | undefined): string | null {
  const old = (field: string, current: unknown) => {
    const c = changes?.find((x) => x.field === field);
    return c ? c.old : current;
  };
  return holderOf({ _state: old('_state', after._state) as Session['_state'], _userId: old('_userId', after._userId) as string | null });
}

/** Pure: what a batch asks routing to do. */
export function routingWork(events: readonly ChatlinesEvent[], records: readonly ChangeRecord[]): RoutingWork {
  const work: RoutingWork = { sessions: new Map(), operators: new Set() };
  for (const event of events) {
    if (!event.type.startsWith('session.')) continue;
    const after = event.data.session as Session | undefined;
    if (!after) continue;
    const changes = event.data.changes as SessionFieldChange[] | undefined;
    const from = event.type === 'session.created' ? null : holderBefore(after, changes);
    if (from && from !== holderOf(after)) work.operators.add(from);
    if (after._state === 'Waiting') {
      const created = event.type === 'session.created' || work.sessions.get(after.__id)?.created === true;
      work.sessions.set(after.__id, { created });
    }
  }
  for (const record of records) {
    const now = record.newImage;
    if (now?.entity !== 'operator' || now.status !== 'online') continue;
    const was = record.oldImage;
    const cameOnline = was?.status !== 'online';
    const moreRoom = !!was && (now.capacity ?? null) !== (was.capacity ?? null);
    if (cameOnline || moreRoom) work.operators.add(String(now.__id));
  }
  return work;
}

/** How many routings of one batch run at once (they race safely: every assignment is conditional). */
export const ROUTING_PARALLELISM = 8;

/**
 * Runs a batch's routing work: fills first (they serve the existing queue in order), then new
 * arrivals, all together (batch.ts: one read of the sessions and of the operators, the
 * assignments decided in memory and written per operator).
 */
export async function runRoutingWork(work: RoutingWork): Promise<void> {
  if (work.operators.size > 0) {
    const lines: Line[] = await allLines();
    await mapPool([...work.operators], ROUTING_PARALLELISM, (operator) => fillOperator(operator, lines));
  }
  await routeSessions([...work.sessions]);
}

export const routingSink: EventSink = {
  name: 'routing',
  records: true,
  async handle(events, records) {
    const work = routingWork(events, records);
    if (work.sessions.size === 0 && work.operators.size === 0) return;
    await runRoutingWork(work);
  },
};
