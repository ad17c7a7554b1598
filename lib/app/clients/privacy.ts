/**
 * A client's data on request (GDPR Art. 15 and 17): the export of everything chatlines holds
 * about one client, and its erasure. Admins only. Both read through keys and indexes only: the
 * client by key, its chain of sessions on gsi3, each session's messages in its own partition,
 * a page at a time and bounded.
 *
 * The erasure keeps what is not personal — the sessions, the messages' existence and history,
 * so every count and metric stays as it was — and removes what is: the client's name, account
 * and links (a tombstone), every message's body, files (the stored bytes and their records) and
 * external id, a rating's comment (on the session and in its history entry), the live event log's
 * copies. See lib/adapters/dynamodb/clients.ts for its steps; each is idempotent, so an
 * interrupted erasure is finished by calling again, and the client is hidden from the first.
 */

import {
  beginErasure,
  clearMessages,
  clientSessionsPage,
  deleteSessionEventLog,
  findErasure,
  finishErasure,
  markSessionClientErased,
  messagesPage,
  rewriteHistory,
  skipClientSessions,
} from '../../adapters/dynamodb/clients.ts';
import type { TransactItem } from '../../adapters/dynamodb/db.ts';
import { findClient, getLineCached } from '../../adapters/dynamodb/lines.ts';
import { type Caller, hasRole } from '../../contract/caller.ts';
import { isConflict, notFound } from '../../contract/errors.ts';
import {
  type Client,
  type ClientErasure,
  type ClientExport,
  EXPORT_MAX_BYTES,
  MAX_EXPORT_MESSAGES,
  MAX_EXPORT_SESSIONS,
  type Message,
  type Session,
} from '../../contract/schemas.ts';
import { canSeeLine, requireClientDataAdmin } from '../../domain/auth/policy.ts';
import { nowIso } from '../../domain/ids.ts';
import { eraseFiles, exportFileLinks } from '../files/files.ts';

/** Sessions read per page of the chain. */
const SESSION_PAGE = 100;
/** Messages read per page of a session. */
const MESSAGE_PAGE = 500;
/** Messages one call clears at most before it answers `running` (the next call goes on). */
export const ERASE_MESSAGES_PER_CALL = 20_000;

/** The client, or 404 to whoever may not see it (its line); 403 to its line's staff who are not admins. */
async function clientForAdmin(caller: Caller, id: string): Promise<Client> {
  const client = await findClient(id);
  if (!client) throw notFound('client', id);
  if (!hasRole(caller, 'admin')) {
    const line = await getLineCached(client._line);
    if (!canSeeLine(caller, line)) throw notFound('client', id);
  }
  requireClientDataAdmin(caller);
  return client;
}

// ------------------------------------------------------------------------------ export

/**
 * The download link of each file a message names: a pre-signed GET valid an hour for a file that
 * was sent and passed its check; null for one refused or gone (lib/app/files/files.ts).
 */
export async function fileDownloadLinks(fileIds: readonly string[]): Promise<Map<string, string | null>> {
  return exportFileLinks(fileIds);
}

/**
 * Where the satisfaction capability plugs in: the ratings of these sessions (score, comment).
 * None before CSAT exists; then it reads each session's `_rating`.
 */
export function ratingsOf(sessions: readonly Session[]): ClientExport['ratings'] {
  const out: ClientExport['ratings'] = [];
  for (const s of sessions) {
    const rating = (s as Session & { _rating?: { score?: number; comment?: string | null; at?: string } | null })._rating;
    if (rating) out.push({ session: s.__id, score: rating.score ?? null, comment: rating.comment ?? null, at: rating.at ?? null });
  }
  return out;
}

/**
 * `GET /v1/clients/{id}/export?from`: the client, its sessions (oldest first, from the `from`-th)
 * with their messages, files and ratings. A page stops after MAX_EXPORT_SESSIONS sessions or
 * once it holds about EXPORT_MAX_BYTES of JSON; `next` is then the `from` of the next page.
 */
export async function exportClient(caller: Caller, id: string, from = 0): Promise<ClientExport> {
  const client = await clientForAdmin(caller, id);
  const sessions: ClientExport['sessions'] = [];
  const skipped = from > 0 ? await skipClientSessions(id, from) : { after: undefined, done: false };
  let next: Record<string, unknown> | undefined = skipped.after;
  let bytes = JSON.stringify(client).length;
  let more = false;
  if (!skipped.done) {
    do {
      const page = await clientSessionsPage(id, Math.min(SESSION_PAGE, MAX_EXPORT_SESSIONS - sessions.length + 1), next);
      for (const { session } of page.sessions) {
        if (sessions.length >= MAX_EXPORT_SESSIONS || bytes > EXPORT_MAX_BYTES) {
          more = true;
          break;
        }
        const { messages, truncated } = await sessionMessages(session.__id);
        const entry = { ...session, messages, messagesTruncated: truncated };
        bytes += JSON.stringify(entry).length;
        sessions.push(entry);
      }
      next = page.next;
    } while (next && !more);
  }
  const fileIds = [...new Set(sessions.flatMap((s) => s.messages.flatMap((m) => m.files)))];
  const links = await fileDownloadLinks(fileIds);
  return {
    exportedAt: nowIso(),
    client,
    erased: client.__deletedAt !== null,
    sessions,
    sessionsTruncated: more,
    next: more ? from + sessions.length : null,
    files: fileIds.map((f) => ({ id: f, url: links.get(f) ?? null })),
    ratings: ratingsOf(sessions),
  };
}

