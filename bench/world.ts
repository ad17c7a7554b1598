/**
 * What every measured request needs: an admin, a line with an operator group, a bot and an
 * account-link app, a channel with its integration, a livechat channel for the web-chat
 * visitors, a quiet line for webhook subscriptions, online operators, and helpers that bring a
 * fresh session into a given state through the API itself.
 */
import { randomUUID } from 'node:crypto';
import type { Env } from './support.ts';

export interface World {
  admin: string;
  supervisor: string;
  operator: string;
  operatorId: string;
  integration: string;
  lineId: string;
  channelId: string;
  /** A livechat channel on the same line: the web-chat widget's visitors (`/v1/visitors…`) write there. */
  livechatChannelId: string;
  /**
   * A line with no channel, so no session and no event: the bench's webhook subscriptions name it
   * (an unscoped or a busy line's subscription would receive every event of the events step,
   * whose consumer reads the whole stream, this step's included).
   */
  quietLineId: string;
  /** Tokens by role name, for recipes that probe who may call a route. */
  tokens: Record<'admin' | 'supervisor' | 'operator' | 'integration' | 'bot', string>;
  /** A new client writes in: a new Waiting session. */
  newSession(): Promise<{ sessionId: string; clientId: string }>;
  /** A new session assigned to the operator (needs the assign route). */
  assignedSession(): Promise<{ sessionId: string; clientId: string }>;
}

export function expectOk(what: string, r: { status: number; body: unknown }): void {
  if (r.status < 200 || r.status > 299) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
}

/** Builds the world on the current table. `tag` keeps names apart between tables. */
export async function buildWorld(env: Env, tag = randomUUID().slice(0, 8)): Promise<World> {
  const admin = await env.token({ sub: 'bench-admin', roles: ['admin'] });
  const line = await env.call('POST', '/v1/lines', {
    token: admin,
    body: {
      __name: `Bench ${tag}`,
      _operatorGroups: ['support'],
      _supervisorGroups: ['leads'],
      _botId: 'bot-1',
      _accountApp: 'contacts',
      _sessionApps: ['deals'],
    },
  });
  expectOk('line', line);
  const lineId = line.body.__id as string;
  const channel = await env.call('POST', '/v1/channels', { token: admin, body: { _line: lineId, _type: 'telegram', __name: `Telegram ${tag}` } });
  expectOk('channel', channel);
  const channelId = channel.body.__id as string;
  const livechat = await env.call('POST', '/v1/channels', { token: admin, body: { _line: lineId, _type: 'livechat', __name: `Web chat ${tag}` } });
  expectOk('livechat channel', livechat);
  const quietLine = await env.call('POST', '/v1/lines', { token: admin, body: { __name: `Bench quiet ${tag}`, _operatorGroups: ['bench-quiet'] } });
  expectOk('quiet line', quietLine);
  const integration = await env.token({ sub: 'bench-integration', roles: ['integration'], channels: [channelId] });
  const operatorId = `op-${tag}`;
  const operator = await env.token({ sub: operatorId, roles: ['operator'], groups: ['support'] });
  expectOk('operator status', await env.call('PUT', '/v1/operators/me/status', { token: operator, body: { status: 'online' } }));
  const supervisor = await env.token({ sub: `lead-${tag}`, roles: ['supervisor'], groups: ['leads'] });
  const bot = await env.token({ sub: 'bot-1', roles: ['bot'] });
  let accounts = 0;
  const world: World = {
    admin,
    supervisor,
    operator,
    operatorId,
    integration,
    lineId,
    channelId,
    livechatChannelId: livechat.body.__id as string,
    quietLineId: quietLine.body.__id as string,
    tokens: { admin, supervisor, operator, integration, bot },
    async newSession() {
      const r = await env.call('POST', `/v1/channels/${channelId}/inbound`, {
        token: integration,
        body: { account: `client-${tag}-${accounts++}`, body: 'Hello, I need help with my order' },
      });
      expectOk('inbound', r);
      return { sessionId: r.body.session.__id as string, clientId: r.body.client.__id as string };
    },
    async assignedSession() {
      const s = await world.newSession();
      expectOk('assign', await env.call('POST', `/v1/sessions/${s.sessionId}/assign`, { token: operator, body: { operator: operatorId } }));
      return s;
    },
  };
  return world;
}
