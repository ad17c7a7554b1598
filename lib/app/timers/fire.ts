/**
 * Firing one due timer: read its session, check that the clock is still the one the due item
 * was written for, and write the effect — the history entry, the session change (auto-close,
 * return to queue), the clocks the change stops and starts, and the deletion of the due item —
 * in ONE transaction conditional on that clock (and, for a session change, on the version read).
 */

import { getItem, type Item, putNew, type TransactItem, tableName, transact } from '../../adapters/dynamodb/db.ts';
import { messageItem } from '../../adapters/dynamodb/items.ts';
import { dueItemKey, sessionKey } from '../../adapters/dynamodb/keys.ts';
import { channelTypeCached, getLineCached } from '../../adapters/dynamodb/lines.ts';
import { findOperator } from '../../adapters/dynamodb/operators.ts';
import {
  openSessionId,
  readSession,
  releaseOpenGuard,
  type StoredSession,
  sessionUpdate,
  timersOf,
  updateSessionAtVersion,
} from '../../adapters/dynamodb/sessions.ts';
import { CHANNEL_TYPES_WITH_MANY_OPEN_SESSIONS } from '../../contract/enums.ts';
import { isConflict } from '../../contract/errors.ts';
import type { Line, Message, Operator, Session } from '../../contract/schemas.ts';
import { outboxFor } from '../../domain/events/outbox.ts';
import { newMessageId } from '../../domain/ids.ts';
import { holderOf } from '../../domain/routing/capacity.ts';
import { ratingRequest } from '../../domain/sessions/rating.ts';
import { systemChange } from '../../domain/sessions/session.ts';
import { allows } from '../../domain/sessions/transitions.ts';
import { SLA_POLICIES, type TimerPolicy } from '../../domain/timers/state.ts';
import { messageRefItem } from '../channels/delivery-status.ts';
import { capacityChange } from '../writes/capacity.ts';
import { timerWrites } from '../writes/timers.ts';

/** Who the history and the events name for what a timer did. */
export const SYSTEM = 'system';

export type FireOutcome = { kind: 'fired'; at: string } | { kind: 'stale' } | { kind: 'retry' };

const isSla = (p: TimerPolicy) => (SLA_POLICIES as readonly string[]).includes(p);

/** The history entry of an SLA breach: staff-only, `payload.command: slaBreached`, `payload.policy`. */
function breachMessage(session: Session, policy: TimerPolicy, seconds: number | undefined, at: string): Message {
  return {
    __id: newMessageId(Date.parse(at)),
    __createdAt: at,
    session: session.__id,
    type: 'payload',
    author: 'system',
    body: `slaBreached by ${SYSTEM}: ${policy}${seconds !== undefined ? ` (${seconds} s)` : ''}`,
    client: null,
    operator: SYSTEM,
    externalId: null,
    files: [],
    attachments: [],
    isRead: true,
    payload: { kind: 'SessionChanged', command: 'slaBreached', by: SYSTEM, at, changes: [], policy },
    _deliveryStatus: null,
  };
}

const deleteDue = (sortKey: string): TransactItem => ({ Delete: { TableName: tableName(), Key: dueItemKey(sortKey) } });

/** Fires one due item (as read from its bucket). */
export async function fireTimer(due: Item, sessionItem?: Item | null, stamp: () => string = () => new Date().toISOString()): Promise<FireOutcome> {
  const sortKey = String(due.sk);
  const policy = due.policy as TimerPolicy;
  // The session as the sweep read it (one BatchGetItem per 100 due), or read now.
  const raw = sessionItem === undefined ? await getItem(sessionKey(String(due.session))) : sessionItem;
  const session = raw ? readSession(raw) : undefined;
  if (!session || timersOf(session)?.clocks[policy] !== sortKey) {
    // The session moved on (the clock was restarted or stopped): the item is spent.
    await transact([deleteDue(sortKey)], 'the due item changed');
    return { kind: 'stale' };
  }
  const line = await getLineCached(session._line);
  const at = stamp();
  try {
    if (isSla(policy)) await breach(line, session, policy, sortKey, at);
    // The transitions table decides whether the timer's change applies in the session's state.
    else if (policy === 'autoClose' && allows('autoClose', session._state)) await autoClose(line, session, sortKey, at);
    else if (policy === 'returnToQueue' && allows('returnToQueue', session._state)) await returnToQueue(line, session, sortKey, at);
    else {
      await spend(line, session, policy, sortKey, at);
      return { kind: 'stale' };
    }
  } catch (error) {
    // A concurrent change won: the next sweep reads the item again and decides on the new state.
    if (isConflict(error)) return { kind: 'retry' };
    throw error;
  }
  return { kind: 'fired', at };
}

