/**
 * Viber bots, REST Bot API (https://developers.viber.com/docs/api/rest-bot-api/).
 *
 * - Hook: every callback carries `X-Viber-Content-Signature`, the hex HMAC-SHA256 of the raw body
 *   under the bot's auth token.
 * - Callbacks: `{ event, timestamp, message_token, … }` with `event` one of `message` (a client
 *   wrote: `sender: { id, name }`, `message: { type, text?, media?, file_name?, size?, … }`),
 *   `delivered` / `seen` / `failed` (one of our messages, by `message_token`, with `user_id`;
 *   `desc` on failure), `subscribed`, `unsubscribed`, `conversation_started` and `webhook` (Viber
 *   checking the URL while `set_webhook` runs). No maintained typing of these exists on npm
 *   (the official `viber-bot` package is untyped JavaScript), so the schemas follow that page.
 * - Calls: `POST {VIBER_API_URL}/pa/<method>` with `X-Viber-Auth-Token`; Viber answers HTTP 200
 *   with `{ status, status_message }`, where `status` 0 is success and the rest are its error codes.
 * - `message_token` is a 64-bit integer in JSON: it is read from the source digits (wire.ts).
 */

import type { ViberCredentials } from '../../contract/messengers.ts';
import * as z from '../../contract/zod.ts';
import { TtlCache } from '../cache.ts';
import {
  type InboundAttachment,
  type InboundEvent,
  type Messenger,
  MessengerCallError,
  type OutboundFile,
  type OutboundReply,
  type SendResult,
  sendInParts,
} from './port.ts';
import { apiBase, call, download, hmacSha256Hex, isoFromEpoch, keepDigits, networkFailure, parseJson, retryAfterMs, safeEqual, splitText } from './wire.ts';

const apiUrl = () => apiBase('VIBER_API_URL', 'https://chatapi.viber.com');

/** The callbacks chatlines asks for (`message` and `webhook` always come). */
export const VIBER_EVENT_TYPES = ['delivered', 'seen', 'failed', 'subscribed', 'unsubscribed', 'conversation_started'] as const;

const Token = z.pipe(z.union([z.string().check(z.regex(/^\d+$/)), z.number().check(z.int())]), z.transform(String));

export const ViberCallback = z.looseObject({
  event: z.string(),
  timestamp: z.optional(z.number()),
  message_token: z.optional(Token),
  user_id: z.optional(z.string()),
  desc: z.optional(z.string()),
  sender: z.optional(z.looseObject({ id: z.string().check(z.minLength(1)), name: z.optional(z.string()) })),
  message: z.optional(
    z.looseObject({
      type: z.string(),
      text: z.optional(z.string()),
      media: z.optional(z.string()),
      file_name: z.optional(z.string()),
      size: z.optional(z.number()),
      location: z.optional(z.looseObject({ lat: z.number(), lon: z.number() })),
      contact: z.optional(z.looseObject({ name: z.optional(z.string()), phone_number: z.optional(z.string()) })),
    }),
  ),
});
type Callback = z.infer<typeof ViberCallback>;

/** The message types that carry a file at `media`. */
const FILE_TYPES: Record<string, string | undefined> = { picture: 'image/jpeg', video: 'video/mp4', file: undefined, sticker: 'image/png' };

function messageEvent(callback: Callback): InboundEvent | undefined {
  const { sender, message, message_token: token } = callback;
  if (!sender || !message || !token) return undefined;
  const lines: string[] = [];
  const attachments: InboundAttachment[] = [];
  if (message.text) lines.push(message.text);
  if (message.type in FILE_TYPES && message.media) {
    attachments.push({ ref: message.media, name: message.file_name, size: message.size, contentType: FILE_TYPES[message.type] });
  }
  if (message.type === 'url' && message.media && !lines.includes(message.media)) lines.push(message.media);
  if (message.type === 'location' && message.location) lines.push(`📍 ${message.location.lat}, ${message.location.lon}`);
  if (message.type === 'contact' && message.contact) lines.push([message.contact.name, message.contact.phone_number].filter(Boolean).join(' '));
  if (lines.length === 0 && attachments.length === 0) return undefined;
  return {
    kind: 'message',
    externalId: token,
    account: sender.id,
    displayName: sender.name,
    text: lines.join('\n'),
    attachments,
    at: isoFromEpoch(callback.timestamp, 'ms'),
  };
}

