/** Pure parts of the event backbone: stream records → events, visibility, subscription patterns, URL rules, signatures. */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { channelItem } from '../../lib/adapters/dynamodb/items.ts';
import { sessionItem } from '../../lib/adapters/dynamodb/sessions.ts';
import { type ChangeRecord, readChange } from '../../lib/adapters/dynamodb/stream.ts';
import { isInternalAddress, parseTargetUrl } from '../../lib/adapters/http/urls.ts';
import { type ChatlinesEvent, matchesPattern } from '../../lib/contract/events.ts';
import type { Channel, Session } from '../../lib/contract/schemas.ts';
import { eventsOfChange, isClientVisible, messageVisibility } from '../../lib/domain/events/map.ts';
import { outboxFor } from '../../lib/domain/events/outbox.ts';
import { historyMessage, newMessage, openSession } from '../../lib/domain/sessions/session.ts';
import { nextAttemptAfter, retrySchedule } from '../../lib/domain/webhooks/schedule.ts';
import { sign, signedHeaders } from '../../lib/domain/webhooks/signing.ts';

/** A raw stream record through the store's reader and the event rules, as the consumer runs them. */
const eventsOfRecord = (record: ChangeRecord) => eventsOfChange(readChange(record));

const LINE = '00000000-0000-4000-8000-00000000000a';
const CHANNEL = '00000000-0000-4000-8000-00000000000b';
const CLIENT = '00000000-0000-4000-8000-00000000000c';
const NOW = '2026-12-01T10:00:00.000Z';

function created(): { session: Session; image: Record<string, unknown> } {
  const session = openSession({ line: LINE, channel: CHANNEL, client: CLIENT, state: 'Waiting', by: 'int', now: NOW });
  const messages = [
    historyMessage(null, session, 'create', 'int'),
    newMessage({ session: session.__id, type: 'text', author: 'client', body: 'hi', client: CLIENT, now: NOW }),
  ];
  const outbox = outboxFor(messages);
  return { session, image: { ...sessionItem(session), evSeq: outbox.length, evOut: outbox } };
}

describe('stream records → events', () => {
  test('a new session: created + its first message, sequences 1 and 2, ids <session>.<sequence>', () => {
    const { session, image } = created();
    const drafts = eventsOfRecord({ eventName: 'INSERT', newImage: image });
    assert.deepEqual(
      drafts.map((d) => [d.event.type, d.event.sequence, d.event.id]),
      [
        ['session.created', 1, `${session.__id}.1`],
        ['message.created', 2, `${session.__id}.2`],
      ],
    );
    assert.equal(drafts[1]!.message?.session, session.__id);
    assert.equal(drafts[0]!.event.line, LINE);
    assert.equal(drafts[0]!.event.channel, CHANNEL);
    assert.deepEqual(
      (drafts[0]!.event.data.changes as { field: string }[]).map((c) => c.field),
      ['_state', '__name', '_apps'],
    );
  });

  test('a command: its event numbered after the ones before it, with from/to and the changes of this write only', () => {
    const { session, image: before } = created();
    const after: Session = { ...session, _state: 'AssignedToOperator', _userId: 'alice', _version: 2, __updatedAt: '2026-12-01T10:01:00.000Z' };
    const outbox = outboxFor([historyMessage(session, after, 'assignToOperator', 'alice')]);
    const image = { ...sessionItem(after), evSeq: 3, evOut: outbox };
    const [draft, ...rest] = eventsOfRecord({ eventName: 'MODIFY', oldImage: before, newImage: image });
    assert.equal(rest.length, 0);
    assert.equal(draft!.event.type, 'session.assigned');
    assert.equal(draft!.event.sequence, 3);
    assert.deepEqual(draft!.event.data.to, { operator: 'alice', group: null, bot: null });
    assert.deepEqual(draft!.event.data.from, { operator: null, group: null, bot: null });
    assert.deepEqual(
      (draft!.event.data.changes as { field: string }[]).map((c) => c.field),
      ['_state', '_userId'],
    );
    assert.equal(draft!.event.data.by, 'alice');
  });

  test('a write that made no events, or a record older than its item, makes none', () => {
    const { image } = created();
    assert.deepEqual(eventsOfRecord({ eventName: 'MODIFY', oldImage: image, newImage: { ...image, _lastActivityAt: NOW } }), []);
    assert.deepEqual(eventsOfRecord({ eventName: 'MODIFY', oldImage: { ...image, evSeq: 5 }, newImage: image }), []);
    assert.deepEqual(eventsOfRecord({ eventName: 'REMOVE', oldImage: image }), []);
    assert.deepEqual(eventsOfRecord({ eventName: 'INSERT', newImage: { pk: 'X', sk: 'Y', entity: 'delivery' } }), []);
  });

  test('channels: a change of state is disconnected / reconnected; anything else makes nothing', () => {
    const channel: Channel = {
      __id: CHANNEL,
      __name: 'c',
      __createdAt: NOW,
      __createdBy: 'a',
      __updatedAt: NOW,
      __updatedBy: 'a',
      __deletedAt: null,
      _line: LINE,
      _type: 'telegram',
      _state: 'active',
      _deliveryUrl: null,
    };
    const off = { ...channel, _state: 'disconnected' as const, __updatedAt: '2026-12-01T11:00:00.000Z', __updatedBy: 'root' };
    const [e] = eventsOfRecord({ eventName: 'MODIFY', oldImage: channelItem(channel), newImage: channelItem(off) });
    assert.equal(e!.event.type, 'channel.disconnected');
    assert.equal(e!.event.session, null);
    assert.equal(e!.event.sequence, undefined);
    assert.equal(e!.event.id, `${CHANNEL}.2026-12-01T11:00:00.000Z`);
    const [back] = eventsOfRecord({
      eventName: 'MODIFY',
      oldImage: channelItem(off),
      newImage: channelItem({ ...channel, __updatedAt: '2026-12-01T12:00:00.000Z' }),
    });
    assert.equal(back!.event.type, 'channel.reconnected');
    assert.deepEqual(eventsOfRecord({ eventName: 'MODIFY', oldImage: channelItem(channel), newImage: channelItem({ ...channel, __name: 'renamed' }) }), []);
  });

  test('visibility: what a client side (integration, messenger) may see', () => {
    assert.equal(messageVisibility({ author: 'client', type: 'text' }), 'client');
    assert.equal(messageVisibility({ author: 'operator', type: 'text' }), 'client');
    assert.equal(messageVisibility({ author: 'bot', type: 'text' }), 'client');
    assert.equal(messageVisibility({ author: 'operator', type: 'system' }), 'staff');
    assert.equal(messageVisibility({ author: 'system', type: 'payload' }), 'staff');
    const event = (type: ChatlinesEvent['type'], data: Record<string, unknown> = {}): ChatlinesEvent => ({
      id: 'x',
      type,
      time: NOW,
      line: LINE,
      channel: CHANNEL,
      session: 's',
      sequence: 1,
      data,
    });
    assert.equal(isClientVisible(event('message.created', { visibility: 'client' })), true);
    assert.equal(isClientVisible(event('message.created', { visibility: 'staff' })), false);
    assert.equal(isClientVisible(event('session.assigned', { silent: true })), false);
    assert.equal(isClientVisible(event('session.assigned', { silent: false })), true);
    assert.equal(isClientVisible(event('session.marked_spam')), false);
    assert.equal(isClientVisible(event('session.priority_changed')), false);
    assert.equal(isClientVisible(event('session.closed')), true);
  });

  test('subscription patterns: exact types, prefixes ending in .*, and *', () => {
    assert.ok(matchesPattern('session.closed', 'session.*'));
    assert.ok(matchesPattern('session.closed', 'session.closed'));
    assert.ok(matchesPattern('message.created', '*'));
    assert.ok(!matchesPattern('message.created', 'session.*'));
    assert.ok(!matchesPattern('sessionx.closed', 'session.*'));
  });
});

