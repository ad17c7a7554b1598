/**
 * Helpers of the end-to-end tests of natively connected messengers (test/messengers/native-*.test.ts):
 * wait for a condition, read a channel, a session's messages, the raw table, and post a hook
 * request to the local host as the messenger would.
 */
import assert from 'node:assert/strict';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { World } from './fixtures.ts';
import type { TestHost } from './host.ts';

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
