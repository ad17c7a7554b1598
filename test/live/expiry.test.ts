/**
 * A live socket lives as long as its token. On the local host the socket is closed when the
 * token expires (1008) and gets nothing after; in AWS the authorizer hands the token's expiry to
 * `$connect`, the connection items carry it, and the fan-out and `$default` close an expired
 * connection (DeleteConnection) instead of posting to it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TOKEN_EXPIRED } from '../../infra/local/live.ts';
import { inProcessBus } from '../../lib/adapters/bus.ts';
import { connectionsOfLines } from '../../lib/adapters/dynamodb/live.ts';
import { ApiGatewayPusher } from '../../lib/app/live/aws-pusher.ts';
import { publishLive } from '../../lib/app/live/fanout.ts';
import { type World, world } from '../support/fixtures.ts';
import { startTestHost, type TestHost } from '../support/host.ts';
import { openLive } from '../support/live.ts';
import { type ManagementApi, startManagementApi } from '../support/management-api.ts';

let host: TestHost;
let w: World;
let api: ManagementApi;
let base: string;
/** What the stand-in management API was asked: `POST <id>` with the frame, or `DELETE <id>`. */
const calls: { method: string; id: string; body: string }[] = [];

before(async () => {
  host = await startTestHost({ events: true });
  w = await world(host, { channelType: 'telegramBot' });
  api = await startManagementApi(host, (call) => {
    calls.push(call);
    return call.method === 'DELETE' ? { status: 204 } : { status: 200, body: '{}' };
  });
  base = api.base;
});
after(async () => {
  await api.close();
  await host.close();
});

describe('the local host', () => {
  test('a socket is closed when its token expires and gets no event after; a socket with a valid token goes on', async () => {
    const short = await openLive(host.url, await host.token({ sub: 'brief', roles: ['admin'] }, { expiresIn: '5s' }));
    const long = await openLive(host.url, await host.token({ sub: 'lasting', roles: ['admin'] }));
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      short.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    const first = await w.openSession('before-expiry', 'hello');
    for (const s of [short, long]) await s.waitFor((f) => f.some((x) => x.session === first.session.__id));

    assert.deepEqual(await closed, { ...TOKEN_EXPIRED }, 'closed by the server when the token expired');
    const received = short.frames.length;
    const second = await w.openSession('after-expiry', 'hello');
    await long.waitFor((f) => f.some((x) => x.session === second.session.__id));
    assert.equal(short.frames.length, received, 'nothing after the expiry');
    assert.ok(!short.frames.some((x) => x.session === second.session.__id));
    await long.close();
  });

  test('a token that has expired already is refused before the upgrade', async () => {
    const expired = await host.token({ sub: 'late', roles: ['admin'] }, { expiresIn: Math.floor(Date.now() / 1000) - 5 });
    await assert.rejects(openLive(host.url, expired), { status: 401 });
  });
});

describe('AWS', () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const wsEvent = (connectionId: string, extra: Record<string, unknown> = {}): any => ({
    requestContext: { connectionId, domainName: base.replace('http://', ''), stage: 'live', ...extra },
  });
  const admin = { sub: 'root', roles: ['admin'], groups: [], channels: [] };

  test("the authorizer hands the token's expiry to $connect, which keeps it with the connection", async () => {
    const authorize = (await import('../../functions/live/live-authorizer.ts')).handler;
    const connect = (await import('../../functions/live/live-connect.ts')).handler;
    const token = await host.token({ sub: 'root', roles: ['admin'] }, { issuer: base, expiresIn: '1h' });
    const exp = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).exp as number;
    const result = await authorize({ methodArn: 'arn:aws:execute-api:us-east-1:1:api/live/$connect', queryStringParameters: { token } } as never);
    assert.equal(result.context!.expiresAt, exp);
    assert.equal(await connect(wsEvent('kept', { authorizer: result.context })).then((r) => r.statusCode), 200);
    const kept = (await connectionsOfLines([w.line.__id])).find((c) => c.id === 'kept');
    assert.equal(kept?.tokenExpiresAt, exp);
    await (await import('../../functions/live/live-disconnect.ts')).handler(wsEvent('kept'));
  });

  test('the fan-out closes a connection whose token expired instead of posting to it; $default answers it nothing', async () => {
    const connect = (await import('../../functions/live/live-connect.ts')).handler;
    const frames = (await import('../../functions/live/live-default.ts')).handler;
    const now = Math.floor(Date.now() / 1000);
    for (const [id, expiresAt] of [
      ['valid', now + 3600],
      ['expired', now - 1],
      ['expired-2', now - 1],
    ] as const) {
      const r = await connect(wsEvent(id, { authorizer: { caller: JSON.stringify(admin), expiresAt } }));
      assert.equal(r.statusCode, 200);
    }
    const { session } = await w.openSession('aws-expiry', 'hello');
    await host.events!.poller.drain();
    const events = inProcessBus.recent.filter((e) => e.session === session.__id);
    calls.length = 0;
    await publishLive(events, [new ApiGatewayPusher(`${base}/live`)]);
    assert.deepEqual(
      calls.filter((c) => c.method === 'POST').map((c) => c.id),
      events.map(() => 'valid'),
      'posted only to the connection with a valid token',
    );
    assert.deepEqual(
      calls
        .filter((c) => c.method === 'DELETE')
        .map((c) => c.id)
        .sort(),
      ['expired', 'expired-2'],
    );
    const left = (await connectionsOfLines([w.line.__id])).map((c) => c.id);
    assert.ok(left.includes('valid') && !left.includes('expired') && !left.includes('expired-2'), left.join(', '));

    // $default on a connection whose token expired meanwhile (its item still there): closed, no frames.
    assert.equal((await connect(wsEvent('expired-3', { authorizer: { caller: JSON.stringify(admin), expiresAt: now - 1 } }))).statusCode, 200);
    calls.length = 0;
    const r = await frames({ ...wsEvent('expired-3'), body: `{"action":"resume","after":"${events[0]!.id}"}` } as never);
    assert.equal(r.statusCode, 401);
    assert.deepEqual(
      calls.map((c) => `${c.method} ${c.id}`),
      ['DELETE expired-3'],
    );
    assert.ok(!(await connectionsOfLines([w.line.__id])).some((c) => c.id === 'expired-3'));
  });
});
