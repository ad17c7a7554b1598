/**
 * The rules of every session command, as one pure function: (session, line, context, caller,
 * action) → the next session, or a refusal (thrown ChatlinesError: 409 state, 403 who, 400
 * value). No I/O: the use case (operations.ts) reads what the context needs and writes the
 * decision in one transaction.
 *
 * Order of checks, the same for every command: the transitions table (409), then who may do
 * it (lib/domain/auth/policy.ts, 403), then the command's own rules about its target (409/400).
 */

import type { Caller } from '../../contract/caller.ts';
import { CHANNEL_TYPES_WITHOUT_SPAM, type LineChannelType, type LineSessionPriority } from '../../contract/enums.ts';
import { conflict, invalid } from '../../contract/errors.ts';
import type { AppItemRef, Line, Operator, Session } from '../../contract/schemas.ts';
import { authorizeSessionCommand, intersects, sessionActor } from '../auth/policy.ts';
import { changed, nextState, normalizeApps, normalizeIds } from './session.ts';
import type { SessionCommand } from './transitions.ts';

/** A session command with its arguments (the HTTP bodies, parsed). */
export type SessionAction =
  | { command: 'assignToOperator'; operator: string }
  | { command: 'assignToOperatorGroup'; group: string }
  | { command: 'assignToBot'; silent: boolean }
  | { command: 'close' }
  | { command: 'markAsSpam' }
  | { command: 'unmarkAsSpam' }
  | { command: 'setPriority'; priority: LineSessionPriority | null }
  | { command: 'save'; name?: string | undefined; apps?: AppItemRef[] | undefined };

/** What the rules need besides the session and the line; read by the use case. */
export interface CommandContext {
  now: string;
  /** The caller's operator record (presence), when the caller acts as an operator. */
  callerOperator?: Operator | undefined;
  /** assignToOperator: the target's record; unmarkAsSpam: the record of the operator before the spam mark. */
  operator?: Operator | undefined;
  /** The session's channel type (markAsSpam). */
  channelType?: LineChannelType | undefined;
  /** unmarkAsSpam: the id of the newest session of the client's chain. */
  latestOfChain?: string | undefined;
}

export interface Decision {
  after: Session;
  /** What happens to the client's one-open-session guard. */
  guard: 'keep' | 'release' | 'take';
  /** assignToBot: recorded in the history entry. */
  silent?: boolean;
  /** Nothing changes (setting a priority or a name it already has): nothing is written. */
  unchanged: boolean;
}

/** The target of an assignment must be an online operator of one of the line's groups (else 409). */
function requireAssignableOperator(line: Line, id: string, record: Operator | undefined): Operator {
  if (!record || !intersects(record.groups, line._operatorGroups)) {
    throw conflict(`${id} is not an operator of this line (not a member of ${line._operatorGroups.join(', ') || 'any of its groups'})`);
  }
  if (record.status !== 'online') throw conflict(`${id} is offline: sessions can be assigned to online operators only`);
  return record;
}

/** True when the operator before the spam mark can take the session back. */
function canRestoreOperator(line: Line, id: string | null, record: Operator | undefined): boolean {
  return !!id && record?.__id === id && record.status === 'online' && intersects(record.groups, line._operatorGroups);
}

