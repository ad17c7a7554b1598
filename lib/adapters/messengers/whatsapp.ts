/**
 * WhatsApp Business Platform, Cloud API.
 *
 * - Hook: Meta's handshake and `X-Hub-Signature-256` (meta.ts).
 * - Notifications: `{ object: "whatsapp_business_account", entry: [{ changes: [{ field: "messages",
 *   value: { metadata, contacts?, messages?, statuses? } }] }] }`
 *   (https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/components). The schemas
 *   below take only what chatlines reads; test/messengers/whatsapp.test.ts checks at compile time
 *   that every payload typed by `whatsapp-api-js` (a maintained typing of these webhooks) fits them.
 * - Send: `POST {WHATSAPP_API_URL}/{phoneNumberId}/messages` with a Bearer token
 *   (https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages); the answer's
 *   `messages[0].id` (a `wamid`) names the reply in later `statuses`.
 * - Media: `GET /{media-id}` gives a URL, downloaded with the same Bearer token
 *   (https://developers.facebook.com/docs/whatsapp/cloud-api/reference/media).
 *
 * No webhook registration call: the callback URL and verify token are entered in the Meta app.
 */

import type { WhatsappCredentials as WhatsAppCredentials } from '../../contract/messengers.ts';
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

const apiUrl = () => apiBase('WHATSAPP_API_URL', 'https://graph.facebook.com/v23.0');

const Media = z.looseObject({
  id: z.string(),
  mime_type: z.optional(z.string()),
  caption: z.optional(z.string()),
  filename: z.optional(z.string()),
});

/** One inbound message (what chatlines reads of it). */
export const WhatsAppMessage = z.looseObject({
  id: z.string().check(z.minLength(1)),
  /** The client's phone number; absent once a user hides it behind a username (then `from_user_id`). */
  from: z.optional(z.string()),
  from_user_id: z.optional(z.string()),
  timestamp: z.optional(z.string()),
  type: z.string(),
  text: z.optional(z.looseObject({ body: z.string() })),
  image: z.optional(Media),
  document: z.optional(Media),
  audio: z.optional(Media),
  video: z.optional(Media),
  sticker: z.optional(Media),
  location: z.optional(
    z.looseObject({
      latitude: z.union([z.number(), z.string()]),
      longitude: z.union([z.number(), z.string()]),
      name: z.optional(z.string()),
      address: z.optional(z.string()),
    }),
  ),
  button: z.optional(z.looseObject({ text: z.string() })),
  interactive: z.optional(
    z.looseObject({
      type: z.string(),
      button_reply: z.optional(z.looseObject({ title: z.string() })),
      list_reply: z.optional(z.looseObject({ title: z.string() })),
    }),
  ),
});

/** A status of one of our messages. */
export const WhatsAppStatus = z.looseObject({
  id: z.string().check(z.minLength(1)),
  status: z.string(),
  timestamp: z.optional(z.string()),
  recipient_id: z.optional(z.string()),
  errors: z.optional(
    z.array(
      z.looseObject({
        code: z.optional(z.number()),
        title: z.optional(z.string()),
        message: z.optional(z.string()),
        error_data: z.optional(z.looseObject({ details: z.optional(z.string()) })),
      }),
    ),
  ),
});

export const WhatsAppContact = z.looseObject({
  wa_id: z.optional(z.string()),
  user_id: z.optional(z.string()),
  profile: z.optional(z.looseObject({ name: z.optional(z.string()), username: z.optional(z.string()) })),
});

/** The notification's envelope; messages and statuses are read one by one so that one odd item spoils nothing else. */
export const WhatsAppNotification = z.looseObject({
  object: z.string(),
  entry: z.array(
    z.looseObject({
      changes: z.array(
        z.looseObject({
          field: z.string(),
          value: z.looseObject({
            metadata: z.optional(z.looseObject({ phone_number_id: z.optional(z.string()) })),
            contacts: z.optional(z.array(WhatsAppContact)),
            messages: z.optional(z.array(z.unknown())),
            statuses: z.optional(z.array(z.unknown())),
          }),
        }),
      ),
    }),
  ),
});

