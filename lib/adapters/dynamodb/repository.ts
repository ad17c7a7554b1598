/**
 * The single-table repository: reads by key and the transactional writes of chatlines.
 * Every write that depends on a state is conditional, and every change that touches several
 * items (session + history + guards + idempotency record) is one TransactWriteItems call.
 */

import { ChatlinesError, notFound } from '../../contract/errors.ts';
import type { Channel, Client, Line, Message, Operator, Session } from '../../contract/schemas.ts';
import { OUTBOX_ENTRIES, OUTBOX_SEQUENCE, type OutboxEntry, outboxFor } from '../../domain/events/outbox.ts';
import { TtlCache } from '../cache.ts';
import { conditionFailedAt, getItem, getItems, type Item, putNew, queryPage, type TransactItem, tableName, transact } from './db.ts';
import {
  channelItem,
  clientItem,
  lineItem,
  messageItem,
  operatorItem,
  readChannel,
  readClient,
  readLine,
  readMessage,
  readOperator,
  readSession,
  sessionItem,
} from './items.ts';
import {
  accountGuardKey,
  changeIndexUpdate,
  channelKey,
  clientKey,
  clientSessionsPartition,
  INDEX,
  lineKey,
  MESSAGE_PREFIX,
  openSessionGuardKey,
  operatorKey,
  sessionIdOfKey,
  sessionKey,
  spamSessionGuardKey,
} from './keys.ts';
import { keyAttributesOf } from './table.ts';

// ------------------------------------------------------------------------------- reads

export async function findLine(id: string): Promise<Line | undefined> {
  const item = await getItem(lineKey(id));
  return item && readLine(item);
}
export async function findChannel(id: string): Promise<Channel | undefined> {
  const item = await getItem(channelKey(id));
  return item && readChannel(item);
}
export async function findClient(id: string): Promise<Client | undefined> {
  const item = await getItem(clientKey(id));
  return item && readClient(item);
}
export async function findSession(id: string): Promise<Session | undefined> {
  const item = await getItem(sessionKey(id));
  return item && readSession(item);
}
export async function findOperator(id: string): Promise<Operator | undefined> {
  const item = await getItem(operatorKey(id));
  return item && readOperator(item);
}

async function must<T>(value: Promise<T | undefined>, what: string, id: string): Promise<T> {
  const found = await value;
  if (found === undefined) throw notFound(what, id);
  return found;
}
export const getLine = (id: string) => must(findLine(id), 'line', id);
export const getChannel = (id: string) => must(findChannel(id), 'channel', id);
export const getClient = (id: string) => must(findClient(id), 'client', id);
export const getSession = (id: string) => must(findSession(id), 'session', id);

/**
 * A session and some operator records in one round trip (BatchGetItem): what a session
 * command needs to decide. Missing operators are left out; a missing session is 404.
 */
export async function getSessionWithOperators(id: string, operatorIds: string[]): Promise<{ session: Session; operators: Operator[] }> {
  const [found, ...operatorItems] = await getItems([sessionKey(id), ...operatorIds.map((o) => operatorKey(o))]);
  if (!found) throw notFound('session', id);
  return { session: readSession(found), operators: operatorItems.filter((i) => i !== undefined).map((i) => readOperator(i)) };
}

/**
 * How long an instance trusts a channel it has read for an inbound message. Every message of a
 * channel reads it; cached, a busy channel's item is read once per instance per 10 s instead of
 * once per message. What may be stale: a channel disconnected or moved through another instance
 * keeps taking messages here for up to 10 s (commands on the channel itself always read it).
 */
export const CHANNEL_CACHE_MS = 10_000;
const channelCache = new TtlCache<Channel>(CHANNEL_CACHE_MS);
/** Drops a channel from this instance's cache (after this instance changed it). */
export const forgetChannel = (id: string) => channelCache.delete(id);

/** The channel from the cache, or its key to read with the rest; then the channel from what was read. */
function cachedChannel(channelId: string): { keys: { pk: string; sk: string }[]; take(item: Item | undefined): Channel } {
  const hit = channelCache.get(channelId)?.value;
  if (hit) return { keys: [], take: () => hit };
  return {
    keys: [channelKey(channelId)],
    take(item) {
      if (!item) throw notFound('channel', channelId);
      const channel = readChannel(item);
      channelCache.set(channelId, channel);
      return channel;
    },
  };
}

