/**
 * Instagram messaging (Instagram API, Messenger Platform) through the Graph API.
 *
 * - Hook: Meta's handshake and `X-Hub-Signature-256` (meta.ts).
 * - Notifications: `{ object: "instagram", entry: [{ id, time, messaging: [{ sender: { id },
 *   recipient: { id }, timestamp, message | read | postback | … }] }] }`
 *   (https://developers.facebook.com/docs/instagram-platform/webhooks/examples and
 *   https://developers.facebook.com/docs/messenger-platform/instagram/features/webhook). The
 *   dashboard's test notifications put one such item in `changes[].value` instead; both are read.
 *   No maintained typing of these payloads exists on npm, so the schemas follow those pages.
 * - Send: `POST {INSTAGRAM_API_URL}/{accountId}/messages` with `{ recipient: { id }, message }`
 *   and a Bearer token (https://developers.facebook.com/docs/instagram-platform/instagram-api-with-instagram-login/messaging-api);
 *   the answer `{ recipient_id, message_id }` names the reply in later `read` events.
 *
 * Instagram reports no delivery, only reads. Its notifications carry no name: a client is known
 * by its Instagram-scoped id until an operator names it.
 */

import type { InstagramCredentials } from '../../contract/messengers.ts';
import * as z from '../../contract/zod.ts';
import { bearer, graphFailure, verifyMeta } from './meta.ts';
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
import { apiBase, call, download, isoFromEpoch, networkFailure, parseJson, splitText } from './wire.ts';

const apiUrl = () => apiBase('INSTAGRAM_API_URL', 'https://graph.facebook.com/v23.0');

const Id = z.looseObject({ id: z.string().check(z.minLength(1)) });

/** One item of `messaging` (what chatlines reads of it). */
export const InstagramMessaging = z.looseObject({
  sender: Id,
  recipient: z.optional(Id),
  timestamp: z.optional(z.union([z.number(), z.string()])),
  message: z.optional(
    z.looseObject({
      mid: z.string().check(z.minLength(1)),
      text: z.optional(z.string()),
      is_echo: z.optional(z.boolean()),
      is_deleted: z.optional(z.boolean()),
      is_unsupported: z.optional(z.boolean()),
      attachments: z.optional(z.array(z.looseObject({ type: z.string(), payload: z.nullish(z.looseObject({ url: z.optional(z.string()) })) }))),
    }),
  ),
  read: z.optional(z.looseObject({ mid: z.optional(z.string()), watermark: z.optional(z.number()) })),
  delivery: z.optional(z.looseObject({ mids: z.optional(z.array(z.string())) })),
  postback: z.optional(z.looseObject({ mid: z.string().check(z.minLength(1)), title: z.optional(z.string()), payload: z.optional(z.string()) })),
});
type Messaging = z.infer<typeof InstagramMessaging>;

export const InstagramNotification = z.looseObject({
  object: z.string(),
  entry: z.array(
    z.looseObject({
      messaging: z.optional(z.array(z.unknown())),
      changes: z.optional(z.array(z.looseObject({ field: z.string(), value: z.unknown() }))),
    }),
  ),
});

/** Attachment kinds that are files; others (`share`, `story_mention`, `ig_reel`, …) are links to Instagram content. */
const FILE_KINDS = new Set(['image', 'video', 'audio', 'file']);

function events(item: Messaging): InboundEvent[] {
  const account = item.sender.id;
  const at = isoFromEpoch(item.timestamp, 'ms');
  const message = item.message;
  if (message) {
    // Echoes are our own replies (and ones typed in the Instagram app) coming back.
    if (message.is_echo || message.is_deleted) return [];
    const attachments: InboundAttachment[] = [];
    const lines = message.text ? [message.text] : [];
    for (const attachment of message.attachments ?? []) {
      const url = attachment.payload?.url;
      if (!url) continue;
      if (FILE_KINDS.has(attachment.type)) attachments.push({ ref: url });
      else lines.push(`${attachment.type}: ${url}`);
    }
    if (lines.length === 0 && attachments.length === 0) return [];
    return [{ kind: 'message', externalId: message.mid, account, text: lines.join('\n'), attachments, at }];
  }
  if (item.postback) {
    const text = item.postback.title ?? item.postback.payload;
    return text ? [{ kind: 'message', externalId: item.postback.mid, account, text, attachments: [], at }] : [];
  }
  if (item.read) {
    if (item.read.mid) return [{ kind: 'status', externalId: item.read.mid, status: 'read', at }];
    const watermark = isoFromEpoch(item.read.watermark, 'ms');
    return watermark ? [{ kind: 'readUpTo', account, at: watermark }] : [];
  }
  if (item.delivery?.mids) return item.delivery.mids.map((mid) => ({ kind: 'status', externalId: mid, status: 'delivered', at }) as const);
  return [];
}

