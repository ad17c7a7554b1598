/** The transitions table, its copy in docs/sessions.md, and the pure command rules (no database). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Caller } from '../../lib/contract/caller.ts';
import { LineSessionState } from '../../lib/contract/enums.ts';
import { ChatlinesError } from '../../lib/contract/errors.ts';
import type { Line, Operator, Session } from '../../lib/contract/schemas.ts';
import { decide, type SessionAction } from '../../lib/domain/sessions/commands.ts';
import { openSession, systemChange } from '../../lib/domain/sessions/session.ts';
import { allows, type SessionCommand, TRANSITIONS, type Transition, transition, transitionsMarkdown } from '../../lib/domain/sessions/transitions.ts';

const STATES = Object.values(LineSessionState);
const NOW = '2026-01-01T10:00:00.000Z';

describe('transitions table', () => {
  it('is total: every command has an outcome in every state', () => {
    for (const command of Object.keys(TRANSITIONS) as SessionCommand[]) {
      for (const state of STATES) assert.ok(transition(command, state) !== undefined, `${command} × ${state}`);
    }
  });

  it('refuses everything but save on a closed session, and only unmark/save on a spam session', () => {
    for (const command of Object.keys(TRANSITIONS) as SessionCommand[]) {
      assert.equal(typeof transition(command, 'Closed') === 'object', command !== 'save', `${command} on Closed`);
      assert.equal(typeof transition(command, 'MarkedAsSpam') === 'object', !['save', 'unmarkAsSpam'].includes(command), `${command} on spam`);
    }
  });

  it('holds the system changes too: routing takes waiting sessions only, timers act on held ones only', () => {
    const allowed = (change: Transition) => STATES.filter((s) => allows(change, s));
    assert.deepEqual(allowed('routeToOperator'), ['Waiting']);
    assert.deepEqual(allowed('routeToBot'), ['Waiting']);
    assert.deepEqual(allowed('autoClose'), ['AssignedToBot', 'AssignedToOperator']);
    assert.deepEqual(allowed('returnToQueue'), ['AssignedToOperator']);
    const held = { ...queued(), _state: 'AssignedToOperator' as const, _userId: 'alice' };
    const back = systemChange(held, 'returnToQueue', { _userId: null }, 'system', NOW);
    assert.equal(back.after._state, 'Waiting');
    assert.equal(back.history.payload?.command, 'returnToQueue');
    const routed = systemChange(queued(), 'routeToOperator', { _userId: 'alice' }, 'routing', NOW);
    assert.equal(routed.after._state, 'AssignedToOperator');
    assert.equal(routed.history.payload?.command, 'assignToOperator');
    assert.equal(refusal(() => systemChange(held, 'routeToOperator', {}, 'routing', NOW)).kind, 'conflict');
  });

  it('is shown in docs/sessions.md exactly as the code has it (`npm run docs` writes it)', () => {
    const page = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'sessions.md'), 'utf8');
    const block = /<!-- transitions:start -->\n([\s\S]*?)\n<!-- transitions:end -->/.exec(page);
    assert.ok(block, 'docs/sessions.md has the transitions block');
    assert.equal(block[1], transitionsMarkdown());
  });
});

const line: Line = {
  __id: '00000000-0000-4000-8000-000000000001',
  __name: 'Support',
  __createdAt: NOW,
  __createdBy: 'admin',
  __updatedAt: NOW,
  __updatedBy: 'admin',
  __deletedAt: null,
  _operatorGroups: ['support'],
  _supervisorGroups: ['leads'],
  _botId: 'bot-1',
  _accountApp: null,
  _sessionApps: ['deals'],
  _routing: { mode: 'manual', capacity: null, botFirst: false },
};
const op = (sub: string, status: 'online' | 'offline' = 'online', groups = ['support']): Operator => ({
  __id: sub,
  status,
  groups,
  __updatedAt: NOW,
  capacity: null,
  activeSessions: 0,
  idleSince: null,
});
const operatorCaller = (sub: string): Caller => ({ sub, roles: ['operator'], groups: ['support'], channels: [] });
const supervisor: Caller = { sub: 'sup', roles: ['supervisor'], groups: ['leads'], channels: [] };
const queued = (): Session =>
  openSession({
    line: line.__id,
    channel: '00000000-0000-4000-8000-000000000002',
    client: '00000000-0000-4000-8000-000000000003',
    state: 'Waiting',
    by: 'x',
    now: NOW,
  });

function refusal(fn: () => unknown): ChatlinesError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ChatlinesError);
    return error;
  }
  assert.fail('expected a refusal');
}

describe('command rules (pure)', () => {
  it('take: sets operator, state, _acceptedAt, bumps the version', () => {
    const s = queued();
    const d = decide(s, line, { now: NOW, callerOperator: op('alice'), operator: op('alice') }, operatorCaller('alice'), {
      command: 'assignToOperator',
      operator: 'alice',
    });
    assert.equal(d.after._state, 'AssignedToOperator');
    assert.equal(d.after._userId, 'alice');
    assert.equal(d.after._acceptedAt, NOW);
    assert.equal(d.after._version, s._version + 1);
  });

  it('orders refusals: state (409) before who (403) before target (409)', () => {
    const closed = { ...queued(), _state: 'Closed' as const };
    const take: SessionAction = { command: 'assignToOperator', operator: 'alice' };
    assert.equal(refusal(() => decide(closed, line, { now: NOW, callerOperator: op('alice', 'offline') }, operatorCaller('alice'), take)).kind, 'conflict');
    assert.equal(refusal(() => decide(queued(), line, { now: NOW, callerOperator: op('alice', 'offline') }, operatorCaller('alice'), take)).kind, 'forbidden');
    assert.equal(refusal(() => decide(queued(), line, { now: NOW, operator: op('alice', 'offline') }, supervisor, take)).kind, 'conflict');
    assert.equal(refusal(() => decide(queued(), line, { now: NOW, operator: op('alice', 'online', ['sales']) }, supervisor, take)).kind, 'conflict');
  });

  it('spam keeps what unmark restores; unmark with the operator offline goes to the queue with the priority', () => {
    const held = { ...queued(), _state: 'AssignedToOperator' as const, _userId: 'alice', _priority: 'High' as const };
    const spam = decide(held, line, { now: NOW, channelType: 'telegram' }, supervisor, { command: 'markAsSpam' });
    assert.equal(spam.guard, 'release');
    assert.deepEqual(spam.after._beforeSpam, { _state: 'AssignedToOperator', _userId: 'alice', _userGroupId: null, _botId: null, _priority: 'High' });
    const back = decide(spam.after, line, { now: NOW, operator: op('alice', 'offline'), latestOfChain: held.__id }, supervisor, { command: 'unmarkAsSpam' });
    assert.equal(back.after._state, 'Waiting');
    assert.equal(back.after._userId, null);
    assert.equal(back.after._priority, 'High');
    assert.equal(back.guard, 'take');
    const online = decide(spam.after, line, { now: NOW, operator: op('alice'), latestOfChain: held.__id }, supervisor, { command: 'unmarkAsSpam' });
    assert.equal(online.after._state, 'AssignedToOperator');
    assert.equal(online.after._userId, 'alice');
    const notLast = refusal(() => decide(spam.after, line, { now: NOW, latestOfChain: 'newer' }, supervisor, { command: 'unmarkAsSpam' }));
    assert.equal(notLast.kind, 'conflict');
    assert.equal(refusal(() => decide(held, line, { now: NOW, channelType: 'internal' }, supervisor, { command: 'markAsSpam' })).kind, 'conflict');
  });

  it('save: apps of other codes are 400; duplicates removed; no change is unchanged', () => {
    const s = queued();
    const bad = refusal(() => decide(s, line, { now: NOW }, supervisor, { command: 'save', apps: [{ code: 'contacts', id: '1' }] }));
    assert.equal(bad.kind, 'invalid');
    const d = decide(s, line, { now: NOW }, supervisor, {
      command: 'save',
      apps: [
        { code: 'deals', id: '1' },
        { code: 'deals', id: '1' },
      ],
    });
    assert.deepEqual(d.after._apps, [{ code: 'deals', id: '1' }]);
    assert.equal(decide(s, line, { now: NOW }, supervisor, { command: 'save', name: s.__name }).unchanged, true);
  });

  it('close: the assignee only, not even an admin', () => {
    const held = { ...queued(), _state: 'AssignedToOperator' as const, _userId: 'alice' };
    const admin: Caller = { sub: 'root', roles: ['admin'], groups: [], channels: [] };
    assert.equal(refusal(() => decide(held, line, { now: NOW }, admin, { command: 'close' })).kind, 'forbidden');
    const d = decide(held, line, { now: NOW, callerOperator: op('alice') }, operatorCaller('alice'), { command: 'close' });
    assert.equal(d.after._state, 'Closed');
    assert.equal(d.after._closedAt, NOW);
  });
});
