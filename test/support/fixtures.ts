/**
 * Building blocks for API tests: tokens for each role, a line with a channel, online operators,
 * and a full-table snapshot to prove that a refused call changed nothing (test-only Scan).
 */

import assert from 'node:assert/strict';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { TestHost } from './host.ts';

export interface World {
  admin: string;
  line: { __id: string; _operatorGroups: string[]; _botId: string | null };
  channel: { __id: string; _type: string };
  integration: string;
  operator(sub: string, options?: { groups?: string[]; online?: boolean }): Promise<string>;
  openSession(account: string, body?: string): Promise<{ status: number; session: { __id: string; _state: string }; client: { __id: string } }>;
}

export async function world(host: TestHost, options: { channelType?: string; lineBody?: Record<string, unknown> } = {}): Promise<World> {
  const admin = await host.token({ sub: 'admin-1', roles: ['admin'] });
  const line = await host.call('POST', '/v1/lines', {
    token: admin,
    body: { __name: 'Support', _operatorGroups: ['support'], _supervisorGroups: ['leads'], _botId: 'bot-1', ...options.lineBody },
  });
  if (line.status !== 201) throw new Error(`line: ${line.status} ${JSON.stringify(line.body)}`);
  const channel = await host.call('POST', '/v1/channels', {
    token: admin,
    body: { _line: line.body.__id, _type: options.channelType ?? 'telegram', __name: 'Telegram' },
  });
  if (channel.status !== 201) throw new Error(`channel: ${channel.status} ${JSON.stringify(channel.body)}`);
  const integration = await host.token({ sub: 'integration-1', roles: ['integration'], channels: [channel.body.__id] });
  return {
    admin,
    line: line.body,
    channel: channel.body,
    integration,
    async operator(sub, o = {}) {
      const token = await host.token({ sub, roles: ['operator'], groups: o.groups ?? ['support'] });
      const r = await host.call('PUT', '/v1/operators/me/status', { token, body: { status: o.online === false ? 'offline' : 'online' } });
      if (r.status !== 200) throw new Error(`status: ${r.status} ${JSON.stringify(r.body)}`);
      return token;
    },
    async openSession(account, body = 'hello') {
      const r = await host.call('POST', `/v1/channels/${channel.body.__id}/inbound`, { token: integration, body: { account, body } });
      if (r.status !== 201 && r.status !== 200) throw new Error(`inbound: ${r.status} ${JSON.stringify(r.body)}`);
      return { status: r.status, session: r.body.session, client: r.body.client };
    },
  };
}

/**
 * The value with every object's keys in order, at every depth. (A replacer array in
 * JSON.stringify would filter the nested keys too — `S`, `N` of each attribute value — and
 * leave only the attribute names to compare.)
 */
function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value && typeof value === 'object' && !(value instanceof Uint8Array)) {
    const object = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(object)
        .sort()
        .map((k) => [k, sortedKeys(object[k])]),
    );
  }
  return value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value;
}

/** Every item of the test table, sorted: equal snapshots mean nothing was written. */
export async function snapshot(host: TestHost): Promise<string[]> {
  const client = new DynamoDBClient({
    endpoint: host.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const items: string[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await client.send(new ScanCommand({ TableName: host.tableName, ...(start ? { ExclusiveStartKey: start as never } : {}) }));
    for (const item of out.Items ?? []) {
      // The local stream poller's checkpoints move on by themselves (infra/local/stream.ts), and the
      // live event log (EVENT#…, lib/app/live/log.ts) is written by the stream consumer after the fact:
      // neither is a request's write.
      if (item.pk?.S?.startsWith('STREAM#') || item.pk?.S?.startsWith('EVENT#')) continue;
      items.push(JSON.stringify(sortedKeys(item)));
    }
    start = out.LastEvaluatedKey;
  } while (start);
  client.destroy();
  return items.sort();
}

/** Equal tables, or a short account of what changed (not two arrays of every item). */
export function sameTable(before: string[], after: string[], message = 'the table changed'): void {
  const was = new Set(before);
  const is = new Set(after);
  const added = after.filter((x) => !was.has(x));
  const removed = before.filter((x) => !is.has(x));
  if (added.length || removed.length) {
    assert.fail(
      `${message}: ${added.length} items new or changed, ${removed.length} gone or changed; e.g.\n  ${[...added, ...removed]
        .slice(0, 3)
        .map((x) => x.slice(0, 400))
        .join('\n  ')}`,
    );
  }
}
