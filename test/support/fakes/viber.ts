/**
 * A fake of Viber's REST Bot API on loopback, as https://developers.viber.com/docs/api/rest-bot-api/
 * documents it: `POST /pa/set_webhook` (which calls the URL with a signed `webhook` callback and
 * fails unless it answers 200), `/pa/send_message`, `/pa/get_account_info`; every call answers
 * HTTP 200 with `{ status, status_message }` (0 = ok; 2 invalidAuthToken, 3 badData,
 * 4 missingData, 6 receiverNotSubscribed, 10 webhookNotSet, 12 tooManyRequests …).
 * `message_token`s are 64-bit integers written as JSON numbers, as Viber writes them, and
 * consecutive ones differ by 1 (they would collide if read as doubles).
 *
 * Also builds and delivers what Viber sends to a hook, signed with the auth token.
 */
import { createHmac } from 'node:crypto';
import { type Answer, type FakeServer, json, startFakeServer } from './http.ts';

export interface ViberFake extends FakeServer {
  readonly apiUrl: string;
  authToken: string;
  /** The webhook URL set with set_webhook ('' when none). */
  webhook: string;
  readonly eventTypes: string[];
  /** Users who unsubscribed: a send to them answers 6 receiverNotSubscribed. */
  readonly unsubscribed: Set<string>;
  /** Files served at `${url}/media/<name>` (what a client sent, on Viber's media host). */
  readonly media: Map<string, { bytes: Uint8Array; mimeType: string }>;
  /** The message_tokens given to sent messages, as strings, in order. */
  readonly tokens: string[];
  /** Delivers a callback to the webhook as Viber does (signed), answering the hook's HTTP status. */
  callback(payload: object, signature?: string): Promise<{ status: number; body: string }>;
}

export const viberSignature = (body: string, authToken: string) => createHmac('sha256', authToken).update(body, 'utf8').digest('hex');

const status = (code: number, message: string, extra: Record<string, unknown> = {}) => json(200, { status: code, status_message: message, ...extra });

/** Viber's failures, as canned answers for `failNext`. */
export const viberFailures = {
  invalidAuthToken: () => ({ status: 200, body: { status: 2, status_message: 'invalidAuthToken' } }),
  notSubscribed: () => ({ status: 200, body: { status: 6, status_message: 'receiverNotSubscribed' } }),
  tooManyRequests: () => ({ status: 200, body: { status: 12, status_message: 'tooManyRequests' } }),
  serverError: () => ({ status: 503, body: 'Service Unavailable' }),
};

let next = 5_098_034_272_017_990_000n;

