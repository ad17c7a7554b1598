/** `client.erased` from an erasure item's stream records: once, when it becomes `done`, with ids and counts only. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readChange } from '../../lib/adapters/dynamodb/stream.ts';
import { eventsOfChange, isClientVisible } from '../../lib/domain/events/map.ts';

const item = (state: string) => ({
  pk: 'ERASURE#c1',
  sk: '#ERASURE',
  entity: 'erasure',
  client: 'c1',
  line: 'l1',
  channel: 'ch1',
  state,
  by: 'admin-1',
  startedAt: '2026-01-01T00:00:00.000Z',
  doneAt: state === 'done' ? '2026-01-01T00:00:05.000Z' : null,
  sessions: 2,
  messages: 7,
});

describe('client.erased', () => {
  test('running makes nothing; running → done makes one event; a replayed done → done makes none', () => {
    assert.deepEqual(eventsOfChange(readChange({ eventName: 'INSERT', newImage: item('running') })), []);
    const [draft, ...rest] = eventsOfChange(readChange({ eventName: 'MODIFY', oldImage: item('running'), newImage: item('done') }));
    assert.equal(rest.length, 0);
    assert.deepEqual(draft!.event, {
      id: 'c1.erased',
      type: 'client.erased',
      time: '2026-01-01T00:00:05.000Z',
      line: 'l1',
      channel: 'ch1',
      session: null,
      data: { client: 'c1', by: 'admin-1', sessions: 2, messages: 7 },
    });
    assert.equal(isClientVisible(draft!.event), false);
    assert.deepEqual(eventsOfChange(readChange({ eventName: 'MODIFY', oldImage: item('done'), newImage: item('done') })), []);
  });
});
