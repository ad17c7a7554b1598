/**
 * Staff messages: a reply or a note, with or without files. Its own module so that only the
 * function that posts messages bundles the file store (the other session commands never reach it).
 */
import type { TransactItem } from '../../adapters/dynamodb/db.ts';
import { appendStaffMessage } from '../../adapters/dynamodb/sessions.ts';
import type { Caller } from '../../contract/caller.ts';
import type { Message } from '../../contract/schemas.ts';
import { authorizeSessionCommand, sessionActor } from '../../domain/auth/policy.ts';
import { outboxFor } from '../../domain/events/outbox.ts';
import { nowIso } from '../../domain/ids.ts';
import { newMessage, nextState } from '../../domain/sessions/session.ts';
import { messageRefItem } from '../channels/delivery-status.ts';
import { checkFilesForSend } from '../files/files.ts';
import { timerWrites } from '../writes/timers.ts';
import { load } from './operations.ts';

/**
 * `POST /v1/sessions/{id}/messages`: a text or file reply to the client, or a staff-only note
 * (with or without files). Files are checked before anything is written (lib/app/files/files.ts)
 * and bound to the message in its transaction.
 */
export async function postSessionMessage(
  caller: Caller,
  id: string,
  input: { type: 'text' | 'file' | 'system'; body?: string | undefined; files?: string[] | undefined },
  extra: (message: Message) => TransactItem[],
): Promise<Message> {
  const { session, line, operators } = await load(caller, id, { presence: true });
  const command = input.type === 'system' ? 'sendSystemMessage' : 'reply';
  nextState(session, command);
  const actor = sessionActor(caller, line, session, operators.get(caller.sub));
  authorizeSessionCommand(actor, command, session, { caller: caller.sub, groups: caller.groups });
  const files = await checkFilesForSend(input.files ?? [], { kind: 'staff', session: session.__id }, line);
  const message = newMessage({
    session: session.__id,
    type: input.type === 'system' ? 'system' : files.length > 0 ? 'file' : 'text',
    author: actor.kind === 'bot' ? 'bot' : 'operator',
    body: input.body ?? '',
    operator: caller.sub,
    files: files.map((f) => f.ref),
    now: nowIso(),
  });
  const toClient = command === 'reply';
  const bound = files.map((f) => f.write(session.__id, message.__id, toClient ? 'client' : 'staff'));
  // A reply that goes out to the messenger leaves a ref so the integration's status report finds it.
  const ref = toClient ? [messageRefItem(message, session._channel)] : [];
  // Timers: a reply stops the response clocks, in the same transaction.
  const timers = toClient ? timerWrites(line, session, session, { kind: 'staffReply', at: message.__createdAt }) : undefined;
  await appendStaffMessage(session, message, { outbox: outboxFor([message]), timers: timers?.timers }, [
    ...ref,
    ...bound,
    ...extra(message),
    ...(timers?.items ?? []),
  ]);
  return message;
}
