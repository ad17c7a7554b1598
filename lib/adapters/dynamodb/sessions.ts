/**
 * The session repository: the session item, its messages and its guards. It owns the hidden
 * attributes of the session item — the outbox (`evOut`, `evSeq`) and the timer state (`tm…`) —
 * and the one builder of the session item's update expressions. What those attributes hold is
 * decided by the rules (lib/domain/events/outbox.ts, lib/domain/timers/clocks.ts); this module
 * only writes what it is given and reads it back.
 *
 * Every write that depends on a state is conditional, and every change that touches several
 * items (session + history + guards + idempotency record) is one TransactWriteItems call.
 */

import { ChatlinesError, notFound } from '../../contract/errors.ts';
import { type Channel, type Client, type Message, type Operator, type Session, SessionSchema } from '../../contract/schemas.ts';
import { conditionFailedAt, getItem, getItems, type Item, putNew, queryPage, queryPages, type TransactItem, tableName, transact } from './db.ts';
import { clientItem, messageItem, read, readClient, readMessage, readOperator } from './items.ts';
import {
  accountGuardKey,
  changeIndexKeys,
  clientKey,
  clientSessionsPartition,
  externalIdGuardKey,
  INDEX,
  MESSAGE_PREFIX,
  messageSortKey,
  openSessionGuardKey,
  operatorKey,
  sessionIdOfKey,
  sessionIndexKeys,
  sessionKey,
  spamSessionGuardKey,
} from './keys.ts';
import { getChannelWith } from './lines.ts';
import { keyAttributesOf } from './table.ts';

// ------------------------------------------------------------------- hidden attributes

/** Attribute names of the outbox on the session item (not part of the Session object: stripped on read). */
const OUTBOX_SEQUENCE = 'evSeq';
const OUTBOX_ENTRIES = 'evOut';

/**
 * The timer state of a session as stored: the fields of `TimerState` (lib/domain/timers/state.ts).
 * `clocks` holds each running clock's due-item sort key, `fired` the cycle each clock last fired for.
 */
export interface StoredTimers {
  firstReplyAt: string | null;
  lastReplyAt: string | null;
  waitingSince: string | null;
  clientAt: string | null;
  heldSince: string | null;
  clocks: { readonly [policy: string]: string | undefined };
  fired: { readonly [policy: string]: string | undefined };
}

/**
 * The key of the timer state on a session as this repository reads it. A symbol: a copy of the
 * session (`{ ...session }`) keeps it, and no JSON answer or event ever shows it.
 */
export const TIMERS: unique symbol = Symbol('timers');
/** A session as read from the table: the Session object and, beside its fields, its timer state. */
export type StoredSession = Session & { readonly [TIMERS]?: StoredTimers };
/** The timer state of a session as it was read (undefined for a session built in memory). */
export const timersOf = (session: StoredSession | null | undefined): StoredTimers | undefined => session?.[TIMERS];

const TIMER_SCALARS = {
  firstReplyAt: 'tmFirstReply',
  lastReplyAt: 'tmLastReply',
  waitingSince: 'tmWaiting',
  clientAt: 'tmClient',
  heldSince: 'tmHeld',
} as const;
const CLOCK_PREFIX = 'tmClock_';
const FIRED_PREFIX = 'tmFired_';
/** The session item attribute holding the due-item sort key of a running clock. */
const clockAttribute = (policy: string) => `${CLOCK_PREFIX}${policy}`;

/** The timer state as session item attributes (absent = null). */
export function timerAttributes(state: StoredTimers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, attribute] of Object.entries(TIMER_SCALARS)) {
    const value = state[field as keyof typeof TIMER_SCALARS];
    if (value) out[attribute] = value;
  }
  for (const [policy, clock] of Object.entries(state.clocks)) if (clock) out[clockAttribute(policy)] = clock;
  for (const [policy, fired] of Object.entries(state.fired)) if (fired) out[`${FIRED_PREFIX}${policy}`] = fired;
  return out;
}