/**
 * A channel (from this instance's cache when read in the last 10 s) and other items, in one
 * BatchGetItem: what a channel's integration posts needs both. A missing channel is 404; the
 * items follow `keys`' order.
 */
export async function getChannelWith(channelId: string, keys: { pk: string; sk: string }[]): Promise<{ channel: Channel; items: (Item | undefined)[] }> {
  const ch = cachedChannel(channelId);
  const items = await getItems([...ch.keys, ...keys]);
  return { channel: ch.take(items[0]), items: items.slice(ch.keys.length) };
}

/**
 * A channel, the client registered for an account on it and (optionally) an operator's record,
 * in one BatchGetItem: every key is known from the request. A missing channel is 404. The
 * channel comes from this instance's cache when it was read in the last 10 s.
 */
export async function getChannelAndAccount(
  channelId: string,
  username: string,
  operatorId?: string,
): Promise<{ channel: Channel; clientId: string | undefined; operator: Operator | undefined }> {
  const { channel, items } = await getChannelWith(channelId, [accountGuardKey(channelId, username), ...(operatorId ? [operatorKey(operatorId)] : [])]);
  const [guard, operator] = items;
  return {
    channel,
    clientId: guard?.clientId as string | undefined,
    operator: operator ? readOperator(operator) : undefined,
  };
}

/** A client, the id of its open session on the channel and of its spam session there, in one BatchGetItem. */
export async function getClientAndOpenSession(
  clientId: string,
  channelId: string,
): Promise<{ client: Client; openSessionId: string | undefined; spamSessionId: string | undefined }> {
  const [client, guard, spam] = await getItems([clientKey(clientId), openSessionGuardKey(channelId, clientId), spamSessionGuardKey(channelId, clientId)]);
  if (!client) throw notFound('client', clientId);
  return { client: readClient(client), openSessionId: guard?.sessionId as string | undefined, spamSessionId: spam?.sessionId as string | undefined };
}

/**
 * An inbound message's first read when this instance remembers where the account's messages
 * went: the channel (unless cached), the client, its open and spam guards and the remembered
 * session, in one BatchGetItem. The session is returned only if a guard still points at it.
 */
export async function getInboundTarget(
  channelId: string,
  clientId: string,
  sessionId: string,
): Promise<{
  channel: Channel;
  clientId: string;
  client: Client | undefined;
  openSessionId: string | undefined;
  spamSessionId: string | undefined;
  session: Session | undefined;
}> {
  const { channel, items } = await getChannelWith(channelId, [
    clientKey(clientId),
    openSessionGuardKey(channelId, clientId),
    spamSessionGuardKey(channelId, clientId),
    sessionKey(sessionId),
  ]);
  const [client, guard, spam, session] = items;
  const openSessionId = guard?.sessionId as string | undefined;
  const spamSessionId = spam?.sessionId as string | undefined;
  const pointed = sessionId === openSessionId || sessionId === spamSessionId;
  return {
    channel,
    clientId,
    client: client ? readClient(client) : undefined,
    openSessionId,
    spamSessionId,
    session: pointed && session ? readSession(session) : undefined,
  };
}

/** The client id registered for an account on a channel, if any. */
export async function clientIdByAccount(channelId: string, username: string): Promise<string | undefined> {
  const guard = await getItem(accountGuardKey(channelId, username));
  return guard?.clientId as string | undefined;
}

/** The id of the client's open session on the channel, if any. */
export async function openSessionId(channelId: string, clientId: string): Promise<string | undefined> {
  const guard = await getItem(openSessionGuardKey(channelId, clientId));
  return guard?.sessionId as string | undefined;
}

/** The newest entry of a client's chain (gsi3): its keys only, or the session item. */
async function newestOfChain(clientId: string, keysOnly: boolean): Promise<Item | undefined> {
  const page = await queryPage({
    IndexName: INDEX.clientSessions,
    KeyConditionExpression: '#pk = :pk',
    ExpressionAttributeNames: { '#pk': keyAttributesOf(INDEX.clientSessions).pk },
    ExpressionAttributeValues: { ':pk': clientSessionsPartition(clientId) },
    ScanIndexForward: false,
    Limit: 1,
    keysOnly,
  });
  return page.items[0];
}

