/**
 * Staff messages: a reply or a note, with or without files. Its own module so that only the
 * function that posts messages bundles the file store (the other session commands never reach it).
 */
import type { TransactItem } from '../../adapters/dynamodb/db.ts';
import { findClient } from '../../adapters/dynamodb/lines.ts';
import { appendStaffMessage } from '../../adapters/dynamodb/sessions.ts';
import { findTemplate } from '../../adapters/dynamodb/templates.ts';
import type { Caller } from '../../contract/caller.ts';
import { invalid, notFound } from '../../contract/errors.ts';
import { type Line, MAX_BODY_LENGTH, type Message, type PostMessageBody, type Session, type Template } from '../../contract/schemas.ts';
import { authorizeSessionCommand, sessionActor } from '../../domain/auth/policy.ts';
import { outboxFor } from '../../domain/events/outbox.ts';
import { nowIso } from '../../domain/ids.ts';
import { newMessage, nextState } from '../../domain/sessions/session.ts';
import { renderTemplate } from '../../domain/templates/render.ts';
import { messageRefItem } from '../channels/delivery-status.ts';
import { checkFilesForSend } from '../files/files.ts';
import { timerWrites } from '../writes/timers.ts';
import { load } from './operations.ts';

/**
 * `POST /v1/sessions/{id}/messages`: a text or file reply to the client, or a staff-only note
 * (with or without files). Files are checked before anything is written (lib/app/files/files.ts)
 * and bound to the message in its transaction. `{ template }`: a text reply whose body is the
 * line's template filled now (a template of another line is 404, as one that does not exist).
 */
export async function postSessionMessage(caller: Caller, id: string, input: PostMessageBody, extra: (message: Message) => TransactItem[]): Promise<Message> {
  const [{ session, line, operators }, template] = await Promise.all([
    load(caller, id, { presence: true }),
    'template' in input ? findTemplate(input.template) : undefined,
  ]);
  const command = input.type === 'system' ? 'sendSystemMessage' : 'reply';
  nextState(session, command);
  const actor = sessionActor(caller, line, session, operators.get(caller.sub));
  authorizeSessionCommand(actor, command, session, { caller: caller.sub, groups: caller.groups });
  let body: string;
  if ('template' in input) {
    if (!template || template._line !== session._line) throw notFound('template of this line', input.template);
    body = await filledTemplate(template, caller, line, session);
  } else body = input.body ?? '';
  const files = 'files' in input ? await checkFilesForSend(input.files ?? [], { kind: 'staff', session: session.__id }, line) : [];
  const message = newMessage({
    session: session.__id,
    type: input.type === 'system' ? 'system' : files.length > 0 ? 'file' : 'text',
    author: actor.kind === 'bot' ? 'bot' : 'operator',
    body,
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

/** A template's text with the session's, its line's, its client's and the sender's names filled (as they are now). */
async function filledTemplate(template: Template, caller: Caller, line: Line, session: Session): Promise<string> {
  const clientId = session._clients[0];
  const client = clientId ? await findClient(clientId) : undefined;
  const body = renderTemplate(template._text, {
    'client.name': client && client.__deletedAt === null ? client.__name : '',
    'operator.name': caller.name ?? caller.sub,
    'line.name': line.__name,
    'session.name': session.__name,
  });
  if (body.trim() === '') throw invalid('template', 'the template is empty once filled');
  return body.slice(0, MAX_BODY_LENGTH);
}