export async function startViberFake(options: { authToken: string; accountName?: string }): Promise<ViberFake> {
  let fake: ViberFake | undefined;
  const post = async (url: string, payload: object, signature?: string) => {
    const body = rawJson(payload);
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-viber-content-signature': signature ?? viberSignature(body, fake!.authToken) },
      body,
    });
    return { status: response.status, body: await response.text() };
  };
  const handler = async (request: { method: string; path: string; headers: Record<string, string>; json: any }): Promise<Answer> => {
    const f = fake!;
    if (request.method === 'GET' && request.path.startsWith('/media/')) {
      const item = f.media.get(request.path.slice('/media/'.length));
      return item ? { status: 200, body: item.bytes, contentType: item.mimeType } : { status: 404, body: 'not found', contentType: 'text/plain' };
    }
    if (request.method !== 'POST') return { status: 405, body: 'Method Not Allowed', contentType: 'text/plain' };
    if (request.headers['x-viber-auth-token'] !== f.authToken) return status(2, 'invalidAuthToken');
    const body = request.json;
    if (!body || typeof body !== 'object') return status(3, 'badData');
    switch (request.path) {
      case '/pa/get_account_info':
        return status(0, 'ok', {
          id: 'pa:75346594275468546724',
          name: options.accountName ?? 'Acme Support',
          uri: 'acmesupport',
          webhook: f.webhook,
          subscribers_count: 1,
        });
      case '/pa/set_webhook': {
        if (typeof body.url !== 'string') return status(4, 'missingData');
        if (body.url === '') {
          f.webhook = '';
          f.eventTypes.length = 0;
          return status(0, 'ok');
        }
        if (!/^(https:\/\/|http:\/\/127\.0\.0\.1:|http:\/\/localhost:)/.test(body.url)) return status(1, 'invalidUrl');
        const types = Array.isArray(body.event_types)
          ? body.event_types
          : ['delivered', 'seen', 'failed', 'subscribed', 'unsubscribed', 'conversation_started'];
        // Viber checks the URL before it answers: a signed `webhook` callback that must get 200.
        const check = await post(body.url, { event: 'webhook', timestamp: Date.now(), chat_hostname: 'SN-CHAT-01_', message_token: next++ }).catch(
          (e: Error) => ({
            status: 0,
            body: e.message,
          }),
        );
        if (check.status !== 200) return status(1, `Result[HttpRequest[POST ${body.url}], HttpResponse[${check.status}]] Webhook call failed`);
        f.webhook = body.url;
        f.eventTypes.splice(0, f.eventTypes.length, ...types);
        return status(0, 'ok', { event_types: types });
      }
      case '/pa/send_message': {
        if (!f.webhook) return status(10, 'webhookNotSet');
        if (typeof body.receiver !== 'string' || !body.receiver) return status(4, 'missingData');
        if (typeof body.sender?.name !== 'string' || !body.sender.name || body.sender.name.length > 28) return status(3, 'badData');
        if (body.type === 'text' && (typeof body.text !== 'string' || !body.text || body.text.length > 7000)) return status(3, 'badData');
        if (body.type === 'picture' && (typeof body.media !== 'string' || typeof body.text !== 'string')) return status(3, 'badData');
        if (body.type === 'file' && (typeof body.media !== 'string' || typeof body.size !== 'number' || typeof body.file_name !== 'string'))
          return status(3, 'badData');
        if (!['text', 'picture', 'file', 'video', 'url'].includes(body.type)) return status(3, 'badData');
        if (f.unsubscribed.has(body.receiver)) return status(6, 'receiverNotSubscribed');
        const token = next++;
        f.tokens.push(String(token));
        return { status: 200, body: `{"status":0,"status_message":"ok","message_token":${token},"chat_hostname":"SN-CHAT-01_","billing_status":1}` };
      }
      default:
        return status(3, 'badData');
    }
  };
  const server = await startFakeServer(handler);
  fake = Object.assign(server, {
    apiUrl: server.url,
    authToken: options.authToken,
    webhook: '',
    eventTypes: [] as string[],
    unsubscribed: new Set<string>(),
    media: new Map<string, { bytes: Uint8Array; mimeType: string }>(),
    tokens: [] as string[],
    callback: (payload: object, signature?: string) => {
      if (!fake!.webhook) throw new Error('no webhook set');
      return post(fake!.webhook, payload, signature);
    },
  });
  return fake;
}

/** JSON with bigint values written as bare integers (as Viber writes message_token). */
export function rawJson(payload: object): string {
  return JSON.stringify(payload, (_key, value) => (typeof value === 'bigint' ? `@@${value}@@` : value)).replace(/"@@(\d+)@@"/g, '$1');
}

/** A client's text message callback. */
export function viberText(userId: string, name: string, text: string, token: bigint = next++) {
  return {
    event: 'message',
    timestamp: Date.now(),
    chat_hostname: 'SN-CHAT-01_',
    message_token: token,
    sender: { id: userId, name, avatar: 'https://media-direct.cdn.viber.com/download_photo?dlid=x', language: 'en', country: 'GB', api_version: 10 },
    message: { type: 'text', text },
    silent: false,
  };
}

/** A delivered / seen / failed callback about one of our messages. */
export function viberReceipt(event: 'delivered' | 'seen' | 'failed', token: string, userId: string, desc?: string) {
  return { event, timestamp: Date.now(), chat_hostname: 'SN-CHAT-01_', message_token: BigInt(token), user_id: userId, ...(desc ? { desc } : {}) };
}