/** The id of the newest session of a client's chain (gsi3): the index's keys only, no item read. */
export async function latestSessionIdOfClient(clientId: string): Promise<string | undefined> {
  const key = await newestOfChain(clientId, true);
  return key ? sessionIdOfKey(String(key.pk)) : undefined;
}

/** A client and (optionally) an operator's record in one BatchGetItem; a missing client is 404. */
export async function getClientWithOperator(id: string, operatorId: string | undefined): Promise<{ client: Client; operator: Operator | undefined }> {
  const [client, operator] = await getItems([clientKey(id), ...(operatorId ? [operatorKey(operatorId)] : [])]);
  if (!client) throw notFound('client', id);
  return { client: readClient(client), operator: operator ? readOperator(operator) : undefined };
}

/** The newest session of a client's chain (gsi3), read from the index. */
export async function latestSessionOfClient(clientId: string): Promise<Session | undefined> {
  const item = await newestOfChain(clientId, false);
  return item && readSession(item);
}

/** Messages of a session in order: `from` skipped, then up to `size`. One Query per 1 MB page. */
export async function listMessages(sessionId: string, from: number, size: number): Promise<Message[]> {
  const out: Message[] = [];
  let skipped = 0;
  let lastKey: Record<string, unknown> | undefined;
  do {
    const page = await queryPage({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :msg)',
      ExpressionAttributeValues: { ':pk': sessionKey(sessionId).pk, ':msg': MESSAGE_PREFIX },
      ConsistentRead: true,
      Limit: Math.min(from - skipped + size - out.length, 10_000),
      ...(lastKey ? { ExclusiveStartKey: lastKey } : {}),
    });
    for (const item of page.items) {
      if (skipped < from) skipped += 1;
      else if (out.length < size) out.push(readMessage(item));
    }
    lastKey = page.lastKey;
  } while (lastKey && out.length < size);
  return out;
}

/** The newest message of a session: one Query, newest first, Limit 1. */
export async function lastMessage(sessionId: string): Promise<Message | undefined> {
  const page = await queryPage({
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :msg)',
    ExpressionAttributeValues: { ':pk': sessionKey(sessionId).pk, ':msg': MESSAGE_PREFIX },
    ConsistentRead: true,
    ScanIndexForward: false,
    Limit: 1,
  });
  const item = page.items[0];
  return item && readMessage(item);
}

// ------------------------------------------------------------------------------ writes

export async function insertLine(line: Line, extra: TransactItem[] = []): Promise<void> {
  await transact([putNew(lineItem(line)), ...extra], 'the line already exists');
}

export async function insertChannel(channel: Channel, extra: TransactItem[] = []): Promise<void> {
  await transact(
    [
      {
        ConditionCheck: {
          TableName: tableName(),
          Key: lineKey(channel._line),
          ConditionExpression: 'attribute_exists(pk) AND attribute_type(#d, :null)',
          ExpressionAttributeNames: { '#d': '__deletedAt' },
          ExpressionAttributeValues: { ':null': 'NULL' },
        },
      },
      putNew(channelItem(channel)),
      ...extra,
    ],
    'the channel could not be created',
    (reasons) => (reasons[0] ? notFound('line', channel._line) : undefined),
  );
}

export async function putOperator(operator: Operator, extra: TransactItem[] = []): Promise<void> {
  await transact([{ Put: { TableName: tableName(), Item: operatorItem(operator) } }, ...extra], 'the operator status could not be saved');
}

/**
 * Routing (issue 14): an operator's status and groups as an update, so that the counts other
 * transactions ADD to (`activeSessions`) are never overwritten; `items` are the presence items
 * (lib/app/routing/presence.ts) written in the same transaction.
 */