async function sessionMessages(sessionId: string): Promise<{ messages: Message[]; truncated: boolean }> {
  const messages: Message[] = [];
  let next: Record<string, unknown> | undefined;
  do {
    const page = await messagesPage(sessionId, Math.min(MESSAGE_PAGE, MAX_EXPORT_MESSAGES - messages.length + 1), next);
    messages.push(...page.messages);
    next = page.next;
  } while (next && messages.length <= MAX_EXPORT_MESSAGES);
  return { messages: messages.slice(0, MAX_EXPORT_MESSAGES), truncated: messages.length > MAX_EXPORT_MESSAGES };
}

// ------------------------------------------------------------------------------- erasure

/** What an erased client becomes: its id, line, channel, stamps and block status; nothing that names a person. */
export function tombstoneOf(client: Client, by: string, now: string): Client {
  return {
    ...client,
    __name: 'erased',
    __updatedAt: now,
    __updatedBy: by,
    __deletedAt: now,
    _username: `erased:${client.__id}`,
    _applicationItem: null,
    _extraData: {},
  };
}

/** A message holds something personal (body, files, external id); history entries (`payload`) hold none of the client's, bar a rating's comment. */
const personal = (m: Message) => m.payload === null && (m.body !== '' || m.files.length > 0 || m.attachments.length > 0 || m.externalId !== null);

type RatingChange = { score?: number | null; comment?: string | null } | null;

/** A rating's history entry (`rate`) whose body and change still carry the client's comment. */
const commentedRating = (m: Message) =>
  m.payload?.command === 'rate' && m.payload.changes.some((c) => c.field === '_rating' && Boolean((c.new as RatingChange)?.comment));

/** The rating's entry without the comment: the score stays (metrics), the words go. */
function withoutComment(m: Message): { message: Message; body: string; payload: Message['payload'] } {
  const payload = m.payload!;
  const changes = payload.changes.map((c) => (c.field === '_rating' && c.new ? { ...c, new: { ...(c.new as object), comment: null } } : c));
  const score = (changes.find((c) => c.field === '_rating')?.new as RatingChange)?.score;
  return { message: m, body: `rate by ${payload.by}: ${score ?? ''}`, payload: { ...payload, changes } };
}

/**
 * `DELETE /v1/clients/{id}`: erases the client's personal data, or goes on with an erasure that
 * was interrupted. `done` (200) once finished; `running` (202) when this call reached its budget
 * (call again). Erasing an erased client answers its erasure as it is.
 */
export async function eraseClient(
  caller: Caller,
  id: string,
  extra: (erasure: ClientErasure) => TransactItem[],
  budget: { messages: number } = { messages: ERASE_MESSAGES_PER_CALL },
): Promise<{ erasure: ClientErasure; finished: boolean }> {
  const client = await clientForAdmin(caller, id);
  const now = nowIso();
  let erasure = await findErasure(id);
  if (erasure?.state === 'done') return { erasure, finished: true };
  if (!erasure) {
    erasure = { client: id, state: 'running', startedAt: now, doneAt: null, sessions: 0, messages: 0 };
    // Step 1: from here on the client is hidden and its account free; nothing personal is left on it.
    try {
      await beginErasure(client, tombstoneOf(client, caller.sub, now), { ...erasure, by: caller.sub } as ClientErasure, extra(erasure));
    } catch (error) {
      // Two erasures at once: the one that lost goes on with the winner's (every later step is idempotent).
      const winner = isConflict(error) ? await findErasure(id) : undefined;
      if (!winner) throw error;
      erasure = winner;
    }
  }
  // Step 2: every session of the chain, every message; already cleared ones are only read.
  let sessions = 0;
  let messages = 0;
  let cleared = 0;
  let next: Record<string, unknown> | undefined;
  do {
    const page = await clientSessionsPage(id, SESSION_PAGE, next);
    for (const { session, item } of page.sessions) {
      await markSessionClientErased(session.__id, Boolean(session._rating?.comment));
      let after: Record<string, unknown> | undefined;
      do {
        const batch = await messagesPage(session.__id, MESSAGE_PAGE, after);
        const todo = batch.messages.filter(personal);
        // The stored files go before the messages naming them are cleared: a call interrupted in
        // between finds them named still and deletes again (deleting what is gone is no error).
        await eraseFiles([...new Set(todo.flatMap((m) => [...m.files, ...m.attachments.map((a) => a.id)]))]);
        await clearMessages(todo);
        await rewriteHistory(batch.messages.filter(commentedRating).map(withoutComment));
        cleared += todo.length;
        messages += batch.messages.filter((m) => m.payload === null).length;
        after = batch.next;
        // The budget keeps one call within a function's time; the next call goes on from the start (cleared ones are only read).
        if (cleared >= budget.messages) return { erasure: { ...erasure, sessions, messages }, finished: false };
      } while (after);
      await deleteSessionEventLog(item);
      sessions += 1;
    }
    next = page.next;
  } while (next);
  // Step 3: done; the stream makes `client.erased` of it.
  const doneAt = nowIso();
  if (!(await finishErasure(id, doneAt, { sessions, messages }))) {
    // Another call finished it first: answer its record.
    const done = await findErasure(id);
    if (done) return { erasure: done, finished: true };
  }
  return { erasure: { ...erasure, state: 'done', doneAt, sessions, messages }, finished: true };
}