/** The timer state stored on a session item. */
export function timerStateFromItem(item: Record<string, unknown>): StoredTimers {
  const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : null);
  const clocks: Record<string, string> = {};
  const fired: Record<string, string> = {};
  for (const [attribute, value] of Object.entries(item)) {
    const text = str(value);
    if (!text) continue;
    if (attribute.startsWith(CLOCK_PREFIX)) clocks[attribute.slice(CLOCK_PREFIX.length)] = text;
    if (attribute.startsWith(FIRED_PREFIX)) fired[attribute.slice(FIRED_PREFIX.length)] = text;
  }
  return {
    firstReplyAt: str(item[TIMER_SCALARS.firstReplyAt]),
    lastReplyAt: str(item[TIMER_SCALARS.lastReplyAt]),
    waitingSince: str(item[TIMER_SCALARS.waitingSince]),
    clientAt: str(item[TIMER_SCALARS.clientAt]),
    heldSince: str(item[TIMER_SCALARS.heldSince]),
    clocks,
    fired,
  };
}

/** What to SET and REMOVE on the session item to go from one timer state to another. */
export interface AttributeChanges {
  set: Record<string, unknown>;
  remove: string[];
}
export function attributeChanges(before: StoredTimers, after: StoredTimers): AttributeChanges {
  const a = timerAttributes(before);
  const b = timerAttributes(after);
  const set: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(b)) if (a[k] !== v) set[k] = v;
  const remove = Object.keys(a).filter((k) => !(k in b));
  return { set, remove };
}

/** A session's timer state moving from what was read to what the rule computed. */
export interface TimersChange {
  before: StoredTimers;
  after: StoredTimers;
}

export const sessionItem = (session: Session): Item & { _version: number } => ({
  ...sessionKey(session.__id),
  ...sessionIndexKeys(session),
  entity: 'session',
  ...session,
});
/** A session item as the Session object, with its timer state beside it ({@link TIMERS}). */
export const readSession = (item: Item): StoredSession => ({ ...read(SessionSchema, item, 'session'), [TIMERS]: timerStateFromItem(item) });

/** A session item's outbox: its sequence number and the entries of the write that made it. */
export const outboxOfItem = (item: Item): { sequence: number; entries: unknown[] } => ({
  sequence: Number(item[OUTBOX_SEQUENCE] ?? 0),
  entries: (item[OUTBOX_ENTRIES] ?? []) as unknown[],
});

// ------------------------------------------------------------------ update expressions

/**
 * The one builder of the session item's UpdateItem: every clause gets placeholders of its own,
 * the outbox is SET and its sequence ADDed, the timer attributes SET and REMOVEd, conditions
 * ANDed. Every write of the session item that is not a Put goes through it.
 */
export class SessionUpdate {
  readonly #names: Record<string, string> = {};
  readonly #values: Record<string, unknown> = {};
  readonly #sets: string[] = [];
  readonly #adds: string[] = [];
  readonly #removes: string[] = [];
  readonly #conditions: string[] = [];
  #n = 0;

  constructor(readonly sessionId: string) {}

