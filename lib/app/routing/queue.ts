/**
 * `GET /v1/sessions/{id}/queue`: where a Waiting session stands in its queue (the place of
 * lib/domain/routing/queue.ts, which the visitor route answers too), and an estimate of its wait
 * with the basis it was made on: the line's recent assignment rate (how fast the queue has been
 * moving), the free slots of the online operators who may take it, and how many are ahead.
 */

import { getLineCached } from '../../adapters/dynamodb/lines.ts';
import { getSession } from '../../adapters/dynamodb/sessions.ts';
import { type Caller, hasRole } from '../../contract/caller.ts';
import { conflict, notFound } from '../../contract/errors.ts';
import type { Line, Operator, Session } from '../../contract/schemas.ts';
import { canSeeSession } from '../../domain/auth/policy.ts';
import { eligibleGroups, mayTake, room } from '../../domain/routing/decide.ts';
import { queuePosition as placeInQueue } from '../../domain/routing/queue.ts';
import { onlineOperatorsOf, recentlyAssigned, waitingSessions } from './store.ts';

export interface QueuePosition {
  position: number;
  ahead: number;
  expectedWaitSeconds: number | null;
  basis: string;
}

/** How far back recent assignments count, and how many are read. */
export const RECENT_WINDOW_MS = 60 * 60 * 1000;
export const RECENT_SAMPLE = 50;

/**
 * The estimate, pure. `recentAccepted`: first-assignment times (ms) of the line's sessions in the
 * window; `freeSlots`: free slots of the online operators who may take the session.
 */
export function estimateWait(input: {
  ahead: number;
  mode: Line['_routing']['mode'];
  online: number;
  freeSlots: number;
  recentAccepted: number[];
  recentWaitsMs: number[];
  now: number;
}): { expectedWaitSeconds: number | null; basis: string } {
  const { ahead, online, freeSlots, now } = input;
  const capacityText = `${online} online operator${online === 1 ? '' : 's'} with ${Number.isFinite(freeSlots) ? freeSlots : 'unlimited'} free slot${freeSlots === 1 ? '' : 's'}`;
  if (online === 0) return { expectedWaitSeconds: null, basis: `no operator who may take it is online; ${ahead} ahead` };
  if (input.mode === 'auto' && freeSlots > ahead) return { expectedWaitSeconds: 0, basis: `auto routing: ${capacityText}, ${ahead} ahead` };
  const times = input.recentAccepted.filter((t) => now - t <= RECENT_WINDOW_MS).sort((a, b) => a - b);
  if (times.length >= 2) {
    const spanS = Math.max(1, (now - times[0]!) / 1000);
    const perSecond = times.length / spanS;
    const seconds = Math.ceil((ahead + 1) / perSecond);
    return {
      expectedWaitSeconds: seconds,
      basis: `recent rate: ${times.length} sessions taken in the last ${Math.round(spanS / 60)} min (${(perSecond * 60).toFixed(2)}/min); ${ahead} ahead; ${capacityText}`,
    };
  }
  if (input.recentWaitsMs.length > 0) {
    const mean = input.recentWaitsMs.reduce((a, b) => a + b, 0) / input.recentWaitsMs.length;
    return {
      expectedWaitSeconds: Math.ceil(((ahead + 1) * mean) / 1000),
      basis: `mean queue wait of the last ${input.recentWaitsMs.length} sessions taken (${Math.round(mean / 1000)} s) × (${ahead} ahead + 1); ${capacityText}`,
    };
  }
  return { expectedWaitSeconds: null, basis: `no session of this line was taken recently; ${ahead} ahead; ${capacityText}` };
}

/** Staff who may see the session, and the integration of its channel; others 404. */
export async function queuePosition(caller: Caller, id: string): Promise<QueuePosition> {
  const session = await getSession(id);
  const line = await getLineCached(session._line);
  const integration = hasRole(caller, 'integration') && caller.channels.includes(session._channel);
  if (!integration && !canSeeSession(caller, line, session)) throw notFound('session', id);
  if (session._state !== 'Waiting') throw conflict(`the session is ${session._state}, not in the queue`);
  const [queue, operators, recent] = await Promise.all([
    waitingSessions(line.__id),
    onlineOperatorsOf(eligibleGroups(session, line)),
    recentlyAssigned(line.__id, RECENT_SAMPLE),
  ]);
  // The queue is read from an index: the session is placed as it is now.
  const { ahead } = placeInQueue(session, queue)!;
  const eligible = operators.filter((o: Operator) => mayTake(o, session, line));
  const freeSlots = eligible.reduce((n, o) => n + room(o, line), 0);
  const taken = recent.filter((s: Session) => s._acceptedAt !== null);
  const estimate = estimateWait({
    ahead,
    mode: line._routing.mode,
    online: eligible.length,
    freeSlots,
    recentAccepted: taken.map((s) => Date.parse(s._acceptedAt!)),
    recentWaitsMs: taken.slice(0, 20).map((s) => Math.max(0, Date.parse(s._acceptedAt!) - Date.parse(s.__createdAt))),
    now: Date.now(),
  });
  return { position: ahead + 1, ahead, ...estimate };
}