export async function saveOperatorStatus(operator: Operator, items: TransactItem[], extra: TransactItem[] = []): Promise<void> {
  await transact(
    [
      {
        Update: {
          TableName: tableName(),
          Key: operatorKey(operator.__id),
          UpdateExpression: 'SET #e = :e, #id = :id, #st = :st, #g = :g, #u = :u, #i = :i, #c = if_not_exists(#c, :null), #n = if_not_exists(#n, :zero)',
          ExpressionAttributeNames: {
            '#e': 'entity',
            '#id': '__id',
            '#st': 'status',
            '#g': 'groups',
            '#u': '__updatedAt',
            '#i': 'idleSince',
            '#c': 'capacity',
            '#n': 'activeSessions',
          },
          ExpressionAttributeValues: {
            ':e': 'operator',
            ':id': operator.__id,
            ':st': operator.status,
            ':g': operator.groups,
            ':u': operator.__updatedAt,
            ':i': operator.idleSince,
            ':null': null,
            ':zero': 0,
          },
        },
      },
      ...items,
      ...extra,
    ],
    'the operator status was changed concurrently; retry',
  );
}

/** How a new session treats the one-open-session guard of its client and channel. */
export type GuardMode =
  /** The guard must not exist (one open session per client and channel). */
  | 'exclusive'
  /** Overwrite: channels that allow several open sessions (inbox) point it at the newest. */
  | 'latest'
  /**
   * A blocked client's spam session: takes the spam guard (one such session per client and
   * channel), which must be free or still point at `staleSpamSession` (a session since unmarked).
   */
  | 'spam'
  /** No guard. */
  | 'none';

export interface OpenSessionWrite {
  session: Session;
  /** A client created with this session (its account guard is written too). */
  newClient?: Client;
  guard: GuardMode;
  /** With `guard: 'spam'`: the session the spam guard pointed at when it was read (no longer spam). */
  staleSpamSession?: string | undefined;
  messages: Message[];
  extra?: TransactItem[];
  /** The events of this write (default: from its messages, see lib/domain/events/outbox.ts). */
  outbox?: OutboxEntry[];
  /** Hidden attributes of the new session item (the timer state, lib/timers). */
  attributes?: Record<string, unknown>;
}

/** Reasons a session-opening transaction failed, in the order of its items. */
export class OpenSessionRace extends ChatlinesError {
  readonly clientTaken: boolean;
  readonly guardTaken: boolean;
  constructor(clientTaken: boolean, guardTaken: boolean) {
    super('conflict', guardTaken ? 'the client already has an open session on this channel' : 'the client was created concurrently');
    this.clientTaken = clientTaken;
    this.guardTaken = guardTaken;
  }
}

/** Writes a new session with its client (if new), guard and first messages, atomically. */
export async function insertSession(write: OpenSessionWrite): Promise<void> {
  const { session, newClient, guard } = write;
  const items: TransactItem[] = [];
  if (newClient) {
    items.push(putNew(clientItem(newClient)));
    items.push(
      putNew({
        ...accountGuardKey(newClient._channel, newClient._username),
        entity: 'guard',
        clientId: newClient.__id,
      }),
    );
  }
  const guardIndex = items.length;
  const guardItem = { ...openSessionGuardKey(session._channel, session._clients[0]!), entity: 'guard', sessionId: session.__id };
  if (guard === 'exclusive') items.push(putNew(guardItem));
  if (guard === 'latest') items.push({ Put: { TableName: tableName(), Item: guardItem } });
  if (guard === 'spam') {
    items.push({
      Put: {
        TableName: tableName(),
        Item: { ...spamSessionGuardKey(session._channel, session._clients[0]!), entity: 'guard', sessionId: session.__id },
        ConditionExpression: write.staleSpamSession ? 'attribute_not_exists(pk) OR sessionId = :stale' : 'attribute_not_exists(pk)',
        ...(write.staleSpamSession ? { ExpressionAttributeValues: { ':stale': write.staleSpamSession } } : {}),
      },
    });
  }
  const outbox = write.outbox ?? outboxFor(write.messages);
  items.push(putNew({ ...write.attributes, ...sessionItem(session), [OUTBOX_SEQUENCE]: outbox.length, [OUTBOX_ENTRIES]: outbox }));
  for (const message of write.messages) items.push(putNew(messageItem(message)));
  items.push(...(write.extra ?? []));
  await transact(items, 'the session could not be opened', (reasons) => {
    const clientTaken = newClient ? conditionFailedAt(reasons, 1) : false;
    const guardTaken = guard === 'exclusive' && conditionFailedAt(reasons, guardIndex);
    return clientTaken || guardTaken ? new OpenSessionRace(clientTaken, guardTaken) : undefined;
  });
}

