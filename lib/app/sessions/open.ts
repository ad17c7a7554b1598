/**
 * How sessions come to be: a client's inbound message (find or open the session) and an
 * operator's `sessions.create(channel, account)`. Races between parallel first messages are
 * settled by conditional writes on guard items and a bounded retry.
 */
import { TtlCache } from '../../adapters/cache.ts';
import { retry } from '../../adapters/concurrency.ts';
import { type TransactItem, writeOnly } from '../../adapters/dynamodb/db.ts';
import { clientIdByAccount, getChannelAndAccount, getLineCached } from '../../adapters/dynamodb/lines.ts';
import {
  appendMessages,
  type ExternalIdRef,
  externalIdGuard,
  findExternalId,
  findSession,
  getClientAndOpenSession,
  getInboundTarget,
  insertSession,
  latestSessionOfClient,
  OpenSessionRace,
  openSessionId,
  readExternalIdRef,
} from '../../adapters/dynamodb/sessions.ts';
import type { Caller } from '../../contract/caller.ts';
import { CHANNEL_TYPES_WITH_MANY_OPEN_SESSIONS, CHANNEL_TYPES_WITHOUT_OPERATOR_CREATE, OPEN_SESSION_STATES } from '../../contract/enums.ts';
import { conflict, isConflict } from '../../contract/errors.ts';
import { DEFAULT_OFFLINE_MESSAGE } from '../../contract/schedule.ts';
import type { Channel, Client, Line, MailAuth, Message, Session } from '../../contract/schemas.ts';
import { mayPostInbound, requireInboundPoster, requireOnlineOperator, visibleLine } from '../../domain/auth/policy.ts';
import { outboxFor } from '../../domain/events/outbox.ts';
import { newBaseFields, nowIso } from '../../domain/ids.ts';
import { isOpenAt } from '../../domain/schedule/schedule.ts';
import { ratingAnswer, ratingState } from '../../domain/sessions/rating.ts';
import { historyMessage, newMessage, openSession } from '../../domain/sessions/session.ts';
import { messageRefItem } from '../channels/delivery-status.ts';
import type { MessageFile } from '../files/files.ts';
import { capacityChange } from '../writes/capacity.ts';
import { timerWrites, withSlaTargets } from '../writes/timers.ts';
import { rateSession } from './rating.ts';

/** Attempts before a contended inbound message gives up with 409. */
const MAX_ATTEMPTS = 12;

export interface InboundResult {
  created: boolean;
  client: Client;
  session: Session;
  message: Message;
  /** The channel had taken a message with this `externalId` already: nothing was added, the original is answered. */
  duplicate?: true;
}

export interface InboundInput {
  account: string;
  /** The text ('' for a message of files only). */
  body: string;
  /**
   * Its files (a `file` message): uploads checked by `checkFilesForSend` or stored by
   * `storeInboundFile` (lib/app/files/files.ts). Their records are written in the message's
   * transaction, bound to its session and message.
   */
  files?: readonly MessageFile[] | undefined;
  /** The messenger's own id of the message: a second message with it on the channel adds nothing. */
  externalId?: string | undefined;
  extraData?: Record<string, string> | undefined;
  /** The name of a session this message opens (a mail's subject); the default name otherwise. */
  sessionName?: string | undefined;
  /**
   * An open session of this client on this channel the message belongs to (a mail's
   * `In-Reply-To`/`References`): taken when it still is open, else the usual open session.
   */
  session?: string | undefined;
  /** A mail's SPF/DKIM/DMARC verdicts, kept on the message. */
  mailAuth?: MailAuth | undefined;
  /** The name a new client gets (the messenger's display name); else the account. */
  displayName?: string | undefined;
}

/** The client's message as written: the text, and for mail its authentication verdicts. */
function clientMessage(session: string, client: string, input: InboundInput, now: string): Message {
  const message = newMessage({
    session,
    type: input.files?.length ? 'file' : 'text',
    author: 'client',
    body: input.body,
    client,
    externalId: input.externalId ?? null,
    files: input.files?.map((f) => f.ref),
    now,
  });
  return input.mailAuth ? { ...message, _mailAuth: input.mailAuth } : message;
}

function newClient(channel: Channel, account: string, by: string, now: string, extraData: Record<string, string> = {}, displayName?: string): Client {
  return {
    ...newBaseFields(displayName ?? account, by, now),
    _line: channel._line,
    _channel: channel.__id,
    _username: account,
    _applicationItem: null,
    _extraData: extraData,
    _blockedStatus: 'none',
  };
}

