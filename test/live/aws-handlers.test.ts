/**
 * The AWS side of live push without an account: the WebSocket API's Lambda handlers called as
 * API Gateway would call them, against DynamoDB Local, with API Gateway's management API
 * (`POST /@connections/{id}`) played by a local HTTP server that records what is posted and
 * answers 410 Gone for connections that are gone. The authorizer verifies tokens against a
 * JWKS served on loopback.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { marshall } from '@aws-sdk/util-dynamodb';
import { inProcessBus } from '../../lib/adapters/bus.ts';
import { getItem } from '../../lib/adapters/dynamodb/db.ts';
import { sessionKey } from '../../lib/adapters/dynamodb/keys.ts';
import { connectionsOfLines } from '../../lib/adapters/dynamodb/live.ts';
import { ApiGatewayPusher } from '../../lib/app/live/aws-pusher.ts';
import { publishLive } from '../../lib/app/live/fanout.ts';
import { visitorPartition } from '../../lib/app/live/visibility.ts';
import { type World, world } from '../support/fixtures.ts';
import { startTestHost, type TestHost } from '../support/host.ts';
import { type ManagementApi, startManagementApi } from '../support/management-api.ts';

let host: TestHost;
let w: World;
let api: ManagementApi;
let base: string;
/** connection id → frames posted to it */
const posted = new Map<string, string[]>();
/** connections the stand-in management API was asked to close */
const closed: string[] = [];
const gone = new Set<string>();
/** connection id → the status the management API answers for it (403: a missing grant, 500: a failure) */
const failing = new Map<string, number>();

