/** `sla_met_share_*` (lib/domain/metrics/definitions.ts) on hand-computed histories. Pure: no table. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Message } from '../../lib/contract/schemas.ts';
import { type Sample, sessionFigures } from '../../lib/domain/metrics/definitions.ts';

const SESSION = '00000000-0000-4000-8000-000000000001';
const T0 = Date.parse('2026-03-02T10:00:00.000Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();
let seq = 0;
function base(s: number) {
  seq += 1;
  return {
    __id: `${String(T0 + s * 1000).padStart(13, '0')}-${String(seq).padStart(4, '0')}-x`,
    __createdAt: at(s),
    session: SESSION,
    body: 'b',
    client: null,
    operator: null,
    externalId: null,
    files: [],
    attachments: [],
    isRead: false,
    _deliveryStatus: null,
  };
}
const client = (s: number): Message => ({ ...base(s), type: 'text', author: 'client', client: '00000000-0000-4000-8000-0000000000c1', payload: null });
const reply = (s: number, who = 'alice'): Message => ({ ...base(s), type: 'text', author: 'operator', operator: who, payload: null });
function hist(s: number, command: string, changes: Record<string, [unknown, unknown]>, extra: Record<string, unknown> = {}): Message {
  return {
    ...base(s),
    type: 'payload',
    author: 'system',
    operator: 'x',
    payload: {
      kind: command === 'create' ? 'SessionCreated' : 'SessionChanged',
      command,
      by: 'x',
      at: at(s),
      changes: Object.entries(changes).map(([field, [o, n]]) => ({ field, old: o, new: n })),
      ...extra,
    },
  };
}
const created = (sla?: Record<string, number>) => hist(0, 'create', { _state: [null, 'Waiting'] }, sla ? { sla } : {});
const take = (s: number) => hist(s, 'assignToOperator', { _state: ['Waiting', 'AssignedToOperator'], _userId: [null, 'alice'] });
const close = (s: number) => hist(s, 'close', { _state: ['AssignedToOperator', 'Closed'] });
const breach = (s: number, policy: string) => hist(s, 'slaBreached', {}, { policy });
const sla = (samples: Sample[]) =>
  samples.filter((x) => x.metric.startsWith('sla_met_share_')).map((x) => [x.metric.replace('sla_met_share_', ''), x.value, x.at] as const);

describe('sla_met_share', () => {
  it('nothing without targets at creation', () => {
    assert.deepEqual(sla(sessionFigures([created(), client(0), take(5), reply(100), close(200)]).samples), []);
  });

  it('first response in time, resolution late (measured from the timestamps, breach entry or not)', () => {
    const figures = sessionFigures([created({ firstResponse: 60, resolution: 120 }), client(0), take(5), reply(30), close(200)]);
    assert.deepEqual(sla(figures.samples), [
      ['firstResponse', 1, at(30)],
      ['resolution', 0, at(200)],
    ]);
  });

  it('a breach entry counts as missed at once, once per target', () => {
    const figures = sessionFigures([created({ firstResponse: 60 }), client(0), breach(61, 'firstResponse'), take(70), reply(80), close(90)]);
    assert.deepEqual(sla(figures.samples), [['firstResponse', 0, at(61)]]);
  });

  it('a late reply before any sweep is still missed', () => {
    const figures = sessionFigures([created({ firstResponse: 60 }), client(0), take(10), reply(75)]);
    assert.deepEqual(sla(figures.samples), [['firstResponse', 0, at(75)]]);
  });

  it('next response: met at close when every cycle was answered in time, missed at the first late one', () => {
    const ok = sessionFigures([created({ nextResponse: 30 }), client(0), take(5), reply(10), client(50), client(60), reply(75), close(100)]);
    assert.deepEqual(sla(ok.samples), [['nextResponse', 1, at(100)]]);
    const late = sessionFigures([
      created({ nextResponse: 30 }),
      client(0),
      take(5),
      reply(10),
      client(50),
      client(70),
      reply(90),
      client(100),
      reply(200),
      close(300),
    ]);
    assert.deepEqual(sla(late.samples), [['nextResponse', 0, at(90)]], 'measured from the first unanswered message (50 → 90)');
    const open = sessionFigures([created({ nextResponse: 30 }), client(0), take(5), reply(10), client(50), close(100)]);
    assert.deepEqual(sla(open.samples), [['nextResponse', 0, at(100)]], 'unanswered and overdue at close');
  });

  it('a session marked as spam contributes nothing', () => {
    const figures = sessionFigures([
      created({ firstResponse: 60 }),
      client(0),
      breach(61, 'firstResponse'),
      hist(70, 'markAsSpam', { _state: ['Waiting', 'MarkedAsSpam'] }),
    ]);
    assert.deepEqual(figures.samples, []);
  });
});