function requireActive(channel: Channel): void {
  if (channel._state !== 'active') {
    throw conflict(`the channel is ${channel._state}: reconnect it before it can carry messages`);
  }
}

/**
 * Where this instance last put a (channel, account)'s message: its client and session. A hint,
 * never trusted: the next message reads the channel, the client, its open and spam guards and
 * that session in one BatchGetItem and uses the session only if a guard still points at it —
 * then the message costs 2 round trips (that read, then the transaction) instead of 4. Checked
 * before use, a hint never expires; the 10,000 most recently written are kept.
 */
const recentTargets = new TtlCache<{ clientId: string; sessionId: string }>(Infinity, 10_000);
const targetKey = (channelId: string, account: string) => `${channelId}\u0000${account}`;
function rememberTarget(channelId: string, account: string, clientId: string, sessionId: string): void {
  recentTargets.set(targetKey(channelId, account), { clientId, sessionId });
}
/** Forget every remembered target (tests: a cold instance). */
export const forgetInboundTargets = () => recentTargets.clear();

/** What the first read of an inbound message found. */
interface Prefetched {
  client: Client;
  openSessionId: string | undefined;
  spamSessionId: string | undefined;
  /** The session the hint named, if a guard still points at it. */
  session: Session | undefined;
}

/** The file records an inbound message writes, bound to its session and message (a client's files are client-visible). */
const fileWrites = (input: InboundInput, result: InboundResult): TransactItem[] =>
  (input.files ?? []).map((f) => f.write(result.session.__id, result.message.__id, 'client'));

/**
 * A client's message arrives on a channel: finds or creates the client, appends to its open
 * session or opens a new one (`Waiting`, or `MarkedAsSpam` for a blocked client).
 */
export async function receiveInbound(
  caller: Caller,
  channelId: string,
  input: InboundInput,
  extra: (result: InboundResult) => TransactItem[],
): Promise<InboundResult> {
  // Round trips into an open session: with a hint, one BatchGetItem (channel, client, guards,
  // session) and the transaction; without, channel + account guard (one batch), client + open
  // guard (one batch), the open session, then the transaction.
  // A message with the messenger's id: whether the channel took it already, read alongside.
  const externalId = input.externalId;
  const seenRead = externalId ? findExternalId(channelId, externalId) : undefined;
  seenRead?.catch(() => undefined); // awaited below unless the caller is refused first
  const hint = recentTargets.get(targetKey(channelId, input.account))?.value;
  const hinted = hint ? await getInboundTarget(channelId, hint.clientId, hint.sessionId) : undefined;
  const first = hinted?.client ? { ...hinted, client: hinted.client } : undefined;
  const { channel, clientId } = first ?? (await getChannelAndAccount(channelId, input.account));
  const prefetched: Prefetched | undefined = first;
  // The line only matters for a refusal (403 to its staff, 404 to others): read it then.
  requireInboundPoster(caller, channel, mayPostInbound(caller, channel) ? undefined : await getLineCached(channel._line));
  // A repeat is answered with the original even once the channel went offline: it was taken while active.
  const seen = await seenRead;
  if (seen) return duplicateOf(seen, extra);
  requireActive(channel);
  // The guard of the messenger's id goes into the message's own transaction: of two racing
  // copies one writes, the other fails its condition, retries and finds the original.
  const guarded = (result: InboundResult): TransactItem[] => [
    ...(externalId
      ? [externalIdGuard(channel.__id, externalId, { sessionId: result.session.__id, messageId: result.message.__id, clientId: result.client.__id })]
      : []),
    ...extra(result),
  ];

  return retry(
    async (attempt) => {
      if (attempt > 0 && externalId) {
        const raced = await findExternalId(channel.__id, externalId);
        if (raced) return duplicateOf(raced, extra);
      }
      // A retry looks the account up again: the race it lost may have created the client.
      const known = attempt === 0 ? (prefetched ? prefetched.client.__id : clientId) : await clientIdByAccount(channel.__id, input.account);
      const result = await receiveOnce(caller, channel, known, input, guarded, attempt === 0 ? prefetched : undefined);
      rememberTarget(channel.__id, input.account, result.client.__id, result.session.__id);
      return result;
    },
    { attempts: MAX_ATTEMPTS + 1, baseMs: 10, capMs: 250, retryOn: isConflict },
  );
}

