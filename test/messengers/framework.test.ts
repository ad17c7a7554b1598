/**
 * The shared messenger paths Telegram never takes, through a stand-in adapter registered for
 * `viberbot` (test/support/fakes/messenger.ts): a handshake the adapter answers itself (GET),
 * delivery statuses the messenger reports for our replies (found by the id it gave them), a read
 * watermark, an unknown status id, and a proof that fails — over real HTTP, DynamoDB Local and
 * its stream.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type StandIn, standInMessenger } from '../support/fakes/messenger.ts';
import { sameTable, snapshot, type World, world } from '../support/fixtures.ts';
import { startTestHost, type TestHost } from '../support/host.ts';

let host: TestHost;
let w: World;
let standIn: StandIn;
let alice: string;
let channelId = '';
let hookSecret = '';
const AUTH = 'stand-in-auth-token';

before(async () => {
  standIn = standInMessenger('viberbot', 'viber');
  host = await startTestHost({ events: true, sweepEveryMs: 100 });
  w = await world(host);
  alice = await w.operator('alice');
});
after(async () => {
  standIn?.restore();
  await host?.close();
});

const until = async (what: string, check: () => Promise<boolean>, timeoutMs = 15_000) => {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};
const hook = (events: unknown[], proof = standIn.proof(AUTH, hookSecret)) =>
  fetch(`${host.url}/v1/hooks/viber/${channelId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-stand-in-proof': proof },
    body: JSON.stringify(events),
  });
async function messagesOf(session: string) {
  const r = await host.call('GET', `/v1/sessions/${session}/messages?size=1000`, { token: w.admin });
  return r.body as { __id: string; author: string; body: string; _deliveryStatus: string | null; isRead: boolean }[];
}

describe('the shared messenger paths', () => {
  let sessionId = '';

  test('connect registers the hook; a message arrives', async () => {
    const r = await host.call('POST', '/v1/channels', {
      token: w.admin,
      body: { _line: w.line.__id, _type: 'viberbot', __name: 'Viber', _credentials: { authToken: AUTH } },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    channelId = r.body.__id;
    assert.equal(standIn.hooks.at(-1)?.url, `${host.url}/v1/hooks/viber/${channelId}`);
    hookSecret = standIn.hooks.at(-1)!.secret;
    const got = await hook([{ kind: 'message', externalId: 'tok-1', account: 'viber-user-1', displayName: 'Vi', username: 'vi', text: 'hi', attachments: [] }]);
    assert.equal(got.status, 200);
    const sessions = await host.call('POST', '/v1/sessions/search', { token: w.admin, body: { where: { eq: ['_channel', channelId] }, size: 1 } });
    sessionId = sessions.body.items[0].__id;
  });

  test('a GET handshake is answered by the adapter (text/plain), a wrong verify token is 401', async () => {
    const meta = standInMessenger('instagram', 'instagram');
    try {
      const r = await host.call('POST', '/v1/channels', {
        token: w.admin,
        body: {
          _line: w.line.__id,
          _type: 'instagram',
          __name: 'IG',
          _credentials: { accountId: '1784', accessToken: 'at', appSecret: 'as', verifyToken: 'vt' },
        },
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const challenge = await fetch(`${host.url}/v1/hooks/instagram/${r.body.__id}?hub.mode=subscribe&hub.verify_token=vt&hub.challenge=42`);
      assert.equal(challenge.status, 200);
      assert.equal(challenge.headers.get('content-type'), 'text/plain');
      assert.equal(await challenge.text(), '42');
      const wrong = await fetch(`${host.url}/v1/hooks/instagram/${r.body.__id}?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=42`);
      assert.equal(wrong.status, 401);
    } finally {
      meta.restore();
    }
  });

  test('statuses from the messenger move the reply on: sent → delivered → read by watermark; unknown ids change nothing', async () => {
    await host.call('POST', `/v1/sessions/${sessionId}/assign`, { token: alice, body: { operator: 'alice' } });
    const reply = await host.call('POST', `/v1/sessions/${sessionId}/messages`, { token: alice, body: { type: 'text', body: 'hello from us' } });
    const status = async () => (await messagesOf(sessionId)).find((m) => m.__id === reply.body.__id);
    await until('sent', async () => (await status())?._deliveryStatus === 'sent');
    assert.equal(standIn.sent.at(-1)?.account, 'viber-user-1');
    const externalId = `ext-${standIn.sent.length}`;
    assert.equal((await hook([{ kind: 'status', externalId, status: 'delivered' }])).status, 200);
    assert.equal((await status())?._deliveryStatus, 'delivered');
    const before = await snapshot(host);
    assert.equal((await hook([{ kind: 'status', externalId: 'ext-unknown', status: 'read' }])).status, 200);
    sameTable(before, await snapshot(host), 'an unknown status id wrote something');
    assert.equal((await hook([{ kind: 'readUpTo', account: 'viber-user-1', at: new Date(Date.now() + 1000).toISOString() }])).status, 200);
    const read = await status();
    assert.equal(read?._deliveryStatus, 'read');
    assert.equal(read?.isRead, true);
  });

  test('a failed proof is 401 and writes nothing', async () => {
    const before = await snapshot(host);
    const forged = await hook([{ kind: 'message', externalId: 'tok-2', account: 'viber-user-1', text: 'forged', attachments: [] }], 'forged');
    assert.equal(forged.status, 401);
    sameTable(before, await snapshot(host));
  });
});
