/**
 * Session use cases: read what a command's rules need (the session by key, the line from the
 * instance cache, operator records where needed — in parallel), decide (commands.ts, pure),
 * then write the new session, its one history message, guard changes and the idempotency
 * record in ONE transaction at the version that was read. A concurrent change makes the
 * write fail: the loser gets 409 and nothing of it is written.
 */

import type { TransactItem } from '../../adapters/dynamodb/db.ts';
import { writeOnly } from '../../adapters/dynamodb/db.ts';
import { channelTypeCached, getLineCached } from '../../adapters/dynamodb/lines.ts';
import { findOperator } from '../../adapters/dynamodb/operators.ts';
import {
  commitSessionChange,
  getSessionWithOperators,
  lastMessage,
  latestSessionIdOfClient,
  listMessages,
  openSessionId,
  releaseOpenGuard,
  takeOpenGuard,
} from '../../adapters/dynamodb/sessions.ts';
import { type Caller, hasRole } from '../../contract/caller.ts';
import { CHANNEL_TYPES_WITH_MANY_OPEN_SESSIONS } from '../../contract/enums.ts';
import { conflict, notFound } from '../../contract/errors.ts';
import type { Line, Message, Operator, Session } from '../../contract/schemas.ts';
import { sessionActor, visibleSession } from '../../domain/auth/policy.ts';
import { outboxFor } from '../../domain/events/outbox.ts';
import { nowIso } from '../../domain/ids.ts';
import { holderOf, isFull } from '../../domain/routing/capacity.ts';
import { type CommandContext, decide, type SessionAction } from '../../domain/sessions/commands.ts';
import { ratingRequest } from '../../domain/sessions/rating.ts';
import { historyMessage, newMessage } from '../../domain/sessions/session.ts';
import { messageRefItem } from '../channels/delivery-status.ts';
import { capacityChange } from '../writes/capacity.ts';
import { timerWrites } from '../writes/timers.ts';

/** Callers whose presence matters: operators that are neither admins nor (possibly) supervisors. */
const mayActAsOperator = (caller: Caller) => hasRole(caller, 'operator') && !hasRole(caller, 'admin');

/**
 * The session, its line and the caller's operator record, read in parallel (one GetItem for
 * the session, one for the operator record when the caller is an operator; the line is cached).
 * Also reads the extra operator `also` in the same round.
 */
export async function load(
  caller: Caller,
  id: string,
  options: { presence: boolean; also?: string | undefined; holder?: boolean },
): Promise<{ session: Session; line: Line; operators: Map<string, Operator> }> {
  const ids = new Set<string>();
  const also = options.also;
  if (options.presence && mayActAsOperator(caller)) ids.add(caller.sub);
  if (also) ids.add(also);
  // Routing: the current holder's record, for its count. Its id comes from the
  // session, so it is read in a second round only when it is neither the caller nor the target.
  if (options.holder) {
    const loaded = await getSessionWithOperators(id, [...ids]);
    const holder = holderOf(loaded.session);
    const operators = new Map<string, Operator>(loaded.operators.map((r) => [r.__id, r]));
    if (holder && !operators.has(holder)) {
      const record = await findOperator(holder);
      if (record) operators.set(holder, record);
    }
    const line = await getLineCached(loaded.session._line);
    return { session: visibleSession(caller, line, loaded.session), line, operators };
  }
  // The session and the operator records in ONE BatchGetItem (strongly consistent).
  const { session, operators: records } = await getSessionWithOperators(id, [...ids]);
  const operators = new Map<string, Operator>();
  for (const r of records) operators.set(r.__id, r);
  const line = await getLineCached(session._line);
  return { session: visibleSession(caller, line, session), line, operators };
}