/** The answer to a repeat of a message the channel took already: the original, nothing added (bar the caller's idempotency record). */
async function duplicateOf(ref: ExternalIdRef, extra: (result: InboundResult) => TransactItem[]): Promise<InboundResult> {
  const found = await readExternalIdRef(ref);
  if (!found) throw conflict('the message with this externalId is being written; retry');
  const result: InboundResult = { created: false, duplicate: true, ...found };
  await writeOnly(extra(result));
  return result;
}

async function receiveOnce(
  caller: Caller,
  channel: Channel,
  clientId: string | undefined,
  input: InboundInput,
  extra: (result: InboundResult) => TransactItem[],
  prefetched?: Prefetched,
): Promise<InboundResult> {
  const now = nowIso();
  // The line (its timer policies) comes from the instance cache, read in parallel when cold.
  const [known, line] = await Promise.all([
    prefetched ?? (clientId ? getClientAndOpenSession(clientId, channel.__id) : undefined),
    getLineCached(channel._line),
  ]);
  // An erased client is a tombstone: a message of its old account lost a race with the erasure
  // (which released the account), so the retry looks the account up again and makes a new client.
  if (known?.client.__deletedAt) throw conflict('the client was erased meanwhile');
  const client = known?.client;
  let staleSpamSession: string | undefined;
  const read = (id: string) => (prefetched?.session?.__id === id ? Promise.resolve(prefetched.session) : findSession(id));

  if (client) {
    let target: Session | undefined;
    if (input.session && CHANNEL_TYPES_WITH_MANY_OPEN_SESSIONS.includes(channel._type)) {
      // The session the message names, if it is still open and this client's on this channel.
      const named = await read(input.session);
      if (named && named._channel === channel.__id && named._clients.includes(client.__id) && OPEN_SESSION_STATES.includes(named._state)) target = named;
    }
    const openId = known.openSessionId;
    if (!target && openId) target = await read(openId);
    if (!target && client._blockedStatus === 'blocked') {
      // A blocked client's further messages go to its spam session instead of opening more:
      // the one its spam guard points at (parallel first messages race on that guard).
      const spam = known.spamSessionId ? await read(known.spamSessionId) : undefined;
      if (spam && spam._state === 'MarkedAsSpam') target = spam;
      else staleSpamSession = known.spamSessionId;
      if (!target && !known.spamSessionId) {
        // A session marked as spam by hand (no guard) takes them too.
        const latest = await latestSessionOfClient(client.__id);
        if (latest && latest._state === 'MarkedAsSpam' && latest._channel === channel.__id) target = latest;
      }
    }
    if (target) {
      const message = clientMessage(target.__id, client.__id, input, now);
      const result: InboundResult = { created: false, client, session: { ...target, _lastActivityAt: now }, message };
      const states = target._state === 'MarkedAsSpam' ? ['MarkedAsSpam'] : OPEN_SESSION_STATES;
      // Timers: a client message starts next-response and restarts inactivity.
      const timers = timerWrites(line, target, result.session, { kind: 'clientMessage', at: now });
      await appendMessages(target, [message], states, { outbox: outboxFor([message]), timers: timers.timers }, [
        ...extra(result),
        ...timers.items,
        ...fileWrites(input, result),
      ]);
      return result;
    }
  }

  // A messenger's "1".."5" while nothing is open answers the rating request of its last session.
  const score = client && client._blockedStatus !== 'blocked' ? ratingAnswer(input.body) : undefined;
  if (client && score !== undefined) {
    const latest = await latestSessionOfClient(client.__id);
    if (latest && latest._channel === channel.__id && ratingState(latest, Date.parse(now)) === 'requested') {
      const answer = newMessage({
        session: latest.__id,
        type: 'text',
        author: 'client',
        body: input.body,
        client: client.__id,
        externalId: input.externalId ?? null,
        now,
      });
      const result: InboundResult = { created: false, client, session: latest, message: answer };
      // A lost race (the other answer rated it) is a conflict: the retry reads again and opens a session.
      const after = await rateSession(latest, { score, comment: null, at: now, via: 'message' }, caller.sub, answer, extra(result));
      return { ...result, session: after };
    }
  }

  const theClient = client ?? newClient(channel, input.account, caller.sub, now, input.extraData, input.displayName);
  const blocked = theClient._blockedStatus === 'blocked';
  const session = openSession({
    line: channel._line,
    channel: channel.__id,
    client: theClient.__id,
    state: blocked ? 'MarkedAsSpam' : 'Waiting',
    by: caller.sub,
    now,
    ...(input.sessionName ? { name: input.sessionName } : {}),
  });
  const created = withSlaTargets(historyMessage(null, session, 'create', caller.sub), line);
  const message = clientMessage(session.__id, theClient.__id, input, now);
  const result: InboundResult = { created: true, client: theClient, session, message };
  const timers = timerWrites(line, null, session, { kind: 'create', at: now, clientMessage: true });
  // A line outside its business hours answers the new session once, in the opening transaction
  // (parallel first messages open one session: the others append to it).
  const offline = !blocked ? offlineReply(line, session, now) : undefined;
  const written = offline ? [created, message, offline] : [created, message];
  await insertSession({
    session,
    ...(client ? {} : { newClient: theClient }),
    guard: blocked ? 'spam' : 'exclusive',
    staleSpamSession,
    messages: written,
    extra: [...extra(result), ...timers.items, ...(offline ? [messageRefItem(offline, channel.__id)] : []), ...fileWrites(input, result)],
    outbox: outboxFor(written),
    timers: timers.timers.after,
  });
  return result;
}

