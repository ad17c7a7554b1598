/**
 * A client's data on request: the reads of an export (the client's chain of sessions on gsi3,
 * each session's messages in its own partition) and the writes of an erasure, which runs in
 * resumable steps keyed by the erasure item (pattern 37):
 *
 * 1. one transaction: the client item replaced by its tombstone (out of the channel's client
 *    indexes, so no search finds it), its account guard deleted (the account's next message
 *    makes a new client), the erasure item written `running`;
 * 2. per session of the chain: the session item marked `clientErased` (an inbound append's
 *    condition refuses such a session from then on), then its messages' bodies, files and
 *    external ids cleared in transactions of up to 100, and its live event log items deleted;
 * 3. the erasure item set `done`: its stream record is the `client.erased` event.
 *
 * Every step is idempotent, so a call interrupted anywhere is finished by calling again.
 */
import { isConflict } from '../../contract/errors.ts';
import { type Client, type ClientErasure, ClientErasureSchema, type Message } from '../../contract/schemas.ts';
import { batchWrite, getItem, type Item, putNew, queryPage, type TransactItem, tableName, transact } from './db.ts';
import { readMessage } from './items.ts';
import { accountGuardKey, clientKey, clientSessionsPartition, erasureKey, eventLogKey, INDEX, MESSAGE_PREFIX, sessionKey } from './keys.ts';
import { outboxOfItem, readSession, type StoredSession } from './sessions.ts';
import { keyAttributesOf } from './table.ts';

/** The session item attribute that marks a session whose client was erased (not part of the Session object). */
export const CLIENT_ERASED = 'clientErased';
/** The erasure item's `entity`: the stream filter lets its records through (its `done` is the `client.erased` event). */
export const ERASURE_ENTITY = 'erasure';

export const readErasure = (item: Item): ClientErasure => ClientErasureSchema.parse(item);

/** A client's erasure as recorded, with the line and channel its event names. */
export async function findErasure(clientId: string): Promise<ClientErasure | undefined> {
  const item = await getItem(erasureKey(clientId));
  return item && readErasure(item);
}

/** A page of a client's chain of sessions (gsi3), oldest first; `after` continues a page. */
export async function clientSessionsPage(
  clientId: string,
  limit: number,
  after?: Record<string, unknown>,
): Promise<{ sessions: { session: StoredSession; item: Item }[]; next: Record<string, unknown> | undefined }> {
  const page = await queryPage(chainQuery(clientId, limit, after, false));
  return { sessions: page.items.map((item) => ({ session: readSession(item), item })), next: page.lastKey };
}

/** Skips `count` sessions of a client's chain reading keys only; where the chain goes on after them (undefined: from its start, or `done`). */
export async function skipClientSessions(clientId: string, count: number): Promise<{ after: Record<string, unknown> | undefined; done: boolean }> {
  let after: Record<string, unknown> | undefined;
  let left = count;
  while (left > 0) {
    const page = await queryPage(chainQuery(clientId, Math.min(left, 1_000), after, true));
    left -= page.items.length;
    after = page.lastKey;
    if (!after) return { after: undefined, done: true };
  }
  return { after, done: false };
}

const chainQuery = (clientId: string, limit: number, after: Record<string, unknown> | undefined, keysOnly: boolean) => ({
  IndexName: INDEX.clientSessions,
  KeyConditionExpression: '#pk = :pk',
  ExpressionAttributeNames: { '#pk': keyAttributesOf(INDEX.clientSessions).pk },
  ExpressionAttributeValues: { ':pk': clientSessionsPartition(clientId) },
  Limit: limit,
  keysOnly,
  ...(after ? { ExclusiveStartKey: after } : {}),
});

/** A page of a session's messages in order; `after` continues a page. */
export async function messagesPage(
  sessionId: string,
  limit: number,
  after?: Record<string, unknown>,
): Promise<{ messages: Message[]; next: Record<string, unknown> | undefined }> {
  const page = await queryPage({
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :msg)',
    ExpressionAttributeValues: { ':pk': sessionKey(sessionId).pk, ':msg': MESSAGE_PREFIX },
    ConsistentRead: true,
    Limit: limit,
    ...(after ? { ExclusiveStartKey: after } : {}),
  });
  return { messages: page.items.map(readMessage), next: page.lastKey };
}

/** The client item as its tombstone: no index keys (out of every search), no personal fields. */
function tombstoneItem(tombstone: Client): Item {
  return { ...clientKey(tombstone.__id), entity: 'client', ...tombstone };
}

/**
 * Step 1, one transaction: the tombstone over the client as it was read, its account guard
 * released (if it still names this client), the erasure item new. A concurrent change of the
 * client, or a concurrent erasure, is a 409 and writes nothing.
 */