const MEDIA_TYPES = ['image', 'document', 'audio', 'video', 'sticker'] as const;

function messageEvent(message: z.infer<typeof WhatsAppMessage>, contacts: readonly z.infer<typeof WhatsAppContact>[]): InboundEvent | undefined {
  const account = message.from ?? message.from_user_id;
  if (!account) return undefined;
  const contact =
    contacts.find((c) => (message.from && c.wa_id === message.from) || (message.from_user_id && c.user_id === message.from_user_id)) ?? contacts[0];
  const attachments: InboundAttachment[] = [];
  const lines: string[] = [];
  if (message.text) lines.push(message.text.body);
  for (const type of MEDIA_TYPES) {
    const media = message[type];
    if (message.type !== type || !media) continue;
    attachments.push({ ref: media.id, name: media.filename, contentType: media.mime_type });
    if (media.caption) lines.push(media.caption);
  }
  if (message.type === 'location' && message.location) {
    const { latitude, longitude, name, address } = message.location;
    lines.push([`📍 ${latitude}, ${longitude}`, name, address].filter(Boolean).join(' — '));
  }
  if (message.type === 'button' && message.button) lines.push(message.button.text);
  if (message.type === 'interactive' && message.interactive) {
    const title = message.interactive.button_reply?.title ?? message.interactive.list_reply?.title;
    if (title) lines.push(title);
  }
  // Reactions, system notices, unsupported types: nothing a session can show as a message.
  if (lines.length === 0 && attachments.length === 0) return undefined;
  return {
    kind: 'message',
    externalId: message.id,
    account,
    displayName: contact?.profile?.name,
    username: contact?.profile?.username,
    text: lines.join('\n'),
    attachments,
    at: isoFromEpoch(message.timestamp, 's'),
  };
}

function statusEvent(status: z.infer<typeof WhatsAppStatus>): InboundEvent | undefined {
  const at = isoFromEpoch(status.timestamp, 's');
  // `sent` is already known from the send call's answer; `played` (a voice note) says no more than read.
  if (status.status === 'delivered' || status.status === 'read') return { kind: 'status', externalId: status.id, status: status.status, at };
  if (status.status !== 'failed') return undefined;
  const first = status.errors?.[0];
  const error = first
    ? [first.code === undefined ? undefined : `(#${first.code})`, first.title ?? first.message, first.error_data?.details].filter(Boolean).join(' ')
    : 'failed';
  return { kind: 'status', externalId: status.id, status: 'failed', error, at };
}

/**
 * The events of a notification. A Meta app has one callback URL for all its numbers: given the
 * channel's phone number id, changes about another number are left out (they belong to another
 * channel, and a reply from this one would come from the wrong number).
 */
export function parseWhatsApp(rawBody: string, phoneNumberId?: string): InboundEvent[] {
  const notification = WhatsAppNotification.safeParse(parseJson(rawBody));
  if (!notification.success || notification.data.object !== 'whatsapp_business_account') return [];
  const events: InboundEvent[] = [];
  for (const entry of notification.data.entry) {
    for (const change of entry.changes) {
      if (change.field !== 'messages') continue;
      const metadata = change.value.metadata;
      if (phoneNumberId && metadata?.phone_number_id && metadata.phone_number_id !== phoneNumberId) continue;
      const contacts = change.value.contacts ?? [];
      for (const item of change.value.messages ?? []) {
        const message = WhatsAppMessage.safeParse(item);
        const event = message.success ? messageEvent(message.data, contacts) : undefined;
        if (event) events.push(event);
      }
      for (const item of change.value.statuses ?? []) {
        const status = WhatsAppStatus.safeParse(item);
        const event = status.success ? statusEvent(status.data) : undefined;
        if (event) events.push(event);
      }
    }
  }
  return events;
}

/** The Cloud API's longest text body and caption. */
const MAX_TEXT = 4096;
const MAX_CAPTION = 1024;