/** An SLA breach: a history entry and `session.sla_breached`; the session itself does not change. */
async function breach(line: Line, session: Session, policy: TimerPolicy, sortKey: string, at: string): Promise<void> {
  const seconds = line._sla?.[policy as 'firstResponse'];
  const message = breachMessage(session, policy, seconds, at);
  const timers = timerWrites(line, session, session, { kind: 'fired', policy, at });
  // The change index follows the breach, so the next metrics run counts it (sla_met_share).
  const update = sessionUpdate(session.__id)
    .outbox(outboxFor([message]))
    .changedAt(at)
    .timers(timers.timers)
    .clockIs(policy, sortKey);
  await transact([update.item(), putNew(messageItem(message)), ...timers.items], 'the clock was restarted or stopped');
}

/** Writes a session change made by a timer, with its history entry and the clocks it stops and starts. */
async function commitTimerChange(
  line: Line,
  before: StoredSession,
  after: Session,
  history: Message,
  policy: TimerPolicy,
  sortKey: string,
  at: string,
  guard: TransactItem[],
  also: Message[] = [],
  alsoItems: TransactItem[] = [],
): Promise<void> {
  const timers = timerWrites(line, before, after, { kind: 'fired', policy, at });
  // The operator who loses the session frees its slot in this same transaction.
  const holder = holderOf(before);
  const records = new Map<string, Operator | undefined>(holder ? [[holder, await findOperator(holder)]] : []);
  const capacity = capacityChange(before, after, line, records, at);
  await transact(
    [
      updateSessionAtVersion(before, after, { outbox: outboxFor([history, ...also]), timers: timers.timers })
        .clockIs(policy, sortKey)
        .item(),
      putNew(messageItem(history)),
      ...also.map((m) => putNew(messageItem(m))),
      ...alsoItems,
      ...guard,
      ...capacity.map((c) => c.item),
      ...timers.items,
    ],
    'the session changed since the timer was read',
  );
}

/** Auto-close: the ordinary close (state, `_closedAt`, the open-session guard), `data.by: "system"`. */
async function autoClose(line: Line, session: Session, sortKey: string, at: string): Promise<void> {
  const closed = systemChange(session, 'autoClose', { _closedAt: at, _lastActivityAt: at }, SYSTEM, at);
  const channelType = await channelTypeCached(session._channel);
  // As a close by hand: a line that asks for ratings sends the request with the close.
  const request = ratingRequest(line, closed.after, channelType, at);
  const after = request ? { ...closed.after, _csatRequestedAt: at } : closed.after;
  const many = CHANNEL_TYPES_WITH_MANY_OPEN_SESSIONS.includes(channelType);
  // As a close by hand: on channels with several open sessions the guard points at the newest only.
  const guard = !many || (await openSessionId(session._channel, session._clients[0]!)) === session.__id ? [releaseOpenGuard(session)] : [];
  await commitTimerChange(
    line,
    session,
    after,
    closed.history,
    'autoClose',
    sortKey,
    at,
    guard,
    request ? [request] : [],
    request ? [messageRefItem(request, session._channel)] : [],
  );
}

/** Return to queue: the operator loses the session; it waits in its group's queue (routing takes it from there). */
async function returnToQueue(line: Line, session: Session, sortKey: string, at: string): Promise<void> {
  const { after, history } = systemChange(session, 'returnToQueue', { _userId: null, _botId: null, _lastActivityAt: at }, SYSTEM, at);
  await commitTimerChange(line, session, after, history, 'returnToQueue', sortKey, at, []);
}

/** A clock whose effect no longer applies (e.g. a state it cannot act on): spent without effect. */
async function spend(line: Line, session: Session, policy: TimerPolicy, sortKey: string, at: string): Promise<void> {
  const timers = timerWrites(line, session, session, { kind: 'fired', policy, at });
  const update = sessionUpdate(session.__id).clockIs(policy, sortKey).stopClock(policy);
  await transact([update.item(), ...timers.items.filter((i) => i.Delete?.Key?.sk === sortKey)], 'the clock was restarted or stopped');
}