export async function beginErasure(before: Client, tombstone: Client, erasure: ClientErasure, extra: TransactItem[] = []): Promise<void> {
  await transact(
    [
      {
        Put: {
          TableName: tableName(),
          Item: tombstoneItem(tombstone),
          ConditionExpression: '#u = :u',
          ExpressionAttributeNames: { '#u': '__updatedAt' },
          ExpressionAttributeValues: { ':u': before.__updatedAt },
        },
      },
      {
        Delete: {
          TableName: tableName(),
          Key: accountGuardKey(before._channel, before._username),
          ConditionExpression: 'attribute_not_exists(pk) OR clientId = :id',
          ExpressionAttributeValues: { ':id': before.__id },
        },
      },
      putNew({ ...erasureKey(before.__id), entity: ERASURE_ENTITY, line: before._line, channel: before._channel, ...erasure }),
      ...extra,
    ],
    'the client was changed or erased concurrently; call again',
  );
}

/** Step 2a: marks a session whose client is erased (idempotent; makes no event: its outbox is untouched). */
export async function markSessionClientErased(sessionId: string, clearRatingComment = false): Promise<void> {
  await transact(
    [
      {
        Update: {
          TableName: tableName(),
          Key: sessionKey(sessionId),
          // The rating's comment is the client's words; the score stays (metrics).
          UpdateExpression: clearRatingComment ? 'SET #e = :t, #r.#c = :null' : 'SET #e = :t',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#e': CLIENT_ERASED, ...(clearRatingComment ? { '#r': '_rating', '#c': 'comment' } : {}) },
          ExpressionAttributeValues: { ':t': true, ...(clearRatingComment ? { ':null': null } : {}) },
        },
      },
    ],
    'the session is gone',
  );
}

/** Step 2b: clears the bodies, files (ids and attachments) and external ids of these messages, 100 per transaction. */
export async function clearMessages(messages: readonly Message[]): Promise<void> {
  for (let start = 0; start < messages.length; start += 100) {
    const chunk = messages.slice(start, start + 100);
    await transact(
      chunk.map(
        (m): TransactItem => ({
          Update: {
            TableName: tableName(),
            Key: { pk: sessionKey(m.session).pk, sk: `${MESSAGE_PREFIX}${m.__id}` },
            UpdateExpression: 'SET #b = :empty, #f = :none, #a = :none, #x = :null',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeNames: { '#b': 'body', '#f': 'files', '#a': 'attachments', '#x': 'externalId' },
            ExpressionAttributeValues: { ':empty': '', ':none': [], ':null': null },
          },
        }),
      ),
      'a message was removed concurrently; call again',
    );
  }
}

/** Step 2b: rewrites history entries (a rating's, without its comment), 100 per transaction. */
export async function rewriteHistory(entries: readonly { message: Message; body: string; payload: Message['payload'] }[]): Promise<void> {
  for (let start = 0; start < entries.length; start += 100) {
    await transact(
      entries.slice(start, start + 100).map(
        ({ message, body, payload }): TransactItem => ({
          Update: {
            TableName: tableName(),
            Key: { pk: sessionKey(message.session).pk, sk: `${MESSAGE_PREFIX}${message.__id}` },
            UpdateExpression: 'SET #b = :b, #p = :p',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeNames: { '#b': 'body', '#p': 'payload' },
            ExpressionAttributeValues: { ':b': body, ':p': payload },
          },
        }),
      ),
      'a message was removed concurrently; call again',
    );
  }
}

/** Step 2c: deletes the live event log items of a session's events (they carry message bodies). */
export async function deleteSessionEventLog(item: Item): Promise<void> {
  const { sequence } = outboxOfItem(item);
  const sessionId = readSession(item).__id;
  const keys = Array.from({ length: sequence }, (_, i) => eventLogKey(`${sessionId}.${i + 1}`));
  await batchWrite([], keys);
}

/** Step 3: the erasure `done` (its stream record is the `client.erased` event); false when it was done already. */
export async function finishErasure(clientId: string, doneAt: string, counts: { sessions: number; messages: number }): Promise<boolean> {
  try {
    await transact(
      [
        {
          Update: {
            TableName: tableName(),
            Key: erasureKey(clientId),
            UpdateExpression: 'SET #st = :done, doneAt = :at, sessions = :s, messages = :m',
            ConditionExpression: '#st = :running',
            ExpressionAttributeNames: { '#st': 'state' },
            ExpressionAttributeValues: { ':done': 'done', ':running': 'running', ':at': doneAt, ':s': counts.sessions, ':m': counts.messages },
          },
        },
      ],
      'the erasure finished concurrently',
    );
    return true;
  } catch (error) {
    if (isConflict(error)) return false;
    throw error;
  }
}