/**
 * Appends messages to an open session and stamps its activity, atomically; refused (conflict)
 * when the session is no longer in one of `states`.
 */
export async function appendMessages(
  session: Session,
  messages: Message[],
  states: readonly string[],
  extra: TransactItem[] = [],
  outbox: OutboxEntry[] = outboxFor(messages),
  attributes?: SessionAttributes,
): Promise<void> {
  const now = messages[messages.length - 1]?.__createdAt ?? new Date().toISOString();
  const stateValues = Object.fromEntries(states.map((s, i) => [`:s${i}`, s]));
  const change = changeIndexUpdate(session.__id, now);
  const more = attributeClauses(attributes);
  await transact(
    [
      {
        Update: {
          TableName: tableName(),
          Key: sessionKey(session.__id),
          // The change index (gsi5) follows the last message too, so the next metrics run
          // recomputes this session (lib/app/metrics/aggregate.ts).
          UpdateExpression: `SET #la = :now, ${change.set}, #out = :out${more.set} ADD #seq :n${more.remove}`,
          ConditionExpression: `#st IN (${Object.keys(stateValues).join(', ')})`,
          ExpressionAttributeNames: { '#la': '_lastActivityAt', '#st': '_state', ...change.names, ...OUTBOX_NAMES, ...more.names },
          ExpressionAttributeValues: { ':now': now, ':out': outbox, ':n': outbox.length, ...change.values, ...stateValues, ...more.values },
        },
      },
      ...messages.map((m) => putNew(messageItem(m))),
      ...extra,
    ],
    'the session is no longer open',
  );
}

export interface SessionChangeWrite {
  before: Session;
  after: Session;
  messages: Message[];
  /** Guard writes that go with the change (release on close/spam, retake on unspam). */
  guardItems?: TransactItem[];
  /** The 409 detail when a guard item's condition fails (e.g. the client opened another session). */
  guardConflict?: string;
  extra?: TransactItem[];
  /** The events of this change (default: from its messages, see lib/domain/events/outbox.ts). */
  outbox?: OutboxEntry[];
  /** Routing (issue 14): conditional items (operator counts) whose failure is a 409 with its own detail. */
  checks?: { item: TransactItem; conflict: string }[];
  /** Hidden attributes of the session item to set and remove (the timer state, lib/timers). */
  attributes?: SessionAttributes;
}

const OUTBOX_NAMES = { '#out': OUTBOX_ENTRIES, '#seq': OUTBOX_SEQUENCE };

/**
 * Attributes of the session item outside the Session object that a write sets and removes
 * along with its change (the timer state of lib/timers), and an extra condition (a timer firing
 * requires its clock to be still the one it was set for).
 */
export interface SessionAttributes {
  set: Record<string, unknown>;
  remove: string[];
  condition?: { expression: string; names: Record<string, string>; values: Record<string, unknown> };
}
/** `attributes` as clauses to append to an update: `, #x0 = :x0…` after SET, ` REMOVE …` at the end. */
function attributeClauses(attributes: SessionAttributes | undefined) {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const sets: string[] = [];
  const removes: string[] = [];
  Object.entries(attributes?.set ?? {}).forEach(([attribute, value], i) => {
    names[`#x${i}`] = attribute;
    values[`:x${i}`] = value;
    sets.push(`#x${i} = :x${i}`);
  });
  (attributes?.remove ?? []).forEach((attribute, i) => {
    names[`#y${i}`] = attribute;
    removes.push(`#y${i}`);
  });
  return {
    set: sets.length ? `, ${sets.join(', ')}` : '',
    remove: removes.length ? ` REMOVE ${removes.join(', ')}` : '',
    /** Joined to a REMOVE clause that is already there. */
    removeMore: removes.length ? `, ${removes.join(', ')}` : '',
    names: { ...names, ...attributes?.condition?.names },
    values: { ...values, ...attributes?.condition?.values },
    condition: attributes?.condition ? ` AND (${attributes.condition.expression})` : '',
  };
}

/**
 * The session item moved from `before` to `after` as an UpdateItem at the version it was read
 * at: the attributes that changed SET (an unchanged index key is not rewritten, and a message
 * appended meanwhile keeps its `_lastActivityAt`), the ones `after` no longer has (an index key
 * that fell away) REMOVEd, and the outbox (`evOut`, `evSeq` ADDed) — an update rather than a
 * Put, so that messages appended concurrently (which only ADD to `evSeq`) never make a command
 * lose its race.
 */