/**
 * The line's automatic reply to a session opened while it is closed (`_schedule`): a
 * client-visible text by `system`, delivered like a reply; none while open or without a schedule.
 */
function offlineReply(line: Line, session: Session, now: string): Message | undefined {
  if (!line._schedule || isOpenAt(line._schedule, Date.parse(now))) return undefined;
  // A millisecond after the client's message, so that it sorts after it.
  const at = new Date(Date.parse(now) + 1).toISOString();
  return newMessage({
    session: session.__id,
    type: 'text',
    author: 'system',
    body: line._offlineMessage ?? DEFAULT_OFFLINE_MESSAGE,
    operator: 'system',
    now: at,
  });
}

/**
 * `sessions.create(channel, account)`: an operator opens a session with a client, assigned to
 * that operator. Refused on channels that do not allow it, and while the client has an open
 * session on the channel (except on channels that allow several, like e-mail).
 */
export async function createSessionByOperator(
  caller: Caller,
  input: { channel: string; account: string },
  extra: (session: Session) => TransactItem[],
): Promise<Session> {
  // Channel, account guard and the caller's operator record in one BatchGetItem.
  const { channel, clientId: firstLookup, operator } = await getChannelAndAccount(input.channel, input.account, caller.sub);
  const line: Line = visibleLine(caller, await getLineCached(channel._line));
  requireOnlineOperator(caller, line, operator);
  if (CHANNEL_TYPES_WITHOUT_OPERATOR_CREATE.includes(channel._type)) {
    throw conflict(`sessions cannot be started by an operator on ${channel._type} channels`);
  }
  requireActive(channel);
  const many = CHANNEL_TYPES_WITH_MANY_OPEN_SESSIONS.includes(channel._type);

  // The client was created by someone else a moment ago: look again, with it (a few times, then 409).
  const lostToNewClient = (error: unknown) => error instanceof OpenSessionRace && error.clientTaken && !error.guardTaken;
  try {
    return await retry(
      async (attempt) => {
        const now = nowIso();
        const clientId = attempt === 0 ? firstLookup : await clientIdByAccount(channel.__id, input.account);
        if (clientId && !many) {
          const openId = await openSessionId(channel.__id, clientId);
          if (openId) throw conflict(`the client already has an open session on this channel: ${openId}`);
        }
        const client = clientId ? undefined : newClient(channel, input.account, caller.sub, now);
        const session = openSession({
          line: line.__id,
          channel: channel.__id,
          client: clientId ?? client!.__id,
          state: 'AssignedToOperator',
          userId: caller.sub,
          by: caller.sub,
          now,
        });
        const timers = timerWrites(line, null, session, { kind: 'create', at: now, clientMessage: false });
        // The new session counts against the operator, within its capacity.
        const capacity = capacityChange(null, session, line, new Map([[caller.sub, operator]]), now);
        const history = withSlaTargets(historyMessage(null, session, 'create', caller.sub), line);
        await insertSession({
          session,
          ...(client ? { newClient: client } : {}),
          guard: many ? 'latest' : 'exclusive',
          messages: [history],
          extra: [...capacity.map((c) => c.item), ...extra(session), ...timers.items],
          outbox: outboxFor([history]),
          timers: timers.timers.after,
        });
        return session;
      },
      { attempts: 3, baseMs: 5, capMs: 50, retryOn: lostToNewClient },
    );
  } catch (error) {
    if (lostToNewClient(error)) throw conflict('the client was created concurrently; retry');
    throw error;
  }
}
