/**
 * Sessions as plain data: how one is opened, how a command changes it, and the staff-only
 * history message every change leaves behind. Pure functions; the store writes the result.
 */

import type { Caller } from '../../contract/caller.ts';
import type { LineSessionState } from '../../contract/enums.ts';
import { conflict } from '../../contract/errors.ts';
import type { AppItemRef, FileRef, Message, Session, SessionFieldChange, SessionPayload } from '../../contract/schemas.ts';
import { newBaseFields, newMessageId } from '../ids.ts';
import { type SessionCommand, SYSTEM_CHANGES, type SystemChange, type Transition, transition } from './transitions.ts';

/** Fields whose changes are recorded in the history. */
export const TRACKED_FIELDS = ['_state', '_userId', '_userGroupId', '_botId', '_priority', '__name', '_apps', '_rating'] as const;

export interface OpenSessionInput {
  line: string;
  channel: string;
  client: string;
  state: LineSessionState;
  userId?: string | null;
  userGroupId?: string | null;
  by: string;
  now: string;
  name?: string;
}

/** A new session, not yet written. */
export function openSession(input: OpenSessionInput): Session {
  const { now } = input;
  return {
    ...newBaseFields(input.name ?? `Session ${now.slice(0, 16).replace('T', ' ')}`, input.by, now),
    _line: input.line,
    _channel: input.channel,
    _clients: [input.client],
    _state: input.state,
    _priority: null,
    _userId: input.userId ?? null,
    _userGroupId: input.userGroupId ?? null,
    _botId: null,
    _apps: [],
    _acceptedAt: input.state === 'AssignedToOperator' ? now : null,
    _closedAt: null,
    _lastActivityAt: now,
    _externalChatId: null,
    _externalChatName: null,
    _beforeSpam: null,
    _version: 1,
  };
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** The field changes between two versions of a session, in TRACKED_FIELDS order. */
export function diffSession(before: Session | null, after: Session): SessionFieldChange[] {
  const changes: SessionFieldChange[] = [];
  for (const field of TRACKED_FIELDS) {
    const old = before ? before[field] : null;
    if (!same(old, after[field])) changes.push({ field, old: old ?? null, new: after[field] ?? null });
  }
  return changes;
}

/** A staff-only `payload` history message describing a change. */
export function historyMessage(
  before: Session | null,
  after: Session,
  /** A command of the transitions table, the creation, or what the system did (as SYSTEM_CHANGES records it). */
  command: SessionCommand | 'create' | (typeof SYSTEM_CHANGES)[SystemChange]['records'],
  by: string,
  options: { silent?: boolean } = {},
): Message {
  const changes = diffSession(before, after);
  const reassigned = before !== null && (before._userId !== after._userId || before._userGroupId !== after._userGroupId || before._botId !== after._botId);
  const who = (s: Session) => ({ operator: s._userId, group: s._userGroupId, bot: s._botId });
  const payload: SessionPayload = {
    kind: before === null ? 'SessionCreated' : reassigned ? 'SessionReassigned' : 'SessionChanged',
    command,
    by,
    at: after.__updatedAt,
    changes,
    ...(reassigned && before ? { from: who(before), to: who(after) } : {}),
    ...(options.silent !== undefined ? { silent: options.silent } : {}),
  };
  const summary = changes.map((c) => `${c.field}: ${JSON.stringify(c.old)} → ${JSON.stringify(c.new)}`).join('; ');
  return {
    __id: newMessageId(Date.parse(after.__updatedAt)),
    __createdAt: after.__updatedAt,
    session: after.__id,
    type: 'payload',
    author: 'system',
    body: `${command} by ${by}${summary ? `: ${summary}` : ''}`,
    client: null,
    operator: by,
    externalId: null,
    files: [],
    attachments: [],
    isRead: true,
    payload,
    _deliveryStatus: null,
  };
}

/** Throws the table's refusal for a change in the session's state; returns the next state. */
export function nextState(session: Session, change: Transition): LineSessionState | 'restore' {
  const outcome = transition(change, session._state);
  if (typeof outcome === 'object') throw conflict(outcome.refused);
  return outcome === 'same' ? session._state : outcome;
}

/**
 * A change the system makes (routing, a timer): the table decides the state (its refusal is a
 * conflict, as a lost race), the caller the rest; with the history entry it records.
 */
export function systemChange(
  session: Session,
  change: SystemChange,
  patch: Omit<Partial<Session>, '_state'>,
  by: string,
  now: string,
  options: { silent?: boolean } = {},
): { after: Session; history: Message } {
  const state = nextState(session, change);
  const after = changed(session, { ...patch, _state: state === 'restore' ? session._state : state }, by, now);
  return { after, history: historyMessage(session, after, SYSTEM_CHANGES[change].records, by, options) };
}

/** The session after a change: stamps and version bumped. */
export function changed(session: Session, patch: Partial<Session>, by: Caller | string, now: string): Session {
  const sub = typeof by === 'string' ? by : by.sub;
  return { ...session, ...patch, __updatedAt: now, __updatedBy: sub, _version: session._version + 1 };
}

/** The seed's `normalize()`: removes duplicate links from `_apps` (by code+id) and `_clients`. */
export function normalizeApps(apps: AppItemRef[]): AppItemRef[] {
  const seen = new Set<string>();
  return apps.filter((a) => {
    const k = `${a.code}\u0000${a.id}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
export const normalizeIds = (ids: string[]): string[] => [...new Set(ids)];

/** A client's or staff member's message in a session. */
export function newMessage(input: {
  session: string;
  type: Message['type'];
  author: Message['author'];
  body: string;
  client?: string | null;
  operator?: string | null;
  externalId?: string | null;
  /** Its files, as checked (a `file` message). */
  files?: readonly FileRef[];
  now: string;
}): Message {
  return {
    __id: newMessageId(Date.parse(input.now)),
    __createdAt: input.now,
    session: input.session,
    type: input.type,
    author: input.author,
    body: input.body,
    client: input.client ?? null,
    operator: input.operator ?? null,
    externalId: input.externalId ?? null,
    files: (input.files ?? []).map((f) => f.id),
    attachments: [...(input.files ?? [])],
    isRead: false,
    payload: null,
    _deliveryStatus: null,
  };
}