export function updateSessionAtVersion(before: Session, after: Session, outbox: OutboxEntry[], attributes?: SessionAttributes): TransactItem {
  const next: Item = sessionItem(after);
  const previous: Item = sessionItem(before);
  const names: Record<string, string> = { ...OUTBOX_NAMES, '#ver': '_version' };
  const values: Record<string, unknown> = { ':out': outbox, ':n': outbox.length, ':readVersion': before._version };
  const sets: string[] = ['#out = :out'];
  let i = 0;
  for (const [attribute, value] of Object.entries(next)) {
    if (attribute === 'pk' || attribute === 'sk') continue;
    if (attribute in previous && JSON.stringify(previous[attribute]) === JSON.stringify(value)) continue;
    names[`#a${i}`] = attribute;
    values[`:a${i}`] = value;
    sets.push(`#a${i} = :a${i}`);
    i++;
  }
  const removes: string[] = [];
  for (const attribute of Object.keys(previous)) {
    if (attribute in next) continue;
    names[`#r${removes.length}`] = attribute;
    removes.push(`#r${removes.length}`);
  }
  const more = attributeClauses(attributes);
  return {
    Update: {
      TableName: tableName(),
      Key: sessionKey(after.__id),
      UpdateExpression: `SET ${sets.join(', ')}${more.set} ADD #seq :n${removes.length ? ` REMOVE ${removes.join(', ')}${more.removeMore}` : more.remove}`,
      ConditionExpression: `#ver = :readVersion${more.condition}`,
      ExpressionAttributeNames: { ...names, ...more.names },
      ExpressionAttributeValues: { ...values, ...more.values },
    },
  };
}

/**
 * Replaces a session at the version it was read at, with its history messages and guard
 * changes, in one transaction. A concurrent change makes it a conflict (409).
 */
export async function commitSessionChange(write: SessionChangeWrite, conflictDetail = 'the session was changed concurrently'): Promise<void> {
  const guardStart = 1 + write.messages.length;
  const guardCount = write.guardItems?.length ?? 0;
  const checks = write.checks ?? [];
  const checkStart = guardStart + guardCount;
  await transact(
    [
      updateSessionAtVersion(write.before, write.after, write.outbox ?? outboxFor(write.messages), write.attributes),
      ...write.messages.map((m) => putNew(messageItem(m))),
      ...(write.guardItems ?? []),
      ...checks.map((c) => c.item),
      ...(write.extra ?? []),
    ],
    conflictDetail,
    (reasons) => {
      if (reasons[0] !== undefined) return undefined;
      const check = checks.find((_, i) => conditionFailedAt(reasons, checkStart + i));
      if (check) return new ChatlinesError('conflict', check.conflict);
      if (!write.guardConflict) return undefined;
      const guardFailed = Array.from({ length: guardCount }, (_, i) => guardStart + i).some((i) => conditionFailedAt(reasons, i));
      return guardFailed ? new ChatlinesError('conflict', write.guardConflict) : undefined;
    },
  );
}

/**
 * Appends a staff message (reply or system note) to a session and stamps its activity, in one
 * transaction, only while the session is still at the version it was read at: a reply never
 * lands on a session that was reassigned or closed in the meantime. Does not bump the version
 * (a message is not a change of the session), so replies never race with each other.
 */
export async function appendStaffMessage(
  session: Session,
  message: Message,
  extra: TransactItem[] = [],
  outbox: OutboxEntry[] = outboxFor([message]),
  attributes?: SessionAttributes,
): Promise<void> {
  const change = changeIndexUpdate(session.__id, message.__createdAt);
  const more = attributeClauses(attributes);
  await transact(
    [
      {
        Update: {
          TableName: tableName(),
          Key: sessionKey(session.__id),
          // The change index (gsi5) follows the reply, so the next metrics run recomputes the session.
          UpdateExpression: `SET #la = :now, ${change.set}, #out = :out${more.set} ADD #seq :n${more.remove}`,
          ConditionExpression: '#v = :v',
          ExpressionAttributeNames: { '#la': '_lastActivityAt', '#v': '_version', ...change.names, ...OUTBOX_NAMES, ...more.names },
          ExpressionAttributeValues: {
            ':now': message.__createdAt,
            ':v': session._version,
            ':out': outbox,
            ':n': outbox.length,
            ...change.values,
            ...more.values,
          },
        },
      },
      putNew(messageItem(message)),
      ...extra,
    ],
    'the session was changed concurrently; read it again',
  );
}

