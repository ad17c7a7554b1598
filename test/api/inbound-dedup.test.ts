/**
 * Inbound messages deduplicated by the messenger's own id (`externalId`): a retried or raced
 * copy adds nothing and is answered with the original, with real concurrency (parallel HTTP
 * requests against the local host over DynamoDB Local).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sameTable, snapshot, type World, world } from '../support/fixtures.ts';
import { startTestHost, type TestHost } from '../support/host.ts';

let host: TestHost;
let w: World;

before(async () => {
  host = await startTestHost();
  w = await world(host);
});
after(() => host.close());

const inbound = (body: Record<string, unknown>) => host.call('POST', `/v1/channels/${w.channel.__id}/inbound`, { token: w.integration, body });

async function clientMessages(session: string): Promise<{ body: string; externalId: string | null }[]> {
  const r = await host.call('GET', `/v1/sessions/${session}/messages?size=1000`, { token: w.admin });
  assert.equal(r.status, 200);
  return (r.body as { author: string; body: string; externalId: string | null }[]).filter((m) => m.author === 'client');
}

describe('inbound dedup by externalId', () => {
  it('a repeat adds nothing and answers the original (200, duplicate: true)', async () => {
    const first = await inbound({ account: 'dup-1', body: 'hello', externalId: 'tg-1' });
    assert.equal(first.status, 201);
    assert.equal(first.body.duplicate, undefined);
    const before = await snapshot(host);
    const again = await inbound({ account: 'dup-1', body: 'hello', externalId: 'tg-1' });
    assert.equal(again.status, 200);
    assert.equal(again.body.duplicate, true);
    assert.equal(again.body.message.__id, first.body.message.__id);
    assert.equal(again.body.session.__id, first.body.session.__id);
    assert.equal(again.body.client.__id, first.body.client.__id);
    sameTable(before, await snapshot(host), 'a duplicate wrote something');
    // Another id on the same session is a new message.
    const next = await inbound({ account: 'dup-1', body: 'second', externalId: 'tg-2' });
    assert.equal(next.status, 200);
    assert.equal(next.body.duplicate, undefined);
    assert.deepEqual(
      (await clientMessages(first.body.session.__id)).map((m) => m.externalId),
      ['tg-1', 'tg-2'],
    );
  });

  it('20 copies of a first message at once: one session, one message, every answer names it', async () => {
    const replies = await Promise.all(Array.from({ length: 20 }, () => inbound({ account: 'dup-race', body: 'hi', externalId: 'race-1' })));
    const statuses = replies.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 201).length, 1, statuses.join(','));
    assert.equal(statuses.filter((s) => s === 200).length, 19, statuses.join(','));
    const ids = new Set(replies.map((r) => r.body.message.__id));
    assert.equal(ids.size, 1);
    assert.ok(replies.filter((r) => r.status === 200).every((r) => r.body.duplicate === true));
    const session = replies[0]!.body.session.__id as string;
    assert.equal((await clientMessages(session)).length, 1);
  });

  it('20 copies of a message into an open session at once: one message', async () => {
    const opened = await inbound({ account: 'dup-open', body: 'first', externalId: 'o-1' });
    const replies = await Promise.all(Array.from({ length: 20 }, () => inbound({ account: 'dup-open', body: 'again', externalId: 'o-2' })));
    assert.ok(
      replies.every((r) => r.status === 200),
      replies.map((r) => r.status).join(','),
    );
    assert.equal(replies.filter((r) => !r.body.duplicate).length, 1);
    assert.equal(new Set(replies.map((r) => r.body.message.__id)).size, 1);
    assert.equal((await clientMessages(opened.body.session.__id)).length, 2);
  });

  it('the same externalId on another channel is another message', async () => {
    const other = await host.call('POST', '/v1/channels', { token: w.admin, body: { _line: w.line.__id, _type: 'telegram', __name: 'Other' } });
    const token = await host.token({ sub: 'integration-2', roles: ['integration'], channels: [other.body.__id] });
    const r = await host.call('POST', `/v1/channels/${other.body.__id}/inbound`, { token, body: { account: 'dup-1', body: 'hello', externalId: 'tg-1' } });
    assert.equal(r.status, 201);
    assert.equal(r.body.duplicate, undefined);
  });
});
