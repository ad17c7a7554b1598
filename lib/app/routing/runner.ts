/**
 * The store-backed router. Triggered by events (sink.ts), so at least once: every
 * assignment it makes is conditional on the session still being at the version it read (in
 * `Waiting`) and on the operator's room (capacity.ts), in one transaction with the history entry
 * (`by: "routing"`, hence an ordinary `session.assigned` with `data.by: "routing"`). A repeat
 * finds the session no longer waiting, or the operator without room, and does nothing. A loser
 * (a condition failed: another router or a person won) reads again and picks again, a bounded
 * number of times.
 */

import { allLines, getLineCached } from '../../adapters/dynamodb/lines.ts';
import { findOperator } from '../../adapters/dynamodb/operators.ts';
import {
  type BatchCommit,
  commitSessionChange,
  commitSessionChanges,
  findSession,
  type SessionChangeWrite,
  sessionChangeSize,
} from '../../adapters/dynamodb/sessions.ts';
import { isConflict } from '../../contract/errors.ts';
import type { Line, Operator, Session } from '../../contract/schemas.ts';
import { outboxFor } from '../../domain/events/outbox.ts';
import { nowIso } from '../../domain/ids.ts';
import { effectiveCapacity } from '../../domain/routing/capacity.ts';
import { eligibleGroups, mayTake, nextSessionFor, rankOperators, room } from '../../domain/routing/decide.ts';
import { queueOrder } from '../../domain/routing/queue.ts';
import { systemChange } from '../../domain/sessions/session.ts';
import { allows } from '../../domain/sessions/transitions.ts';
import { capacityChange, takeSlots } from '../writes/capacity.ts';
import { timerWrites } from '../writes/timers.ts';
import { onlineOperatorsOf, waitingSessions } from './store.ts';

/** Who routed assignments are recorded as (history `by`, event `data.by`). */
export const ROUTING_ACTOR = 'routing';
/** Picks per trigger before giving up (the next trigger tries again). */
export const MAX_PICKS = 8;

export type RouteOutcome = 'assigned' | 'bot' | 'queued' | 'not-waiting' | 'manual' | 'gave-up';

/** A routed assignment's session change (its history entry, outbox and clocks), without the operator's count. */
function routedChange(session: Session, line: Line, operatorId: string, now: string): SessionChangeWrite {
  const { after, history } = systemChange(
    session,
    'routeToOperator',
    { _userId: operatorId, _botId: null, _acceptedAt: session._acceptedAt ?? now, _lastActivityAt: now },
    ROUTING_ACTOR,
    now,
  );
  // The clocks a taken session starts (return to queue, auto-close), in the same transaction.
  const timers = timerWrites(line, session, after, { kind: 'command', at: now });
  return { before: session, after, messages: [history], extra: timers.items, outbox: outboxFor([history]), timers: timers.timers };
}

/** Assigns a Waiting session (as read) to an operator (as read): one conditional transaction. */
export async function assignRouted(session: Session, line: Line, operator: Operator): Promise<Session> {
  const now = nowIso();
  const change = routedChange(session, line, operator.__id, now);
  const checks = capacityChange(session, change.after, line, new Map([[operator.__id, operator]]), now);
  await commitSessionChange({ ...change, checks });
  return change.after;
}

/** A Waiting session (as read), the operator it goes to, and the change that writes it. */
export interface RoutedAssignment {
  line: Line;
  operatorId: string;
  change: SessionChangeWrite;
  /** Items the change writes (the operator's count apart). */
  size: number;
}

/** A routed assignment to write with others (`assignRoutedTogether`). */
export function routedAssignment(session: Session, line: Line, operatorId: string, now: string): RoutedAssignment {
  const change = routedChange(session, line, operatorId, now);
  return { line, operatorId, change, size: sessionChangeSize(change) };
}

/**
 * Several routed assignments in one transaction: each session at the version read, in
 * `Waiting`, with its history entry and clocks, as `assignRouted` writes it; each operator's
 * count once, `ADD n` under the condition that taking the n one after the other would have held
 * (`takeSlots`). All or nothing: a session that moved on, an operator that went offline or filled
 * up fails the whole transaction (the caller routes them the one-at-a-time way).
 * `operators`: the records as read (their capacity override).
 */
