/**
 * Writes session histories with chosen timestamps straight through the repository and the
 * session helpers (the same writes the commands make), so histories can span days, weeks
 * and months. The HTTP property test (api.test.ts) plays histories through the API instead.
 */
import fc from 'fast-check';
import { appendMessages, commitSessionChange, insertSession } from '../../lib/adapters/dynamodb/sessions.ts';
import type { Session } from '../../lib/contract/schemas.ts';
import { outboxFor } from '../../lib/domain/events/outbox.ts';
import { newId } from '../../lib/domain/ids.ts';
import { changed, historyMessage, newMessage, nextState, openSession } from '../../lib/domain/sessions/session.ts';
import type { SessionCommand } from '../../lib/domain/sessions/transitions.ts';

export const OPERATORS = ['alice', 'bob', 'carol'] as const;
export const GROUPS = ['support', 'vip'] as const;
export const BOT = 'bot-1';

export type Step =
  | { op: 'client' | 'reply' | 'assignBot' | 'close' | 'spam' | 'unspam'; gap: number }
  | { op: 'assignOperator'; who: number; gap: number }
  | { op: 'assignGroup'; who: number; gap: number };

export interface History {
  /** Minutes after the base time at which the session opens. */
  start: number;
  channel: number;
  steps: Step[];
}

const gap = fc.integer({ min: 0, max: 240 });
export const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('client' as const), gap }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('reply' as const), gap }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('assignOperator' as const), who: fc.nat(2), gap }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('assignGroup' as const), who: fc.nat(1), gap }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('assignBot' as const), gap }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('spam' as const), gap }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('unspam' as const), gap }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('close' as const), gap }) },
);
export const historyArb: fc.Arbitrary<History> = fc.record({
  start: fc.integer({ min: 0, max: 12 * 60 }),
  channel: fc.nat(1),
  steps: fc.array(stepArb, { minLength: 1, maxLength: 8 }),
});

const iso = (ms: number) => new Date(ms).toISOString();

/** Applies a command if the transitions table allows it; returns the session after it. */
async function command(s: Session, cmd: SessionCommand, patch: Partial<Session>, now: string): Promise<Session> {
  try {
    nextState(s, cmd);
  } catch {
    return s; // refused in this state: the API would answer 409 and write nothing
  }
  const after = changed(s, { ...patch, _lastActivityAt: now }, 'sim', now);
  const history = [historyMessage(s, after, cmd, 'sim')];
  await commitSessionChange({ before: s, after, messages: history, outbox: outboxFor(history) });
  return after;
}

/** Writes one history; returns the session as it ends. */
export async function writeHistory(line: string, channels: readonly string[], base: number, h: History): Promise<Session> {
  let t = base + h.start * 60_000;
  const now = () => iso(t);
  let s = openSession({ line, channel: channels[h.channel % channels.length]!, client: newId(), state: 'Waiting', by: 'sim', now: now() });
  const first = newMessage({ session: s.__id, type: 'text', author: 'client', body: 'hello', client: s._clients[0]!, now: now() });
  const opened = [historyMessage(null, s, 'create', 'sim'), first];
  await insertSession({ session: s, guard: 'none', messages: opened, outbox: outboxFor(opened) });
  for (const step of h.steps) {
    t += step.gap * 60_000 + 1;
    switch (step.op) {
      case 'client': {
        if (s._state === 'Closed') break;
        const more = newMessage({ session: s.__id, type: 'text', author: 'client', body: 'more', client: s._clients[0]!, now: now() });
        await appendMessages(s, [more], [s._state], { outbox: outboxFor([more]) });
        s = { ...s, _lastActivityAt: now() };
        break;
      }
      case 'reply': {
        if (s._state !== 'AssignedToOperator' && s._state !== 'AssignedToBot') break;
        const bot = s._state === 'AssignedToBot';
        const m = newMessage({ session: s.__id, type: 'text', author: bot ? 'bot' : 'operator', body: 'answer', operator: bot ? BOT : s._userId, now: now() });
        await appendMessages(s, [m], [s._state], { outbox: outboxFor([m]) });
        s = { ...s, _lastActivityAt: now() };
        break;
      }
      case 'assignOperator': {
        const who = OPERATORS[step.who % OPERATORS.length]!;
        if (s._state === 'AssignedToOperator' && s._userId === who) break;
        s = await command(s, 'assignToOperator', { _state: 'AssignedToOperator', _userId: who, _botId: null, _acceptedAt: s._acceptedAt ?? now() }, now());
        break;
      }
      case 'assignGroup':
        s = await command(
          s,
          'assignToOperatorGroup',
          { _state: 'Waiting', _userGroupId: GROUPS[step.who % GROUPS.length]!, _userId: null, _botId: null },
          now(),
        );
        break;
      case 'assignBot':
        s = await command(s, 'assignToBot', { _state: 'AssignedToBot', _botId: BOT, _userId: null }, now());
        break;
      case 'close':
        s = await command(s, 'close', { _state: 'Closed', _closedAt: now() }, now());
        break;
      case 'spam':
        s = await command(
          s,
          'markAsSpam',
          {
            _state: 'MarkedAsSpam',
            _beforeSpam: { _state: s._state, _userId: s._userId, _userGroupId: s._userGroupId, _botId: s._botId, _priority: s._priority },
          },
          now(),
        );
        break;
      case 'unspam': {
        const b = s._beforeSpam;
        s = await command(
          s,
          'unmarkAsSpam',
          b ? { _state: b._state, _userId: b._userId, _userGroupId: b._userGroupId, _botId: b._botId, _beforeSpam: null } : {},
          now(),
        );
        break;
      }
    }
  }
  return s;
}

/** Applies one more command to a session (spam, unspam, close …) at a chosen time. */
export async function markSpam(s: Session, at: number, unmark = false): Promise<Session> {
  const now = iso(at);
  if (!unmark) {
    return command(
      s,
      'markAsSpam',
      { _state: 'MarkedAsSpam', _beforeSpam: { _state: s._state, _userId: s._userId, _userGroupId: s._userGroupId, _botId: s._botId, _priority: s._priority } },
      now,
    );
  }
  const b = s._beforeSpam!;
  return command(s, 'unmarkAsSpam', { _state: b._state, _userId: b._userId, _userGroupId: b._userGroupId, _botId: b._botId, _beforeSpam: null }, now);
}

/** A client message (or the assigned operator's reply) at a chosen time. */
export async function lateMessage(s: Session, at: number, author: 'client' | 'operator' = 'client'): Promise<Session> {
  const now = iso(at);
  const message = newMessage({
    session: s.__id,
    type: 'text',
    author,
    body: 'late',
    ...(author === 'client' ? { client: s._clients[0]! } : { operator: s._userId }),
    now,
  });
  await appendMessages(s, [message], [s._state], { outbox: outboxFor([message]) });
  return { ...s, _lastActivityAt: now };
}