describe('webhook deliveries', () => {
  test('the retry schedule spans more than 24 hours, then gives up', () => {
    delete process.env.WEBHOOK_RETRY_SECONDS;
    const total = retrySchedule().reduce((a, b) => a + b, 0);
    assert.ok(total >= 24 * 3600, `${total} s`);
    assert.ok(
      retrySchedule().every((d, i, all) => i === 0 || d >= all[i - 1]!),
      'growing delays',
    );
    assert.equal(nextAttemptAfter(1, 0), new Date(5_000).toISOString());
    assert.equal(nextAttemptAfter(retrySchedule().length + 1, 0), undefined);
  });

  test('Standard Webhooks signature: HMAC-SHA256 over id.timestamp.body with the decoded secret', () => {
    const key = Buffer.from('0123456789abcdef0123456789abcdef');
    const secret = `whsec_${key.toString('base64')}`;
    const expected = `v1,${createHmac('sha256', key).update('msg_1.1700000000.{"a":1}').digest('base64')}`;
    assert.equal(sign(secret, 'msg_1', 1_700_000_000, '{"a":1}'), expected);
    const headers = signedHeaders(secret, 'msg_1', '{"a":1}', new Date(1_700_000_000_500));
    assert.equal(headers['webhook-timestamp'], '1700000000');
    assert.equal(headers['webhook-signature'], expected);
  });

  test('internal addresses are refused; public ones pass', () => {
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.0.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      'fe80::1',
      'fd00::1',
      '::ffff:127.0.0.1',
      '224.0.0.1',
    ]) {
      assert.ok(isInternalAddress(a), a);
    }
    for (const a of ['93.184.216.34', '1.1.1.1', '2606:4700::1111']) assert.ok(!isInternalAddress(a), a);
  });

  test('loopback http only on the local host, with a port', () => {
    const was = process.env.CHATLINES_LOCAL_HOST;
    try {
      process.env.CHATLINES_LOCAL_HOST = 'true';
      assert.equal(parseTargetUrl('http://127.0.0.1:8080/x').port, '8080');
      assert.equal(parseTargetUrl('http://localhost:8080/x').hostname, 'localhost');
      assert.throws(() => parseTargetUrl('http://127.0.0.1/x'));
      process.env.CHATLINES_LOCAL_HOST = 'false';
      assert.throws(() => parseTargetUrl('http://127.0.0.1:8080/x'));
      assert.throws(() => parseTargetUrl('https://127.0.0.1/x'));
      assert.throws(() => parseTargetUrl('https://localhost/x'));
      assert.throws(() => parseTargetUrl('https://user:pw@example.com/x'));
      assert.equal(parseTargetUrl('https://hooks.example.com/x').hostname, 'hooks.example.com');
    } finally {
      process.env.CHATLINES_LOCAL_HOST = was;
    }
  });
});