export function parseInstagram(rawBody: string): InboundEvent[] {
  const notification = InstagramNotification.safeParse(parseJson(rawBody));
  if (!notification.success || notification.data.object !== 'instagram') return [];
  const out: InboundEvent[] = [];
  for (const entry of notification.data.entry) {
    const items = [...(entry.messaging ?? []), ...(entry.changes ?? []).filter((c) => c.field === 'messages').map((c) => c.value)];
    for (const raw of items) {
      const item = InstagramMessaging.safeParse(raw);
      if (item.success) out.push(...events(item.data));
    }
  }
  return out;
}

/** Instagram's longest text message. */
const MAX_TEXT = 1000;

function attachmentKind(file: OutboundFile): 'image' | 'video' | 'audio' | 'file' {
  const type = file.contentType.toLowerCase();
  if (type.startsWith('image/')) return 'image';
  if (type.startsWith('video/')) return 'video';
  if (type.startsWith('audio/')) return 'audio';
  return 'file';
}

/** The reply as Send API messages: the text (in pieces of 1,000), then one message per file, each by URL. */
export function instagramPayloads(reply: OutboundReply): Record<string, unknown>[] {
  const recipient = { id: reply.account };
  return [
    ...splitText(reply.text, MAX_TEXT).map((text) => ({ recipient, message: { text } })),
    ...reply.files.map((file) => ({ recipient, message: { attachment: { type: attachmentKind(file), payload: { url: file.url } } } })),
  ];
}

const SendAnswer = z.looseObject({ message_id: z.string().check(z.minLength(1)) });

const messagesUrl = (credentials: InstagramCredentials) => `${apiUrl()}/${encodeURIComponent(credentials.accountId)}/messages`;

async function send(reply: OutboundReply, credentials: InstagramCredentials): Promise<SendResult> {
  const payloads = instagramPayloads(reply);
  if (payloads.length === 0) return { ok: false, error: 'an empty reply: no text and no files', retry: false };
  // The last one names the reply: a `read` names the latest message the client saw.
  return sendInParts(payloads, reply, 'last', async (payload) => {
    try {
      const answer = await call(messagesUrl(credentials), { method: 'POST', headers: bearer(credentials.accessToken), json: payload });
      if (answer.status < 200 || answer.status >= 300) return graphFailure(answer);
      const sent = SendAnswer.safeParse(answer.json);
      if (!sent.success) return { ok: false, error: `Instagram accepted the message but named no id (HTTP ${answer.status})`, retry: false, wentOut: true };
      return { ok: true, id: sent.data.message_id };
    } catch (error) {
      return networkFailure(error);
    }
  });
}

async function typing(account: string, credentials: InstagramCredentials): Promise<void> {
  const answer = await call(messagesUrl(credentials), {
    method: 'POST',
    headers: bearer(credentials.accessToken),
    json: { recipient: { id: account }, sender_action: 'typing_on' },
  });
  if (answer.status < 200 || answer.status >= 300) {
    const failure = graphFailure(answer);
    throw new MessengerCallError(`Instagram typing: ${failure.error}`, answer.status, failure.credentialsRefused === true);
  }
}

/** The attachment URL of a notification is a signed CDN link: it needs no token (and is given none). */
async function fetchAttachment(attachment: InboundAttachment) {
  const { bytes, contentType } = await download(attachment.ref);
  return { bytes, ...(contentType ? { contentType } : {}), ...(attachment.name ? { name: attachment.name } : {}) };
}

export const instagram: Messenger<InstagramCredentials> = {
  type: 'instagram',
  hookPath: 'instagram',
  verify: (request, credentials) => verifyMeta(request, credentials),
  parse: (request) => (request.method === 'POST' ? parseInstagram(request.rawBody) : []),
  send,
  fetchAttachment,
  typing,
};