/** The Cloud API sends JPEG and PNG as images; every other file goes as a document (which keeps its name). */
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png']);

function fileMessage(file: OutboundFile, caption: string | undefined): Record<string, unknown> {
  if (IMAGE_TYPES.has(file.contentType.toLowerCase())) return { type: 'image', image: { link: file.url, ...(caption ? { caption } : {}) } };
  return { type: 'document', document: { link: file.url, filename: file.name, ...(caption ? { caption } : {}) } };
}

const SendAnswer = z.looseObject({ messages: z.array(z.looseObject({ id: z.string().check(z.minLength(1)) })).check(z.minLength(1)) });

/**
 * The reply as Cloud API messages: the text (in pieces of 4,096), then one message per file; a
 * text short enough rides as the first file's caption instead, so that a reply with a file is
 * one message. The external id is the last message's: the one the client sees last.
 */
export function whatsappPayloads(reply: OutboundReply): Record<string, unknown>[] {
  const head = { messaging_product: 'whatsapp', recipient_type: 'individual', to: reply.account };
  const captioned = reply.files.length > 0 && reply.text.length > 0 && reply.text.length <= MAX_CAPTION;
  const texts = captioned ? [] : splitText(reply.text, MAX_TEXT);
  return [
    ...texts.map((body) => ({ ...head, type: 'text', text: { body, preview_url: false } })),
    ...reply.files.map((file, i) => ({ ...head, ...fileMessage(file, captioned && i === 0 ? reply.text : undefined) })),
  ];
}

async function send(reply: OutboundReply, credentials: WhatsAppCredentials): Promise<SendResult> {
  const payloads = whatsappPayloads(reply);
  if (payloads.length === 0) return { ok: false, error: 'an empty reply: no text and no files', retry: false };
  // The last part's id names the reply (its statuses follow the last message).
  return sendInParts(payloads, reply, 'last', async (payload) => {
    try {
      const answer = await call(`${apiUrl()}/${encodeURIComponent(credentials.phoneNumberId)}/messages`, {
        method: 'POST',
        headers: bearer(credentials.accessToken),
        json: payload,
      });
      if (answer.status < 200 || answer.status >= 300) return graphFailure(answer);
      const sent = SendAnswer.safeParse(answer.json);
      if (!sent.success) return { ok: false, error: `WhatsApp accepted the message but named no id (HTTP ${answer.status})`, retry: false, wentOut: true };
      return { ok: true, id: sent.data.messages[0]!.id };
    } catch (error) {
      return networkFailure(error);
    }
  });
}

const MediaInfo = z.looseObject({ url: z.url(), mime_type: z.optional(z.string()) });

async function fetchAttachment(attachment: InboundAttachment, credentials: WhatsAppCredentials) {
  const auth = bearer(credentials.accessToken);
  const answer = await call(`${apiUrl()}/${encodeURIComponent(attachment.ref)}?phone_number_id=${encodeURIComponent(credentials.phoneNumberId)}`, {
    method: 'GET',
    headers: auth,
  });
  if (answer.status !== 200) {
    const failure = graphFailure(answer);
    throw new MessengerCallError(`WhatsApp media ${attachment.ref}: ${failure.error}`, answer.status, failure.credentialsRefused === true);
  }
  const info = MediaInfo.safeParse(answer.json);
  if (!info.success) throw new MessengerCallError(`WhatsApp media ${attachment.ref}: the answer has no url`, answer.status);
  const { bytes, contentType } = await download(info.data.url, auth);
  const type = attachment.contentType ?? info.data.mime_type ?? contentType;
  return { bytes, ...(type ? { contentType: type } : {}), ...(attachment.name ? { name: attachment.name } : {}) };
}

export const whatsapp: Messenger<WhatsAppCredentials> = {
  type: 'whatsapp',
  hookPath: 'whatsapp',
  verify: (request, credentials) => verifyMeta(request, credentials),
  parse: (request, credentials) => (request.method === 'POST' ? parseWhatsApp(request.rawBody, credentials?.phoneNumberId) : []),
  send,
  fetchAttachment,
};