  /** The placeholder of an attribute name (one per name, however often it is used). */
  name(attribute: string): string {
    const known = Object.entries(this.#names).find(([, name]) => name === attribute)?.[0];
    if (known) return known;
    const placeholder = `#a${this.#n++}`;
    this.#names[placeholder] = attribute;
    return placeholder;
  }
  value(value: unknown): string {
    const placeholder = `:v${this.#n++}`;
    this.#values[placeholder] = value;
    return placeholder;
  }
  set(attribute: string, value: unknown): this {
    this.#sets.push(`${this.name(attribute)} = ${this.value(value)}`);
    return this;
  }
  remove(attribute: string): this {
    this.#removes.push(this.name(attribute));
    return this;
  }
  /** The events of this write: `evOut` set to them, `evSeq` ADDed their number. */
  outbox(entries: readonly object[]): this {
    this.set(OUTBOX_ENTRIES, entries);
    this.#adds.push(`${this.name(OUTBOX_SEQUENCE)} ${this.value(entries.length)}`);
    return this;
  }
  /** The change index (gsi5) follows this write, so the next metrics run recomputes the session. */
  changedAt(at: string): this {
    for (const [attribute, value] of Object.entries(changeIndexKeys(this.sessionId, at))) this.set(attribute, value);
    return this;
  }
  /** The timer attributes that move from one state to the other. */
  timers(change: TimersChange | undefined): this {
    if (!change) return this;
    const { set, remove } = attributeChanges(change.before, change.after);
    for (const [attribute, value] of Object.entries(set)) this.set(attribute, value);
    for (const attribute of remove) this.remove(attribute);
    return this;
  }
  /** A condition, written with `#name`/`:value` placeholders that {@link name} and {@link value} made. */
  condition(expression: string): this {
    this.#conditions.push(expression);
    return this;
  }
  /** The clock condition of a timer firing: the session's clock still names this due item. */
  clockIs(policy: string, sortKey: string): this {
    return this.condition(`${this.name(clockAttribute(policy))} = ${this.value(sortKey)}`);
  }
  /** Removes a clock from the session item (a clock spent without effect). */
  stopClock(policy: string): this {
    return this.remove(clockAttribute(policy));
  }

  item(): TransactItem {
    const clauses = [
      this.#sets.length ? `SET ${this.#sets.join(', ')}` : '',
      this.#adds.length ? `ADD ${this.#adds.join(', ')}` : '',
      this.#removes.length ? `REMOVE ${this.#removes.join(', ')}` : '',
    ].filter(Boolean);
    const hasValues = Object.keys(this.#values).length > 0;
    return {
      Update: {
        TableName: tableName(),
        Key: sessionKey(this.sessionId),
        UpdateExpression: clauses.join(' '),
        ...(this.#conditions.length ? { ConditionExpression: this.#conditions.map((c) => `(${c})`).join(' AND ') } : {}),
        ExpressionAttributeNames: this.#names,
        ...(hasValues ? { ExpressionAttributeValues: this.#values } : {}),
      },
    };
  }
}

/** A new builder of an update of this session's item. */
export const sessionUpdate = (sessionId: string) => new SessionUpdate(sessionId);

// ------------------------------------------------------------------------------- reads

export async function findSession(id: string): Promise<StoredSession | undefined> {
  const item = await getItem(sessionKey(id));
  return item && readSession(item);
}
export async function getSession(id: string): Promise<StoredSession> {
  const found = await findSession(id);
  if (!found) throw notFound('session', id);
  return found;
}

/**
 * A session and some operator records in one round trip (BatchGetItem): what a session
 * command needs to decide. Missing operators are left out; a missing session is 404.
 */
export async function getSessionWithOperators(id: string, operatorIds: string[]): Promise<{ session: StoredSession; operators: Operator[] }> {
  const [found, ...operatorItems] = await getItems([sessionKey(id), ...operatorIds.map((o) => operatorKey(o))]);
  if (!found) throw notFound('session', id);
  return { session: readSession(found), operators: operatorItems.filter((i) => i !== undefined).map((i) => readOperator(i)) };
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
  session: StoredSession | undefined;
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

/** The newest session of a client's chain (gsi3), read from the index. */
export async function latestSessionOfClient(clientId: string): Promise<StoredSession | undefined> {
  const item = await newestOfChain(clientId, false);
  return item && readSession(item);
}

/** Messages of a session in order: `from` skipped, then up to `size`. One Query per 1 MB page. */
export async function listMessages(sessionId: string, from: number, size: number): Promise<Message[]> {
  const out: Message[] = [];
  let skipped = 0;
  const pages = queryPages(
    {
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :msg)',
      ExpressionAttributeValues: { ':pk': sessionKey(sessionId).pk, ':msg': MESSAGE_PREFIX },
      ConsistentRead: true,
    },
    () => Math.min(from - skipped + size - out.length, 10_000),
  );
  for await (const page of pages) {
    for (const item of page.items) {
      if (skipped < from) skipped += 1;
      else if (out.length < size) out.push(readMessage(item));
    }
    if (out.length >= size) break;
  }
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
  /** The events of this write (lib/domain/events/outbox.ts). */
  outbox: readonly object[];
  /** The timer state of the new session. */
  timers?: StoredTimers;
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
  const timers = write.timers ? timerAttributes(write.timers) : {};
  items.push(putNew({ ...timers, ...sessionItem(session), [OUTBOX_SEQUENCE]: write.outbox.length, [OUTBOX_ENTRIES]: write.outbox }));
  for (const message of write.messages) items.push(putNew(messageItem(message)));
  items.push(...(write.extra ?? []));
  await transact(items, 'the session could not be opened', (reasons) => {
    const clientTaken = newClient ? conditionFailedAt(reasons, 1) : false;
    const guardTaken = guard === 'exclusive' && conditionFailedAt(reasons, guardIndex);
    return clientTaken || guardTaken ? new OpenSessionRace(clientTaken, guardTaken) : undefined;
  });
}

/** What a write adds to the session item besides its own change: its events and its timer state. */
export interface SessionSideWrites {
  /** The events of this write (lib/domain/events/outbox.ts). */
  outbox: readonly object[];
  /** The timer state moving from what was read to what the timer rule computed. */
  timers?: TimersChange | undefined;
}

/**
 * Appends messages to an open session and stamps its activity, atomically; refused (conflict)
 * when the session is no longer in one of `states`, or its client was erased.
 */
export async function appendMessages(
  session: Session,
  messages: Message[],
  states: readonly string[],
  side: SessionSideWrites,
  extra: TransactItem[] = [],
): Promise<void> {
  const now = messages[messages.length - 1]?.__createdAt ?? new Date().toISOString();
  const update = sessionUpdate(session.__id).set('_lastActivityAt', now).changedAt(now).outbox(side.outbox).timers(side.timers);
  const state = update.name('_state');
  update.condition(`${state} IN (${states.map((s) => update.value(s)).join(', ')})`);
  // A session whose client was erased takes no more of its messages (lib/adapters/dynamodb/clients.ts).
  update.condition(`attribute_not_exists(${update.name('clientErased')})`);
  await transact([update.item(), ...messages.map((m) => putNew(messageItem(m))), ...extra], 'the session is no longer open');
}

export interface SessionChangeWrite extends SessionSideWrites {
  before: Session;
  after: Session;
  messages: Message[];
  /** Guard writes that go with the change (release on close/spam, retake on unspam). */
  guardItems?: TransactItem[];
  /** The 409 detail when a guard item's condition fails (e.g. the client opened another session). */
  guardConflict?: string;
  extra?: TransactItem[];
  /** Conditional items (operator counts) whose failure is a 409 with its own detail. */
  checks?: { item: TransactItem; conflict: string }[];
}

/**
 * The session item moved from `before` to `after` as an UpdateItem at the version it was read
 * at: the attributes that changed SET (an unchanged index key is not rewritten, and a message
 * appended meanwhile keeps its `_lastActivityAt`), the ones `after` no longer has (an index key
 * that fell away) REMOVEd, and the outbox (`evOut`, `evSeq` ADDed) — an update rather than a
 * Put, so that messages appended concurrently (which only ADD to `evSeq`) never make a command
 * lose its race. The update is returned to add more to it (a timer's clock condition).
 */
export function updateSessionAtVersion(before: Session, after: Session, side: SessionSideWrites): SessionUpdate {
  const next: Item = sessionItem(after);
  const previous: Item = sessionItem(before);
  const update = sessionUpdate(after.__id).outbox(side.outbox);
  for (const [attribute, value] of Object.entries(next)) {
    if (attribute === 'pk' || attribute === 'sk') continue;
    if (attribute in previous && JSON.stringify(previous[attribute]) === JSON.stringify(value)) continue;
    update.set(attribute, value);
  }
  for (const attribute of Object.keys(previous)) if (!(attribute in next)) update.remove(attribute);
  update.timers(side.timers);
  return update.condition(`${update.name('_version')} = ${update.value(before._version)}`);
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
  await transact(sessionChangeItems(write), conflictDetail, (reasons) => {
    if (reasons[0] !== undefined) return undefined;
    const check = checks.find((_, i) => conditionFailedAt(reasons, checkStart + i));
    if (check) return new ChatlinesError('conflict', check.conflict);
    if (!write.guardConflict) return undefined;
    const guardFailed = Array.from({ length: guardCount }, (_, i) => guardStart + i).some((i) => conditionFailedAt(reasons, i));
    return guardFailed ? new ChatlinesError('conflict', write.guardConflict) : undefined;
  });
}

/** The items of one session change, in the order `commitSessionChange` writes them. */
function sessionChangeItems(write: SessionChangeWrite): TransactItem[] {
  return [
    updateSessionAtVersion(write.before, write.after, write).item(),
    ...write.messages.map((m) => putNew(messageItem(m))),
    ...(write.guardItems ?? []),
    ...(write.checks ?? []).map((c) => c.item),
    ...(write.extra ?? []),
  ];
}

/** How many items a session change writes (DynamoDB takes at most 100 per transaction). */
export const sessionChangeSize = (write: SessionChangeWrite): number => sessionChangeItems(write).length;

/** What became of several session changes written together. */
export type BatchCommit = 'written' | 'condition-failed' | 'lost-race';

/**
 * Several session changes and the items they share (one operator count for all of its sessions)
 * in one transaction: all of them or none. `condition-failed`: something was no longer as read
 * (nothing written); `lost-race`: only a concurrent transaction on one of the items won (nothing
 * written, and nothing failed as read: the same write may be tried again).
 */
export async function commitSessionChanges(writes: readonly SessionChangeWrite[], shared: readonly TransactItem[]): Promise<BatchCommit> {
  let outcome: BatchCommit = 'condition-failed';
  try {
    await transact([...writes.flatMap(sessionChangeItems), ...shared], 'a session or an operator was changed concurrently', (reasons) => {
      outcome = reasons.includes('ConditionalCheckFailed') ? 'condition-failed' : 'lost-race';
      return undefined;
    });
    return 'written';
  } catch (error) {
    if (error instanceof ChatlinesError && error.kind === 'conflict') return outcome;
    throw error;
  }
}

/**
 * Appends a staff message (reply or system note) to a session and stamps its activity, in one
 * transaction, only while the session is still at the version it was read at: a reply never
 * lands on a session that was reassigned or closed in the meantime. Does not bump the version
 * (a message is not a change of the session), so replies never race with each other.
 */
export async function appendStaffMessage(session: Session, message: Message, side: SessionSideWrites, extra: TransactItem[] = []): Promise<void> {
  const update = sessionUpdate(session.__id).set('_lastActivityAt', message.__createdAt).changedAt(message.__createdAt).outbox(side.outbox).timers(side.timers);
  update.condition(`${update.name('_version')} = ${update.value(session._version)}`);
  await transact([update.item(), putNew(messageItem(message)), ...extra], 'the session was changed concurrently; read it again');
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

// ------------------------------------------------------------ inbound dedup by the messenger's id

/** What a channel's message with a given messenger id became: written with the message itself. */
export interface ExternalIdRef {
  sessionId: string;
  messageId: string;
  clientId: string;
}

/**
 * The guard of an inbound message's messenger id, in the message's own transaction: a retried or
 * raced duplicate fails its condition, so it adds nothing, and finds the original through it.
 */
export const externalIdGuard = (channelId: string, externalId: string, ref: ExternalIdRef): TransactItem =>
  putNew({ ...externalIdGuardKey(channelId, externalId), entity: 'guard', ...ref });

/** The message a channel already took with this messenger id, if any (a strongly consistent read). */
export async function findExternalId(channelId: string, externalId: string): Promise<ExternalIdRef | undefined> {
  const item = await getItem(externalIdGuardKey(channelId, externalId));
  if (!item) return undefined;
  return { sessionId: String(item.sessionId), messageId: String(item.messageId), clientId: String(item.clientId) };
}

/** The session, client and message a guard names, in one BatchGetItem; undefined if one is gone. */
export async function readExternalIdRef(ref: ExternalIdRef): Promise<{ session: StoredSession; client: Client; message: Message } | undefined> {
  const [session, client, message] = await getItems([
    sessionKey(ref.sessionId),
    clientKey(ref.clientId),
    { pk: sessionKey(ref.sessionId).pk, sk: messageSortKey(ref.messageId) },
  ]);
  if (!session || !client || !message) return undefined;
  return { session: readSession(session), client: readClient(client), message: readMessage(message) };
}
