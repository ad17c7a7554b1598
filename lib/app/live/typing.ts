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
import { TtlCache } from '../../adapters/cache.ts';
import { openSecrets } from '../../adapters/dynamodb/credentials.ts';
import { readClient } from '../../adapters/dynamodb/items.ts';
import { channelCredentialsKey, clientKey } from '../../adapters/dynamodb/keys.ts';
import { getChannelWith, getLineCached } from '../../adapters/dynamodb/lines.ts';
import { findSession } from '../../adapters/dynamodb/sessions.ts';
import { loadMessenger } from '../../adapters/messengers/index.ts';
import { logger } from '../../adapters/observability.ts';
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

/** Telegram shows "typing…" for 5 s: one action per session every 4 s keeps it on while the operator types. */
const FORWARD_EVERY_MS = 4_000;
const forwarded = new TtlCache<true>(FORWARD_EVERY_MS, 10_000);

/**
 * An operator typing in a session of a messenger channel is passed on where the messenger has it
 * (the port's optional `typing`: Telegram's `sendChatAction`). Both hosts call this for every
 * operator typing frame that went out; it reads the channel, its sealed credentials and the
 * client in one BatchGetItem, and never fails the frame (a messenger's refusal is logged).
 */
export async function forwardOperatorTyping(typing: Typing): Promise<void> {
  const { session } = typing;
  const clientId = session._clients[0];
  if (!clientId || forwarded.get(session.__id)) return;
  forwarded.set(session.__id, true);
  try {
    const {
      channel,
      items: [sealed, clientItem],
    } = await getChannelWith(session._channel, [channelCredentialsKey(session._channel), clientKey(clientId)]);
    // Only a natively connected channel has sealed credentials (the widget's has none).
    if (!sealed || !clientItem || channel._state !== 'active') return;
    // The channel's adapter loads on the first operator typing of a messenger session, not at every socket function's cold start.
    const messenger = await loadMessenger(channel._type);
    if (!messenger?.typing) return;
    const secrets = await openSecrets(channel.__id, sealed);
    if (secrets) await messenger.typing(readClient(clientItem)._username, secrets.credentials);
  } catch (error) {
    logger.warn('typing not passed on to the messenger', { session: session.__id, error: error as Error });
  }
}