before(async () => {
  host = await startTestHost({ events: true });
  w = await world(host, { channelType: 'telegramBot' });
  api = await startManagementApi(host, ({ method, id, body }) => {
    if (method === 'DELETE') {
      closed.push(id);
      return { status: 204 };
    }
    if (gone.has(id)) return { status: 410, errorType: 'GoneException', body: '{"message":"Gone"}' };
    const status = failing.get(id);
    if (status === 403) {
      return { status: 403, errorType: 'AccessDeniedException', body: '{"message":"User is not authorized to perform: execute-api:ManageConnections"}' };
    }
    if (status) return { status, errorType: 'InternalServerErrorException', body: '{"message":"Internal server error"}' };
    posted.set(id, [...(posted.get(id) ?? []), body]);
    return { status: 200, body: '{}' };
  });
  base = api.base;
});
after(async () => {
  await api.close();
  await host.close();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const wsEvent = (connectionId: string, extra: Record<string, unknown> = {}): any => ({
  requestContext: { connectionId, domainName: base.replace('http://', ''), stage: 'live', ...extra },
});

describe('AWS live handlers', () => {
  test("the authorizer: the HTTP API's issuer and audience, refused otherwise", async () => {
    const { handler } = await import('../../functions/live/live-authorizer.ts');
    const ok = await host.token({ sub: 'lead', roles: ['supervisor'], groups: ['leads'] }, { issuer: base });
    const result = await handler({ methodArn: 'arn:aws:execute-api:us-east-1:1:api/live/$connect', queryStringParameters: { token: ok } } as never);
    assert.equal(result.principalId, 'lead');
    assert.equal(result.policyDocument.Statement[0]!.Effect, 'Allow');
    assert.deepEqual(JSON.parse(String(result.context!.caller)).groups, ['leads']);
    for (const bad of [
      undefined,
      'garbage',
      await host.token({ sub: 'x', roles: ['admin'] }), // the local issuer, not this one
      await host.token({ sub: 'x', roles: ['admin'] }, { issuer: base, audience: 'other' }),
      await host.token({ sub: 'x', roles: ['admin'] }, { issuer: base, expiresIn: -5 }),
    ]) {
      await assert.rejects(handler({ methodArn: 'arn', queryStringParameters: bad ? { token: bad } : {} } as never), /Unauthorized/);
    }
  });

  test('connect, fan-out to the connections that may see each event, 410 removes, ping/resume, disconnect', async () => {
    const connect = (await import('../../functions/live/live-connect.ts')).handler;
    const disconnect = (await import('../../functions/live/live-disconnect.ts')).handler;
    const frames = (await import('../../functions/live/live-default.ts')).handler;
    const callers = {
      lead: { sub: 'lead', roles: ['supervisor'], groups: ['leads'], channels: [] },
      admin: { sub: 'root', roles: ['admin'], groups: [], channels: [] },
      stranger: { sub: 'op-x', roles: ['operator'], groups: ['elsewhere'], channels: [] },
      gone: { sub: 'lead2', roles: ['supervisor'], groups: ['leads'], channels: [] },
    };
    for (const [id, caller] of Object.entries(callers)) {
      const r = await connect({
        ...wsEvent(id, { authorizer: { caller: JSON.stringify(caller) } }),
        headers: id === 'lead' ? { 'Sec-WebSocket-Protocol': 'bearer, x' } : {},
      } as never);
      assert.equal(r.statusCode, 200);
      if (id === 'lead') assert.equal(r.headers?.['Sec-WebSocket-Protocol'], 'bearer');
    }
    const found = (await connectionsOfLines([w.line.__id])).map((c) => c.id).sort();
    assert.deepEqual(found, ['admin', 'gone', 'lead'], 'the stranger sees no line: it is in no partition');

    const { session } = await w.openSession('amy', 'hello');
    await host.events!.poller.drain();
    const events = inProcessBus.recent.filter((e) => e.session === session.__id);
    assert.equal(events.length, 2);
    gone.add('gone');
    await publishLive(events, [new ApiGatewayPusher(`${base}/live`)]);
    for (const id of ['lead', 'admin'])
      assert.deepEqual(
        posted.get(id)!.map((f) => JSON.parse(f).id),
        events.map((e) => e.id),
        id,
      );
    assert.equal(posted.get('stranger'), undefined);
    assert.deepEqual((await connectionsOfLines([w.line.__id])).map((c) => c.id).sort(), ['admin', 'lead'], 'the gone connection was removed');

    // $default: the first answer is preceded by ready; ping → pong; resume → the log, then resumed.
    posted.clear();
    await frames({ ...wsEvent('lead'), body: '{"action":"ping"}' } as never);
    await frames({ ...wsEvent('lead'), body: `{"action":"resume","after":"${events[0]!.id}"}` } as never);
    await frames({ ...wsEvent('lead'), body: 'nonsense' } as never);
    const types = posted.get('lead')!.map((f) => JSON.parse(f).type as string);
    assert.deepEqual(types, ['ready', 'pong', 'message.created', 'resumed', 'error']);

    await disconnect(wsEvent('lead'));
    assert.deepEqual(
      (await connectionsOfLines([w.line.__id])).map((c) => c.id),
      ['admin'],
    );
  });

  test('a posting error other than 410 fails the push and is reported; the other connections still get their frames', async () => {
    const connect = (await import('../../functions/live/live-connect.ts')).handler;
    const admin = { sub: 'root', roles: ['admin'], groups: [], channels: [] };
    for (const id of ['ok-1', 'denied', 'broken', 'ok-2']) {
      assert.equal((await connect({ ...wsEvent(id, { authorizer: { caller: JSON.stringify(admin) } }), headers: {} } as never)).statusCode, 200);
    }
    const { session } = await w.openSession('bob', 'hello');
    await host.events!.poller.drain();
    const events = inProcessBus.recent.filter((e) => e.session === session.__id);
    posted.clear();
    for (const [id, status] of [
      ['denied', 403],
      ['broken', 500],
    ] as const) {
      failing.clear();
      failing.set(id, status);
      const reported: { connection: string; status: number | undefined }[] = [];
      const pusher = new ApiGatewayPusher(`${base}/live`, (error, connection) =>
        reported.push({ connection, status: (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode }),
      );
      await assert.rejects(publishLive(events, [pusher]), new RegExp(`live push failed for 1 of \\d+ connections: ${status}`));
      assert.deepEqual(reported, [{ connection: id, status }], 'the failed post is reported');
      for (const ok of ['ok-1', 'ok-2']) assert.ok(posted.get(ok)?.length, `${ok} got its frames`);
      posted.clear();
    }
    const ids = (await connectionsOfLines([w.line.__id])).map((c) => c.id);
    assert.ok(ids.includes('denied') && ids.includes('broken'), 'a connection is removed only on 410');

    // The fan-out function: the record whose push failed is reported (a batch of one: reported;
    // its first record failing a longer batch fails it, so the mapping bisects).
    const fanOut = (await import('../../functions/stream/live-fanout.ts')).handler;
    const item = (await getItem(sessionKey(session.__id)))!;
    const record = {
      eventName: 'INSERT',
      eventSource: 'aws:dynamodb',
      dynamodb: { NewImage: marshall(item, { removeUndefinedValues: true }), Keys: marshall(sessionKey(session.__id)), SequenceNumber: '100' },
    };
    failing.clear();
    failing.set('denied', 403);
    assert.deepEqual(await fanOut({ Records: [record] } as never), { batchItemFailures: [{ itemIdentifier: '100' }] });
    await assert.rejects(fanOut({ Records: [record, { ...record, dynamodb: { ...record.dynamodb, SequenceNumber: '101' } }] } as never), /bisected/);
    failing.clear();
    assert.deepEqual(await fanOut({ Records: [record] } as never), { batchItemFailures: [] });
    for (const id of ['denied', 'broken', 'ok-1', 'ok-2']) await (await import('../../functions/live/live-disconnect.ts')).handler(wsEvent(id));
  });

  test('visitors: the authorizer takes a visitor token, $connect files it under its client, the fan-out posts only its own client-visible events in its shape, typing crosses both ways through $default', async () => {
    const authorize = (await import('../../functions/live/live-authorizer.ts')).handler;
    const connect = (await import('../../functions/live/live-connect.ts')).handler;
    const frames = (await import('../../functions/live/live-default.ts')).handler;
    const disconnect = (await import('../../functions/live/live-disconnect.ts')).handler;
    const livechat = await host.call('POST', '/v1/channels', { token: w.admin, body: { _line: w.line.__id, _type: 'livechat', __name: 'Web' } });
    const visitor = (await host.call('POST', '/v1/visitors', { body: { channel: livechat.body.__id } })).body as { token: string };
    const other = (await host.call('POST', '/v1/visitors', { body: { channel: livechat.body.__id } })).body as { token: string };
    const first = await host.call('POST', '/v1/visitors/messages', { token: visitor.token, body: { body: 'hello from the web' } });
    await host.call('POST', '/v1/visitors/messages', { token: other.token, body: { body: 'someone else' } });
    const session = first.body.session.id as string;

    const arn = 'arn:aws:execute-api:us-east-1:1:api/live/$connect';
    const allowed = await authorize({ methodArn: arn, queryStringParameters: { token: visitor.token } } as never);
    assert.equal(typeof allowed.context!.expiresAt, 'number');
    await assert.rejects(authorize({ methodArn: arn, queryStringParameters: { token: `${visitor.token}x` } } as never), /Unauthorized/);
    const alice = await w.operator('alice');
    const aliceCaller = { sub: 'alice', roles: ['operator'], groups: ['support'], channels: [] };
    assert.equal((await connect({ ...wsEvent('vis', { authorizer: allowed.context }), headers: {} } as never)).statusCode, 200);
    assert.equal((await connect({ ...wsEvent('al', { authorizer: { caller: JSON.stringify(aliceCaller) } }), headers: {} } as never)).statusCode, 200);
    const client = (await host.call('GET', `/v1/sessions/${session}`, { token: w.admin })).body._clients[0] as string;
    assert.ok(
      (await connectionsOfLines([visitorPartition(client)])).some((c) => c.id === 'vis'),
      "the visitor's connection is filed under its client, not under the line",
    );
    assert.ok(!(await connectionsOfLines([w.line.__id])).some((c) => c.id === 'vis'));

    assert.equal((await host.call('POST', `/v1/sessions/${session}/assign`, { token: alice, body: { operator: 'alice' } })).status, 200);
    await host.call('POST', `/v1/sessions/${session}/messages`, { token: alice, body: { type: 'system', body: 'STAFF ONLY' } });
    await host.call('POST', `/v1/sessions/${session}/messages`, { token: alice, body: { type: 'text', body: 'how can I help?' } });
    await host.events!.poller.drain();
    const events = inProcessBus.recent.filter((e) => e.channel === livechat.body.__id);
    posted.clear();
    await publishLive(events, [new ApiGatewayPusher(`${base}/live`)]);
    const got = (posted.get('vis') ?? []).map((f) => JSON.parse(f));
    assert.deepEqual(
      got.map((f) => f.type),
      ['session.created', 'message.created', 'session.assigned', 'message.created'],
    );
    assert.ok(got.every((f) => f.session === session && !('line' in f) && !('session' in f.data)));
    assert.equal(got[3].data.message.body, 'how can I help?');
    assert.ok(!JSON.stringify(got).includes('STAFF ONLY') && !JSON.stringify(got).includes('someone else'));

    // Typing: the visitor's reaches alice's connection, alice's the visitor's; a second within 2 s is dropped.
    posted.clear();
    const typing = JSON.stringify({ type: 'typing', session });
    await frames({ ...wsEvent('vis'), body: typing } as never);
    await frames({ ...wsEvent('vis'), body: typing } as never);
    await frames({ ...wsEvent('al'), body: typing } as never);
    const typingOf = (id: string) => (posted.get(id) ?? []).map((f) => JSON.parse(f)).filter((f) => f.type === 'typing');
    assert.deepEqual(
      typingOf('al').map((f) => [f.session, f.from]),
      [[session, 'client']],
    );
    assert.deepEqual(
      typingOf('vis').map((f) => [f.session, f.from]),
      [[session, 'operator']],
    );

    // A visitor connection whose token expired is closed at its next frame.
    await connect({ ...wsEvent('vis-old', { authorizer: { ...allowed.context, expiresAt: Math.floor(Date.now() / 1000) - 1 } }), headers: {} } as never);
    closed.length = 0;
    assert.equal((await frames({ ...wsEvent('vis-old'), body: '{"action":"ping"}' } as never)).statusCode, 401);
    assert.deepEqual(closed, ['vis-old']);
    for (const id of ['vis', 'al']) await disconnect(wsEvent(id));
  });

  test('a visitor connected before its first message is filed under its client at its next frame', async () => {
    const authorize = (await import('../../functions/live/live-authorizer.ts')).handler;
    const connect = (await import('../../functions/live/live-connect.ts')).handler;
    const frames = (await import('../../functions/live/live-default.ts')).handler;
    const livechat = await host.call('POST', '/v1/channels', { token: w.admin, body: { _line: w.line.__id, _type: 'livechat', __name: 'Early' } });
    const visitor = (await host.call('POST', '/v1/visitors', { body: { channel: livechat.body.__id } })).body as { token: string };
    const allowed = await authorize({
      methodArn: 'arn:aws:execute-api:us-east-1:1:api/live/$connect',
      queryStringParameters: { token: visitor.token },
    } as never);
    assert.equal((await connect({ ...wsEvent('early', { authorizer: allowed.context }), headers: {} } as never)).statusCode, 200);
    const first = await host.call('POST', '/v1/visitors/messages', { token: visitor.token, body: { body: 'now I write' } });
    const client = (await host.call('GET', `/v1/sessions/${first.body.session.id}`, { token: w.admin })).body._clients[0] as string;
    assert.ok(!(await connectionsOfLines([visitorPartition(client)])).some((c) => c.id === 'early'));
    posted.clear();
    await frames({ ...wsEvent('early'), body: '{"action":"ping"}' } as never);
    assert.ok(
      (await connectionsOfLines([visitorPartition(client)])).some((c) => c.id === 'early'),
      'filed under its client',
    );
    assert.deepEqual(
      (posted.get('early') ?? []).map((f) => JSON.parse(f).type),
      ['ready', 'pong'],
    );
    await (await import('../../functions/live/live-disconnect.ts')).handler(wsEvent('early'));
  });
});