/** Runs one session command and returns the session as it is after it. */
export async function runSessionCommand(
  caller: Caller,
  id: string,
  action: SessionAction,
  extra: (session: Session) => TransactItem[],
  precondition: { receivedAt?: number; expectedVersion?: number | undefined; comment?: string | undefined } = {},
): Promise<Session> {
  const { receivedAt, expectedVersion, comment } = precondition;
  const target = action.command === 'assignToOperator' ? action.operator : undefined;
  const { session, line, operators } = await load(caller, id, { presence: true, also: target, holder: true });
  // A command decides on the session as it was when the request arrived: if another command
  // changed it while this one was in flight (e.g. 20 parallel assigns from one supervisor),
  // this one lost the race — 409, not a silent reassignment on top of the winner.
  if (receivedAt !== undefined && Date.parse(session.__updatedAt) > receivedAt) {
    throw conflict('the session was changed by another request while this one was in flight; read it again and retry');
  }
  // `If-Match`: the caller decided on a version it read; anything newer means it lost a race.
  if (expectedVersion !== undefined && session._version !== expectedVersion) {
    throw conflict(`the session is at version ${session._version}, not the ${expectedVersion} this request was based on`);
  }
  const ctx: CommandContext = {
    now: nowIso(),
    callerOperator: operators.get(caller.sub),
    operator: target ? operators.get(target) : undefined,
  };

  const needsChannel = action.command === 'markAsSpam' || action.command === 'close' || action.command === 'unmarkAsSpam';
  const channelType = needsChannel ? await channelTypeCached(session._channel) : undefined;
  ctx.channelType = channelType;
  if (action.command === 'unmarkAsSpam') {
    // The chain rule (gsi3, newest first) and the presence of the operator to restore, in parallel.
    const earlier = session._beforeSpam?._userId;
    const [latest, record] = await Promise.all([latestSessionIdOfClient(session._clients[0]!), earlier ? findOperator(earlier) : undefined]);
    ctx.latestOfChain = latest;
    // Routing: an operator at capacity does not get the session back; it goes to the queue.
    ctx.operator = record && isFull(record, line) ? undefined : record;
  }

  const decision = decide(session, line, ctx, caller, action);
  if (decision.unchanged) {
    await writeOnly(extra(session));
    return session;
  }
  // The close of a line that asks for ratings sends the request, in the close's transaction.
  const request =
    decision.after._state === 'Closed' && session._state !== 'Closed'
      ? ratingRequest(line, decision.after, channelType, decision.after.__updatedAt)
      : undefined;
  const after = request ? { ...decision.after, _csatRequestedAt: request.__createdAt } : decision.after;
  const many = channelType !== undefined && CHANNEL_TYPES_WITH_MANY_OPEN_SESSIONS.includes(channelType);
  const guardItems: TransactItem[] = [];
  if (decision.guard === 'release') {
    // On channels with several open sessions the guard points at the newest one only.
    if (!many || (await openSessionId(session._channel, session._clients[0]!)) === session.__id) guardItems.push(releaseOpenGuard(session));
  }
  if (decision.guard === 'take') guardItems.push(takeOpenGuard(after, many));
  const history = historyMessage(session, after, action.command, caller.sub, decision.silent !== undefined ? { silent: decision.silent } : {});
  // A transfer's comment: a staff-only note written in this same transaction, ordered right
  // after the history entry (same instant, next id), so the receiving operator reads it first.
  const note = comment ? transferNote(after, caller, line, comment, operators) : undefined;
  const messages = note ? [history, note] : [history];
  // Routing: the holders' session counts change in this same transaction (409 when full).
  const records = new Map(operators);
  if (ctx.operator) records.set(ctx.operator.__id, ctx.operator);
  const checks = capacityChange(session, after, line, records, ctx.now);
  // Timers: the clocks this change starts and stops, in the same transaction.
  const timers = timerWrites(line, session, after, { kind: 'command', at: after.__updatedAt });
  const written = [...messages, ...(request ? [request] : [])];
  await commitSessionChange({
    before: session,
    after,
    messages: written,
    guardItems,
    guardConflict: 'the client meanwhile opened another session on this channel; close it before unmarking this one (one open session per client)',
    extra: [...extra(after), ...timers.items, ...(request ? [messageRefItem(request, session._channel)] : [])],
    checks,
    outbox: outboxFor(written),
    timers: timers.timers,
  });
  return after;
}

/** The staff-only note a transfer's comment becomes (`system`: never sent to the client). */
function transferNote(after: Session, caller: Caller, line: Line, comment: string, operators: Map<string, Operator>): Message {
  const actor = sessionActor(caller, line, after, operators.get(caller.sub));
  return newMessage({
    session: after.__id,
    type: 'system',
    author: actor.kind === 'bot' ? 'bot' : 'operator',
    body: comment,
    operator: caller.sub,
    now: after.__updatedAt,
  });
}

/** `GET /v1/sessions/{id}/messages`: the session (visibility) and one Query, in parallel. */
export async function sessionMessages(caller: Caller, id: string, from: number, size: number): Promise<Message[]> {
  const [loaded, messages] = await Promise.all([load(caller, id, { presence: false }), listMessages(id, from, size)]);
  void loaded; // visibility: throws 404 before the messages are returned
  return messages;
}

/** `GET /v1/sessions/{id}/messages/last`: 404 when the session has none. */
export async function lastSessionMessage(caller: Caller, id: string): Promise<Message> {
  const [, message] = await Promise.all([load(caller, id, { presence: false }), lastMessage(id)]);
  if (!message) throw notFound('message of session', id);
  return message;
}