/** The next session for a command, or the refusal. */
export function decide(session: Session, line: Line, ctx: CommandContext, caller: Caller, action: SessionAction): Decision {
  const command: SessionCommand = action.command;
  const state = nextState(session, command);
  const actor = sessionActor(caller, line, session, ctx.callerOperator);
  authorizeSessionCommand(actor, command, session, {
    caller: caller.sub,
    target: action.command === 'assignToOperator' ? action.operator : undefined,
    groups: caller.groups,
  });
  const { now } = ctx;
  // The target state is the transitions table's; only its 'restore' (unmarkAsSpam) leaves it to
  // the command, since it follows from who takes the session back.
  const next = (patch: Omit<Partial<Session>, '_state'>, guard: Decision['guard'] = 'keep', silent?: boolean, restored?: Session['_state']): Decision => {
    const _state = state === 'restore' ? (restored ?? session._state) : state;
    const after = changed(session, { ...patch, _state, _clients: normalizeIds(session._clients), _lastActivityAt: now }, caller, now);
    return { after, guard, unchanged: false, ...(silent !== undefined ? { silent } : {}) };
  };
  const unchanged: Decision = { after: session, guard: 'keep', unchanged: true };

  switch (action.command) {
    case 'assignToOperator': {
      if (session._state === 'AssignedToOperator' && session._userId === action.operator) {
        throw conflict(`the session is already assigned to ${action.operator}`);
      }
      requireAssignableOperator(line, action.operator, ctx.operator);
      return next({
        _userId: action.operator,
        _botId: null,
        // First time taken into work; a reassignment keeps it (metrics measure from it).
        _acceptedAt: session._acceptedAt ?? now,
      });
    }
    case 'assignToOperatorGroup': {
      if (!line._operatorGroups.includes(action.group)) {
        throw conflict(`${action.group} is not an operator group of this line (its groups: ${line._operatorGroups.join(', ') || 'none'})`);
      }
      if (session._state === 'Waiting' && session._userGroupId === action.group) {
        throw conflict(`the session already waits in the queue of ${action.group}`);
      }
      return next({ _userGroupId: action.group, _userId: null, _botId: null });
    }
    case 'assignToBot': {
      if (!line._botId) throw conflict('the line has no bot connected');
      return next({ _botId: line._botId, _userId: null }, 'keep', action.silent);
    }
    case 'close':
      return next({ _closedAt: now }, 'release');
    case 'markAsSpam': {
      if (ctx.channelType && CHANNEL_TYPES_WITHOUT_SPAM.includes(ctx.channelType)) {
        throw conflict(`sessions on ${ctx.channelType} channels cannot be marked as spam`);
      }
      return next(
        {
          _beforeSpam: {
            _state: session._state,
            _userId: session._userId,
            _userGroupId: session._userGroupId,
            _botId: session._botId,
            _priority: session._priority,
          },
          // A spam session has no priority; unmarking restores the one it had.
          _priority: null,
          _closedAt: now,
        },
        'release',
      );
    }
    case 'unmarkAsSpam': {
      if (ctx.latestOfChain !== undefined && ctx.latestOfChain !== session.__id) {
        throw conflict(`only the last session of the client's chain can be unmarked; the client's newest session is ${ctx.latestOfChain}`);
      }
      // A blocked client's session was born as spam: nothing to restore but the queue.
      const before = session._beforeSpam ?? { _state: 'Waiting', _userId: null, _userGroupId: null, _botId: null, _priority: session._priority };
      const operator = canRestoreOperator(line, before._userId, ctx.operator) ? before._userId : null;
      const bot = !operator && before._state === 'AssignedToBot' && before._botId && before._botId === line._botId ? before._botId : null;
      const group = before._userGroupId && line._operatorGroups.includes(before._userGroupId) ? before._userGroupId : null;
      return next(
        {
          _userId: operator,
          _botId: bot,
          _userGroupId: group,
          _priority: before._priority,
          _acceptedAt: operator ? (session._acceptedAt ?? now) : session._acceptedAt,
          _beforeSpam: null,
          _closedAt: null,
        },
        'take',
        undefined,
        operator ? 'AssignedToOperator' : bot ? 'AssignedToBot' : 'Waiting',
      );
    }
    case 'setPriority':
      if (session._priority === action.priority) return unchanged;
      return next({ _priority: action.priority });
    case 'save': {
      const patch: Partial<Session> = {};
      if (action.name !== undefined && action.name !== session.__name) patch.__name = action.name;
      if (action.apps !== undefined) {
        const apps = normalizeApps(action.apps);
        if (line._sessionApps.length > 0) {
          apps.forEach((app, i) => {
            if (!line._sessionApps.includes(app.code)) {
              throw invalid(`_apps.${i}.code`, `the line links sessions to ${line._sessionApps.join(', ')} only`);
            }
          });
        }
        if (JSON.stringify(apps) !== JSON.stringify(session._apps)) patch._apps = apps;
      }
      if (Object.keys(patch).length === 0) return unchanged;
      return next(patch);
    }
  }
}