export function parseViber(rawBody: string): InboundEvent[] {
  const parsed = ViberCallback.safeParse(parseJson(rawBody, keepDigits('message_token')));
  if (!parsed.success) return [];
  const callback = parsed.data;
  const at = isoFromEpoch(callback.timestamp, 'ms');
  switch (callback.event) {
    case 'message': {
      const event = messageEvent(callback);
      return event ? [event] : [];
    }
    case 'delivered':
    case 'seen':
      return callback.message_token
        ? [{ kind: 'status', externalId: callback.message_token, status: callback.event === 'seen' ? 'read' : 'delivered', at }]
        : [];
    case 'failed':
      return callback.message_token ? [{ kind: 'status', externalId: callback.message_token, status: 'failed', error: callback.desc ?? 'failed', at }] : [];
    default:
      // `webhook` (Viber checking the URL), `subscribed`, `unsubscribed`, `conversation_started`:
      // answered 200, nothing to record; a client's first message opens the session.
      return [];
  }
}

export function verifyViber(rawBody: string, signature: string | undefined, authToken: string) {
  if (!signature) return { ok: false as const, reason: 'no X-Viber-Content-Signature header' };
  if (!safeEqual(signature.trim().toLowerCase(), hmacSha256Hex(authToken, rawBody))) {
    return { ok: false as const, reason: 'X-Viber-Content-Signature does not match the body under the auth token' };
  }
  return { ok: true as const };
}

const Answer = z.looseObject({
  status: z.number().check(z.int()),
  status_message: z.optional(z.string()),
  message_token: z.optional(Token),
  name: z.optional(z.string()),
});

/** Viber's error codes that say the bot itself can't be used: invalid token, bot blocked, not found, suspended, no webhook set. */
const CREDENTIAL_STATUSES = new Set([2, 7, 8, 9, 10]);
const TOO_MANY_REQUESTS = 12;

async function viberCall(method: string, authToken: string, json: unknown) {
  return call(`${apiUrl()}/pa/${method}`, { method: 'POST', headers: { 'x-viber-auth-token': authToken }, json }, keepDigits('message_token'));
}

type Failure = Extract<SendResult, { ok: false }>;

/** What Viber's answer means: the parsed success, or a failure as the port names it. */
async function viberRequest(method: string, authToken: string, json: unknown): Promise<{ ok: true; answer: z.infer<typeof Answer> } | Failure> {
  let response: Awaited<ReturnType<typeof call>>;
  try {
    response = await viberCall(method, authToken, json);
  } catch (error) {
    return networkFailure(error);
  }
  if (response.status === 429 || response.status >= 500) {
    const after = retryAfterMs(response.headers);
    return { ok: false, error: `Viber ${method}: HTTP ${response.status}`, retry: true, ...(after === undefined ? {} : { retryAfterMs: after }) };
  }
  const answer = Answer.safeParse(response.json);
  if (response.status !== 200 || !answer.success)
    return { ok: false, error: `Viber ${method}: HTTP ${response.status}, ${response.text.slice(0, 200)}`, retry: false };
  const { status, status_message: message } = answer.data;
  if (status === 0) return { ok: true, answer: answer.data };
  const error = `Viber ${method}: ${message ?? 'error'} (status ${status})`;
  if (CREDENTIAL_STATUSES.has(status)) return { ok: false, error, retry: false, credentialsRefused: true };
  if (status === TOO_MANY_REQUESTS) return { ok: false, error, retry: true };
  // 1 invalid URL, 3 bad data, 4 missing data, 5 receiver not registered, 6 not subscribed,
  // 11 no suitable device, 13/14 API version: this reply or this client, not worth another try.
  return { ok: false, error, retry: false };
}

/** The bot's own name per token, for the `sender` of replies when the credentials name none. */
const botNames = new TtlCache<string>(10 * 60_000, 100);