export async function assignRoutedTogether(
  assignments: readonly RoutedAssignment[],
  operators: ReadonlyMap<string, Operator>,
  now: string,
): Promise<BatchCommit> {
  const caps = new Map<string, (number | null)[]>();
  for (const { line, operatorId } of assignments) caps.set(operatorId, [...(caps.get(operatorId) ?? []), effectiveCapacity(operators.get(operatorId), line)]);
  return commitSessionChanges(
    assignments.map((a) => a.change),
    [...caps].map(([operatorId, list]) => takeSlots(operatorId, list, now)),
  );
}

/** `botFirst`: a new session goes to the line's bot (recorded as an assignToBot by routing). */
async function assignToBot(session: Session, line: Line): Promise<void> {
  const now = nowIso();
  const { after, history } = systemChange(session, 'routeToBot', { _botId: line._botId, _userId: null, _lastActivityAt: now }, ROUTING_ACTOR, now, {
    silent: false,
  });
  const timers = timerWrites(line, session, after, { kind: 'command', at: now });
  await commitSessionChange({
    before: session,
    after,
    messages: [history],
    extra: timers.items,
    outbox: outboxFor([history]),
    timers: timers.timers,
  });
}

/**
 * A session became Waiting (created, handed to a group, unmarked, returned to the queue): give it
 * to the least-loaded online operator with room (ties: idle longest), or leave it queued.
 * `created`: the trigger is its creation (bot first applies, once: only at version 1).
 */
export async function routeSession(sessionId: string, options: { created?: boolean } = {}): Promise<RouteOutcome> {
  for (let pick = 0; pick < MAX_PICKS; pick++) {
    const session = await findSession(sessionId);
    if (!session || !allows('routeToOperator', session._state)) return 'not-waiting';
    const line = await getLineCached(session._line);
    if (line._routing.mode !== 'auto') return 'manual';
    try {
      if (options.created && line._routing.botFirst && line._botId && session._version === 1 && !session._botId) {
        await assignToBot(session, line);
        return 'bot';
      }
      const candidates = rankOperators(await onlineOperatorsOf(eligibleGroups(session, line)), session, line);
      const best = candidates[0];
      if (!best) return 'queued';
      await assignRouted(session, line, best);
      return 'assigned';
    } catch (error) {
      if (!isConflict(error)) throw error;
      // Lost a race (the session moved on, or the operator filled up or went offline): read again.
    }
  }
  return 'gave-up';
}

/** Lines in `auto` mode an operator works on (its groups ∩ the line's operator groups). */
async function autoLinesOf(operator: Operator, lines: readonly Line[] | undefined): Promise<Line[]> {
  const all = lines ?? (await allLines());
  return all.filter((l) => l._routing.mode === 'auto' && l.__deletedAt === null && l._operatorGroups.some((g) => operator.groups.includes(g)));
}

/**
 * An operator came online or freed a slot: while it has room, give it the highest-priority, then
 * oldest, waiting session it may take (over its `auto` lines). Returns how many it got.
 * `lines`: the lines already read for this batch (saves the `LINES` Query).
 */
export async function fillOperator(operatorId: string, lines?: readonly Line[]): Promise<number> {
  let assigned = 0;
  const tried = new Set<string>();
  let linesOf: Line[] | undefined;
  const queues = new Map<string, Session[]>();
  for (let pick = 0; pick < MAX_PICKS * 4; pick++) {
    const operator = await findOperator(operatorId);
    if (operator?.status !== 'online') return assigned;
    linesOf ??= await autoLinesOf(operator, lines);
    let best: { session: Session; line: Line } | undefined;
    for (const line of linesOf) {
      if (room(operator, line) <= 0) continue;
      let queue = queues.get(line.__id);
      if (!queue) {
        queue = await waitingSessions(line.__id);
        // Bot first: a session never changed since its creation is the bot's (routeSession sends it there).
        if (line._routing.botFirst && line._botId) queue = queue.filter((s) => s._version > 1);
        queues.set(line.__id, queue);
      }
      const next = nextSessionFor(operator, queue, line, tried);
      if (next && (!best || queueOrder(next, best.session) < 0)) best = { session: next, line };
    }
    if (!best) return assigned;
    tried.add(best.session.__id);
    // The queue comes from an index (eventually consistent): decide on the session as it is now.
    const current = await findSession(best.session.__id);
    if (!current || !allows('routeToOperator', current._state) || current._line !== best.line.__id || !mayTake(operator, current, best.line)) continue;
    if (best.line._routing.botFirst && best.line._botId && current._version === 1) continue;
    try {
      await assignRouted(current, best.line, operator);
      assigned += 1;
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
  }
  return assigned;
}
