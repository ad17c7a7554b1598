/**
 * A transfer with context: the assign body's `comment` becomes a staff-only note in the same
 * transaction as the transfer, ordered right after its history entry; it never reaches the
 * client's messenger; a refused or losing transfer writes no note.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MAX_TRANSFER_COMMENT_LENGTH } from '../../lib/contract/schemas.ts';
import { isClientVisible } from '../../lib/domain/events/map.ts';
import { sameTable, snapshot, type World, world } from '../support/fixtures.ts';
import { startTestHost, type TestHost } from '../support/host.ts';
import { type Receiver, startReceiver } from '../support/receiver.ts';

let host: TestHost;
let w: World;
let alice: string;
let bob: string;
let supervisor: string;
const receivers: Receiver[] = [];

before(async () => {
  host = await startTestHost({ events: true, sweepEveryMs: 100 });
  w = await world(host);
  alice = await w.operator('alice');
  bob = await w.operator('bob');
  supervisor = await host.token({ sub: 'sup-1', roles: ['supervisor'], groups: ['leads'] });
});
after(async () => {
  for (const r of receivers) await r.close();
  await host.close();
});

async function heldBy(token: string, operator: string, account: string, channel?: { id: string; integration: string }) {
  const opened = channel
    ? (await host.call('POST', `/v1/channels/${channel.id}/inbound`, { token: channel.integration, body: { account, body: 'my order is late' } })).body
    : await w.openSession(account, 'my order is late');
  const id: string = opened.session.__id;
  assert.equal((await host.call('POST', `/v1/sessions/${id}/assign`, { token, body: { operator } })).status, 200);
  return id;
}
const messages = async (id: string) => (await host.call('GET', `/v1/sessions/${id}/messages?size=1000`, { token: w.admin })).body;

describe('transfer with a comment', () => {
  test('the comment is a staff note right after the transfer’s history entry; the receiver sees it first', async () => {
    const id = await heldBy(alice, 'alice', 'ctx-1');
    const moved = await host.call('POST', `/v1/sessions/${id}/assign`, {
      token: alice,
      body: { operator: 'bob', comment: '  VIP: refund already approved  ' },
    });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    assert.equal(moved.body._userId, 'bob');
    const all = await messages(id);
    const at = all.findLastIndex((m: { payload: { kind: string } | null }) => m.payload?.kind === 'SessionReassigned');
    const history = all[at];
    const note = all[at + 1];
    assert.equal(history.payload.to.operator, 'bob');
    assert.deepEqual(
      { type: note.type, author: note.author, body: note.body, operator: note.operator, at: note.__createdAt },
      { type: 'system', author: 'operator', body: 'VIP: refund already approved', operator: 'alice', at: history.__createdAt },
    );
    assert.equal(at + 2, all.length, 'the note is the newest message: what bob reads first on the session');
    // The last message (what a list shows) is the note.
    assert.equal((await host.call('GET', `/v1/sessions/${id}/messages/last`, { token: bob })).body.__id, note.__id);

    // To a group, by a supervisor: the same.
    const toGroup = await host.call('POST', `/v1/sessions/${id}/assign`, { token: supervisor, body: { group: 'support', comment: 'second line please' } });
    assert.equal(toGroup.status, 200);
    const after = await messages(id);
    assert.equal(after.at(-1).body, 'second line please');
    assert.equal(after.at(-2).payload.kind, 'SessionReassigned');
  });

  test('never to the client: the messenger endpoint gets the reply, not the note; its event is staff-only', async () => {
    const r = await startReceiver();
    receivers.push(r);
    const hookReceiver = await startReceiver();
    receivers.push(hookReceiver);
    const channel = await host.call('POST', '/v1/channels', {
      token: w.admin,
      body: { _line: w.line.__id, _type: 'whatsapp', __name: 'WhatsApp', _deliveryUrl: r.url },
    });
    assert.equal(channel.status, 201);
    r.secret = channel.body._deliverySecret;
    const hook = await host.call('POST', '/v1/webhooks', { token: w.admin, body: { url: hookReceiver.url, events: ['message.created'], line: w.line.__id } });
    hookReceiver.secret = hook.body.secret;
    const integration = await host.token({ sub: 'wa-integration', roles: ['integration'], channels: [channel.body.__id] });
    const id = await heldBy(alice, 'alice', '+15550002', { id: channel.body.__id, integration });
    assert.equal(
      (await host.call('POST', `/v1/sessions/${id}/assign`, { token: alice, body: { operator: 'bob', comment: 'internal: card ends 4242' } })).status,
      200,
    );
    assert.equal((await host.call('POST', `/v1/sessions/${id}/messages`, { token: bob, body: { type: 'text', body: 'Hello, Bob here' } })).status, 201);
    await r.waitFor((x) => x.length >= 1);
    await hookReceiver.waitFor((x) => x.some((y) => y.event?.data?.message?.body === 'Hello, Bob here'));
    await host.events!.poller.drain();
    await host.events!.sweep();
    assert.deepEqual(
      r.received.map((x) => x.event.data.message.body),
      ['Hello, Bob here'],
    );
    const noteEvent = hookReceiver.received.find((x) => x.event.data.message?.body === 'internal: card ends 4242');
    assert.ok(noteEvent, 'staff subscribers get the note');
    assert.equal(noteEvent.event.data.visibility, 'staff');
    assert.equal(isClientVisible(noteEvent.event), false);
  });

  test('a refused, losing or invalid transfer writes no note (nothing at all)', async () => {
    const id = await heldBy(alice, 'alice', 'ctx-3');
    // What the stream makes of the earlier writes (deliveries) must not land between the snapshots.
    await host.events!.poller.drain();
    await host.events!.sweep();
    const before = await snapshot(host);
    // bob takes alice's session: 409 (already taken).
    const taken = await host.call('POST', `/v1/sessions/${id}/assign`, { token: bob, body: { operator: 'bob', comment: 'mine now' } });
    assert.equal(taken.status, 409);
    // If-Match on an old version: 409.
    const stale = await host.call('POST', `/v1/sessions/${id}/assign`, {
      token: alice,
      headers: { 'if-match': '"1"' },
      body: { operator: 'bob', comment: 'stale' },
    });
    assert.equal(stale.status, 409);
    // Too long, or empty: 400.
    const long = await host.call('POST', `/v1/sessions/${id}/assign`, {
      token: alice,
      body: { operator: 'bob', comment: 'x'.repeat(MAX_TRANSFER_COMMENT_LENGTH + 1) },
    });
    assert.equal(long.status, 400);
    const empty = await host.call('POST', `/v1/sessions/${id}/assign`, { token: alice, body: { operator: 'bob', comment: '   ' } });
    assert.equal(empty.status, 400);
    await host.events!.poller.drain();
    sameTable(before, await snapshot(host), 'a refused transfer wrote something');
  });

  test('parallel transfers with comments: exactly the winners’ notes, each right after its own history entry', async () => {
    const id = await heldBy(alice, 'alice', 'ctx-4');
    const carol = await w.operator('carol');
    const dave = await w.operator('dave');
    void carol;
    void dave;
    const results = await Promise.all(
      ['bob', 'carol', 'dave', 'erin'].map((to) =>
        host.call('POST', `/v1/sessions/${id}/assign`, { token: supervisor, body: { operator: to, comment: `to ${to}` } }),
      ),
    );
    const won = results.filter((r) => r.status === 200).map((r) => `to ${r.body._userId}`);
    assert.ok(won.length >= 1);
    assert.ok(results.every((r) => r.status === 200 || r.status === 409));
    const all = await messages(id);
    const notes = all.filter((m: { type: string }) => m.type === 'system').map((m: { body: string }) => m.body);
    assert.deepEqual(notes.sort(), [...won].sort());
    for (const [i, m] of all.entries()) {
      if (m.type === 'system') assert.equal(all[i - 1].payload?.kind, 'SessionReassigned');
    }
  });
});