/** The bot's account by its token: the token's check, and the bot's name for replies. */
async function accountInfo(authToken: string): Promise<{ ok: true; name: string } | Failure> {
  const info = await viberRequest('get_account_info', authToken, {});
  if (!info.ok) return info;
  const name = (info.answer.name ?? 'Support').slice(0, 28);
  botNames.set(authToken, name);
  return { ok: true, name };
}

async function checkCredentials(credentials: ViberCredentials): Promise<void> {
  const info = await accountInfo(credentials.authToken);
  if (!info.ok) throw new MessengerCallError(info.error, undefined, info.credentialsRefused === true);
}

async function senderName(credentials: ViberCredentials): Promise<string | Failure> {
  if (credentials.senderName) return credentials.senderName;
  const cached = botNames.get(credentials.authToken);
  if (cached) return cached.value;
  const info = await accountInfo(credentials.authToken);
  return info.ok ? info.name : info;
}

/** Viber's longest text message, and the largest picture it shows inline (bigger ones go as files). */
const MAX_TEXT = 7000;
const MAX_PICTURE_BYTES = 1024 * 1024;
const PICTURE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif']);

function fileMessage(file: OutboundFile): Record<string, unknown> {
  if (PICTURE_TYPES.has(file.contentType.toLowerCase()) && file.size <= MAX_PICTURE_BYTES) return { type: 'picture', text: '', media: file.url };
  return { type: 'file', media: file.url, size: file.size, file_name: file.name.slice(0, 256) };
}

/** The reply as `send_message` bodies: the text (in pieces of 7,000), then one message per file. */
export function viberPayloads(reply: OutboundReply, name: string): Record<string, unknown>[] {
  const head = { receiver: reply.account, sender: { name } };
  return [
    ...splitText(reply.text, MAX_TEXT).map((text) => ({ ...head, type: 'text', text })),
    ...reply.files.map((file) => ({ ...head, ...fileMessage(file) })),
  ];
}

async function send(reply: OutboundReply, credentials: ViberCredentials): Promise<SendResult> {
  const name = await senderName(credentials);
  if (typeof name !== 'string') return name;
  const payloads = viberPayloads(reply, name);
  if (payloads.length === 0) return { ok: false, error: 'an empty reply: no text and no files', retry: false };
  // The last part's token names the reply (delivered/seen follow the last message).
  return sendInParts(payloads, reply, 'last', async (payload) => {
    const sent = await viberRequest('send_message', credentials.authToken, payload);
    if (!sent.ok) return sent;
    if (!sent.answer.message_token) return { ok: false, error: 'Viber accepted the message but named no message_token', retry: false, wentOut: true };
    return { ok: true, id: sent.answer.message_token };
  });
}

async function setWebhook(url: string, credentials: ViberCredentials): Promise<void> {
  const body = url ? { url, event_types: VIBER_EVENT_TYPES, send_name: true, send_photo: false } : { url: '' };
  const answer = await viberRequest('set_webhook', credentials.authToken, body);
  if (!answer.ok) throw new MessengerCallError(answer.error, undefined, answer.credentialsRefused === true);
}

async function fetchAttachment(attachment: InboundAttachment) {
  const { bytes, contentType } = await download(attachment.ref);
  const type = contentType && contentType !== 'application/octet-stream' ? contentType : attachment.contentType;
  return { bytes, ...(type ? { contentType: type } : {}), ...(attachment.name ? { name: attachment.name } : {}) };
}

export const viber: Messenger<ViberCredentials> = {
  type: 'viberbot',
  hookPath: 'viber',
  callsHookOnConnect: true,
  checkCredentials,
  verify: (request, credentials) =>
    request.method === 'POST'
      ? verifyViber(request.rawBody, request.headers['x-viber-content-signature'], credentials.authToken)
      : { ok: false, reason: 'Viber only POSTs' },
  parse: (request) => (request.method === 'POST' ? parseViber(request.rawBody) : []),
  send,
  // Viber calls the URL with a signed `webhook` callback before it answers: the hook must already be live.
  connect: (hookUrl, credentials) => setWebhook(hookUrl, credentials),
  disconnect: (credentials) => setWebhook('', credentials),
  fetchAttachment,
};
