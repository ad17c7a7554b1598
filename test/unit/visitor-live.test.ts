/**
 * The pure rules behind visitor sockets, typing and read receipts: who a visitor's socket hears
 * and in which shape, the typing throttle, frame parsing, and how a receipt is planned.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ChatlinesEvent } from '../../lib/contract/events.ts';
import { parseClientFrame, TYPING_INTERVAL_MS, TypingThrottle } from '../../lib/domain/live/frames.ts';
import { advances, planRead, READ_CAP } from '../../lib/domain/sessions/reads.ts';
import { visitorEvent, visitorMayReceive } from '../../lib/domain/visitors/rules.ts';

const scope = { channel: 'ch', account: 'visitor-1', client: 'cl-1' };
const session = { __id: 's1', _channel: 'ch', _clients: ['cl-1'], _state: 'AssignedToOperator', _priority: 'High', _userId: 'alice' };
const event = (type: ChatlinesEvent['type'], data: Record<string, unknown> = {}, over: Partial<ChatlinesEvent> = {}): ChatlinesEvent => ({
  id: 's1.3',
  type,
  time: '2026-12-07T10:00:00.000Z',
  line: 'line-1',
  channel: 'ch',
  session: 's1',
  sequence: 3,
  data: { session, by: 'alice', ...data },
  ...over,
});
const message = (author: string, type = 'text') => ({ __id: 'm1', __createdAt: '2026-12-07T10:00:00.000Z', author, type, body: 'hi', isRead: false });

describe('a visitor socket hears', () => {
  test('its own session: client messages and text replies, visible state changes and read receipts', () => {
    assert.ok(visitorMayReceive(scope, event('message.created', { message: message('operator'), visibility: 'client' })));
    assert.ok(visitorMayReceive(scope, event('message.created', { message: message('client'), visibility: 'client' })));
    assert.ok(visitorMayReceive(scope, event('session.closed')));
    assert.ok(visitorMayReceive(scope, event('session.assigned', { silent: false })));
    assert.ok(visitorMayReceive(scope, event('message.read', { reader: 'operator', upTo: 'm1', messages: ['m1'] })));
  });
  test('never notes, history, priority, spam, silent assignments, status reports, nor another session or channel', () => {
    assert.ok(!visitorMayReceive(scope, event('message.created', { message: message('operator', 'system'), visibility: 'staff' })));
    for (const type of ['session.priority_changed', 'session.updated', 'session.marked_spam', 'session.sla_breached', 'message.status_changed'] as const)
      assert.ok(!visitorMayReceive(scope, event(type)), type);
    assert.ok(!visitorMayReceive(scope, event('session.assigned', { silent: true })));
    assert.ok(!visitorMayReceive(scope, event('session.closed', { session: { ...session, _clients: ['cl-2'] } })));
    assert.ok(!visitorMayReceive(scope, event('session.closed', {}, { channel: 'other' })));
    assert.ok(!visitorMayReceive({ ...scope, client: null }, event('session.closed')));
    assert.ok(!visitorMayReceive(scope, event('channel.disconnected', {}, { session: null })));
  });
  test('in its own shape: no line, no session image, no staff ids; spam reads as closed', () => {
    const seen = visitorEvent(event('message.created', { message: { ...message('operator'), operator: 'alice' }, visibility: 'client', changes: [] }));
    assert.deepEqual(seen, {
      id: 's1.3',
      type: 'message.created',
      time: '2026-12-07T10:00:00.000Z',
      channel: 'ch',
      session: 's1',
      sequence: 3,
      data: { state: 'AssignedToOperator', message: { id: 'm1', at: '2026-12-07T10:00:00.000Z', from: 'operator', body: 'hi', files: [], read: false } },
    });
    assert.equal(visitorEvent(event('session.closed', { session: { ...session, _state: 'MarkedAsSpam' } })).data.state, 'Closed');
    assert.deepEqual(visitorEvent(event('message.read', { reader: 'operator', upTo: 'm1', messages: ['m1'] })).data.read, {
      of: 'visitor',
      upTo: 'm1',
      messages: ['m1'],
    });
  });
});

describe('typing', () => {
  test('frames parse; a bad session id is an error', () => {
    assert.deepEqual(parseClientFrame('{"type":"typing","session":"0b1c2d3e-0000-4000-8000-000000000000"}'), {
      action: 'typing',
      session: '0b1c2d3e-0000-4000-8000-000000000000',
    });
    assert.ok('error' in parseClientFrame('{"type":"typing"}'));
    assert.ok('error' in parseClientFrame('{"type":"typing","session":"a b"}'));
  });
  test('at most once per interval per sender and session', () => {
    const t = new TypingThrottle();
    assert.ok(t.allow('a', 's', 1_000));
    assert.ok(!t.allow('a', 's', 1_000 + TYPING_INTERVAL_MS - 1));
    assert.ok(t.allow('b', 's', 1_001), 'another sender');
    assert.ok(t.allow('a', 's2', 1_001), 'another session');
    assert.ok(t.allow('a', 's', 1_000 + TYPING_INTERVAL_MS));
  });
});

describe('read receipts', () => {
  test('only a later message moves the watermark', () => {
    assert.ok(advances(null, 'm1'));
    assert.ok(advances('m1', 'm2'));
    assert.ok(!advances('m2', 'm2'));
    assert.ok(!advances('m2', 'm1'));
  });
  test('at most READ_CAP marked per receipt; the watermark stops at the last one marked', () => {
    const ids = Array.from({ length: READ_CAP + 1 }, (_, i) => `m${String(i).padStart(3, '0')}`);
    assert.deepEqual(planRead('z', ids.slice(0, 3)), { mark: ids.slice(0, 3), readUpTo: 'z', more: false });
    const capped = planRead('z', ids);
    assert.equal(capped.mark.length, READ_CAP);
    assert.equal(capped.readUpTo, ids[READ_CAP - 1]);
    assert.equal(capped.more, true);
  });
});
