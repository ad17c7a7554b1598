/** Helpers of the routing tests: a line with routing, operators, waiting for the router to settle. */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { findOperator } from '../../lib/adapters/dynamodb/operators.ts';
import type { TestHost } from '../support/host.ts';

/** Waits until the stream consumer (and so the router) has handled everything, including what it wrote itself. */
export async function settle(host: TestHost, timeoutMs = 240_000): Promise<void> {
  const poller = host.events!.poller;
  const deadline = Date.now() + timeoutMs;
  let quiet = 0;
  while (quiet < 2) {
    if (Date.now() > deadline) throw new Error('routing did not settle in time');
    const before = poller.delivered;
    await poller.drain(timeoutMs);
    await sleep(150);
    await poller.drain(timeoutMs);
    quiet = poller.delivered === before ? quiet + 1 : 0;
  }
}

export interface RoutingLine {
  id: string;
  channel: string;
  integration: string;
}

export async function routingLine(
  host: TestHost,
  admin: string,
  routing: Record<string, unknown>,
  options: { groups?: string[]; bot?: string | null; name?: string } = {},
): Promise<RoutingLine> {
  const line = await host.call('POST', '/v1/lines', {
    token: admin,
    body: {
      __name: options.name ?? 'Routing',
      _operatorGroups: options.groups ?? ['support'],
      _supervisorGroups: ['leads'],
      _botId: options.bot ?? null,
      _routing: routing,
    },
  });
  assert.equal(line.status, 201, JSON.stringify(line.body));
  const channel = await host.call('POST', '/v1/channels', { token: admin, body: { _line: line.body.__id, _type: 'telegram', __name: 'tg' } });
  assert.equal(channel.status, 201, JSON.stringify(channel.body));
  const integration = await host.token({ sub: `integration-${line.body.__id}`, roles: ['integration'], channels: [channel.body.__id] });
  return { id: line.body.__id, channel: channel.body.__id, integration };
}

/**
 * A client's first message. Retried on 503 like the typed client does (DynamoDB Local on a shared
 * machine, or the local host's function timeout, gives up under 100 parallel transactions while
 * other test files run); the same Idempotency-Key, so it is applied once.
 */
export async function arrive(host: TestHost, line: RoutingLine, account: string): Promise<{ __id: string; __createdAt: string }> {
  const key = `arrive-${account}`;
  for (let attempt = 0; ; attempt++) {
    const r = await host
      .call('POST', `/v1/channels/${line.channel}/inbound`, { token: line.integration, body: { account, body: 'hello' }, headers: { 'idempotency-key': key } })
      .catch((error: unknown) => {
        // A connection reset under load: retried like the typed client does, with the same key.
        if (attempt >= 10) throw error;
        return { status: 503, body: undefined, headers: new Headers() };
      });
    if (r.status === 503 && attempt < 10) {
      await sleep(Math.min(3_000, 200 * 2 ** attempt));
      continue;
    }
    assert.ok(r.status === 201 || r.status === 200, `${r.status} ${JSON.stringify(r.body)}`);
    return r.body.session;
  }
}

export async function setStatus(host: TestHost, token: string, status: 'online' | 'offline'): Promise<void> {
  const r = await host.call('PUT', '/v1/operators/me/status', { token, body: { status } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
}

export async function operatorToken(host: TestHost, sub: string, groups = ['support']): Promise<string> {
  return host.token({ sub, roles: ['operator'], groups });
}

export async function activeOf(sub: string): Promise<number> {
  return (await findOperator(sub))?.activeSessions ?? -1;
}

export interface SessionView {
  __id: string;
  __createdAt: string;
  _state: string;
  _priority: string | null;
  _userId: string | null;
  _botId: string | null;
}

/** Every session of a line (admin search, up to 1000). */
export async function sessionsOf(host: TestHost, admin: string, line: string): Promise<SessionView[]> {
  const r = await host.call('POST', '/v1/sessions/search', { token: admin, body: { where: { eq: ['_line', line] }, size: 1000 } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.items;
}

const RANK: Record<string, number> = { High: 1, Medium: 2, Low: 3 };
/** Queue order: priority, then age, then id. */
export function queueOrder(a: SessionView, b: SessionView): number {
  const r = (RANK[a._priority ?? ''] ?? 4) - (RANK[b._priority ?? ''] ?? 4);
  if (r) return r;
  if (a.__createdAt !== b.__createdAt) return a.__createdAt < b.__createdAt ? -1 : 1;
  return a.__id < b.__id ? -1 : 1;
}
