/**
 * The life of one realistic session through the HTTP API, shared by the cost step
 * (bench/cost.ts) and the busiest-partition simulation (bench/partitions.ts): a client writes
 * 4 times, an operator takes it (or routing did, on a line that routes automatically), replies
 * 4 times, adds a note, sets its priority and closes it. Also the event targets it is walked
 * with: one webhook subscription on the line and the channel's messenger endpoint.
 */
import { type Receiver, startReceiver } from '../test/support/receiver.ts';
import type { Env } from './support.ts';
import type { World } from './world.ts';

/** Events of one walk: created, 4 client messages, assigned, 4 replies, a note, priority, closed. */
export const EVENTS_PER_SESSION = 13;
/** Messages of one walk that go to the messenger endpoint (the replies). */
export const REPLIES_PER_SESSION = 4;

/** One API call of the walk: throws unless 2xx, answers the parsed body. */
export type WalkCall = (method: string, path: string, token: string, body?: unknown) => Promise<any>;

/** A caller that counts requests and the handlers' time (bench/cost.ts prices both). */
export function walkCaller(env: Env): { call: WalkCall; requests: () => number; handlerMs: () => number } {
  let requests = 0;
  let handlerMs = 0;
  const call: WalkCall = async (method, path, token, body) => {
    const r = await env.call(method, path, { token, ...(body !== undefined ? { body } : {}) });
    requests++;
    handlerMs += r.ms;
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  return { call, requests: () => requests, handlerMs: () => handlerMs };
}

/** Walks one session's life for the client `account`; answers the session's id and who took it. */
export async function walkSession(call: WalkCall, w: World, account: string): Promise<{ sessionId: string; clientId: string; operatorId: string }> {
  const first = await call('POST', `/v1/channels/${w.channelId}/inbound`, w.integration, { account, body: 'Hello, my order has not arrived' });
  const id = first.session.__id as string;
  // A line that routes automatically has assigned it already (to the bench's online operator).
  const routed = first.session._userId as string | null | undefined;
  if (!routed) await call('POST', `/v1/sessions/${id}/assign`, w.operator, { operator: w.operatorId });
  for (let k = 0; k < 4; k++) {
    if (k > 0) await call('POST', `/v1/channels/${w.channelId}/inbound`, w.integration, { account, body: `more detail ${k}` });
    await call('POST', `/v1/sessions/${id}/messages`, w.operator, { type: 'text', body: `reply ${k}` });
  }
  await call('POST', `/v1/sessions/${id}/messages`, w.operator, { type: 'system', body: 'note: refund approved' });
  await call('PUT', `/v1/sessions/${id}/priority`, w.operator, { priority: 'High' });
  await call('POST', `/v1/sessions/${id}/close`, w.operator);
  return { sessionId: id, clientId: first.client.__id as string, operatorId: routed ?? w.operatorId };
}

export interface EventTargets {
  /** The webhook subscription's receiver (every event of the line). */
  receiver: Receiver;
  /** The channel's messenger endpoint (the replies). */
  messenger: Receiver;
  webhookId: string;
  /** Counts from now: the answer waits until `sessions` walks' events and replies have arrived. */
  expectWalks(sessions: number): () => Promise<void>;
  /** Unsets the channel's endpoint and stops both receivers. */
  close(): Promise<void>;
}

/** Subscribes a webhook to the line's events and sets the channel's messenger endpoint. */
export async function openEventTargets(env: Env, w: World): Promise<EventTargets> {
  const receiver = await startReceiver();
  const messenger = await startReceiver();
  let channelSet = false;
  const close = async () => {
    if (channelSet) await env.call('PATCH', `/v1/channels/${w.channelId}`, { token: w.admin, body: { _deliveryUrl: null } });
    await receiver.close();
    await messenger.close();
  };
  try {
    const channel = await env.call('PATCH', `/v1/channels/${w.channelId}`, { token: w.admin, body: { _deliveryUrl: messenger.url } });
    if (channel.status !== 200) throw new Error(`channel endpoint: ${channel.status} ${JSON.stringify(channel.body)}`);
    channelSet = true;
    const hook = await env.call('POST', '/v1/webhooks', { token: w.admin, body: { url: receiver.url, events: ['*'], line: w.lineId } });
    if (hook.status !== 201) throw new Error(`webhook: ${hook.status}`);
    return {
      receiver,
      messenger,
      webhookId: hook.body.__id as string,
      expectWalks(sessions) {
        const events = receiver.received.length + sessions * EVENTS_PER_SESSION;
        const replies = messenger.received.length + sessions * REPLIES_PER_SESSION;
        return async () => {
          await receiver.waitFor((r) => r.length >= events, 120_000, 'every event delivered');
          await messenger.waitFor((r) => r.length >= replies, 60_000, 'every reply delivered to the messenger');
        };
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