/**
 * Writes only the given items (a command that changes nothing still records its idempotency
 * record, so a repeat answers the same). No-op without items.
 */
export async function writeOnly(items: TransactItem[]): Promise<void> {
  if (items.length > 0) await transact(items, 'a concurrent request with the same Idempotency-Key won');
}

const channelTypeCache = new TtlCache<Channel['_type']>(Number.POSITIVE_INFINITY, 10_000);
/**
 * The type of a channel. Types never change, so an instance reads each channel once: the
 * spam rule and the guard mode of close/spam/unspam then cost no read of their own.
 */
export async function channelTypeCached(id: string): Promise<Channel['_type']> {
  const hit = channelTypeCache.get(id);
  if (hit) return hit.value;
  const channel = await getChannel(id);
  channelTypeCache.set(id, channel._type);
  return channel._type;
}

/** Releases the open-session guard if it still points at this session. */
export function releaseOpenGuard(session: Session): TransactItem {
  return {
    Delete: {
      TableName: tableName(),
      Key: openSessionGuardKey(session._channel, session._clients[0]!),
      ConditionExpression: 'attribute_not_exists(pk) OR sessionId = :id',
      ExpressionAttributeValues: { ':id': session.__id },
    },
  };
}

/** Takes the open-session guard for this session (must be free unless `latest`). */
export function takeOpenGuard(session: Session, latest: boolean): TransactItem {
  const item = { ...openSessionGuardKey(session._channel, session._clients[0]!), entity: 'guard', sessionId: session.__id };
  return latest ? { Put: { TableName: tableName(), Item: item } } : putNew(item);
}

/** A Put that replaces an item only while it is as it was read (its `__updatedAt`): optimistic concurrency for objects without a version. */
function putUnchangedSince(item: Item, updatedAt: string): TransactItem {
  return {
    Put: {
      TableName: tableName(),
      Item: item,
      ConditionExpression: '#u = :u',
      ExpressionAttributeNames: { '#u': '__updatedAt' },
      ExpressionAttributeValues: { ':u': updatedAt },
    },
  };
}

export async function updateClient(before: Client, after: Client, extra: TransactItem[] = []): Promise<void> {
  await transact([putUnchangedSince(clientItem(after), before.__updatedAt), ...extra], 'the client was changed concurrently');
}

export async function updateChannel(before: Channel, after: Channel, extra: TransactItem[] = []): Promise<void> {
  await transact(
    [
      {
        Put: {
          TableName: tableName(),
          Item: channelItem(after),
          ConditionExpression: '#s = :s AND #u = :u',
          ExpressionAttributeNames: { '#s': '_state', '#u': '__updatedAt' },
          ExpressionAttributeValues: { ':s': before._state, ':u': before.__updatedAt },
        },
      },
      ...extra,
    ],
    'the channel was changed concurrently',
  );
  forgetChannel(after.__id);
}

/** How long a function instance trusts a line it has read (lines change rarely; admins only). */
export const LINE_CACHE_MS = 60_000;
const lineCache = new TtlCache<Line>(LINE_CACHE_MS);
/**
 * A line, from this instance's cache when read in the last minute: session reads then cost one
 * GetItem (the session) instead of two.
 */
export async function getLineCached(id: string): Promise<Line> {
  const hit = lineCache.get(id);
  if (hit) return hit.value;
  const line = await getLine(id);
  lineCache.set(id, line);
  return line;
}

/** Drops a line from this instance's cache (after this instance changed it). */
export function forgetLine(id: string): void {
  lineCache.delete(id);
}

/** Replaces a line at the `__updatedAt` it was read at (a concurrent change: 409). */
export async function replaceLine(before: Line, after: Line, extra: TransactItem[] = []): Promise<void> {
  await transact([putUnchangedSince(lineItem(after), before.__updatedAt), ...extra], 'the line was changed concurrently; read it again');
  forgetLine(after.__id);
}
