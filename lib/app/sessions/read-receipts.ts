/**
 * Read receipts (`POST /v1/sessions/{id}/read` by the operator who holds the session,
 * `POST /v1/visitors/read` by the visitor): the other side's messages up to one are marked
 * `isRead: true` and a `message.read` event goes out through the session's outbox — in one
 * conditional transaction with the reader's watermark on the session item. A receipt at or before
 * the watermark changes nothing and makes no event; at most `READ_CAP` messages per call.
 *
 * Round trips: the session item and the `upTo` message (one GetItem each, in parallel, with the
 * operator's presence for an operator's receipt), the line (cached), one Query of the unread messages in range, one transaction. A concurrent receipt of
 * the same reader moves the watermark under us: the condition fails and the receipt is decided
 * again (at most three times).
 */
import type { TransactItem } from '../../adapters/dynamodb/db.ts';
import { tableName, transact, writeOnly } from '../../adapters/dynamodb/db.ts';
import { messageSortKey, sessionKey } from '../../adapters/dynamodb/keys.ts';
import { clientIdByAccount, getLineCached } from '../../adapters/dynamodb/lines.ts';
import { findOperator } from '../../adapters/dynamodb/operators.ts';
import { readTarget, unreadBetween, watermarkAttribute } from '../../adapters/dynamodb/reads.ts';
import { latestSessionIdOfClient, readSession, sessionUpdate } from '../../adapters/dynamodb/sessions.ts';
import type { Caller } from '../../contract/caller.ts';
import { ChatlinesError, isConflict, notFound } from '../../contract/errors.ts';
import type { OutboxEntry } from '../../contract/events.ts';
import type { ReadResult } from '../../contract/reads.ts';
import type { Line, Session } from '../../contract/schemas.ts';
import type { VisitorClaims } from '../../contract/visitors.ts';
import { canSeeSession, holdsSession } from '../../domain/auth/policy.ts';
import { nowIso } from '../../domain/ids.ts';
import { advances, planRead, READ_CAP, type Reader, readerMarks } from '../../domain/sessions/reads.ts';
import { isVisitorsSession } from '../../domain/visitors/rules.ts';

type Extra = (result: ReadResult) => TransactItem[];

async function markRead<P>(
  reader: Reader,
  sessionId: string,
  upTo: string,
  by: string,
  /** What authorizing needs besides the session (the operator's presence), read beside it. */
  prefetch: () => Promise<P>,
  authorize: (session: Session, line: Line, prefetched: P) => void,
  extra: Extra,
): Promise<ReadResult> {
  const attribute = watermarkAttribute(reader);
  for (let attempt = 0; ; attempt++) {
    const [{ session: item, message }, prefetched] = await Promise.all([readTarget(sessionId, upTo), prefetch()]);
    if (item?.entity !== 'session') throw notFound('session', sessionId);
    const session = readSession(item);
    authorize(session, await getLineCached(session._line), prefetched);
    if (!message) throw notFound('message', upTo);
    const watermark = typeof item[attribute] === 'string' ? (item[attribute] as string) : null;
    if (!advances(watermark, upTo)) {
      // Known already (a repeat, or an older receipt): nothing changes, no event.
      const result: ReadResult = { session: sessionId, readUpTo: watermark, marked: [], more: false };
      await writeOnly(extra(result));
      return result;
    }
    const { authors, types } = readerMarks(reader);
    const plan = planRead(upTo, await unreadBetween(sessionId, watermark, upTo, authors, types, READ_CAP + 1));
    const result: ReadResult = { session: sessionId, readUpTo: plan.readUpTo, marked: plan.mark, more: plan.more };
    const update = sessionUpdate(sessionId).set(attribute, plan.readUpTo);
    update.condition(watermark === null ? `attribute_not_exists(${update.name(attribute)})` : `${update.name(attribute)} = ${update.value(watermark)}`);
    update.condition('attribute_exists(pk)');
    if (plan.mark.length > 0) {
      const entry: OutboxEntry = { t: 'message.read', at: nowIso(), by, reader, upTo: plan.readUpTo, ids: plan.mark };
      update.outbox([entry]);
    }
    const marks: TransactItem[] = plan.mark.map((id) => ({
      Update: {
        TableName: tableName(),
        Key: { pk: sessionKey(sessionId).pk, sk: messageSortKey(id) },
        UpdateExpression: 'SET isRead = :t',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':t': true },
      },
    }));
    try {
      await transact([...marks, update.item(), ...extra(result)], 'a read receipt of the same reader was recorded concurrently; send it again');
      return result;
    } catch (error) {
      if (!isConflict(error) || attempt >= 2) throw error;
    }
  }
}

/** `POST /v1/sessions/{id}/read`: the operator who holds the session read the client's messages up to `upTo`. */
export function markSessionRead(caller: Caller, sessionId: string, upTo: string, extra: Extra): Promise<ReadResult> {
  return markRead(
    'operator',
    sessionId,
    upTo,
    caller.sub,
    () => findOperator(caller.sub),
    (session, line, operator) => {
      if (!canSeeSession(caller, line, session)) throw notFound('session', sessionId);
      if (!holdsSession(caller, line, session)) throw new ChatlinesError('forbidden', 'only the operator who holds the session marks its messages read');
      // As with every change: an offline operator can only read (the bot has no presence).
      if (session._state === 'AssignedToOperator' && operator?.status !== 'online')
        throw new ChatlinesError('forbidden', 'offline operators can only read: set your status to online first');
    },
    extra,
  );
}

/** `POST /v1/visitors/read`: the visitor read the staff replies of its newest session up to `upTo`. */
export async function markVisitorRead(claims: VisitorClaims, upTo: string, extra: Extra): Promise<ReadResult> {
  const client = (await clientIdByAccount(claims.channel, claims.account)) ?? null;
  const sessionId = client ? await latestSessionIdOfClient(client) : undefined;
  if (!sessionId) throw notFound('session', 'of this visitor');
  const scope = { channel: claims.channel, account: claims.account, client };
  return markRead(
    'client',
    sessionId,
    upTo,
    `visitor:${claims.account}`.slice(0, 128),
    () => Promise.resolve(undefined),
    (session) => {
      if (!isVisitorsSession(scope, session)) throw notFound('session', 'of this visitor');
    },
    extra,
  );
}
