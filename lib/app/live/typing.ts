/**
 * Typing indicators over the live sockets, the part both hosts share: who may say it is typing
 * in which session, and who hears it. Nothing is stored and nothing goes to webhooks: a typing
 * frame is pushed to the other side's open sockets and forgotten.
 *
 * - a visitor (`from: client`) types in its own session; the staff who may see that session's
 *   client messages hear it (the same `maySee` as a `message.created` of the session);
 * - staff (`from: operator`) type in a session they hold (`holdsSession`: the holding operator,
 *   or the line's bot while it holds it); the session's visitor sockets hear it.
 */
import { getLineCached } from '../../adapters/dynamodb/lines.ts';
import { findSession } from '../../adapters/dynamodb/sessions.ts';
import { hasRole } from '../../contract/caller.ts';
import type { ChatlinesEvent } from '../../contract/events.ts';
import type { Line, Session } from '../../contract/schemas.ts';
import { holdsSession } from '../../domain/auth/policy.ts';
import type { TypingFrame } from '../../domain/live/frames.ts';
import { isVisitorsSession } from '../../domain/visitors/rules.ts';
import { type LiveCaller, maySee } from './visibility.ts';

export interface Typing {
  frame: TypingFrame;
  session: Session;
  line: Line;
}

/** The typing frame a caller may send for a session, or why not (answered as an `error` frame). */
export async function decideTyping(caller: LiveCaller, sessionId: string, now = Date.now()): Promise<Typing | { error: string }> {
  const session = await findSession(sessionId);
  const line = session && (await getLineCached(session._line).catch(() => undefined));
  const refused = { error: 'typing: not a session you may write to' };
  if (!session || !line) return refused;
  let from: TypingFrame['from'];
  if (caller.visitor) {
    if (!isVisitorsSession(caller.visitor, session) || session._state === 'Closed' || session._state === 'MarkedAsSpam') return refused;
    from = 'client';
  } else {
    if (!holdsSession(caller, line, session)) return refused;
    from = 'operator';
  }
  return { frame: { type: 'typing', session: session.__id, from, at: new Date(now).toISOString() }, session, line };
}

/** Does this socket's caller hear this typing frame (the other side of the session)? */
export function hearsTyping(caller: LiveCaller, typing: Typing): boolean {
  if (typing.frame.from === 'operator') return caller.visitor !== undefined && isVisitorsSession(caller.visitor, typing.session);
  if (caller.visitor || !hasRole(caller, 'admin', 'supervisor', 'operator', 'bot')) return false;
  // Staff hear a visitor type where they would see its message.
  const probe: ChatlinesEvent = {
    id: `${typing.session.__id}.typing`,
    type: 'message.created',
    time: typing.frame.at,
    line: typing.line.__id,
    channel: typing.session._channel,
    session: typing.session.__id,
    data: { session: typing.session, visibility: 'client' },
  };
  return maySee(caller, typing.line, probe);
}

/**
 * THE SEAM for messengers: an operator typing in a session of a messenger channel (Telegram's
 * `sendChatAction` `typing`, the messenger port's optional `typing(account, credentials)` in
 * lib/adapters/messengers/port.ts) would be passed on here. Not wired yet: it needs the
 * session's client account and the channel's credentials, and a throttle of its own (Telegram's
 * action lasts 5 s). Both hosts call it for every operator typing frame that went out.
 */
export async function forwardOperatorTyping(_typing: Typing): Promise<void> {}
