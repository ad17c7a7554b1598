/**
 * `mayReceiveEvent` (lib/domain/auth/policy.ts): who receives which event on the live socket. Pure:
 * every role × every kind of event × the caller's relation to the session, by hand, plus an
 * exhaustive sweep proving that no event of another line reaches anyone but an admin.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Caller, Role } from '../../lib/contract/caller.ts';
import { type ChatlinesEvent, EVENT_TYPES } from '../../lib/contract/events.ts';
import type { Line } from '../../lib/contract/schemas.ts';
import { type LiveEvent, mayReceiveEvent } from '../../lib/domain/auth/policy.ts';
import { isClientVisible } from '../../lib/domain/events/map.ts';

const line = { __id: 'L1', _operatorGroups: ['ops', 'vip'], _supervisorGroups: ['leads'], _botId: 'bot-1' } as unknown as Line;
const other = { __id: 'L2', _operatorGroups: ['ops2'], _supervisorGroups: ['leads2'], _botId: 'bot-2' } as unknown as Line;

const caller = (sub: string, roles: Role[], groups: string[] = [], channels: string[] = []): Caller => ({ sub, roles, groups, channels });
const admin = caller('root', ['admin']);
const lead = caller('lead', ['supervisor'], ['leads']);
const otherLead = caller('lead2', ['supervisor'], ['leads2']);
const op = caller('op-1', ['operator'], ['ops']);
const vipOp = caller('op-2', ['operator'], ['ops', 'vip']);
const stranger = caller('op-9', ['operator'], ['nobody']);
const bot = caller('bot-1', ['bot']);
const integration = caller('int', ['integration'], [], ['ch1']);
const otherIntegration = caller('int2', ['integration'], [], ['ch9']);
const nobody = caller('x', []);

interface S {
  _state: string;
  _userId?: string | null;
  _userGroupId?: string | null;
  _botId?: string | null;
}
function ev(type: ChatlinesEvent['type'], session: S | null, extra: Record<string, unknown> = {}, lineId = 'L1', channel = 'ch1'): LiveEvent {
  return {
    type,
    line: lineId,
    channel,
    session: session ? 's1' : null,
    data: session ? { session: { _userId: null, _userGroupId: null, _botId: null, ...session }, ...extra } : { channel: {}, ...extra },
  };
}
const may = (c: Caller, e: LiveEvent, l: Line = line) => mayReceiveEvent(c, l, e, (x) => isClientVisible(x as ChatlinesEvent));

const waiting = { _state: 'Waiting' };
const vipQueue = { _state: 'Waiting', _userGroupId: 'vip' };
const held = { _state: 'AssignedToOperator', _userId: 'op-1' };
const heldByOther = { _state: 'AssignedToOperator', _userId: 'op-3' };
const withBot = { _state: 'AssignedToBot', _botId: 'bot-1' };

describe('mayReceiveEvent', () => {
  test('admin: everything, any line', () => {
    for (const e of [
      ev('session.created', waiting),
      ev('message.created', heldByOther, { visibility: 'staff' }),
      ev('channel.disconnected', null),
      ev('session.closed', held, {}, 'L2'),
    ]) {
      assert.equal(may(admin, e, e.line === 'L2' ? other : line), true);
    }
  });

  test('supervisor: every event of its line, none of another', () => {
    assert.equal(may(lead, ev('message.created', heldByOther, { visibility: 'staff' })), true);
    assert.equal(may(lead, ev('channel.reconnected', null)), true);
    assert.equal(may(otherLead, ev('session.created', waiting)), false);
    assert.equal(may(otherLead, ev('session.created', waiting), other), false, 'the event names L1, the line passed is L2');
  });

  test('operator: queue events of queues it may take from', () => {
    assert.equal(may(op, ev('session.created', waiting)), true);
    assert.equal(may(op, ev('message.created', waiting, { visibility: 'client' })), true);
    assert.equal(may(op, ev('session.priority_changed', waiting)), true);
    // a group queue: only its members
    assert.equal(may(op, ev('message.created', vipQueue, { visibility: 'client' })), false);
    assert.equal(may(vipOp, ev('message.created', vipQueue, { visibility: 'client' })), true);
    // moved into a group it is not in: the move itself tells it the session left its queue
    const toVip = ev('session.assigned', vipQueue, {
      changes: [{ field: '_userGroupId', old: null, new: 'vip' }],
      from: { operator: null, group: null, bot: null },
    });
    assert.equal(may(op, toVip), true);
    // returned to the queue by someone else
    const returned = ev('session.returned_to_queue', waiting, {
      changes: [
        { field: '_state', old: 'AssignedToOperator', new: 'Waiting' },
        { field: '_userId', old: 'op-3', new: null },
      ],
    });
    assert.equal(may(op, returned), true);
    // taken by another operator: the taking (it left the queue), nothing after
    const taken = ev('session.assigned', heldByOther, {
      changes: [
        { field: '_state', old: 'Waiting', new: 'AssignedToOperator' },
        { field: '_userId', old: null, new: 'op-3' },
      ],
      from: { operator: null, group: null, bot: null },
    });
    assert.equal(may(op, taken), true);
    assert.equal(may(op, ev('message.created', heldByOther, { visibility: 'client' })), false);
    assert.equal(may(op, ev('session.closed', heldByOther, { changes: [{ field: '_state', old: 'AssignedToOperator', new: 'Closed' }] })), false);
    // created straight into another operator's hands (POST /v1/sessions): not a queue event
    assert.equal(may(op, ev('session.created', heldByOther)), false);
    // with the bot
    assert.equal(may(op, ev('message.created', withBot, { visibility: 'client' })), false);
  });

  test('operator: everything of sessions it holds, and the event that takes one away', () => {
    for (const type of EVENT_TYPES.filter((t) => !t.startsWith('channel.'))) assert.equal(may(op, ev(type, held, { visibility: 'staff' })), true, type);
    const away = ev('session.assigned', heldByOther, {
      from: { operator: 'op-1', group: null, bot: null },
      changes: [{ field: '_userId', old: 'op-1', new: 'op-3' }],
    });
    assert.equal(may(op, away), true);
    assert.equal(may(vipOp, away), false);
  });

  test("operator: its lines' channel events; nothing of lines it does not operate", () => {
    assert.equal(may(op, ev('channel.disconnected', null)), true);
    assert.equal(may(stranger, ev('channel.disconnected', null)), false);
    assert.equal(may(stranger, ev('session.created', waiting)), false);
    assert.equal(may(op, ev('session.created', waiting, {}, 'L2'), other), false);
  });

  test('bot: sessions it holds, and the hand-over away from it', () => {
    assert.equal(may(bot, ev('message.created', withBot, { visibility: 'client' })), true);
    assert.equal(may(bot, ev('session.assigned', withBot, { silent: true })), true);
    assert.equal(may(bot, ev('session.created', waiting)), false);
    assert.equal(may(bot, ev('message.created', held, { visibility: 'client' })), false);
    assert.equal(may(bot, ev('session.assigned', held, { from: { operator: null, group: null, bot: 'bot-1' } })), true);
    assert.equal(may(bot, ev('channel.disconnected', null)), false);
    assert.equal(may(caller('bot-2', ['bot']), ev('message.created', withBot, { visibility: 'client' })), false);
  });

  test("integration: client-visible events of its channels' sessions only", () => {
    const visible = [
      ev('session.created', waiting),
      ev('message.created', held, { visibility: 'client' }),
      ev('session.assigned', held, { silent: false }),
      ev('session.closed', held),
      ev('session.returned_to_queue', waiting),
      ev('message.status_changed', held),
    ];
    for (const e of visible) {
      assert.equal(may(integration, e), true, e.type);
      assert.equal(may(otherIntegration, e), false, e.type);
    }
    const hidden = [
      ev('message.created', held, { visibility: 'staff' }),
      ev('session.assigned', withBot, { silent: true }),
      ev('session.priority_changed', held),
      ev('session.updated', held),
      ev('session.marked_spam', held),
      ev('session.unmarked_spam', held),
      ev('session.sla_breached', held),
      ev('channel.disconnected', null),
      ev('channel.reconnected', null),
    ];
    for (const e of hidden) assert.equal(may(integration, e), false, e.type);
    assert.equal(may(integration, ev('session.created', waiting, {}, 'L1', 'ch2')), false, 'another channel of the same line');
  });

  test('no roles: nothing', () => {
    assert.equal(may(nobody, ev('session.created', waiting)), false);
  });

  test('exhaustive: no event of another line reaches anyone but an admin', () => {
    const callers = [
      lead,
      op,
      vipOp,
      stranger,
      bot,
      integration,
      nobody,
      caller('all', ['supervisor', 'operator', 'bot', 'integration'], ['leads', 'ops', 'vip'], ['ch1']),
    ];
    const sessions: (S | null)[] = [
      null,
      waiting,
      vipQueue,
      held,
      heldByOther,
      withBot,
      { _state: 'Closed', _userId: 'op-1' },
      { _state: 'MarkedAsSpam', _userId: 'op-1' },
    ];
    let checked = 0;
    for (const c of callers) {
      for (const type of EVENT_TYPES) {
        for (const s of sessions) {
          for (const extra of [{}, { visibility: 'client' }, { from: { operator: c.sub, bot: c.sub } }]) {
            const e = ev(type, s, extra, 'L2', 'ch1');
            // the event names line L2; whichever line object is at hand, a non-admin gets nothing
            assert.equal(may(c, e, line), false, `${c.sub} ${type}`);
            checked++;
          }
        }
      }
    }
    assert.ok(checked > 2_000);
  });
});
