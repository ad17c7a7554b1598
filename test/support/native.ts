/**
 * Helpers of the end-to-end tests of natively connected messengers (test/messengers/native-*.test.ts):
 * wait for a condition, read a channel, a session's messages, the raw table, and post a hook
 * request to the local host as the messenger would; `nativeSuite` starts what such a test runs against.
 */
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { type World, world } from './fixtures.ts';
import { startTestHost, type TestHost } from './host.ts';

/** What a native messenger's end-to-end test runs against. */
export interface NativeSuite<F> {
  fake: F;
  host: TestHost;
  w: World;
  kit: NativeKit;
  /** An online operator of the world's line. */
  alice: string;
}

/**
 * Registers a test file's `before` and `after`: starts the messenger's fake and points its
 * adapter at it (`apiEnv` = `url(fake)`), then a host with events and a 100 ms delivery sweep
 * (retries happen within the test), a world, the kit and the operator `alice`, and hands them to
 * `ready` (the file's own variables: a second top-level `before` would run alongside this one, not
 * after it); closes the host and the fake after.
 */
export function nativeSuite<F extends { close(): Promise<void> }>(
  start: () => Promise<F>,
  apiEnv: string,
  url: (fake: F) => string,
  ready: (suite: NativeSuite<F>) => void,
): void {
  const suite = {} as NativeSuite<F>;
  before(async () => {
    suite.fake = await start();
    process.env[apiEnv] = url(suite.fake);
    suite.host = await startTestHost({ events: true, sweepEveryMs: 100 });
    suite.w = await world(suite.host);
    suite.kit = nativeKit(suite.host, suite.w);
    suite.alice = await suite.w.operator('alice');
    ready(suite);
  });
  after(async () => {
    await suite.host?.close();
    await suite.fake?.close();
  });
}

export interface NativeKit {
  until(what: string, check: () => Promise<boolean>, timeoutMs?: number): Promise<void>;
  channelNow(id: string): Promise<any>;
  clientsOf(channelId: string): Promise<any[]>;
  sessionsOf(channelId: string): Promise<any[]>;
  messagesOf(session: string): Promise<{ __id: string; author: string; body: string; externalId: string | null; _deliveryStatus: string | null }[]>;
  /** Every item of the table as text, to prove a secret is never stored in clear. */
  everyItemText(): Promise<string>;
  /** A raw request to a hook: the body byte for byte, the headers as given. */
  hook(
    method: 'GET' | 'POST',
    path: string,
    options?: { body?: string; headers?: Record<string, string> },
  ): Promise<{ status: number; text: string; contentType: string | null }>;
  /** Sends an operator's text reply; its message id. */
  reply(session: string, token: string, body: string): Promise<string>;
  /** Waits until a reply's `_deliveryStatus` is `status`. */
  statusIs(session: string, messageId: string, status: string): Promise<void>;
}

export function nativeKit(host: TestHost, w: World): NativeKit {
  const kit: NativeKit = {
    async until(what, check, timeoutMs = 15_000) {
      const end = Date.now() + timeoutMs;
      while (!(await check())) {
        if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async channelNow(id) {
      const r = await host.call('POST', '/v1/channels/search', { token: w.admin, body: { where: { eq: ['__id', id] }, size: 1 } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body.items[0];
    },
    async clientsOf(channelId) {
      const r = await host.call('POST', '/v1/clients/search', { token: w.admin, body: { where: { eq: ['_channel', channelId] }, size: 100 } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body.items;
    },
    async sessionsOf(channelId) {
      const r = await host.call('POST', '/v1/sessions/search', { token: w.admin, body: { where: { eq: ['_channel', channelId] }, size: 100 } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body.items;
    },
    async messagesOf(session) {
      const r = await host.call('GET', `/v1/sessions/${session}/messages?size=1000`, { token: w.admin });
      assert.equal(r.status, 200);
      return r.body;
    },
    async everyItemText() {
      const client = new DynamoDBClient({ endpoint: host.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
      const items: unknown[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const out = await client.send(new ScanCommand({ TableName: host.tableName, ...(start ? { ExclusiveStartKey: start as never } : {}) }));
        items.push(...(out.Items ?? []));
        start = out.LastEvaluatedKey;
      } while (start);
      client.destroy();
      return JSON.stringify(items);
    },
    async hook(method, path, options = {}) {
      const response = await fetch(`${host.url}${path}`, {
        method,
        headers: { ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
        ...(options.body === undefined ? {} : { body: options.body }),
      });
      return { status: response.status, text: await response.text(), contentType: response.headers.get('content-type') };
    },
    async reply(session, token, body) {
      const r = await host.call('POST', `/v1/sessions/${session}/messages`, { token, body: { type: 'text', body } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body.__id;
    },
    async statusIs(session, messageId, status) {
      await kit.until(`the reply ${status}`, async () => (await kit.messagesOf(session)).find((m) => m.__id === messageId)?._deliveryStatus === status);
    },
  };
  return kit;
}
