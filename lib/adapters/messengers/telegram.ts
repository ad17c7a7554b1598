/**
 * Telegram bots (channel type `telegramBot`), through the Bot API
 * (https://core.telegram.org/bots/api): `setWebhook` with a `secret_token` chatlines generates,
 * which Telegram sends back on every update in `X-Telegram-Bot-Api-Secret-Token`; `sendMessage`
 * to reply, `sendPhoto` (JPEG, PNG, WebP up to 10 MB) or `sendDocument` (anything else) for each
 * file, uploaded as multipart/form-data from our storage — not by URL: Telegram fetches URLs
 * only up to 5 MB for photos and 20 MB otherwise, names the file after the URL's last segment
 * and cannot reach a storage that is not public (the local S3 on loopback); `sendChatAction` for typing; `getFile` and the file URL for
 * attachments. Shapes from `@grammyjs/types` (types only: nothing of it is in a bundle).
 * `TELEGRAM_API_URL` points it elsewhere (tests: a fake on loopback).
 */
import type { ApiMethods, ApiResponse, File, Message, Update } from '@grammyjs/types';
import type { TelegramCredentials } from '../../contract/messengers.ts';
import {
  type HookRequest,
  type InboundAttachment,
  type InboundEvent,
  type Messenger,
  MessengerCallError,
  type OutboundFile,
  type SendFailure,
  type SendResult,
  sendInParts,
  type Verdict,
} from './port.ts';
import { safeEqual } from './wire.ts';

type Methods = ApiMethods<never>;
type Args<M extends keyof Methods> = Parameters<Methods[M]>[0];
type Result<M extends keyof Methods> = ReturnType<Methods[M]>;

const TIMEOUT_MS = 10_000;
export const SECRET_HEADER = 'x-telegram-bot-api-secret-token';

const apiUrl = () => (process.env.TELEGRAM_API_URL ?? 'https://api.telegram.org').replace(/\/+$/, '');

/** What one Bot API call came to: its result, or Telegram's error (status, description, retry_after). */
type Outcome<T> = { ok: true; result: T } | { ok: false; status: number | undefined; description: string; retryAfter?: number | undefined };

/**
 * One Bot API request: POSTs `body` to the method and reads Telegram's answer. The token is in
 * the URL: no error text here ever includes the URL.
 */
async function request<T>(
  token: string,
  method: string,
  body: string | FormData,
  timeoutMs: number,
  headers: Record<string, string> = {},
): Promise<Outcome<T>> {
  let response: Response;
  try {
    response = await fetch(`${apiUrl()}/bot${token}/${method}`, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const timedOut = (error as Error).name === 'TimeoutError';
    return { ok: false, status: undefined, description: timedOut ? `Telegram did not answer within ${timeoutMs / 1000} s` : 'Telegram could not be reached' };
  }
  let answer: ApiResponse<T> | undefined;
  try {
    answer = (await response.json()) as ApiResponse<T>;
  } catch {
    answer = undefined;
  }
  if (answer?.ok === true) return { ok: true, result: answer.result };
  return {
    ok: false,
    status: answer?.error_code ?? response.status,
    description: answer?.description ?? `Telegram answered ${response.status}`,
    retryAfter: answer?.parameters?.retry_after,
  };
}

/** One Bot API method, JSON in and out. */
const call = <M extends keyof Methods>(token: string, method: M, args: Args<M>): Promise<Outcome<Result<M>>> =>
  request<Result<M>>(token, method, JSON.stringify(args ?? {}), TIMEOUT_MS, { 'content-type': 'application/json' });

/** A file sent by upload: `multipart/form-data` with the file as the `field` part (more time: the bytes go up). */
function upload(
  token: string,
  method: 'sendPhoto' | 'sendDocument',
  field: 'photo' | 'document',
  fields: Record<string, string>,
  file: { name: string; contentType: string; bytes: Uint8Array },
): Promise<Outcome<Message>> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  form.set(field, new Blob([file.bytes as Uint8Array<ArrayBuffer>], { type: file.contentType }), file.name);
  return request<Message>(token, method, form, TIMEOUT_MS * 6);
}

/** What Telegram shows as a photo (sendPhoto takes at most 10 MB); anything else goes as a document. */
const PHOTO_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp']);
const MAX_PHOTO_BYTES = 10 * 1024 * 1024;
/** A caption's longest text; a longer reply text goes as its own message. */
const MAX_CAPTION = 1024;

/** One file of a reply: by upload when its bytes can be read, else by URL. */
async function sendFile(token: string, chatId: string, file: OutboundFile, caption: string | undefined): Promise<Outcome<Message>> {
  const photo = PHOTO_TYPES.has(file.contentType.toLowerCase()) && file.size <= MAX_PHOTO_BYTES;
  const [method, field] = photo ? (['sendPhoto', 'photo'] as const) : (['sendDocument', 'document'] as const);
  const fields = { chat_id: chatId, ...(caption ? { caption } : {}) };
  if (file.bytes) return upload(token, method, field, fields, { name: file.name, contentType: file.contentType, bytes: await file.bytes() });
  return photo ? call(token, 'sendPhoto', { ...fields, photo: file.url }) : call(token, 'sendDocument', { ...fields, document: file.url });
}

/** Telegram refuses a bot token with 401 (revoked, wrong) or 404 (no such bot). */
const tokenRefused = (status: number | undefined) => status === 401 || status === 404;

function sendFailure(outcome: Extract<Outcome<unknown>, { ok: false }>): SendFailure {
  const { status, description } = outcome;
  if (status === 429) return { ok: false, error: description, retry: true, retryAfterMs: (outcome.retryAfter ?? 1) * 1000 };
  if (tokenRefused(status)) return { ok: false, error: description, retry: false, credentialsRefused: true };
  // Unreachable or Telegram's own trouble: worth another attempt. 400 (chat not found) and 403
  // (blocked by the user, kicked) will not change by trying again.
  if (status === undefined || status >= 500) return { ok: false, error: description, retry: true };
  return { ok: false, error: description, retry: false };
}

/** The largest photo size Telegram made, or the file itself. */
function attachmentsOf(message: Message): InboundAttachment[] {
  const out: InboundAttachment[] = [];
  if (message.photo?.length) {
    const largest = message.photo[message.photo.length - 1]!;
    out.push({ ref: largest.file_id, name: `photo-${largest.file_unique_id}.jpg`, contentType: 'image/jpeg', size: largest.file_size });
  }
  const files = [message.document, message.video, message.audio, message.voice].filter((f) => f !== undefined);
  for (const f of files) {
    out.push({
      ref: f.file_id,
      name: 'file_name' in f ? f.file_name : undefined,
      contentType: f.mime_type,
      size: f.file_size,
    });
  }
  return out;
}

function displayNameOf(message: Message): string | undefined {
  const from = message.from;
  if (!from) return message.chat.title;
  return [from.first_name, from.last_name].filter(Boolean).join(' ') || undefined;
}

export const telegram: Messenger<TelegramCredentials> = {
  type: 'telegramBot',
  hookPath: 'telegram',

  verify(request: HookRequest, _credentials, hookSecret): Verdict {
    if (request.method !== 'POST') return { ok: false, reason: 'Telegram posts its updates' };
    const given = request.headers[SECRET_HEADER];
    if (!given) return { ok: false, reason: `no ${SECRET_HEADER}` };
    if (!safeEqual(given, hookSecret)) return { ok: false, reason: `wrong ${SECRET_HEADER}` };
    return { ok: true };
  },

  parse(request: HookRequest): InboundEvent[] {
    const update = JSON.parse(request.rawBody) as Update;
    const message = update.message;
    if (!message) return [];
    const attachments = attachmentsOf(message);
    return [
      {
        kind: 'message',
        // Unique per chat, and the same in every retry of the update that carries it.
        externalId: `${message.chat.id}:${message.message_id}`,
        account: String(message.chat.id),
        displayName: displayNameOf(message),
        username: message.from?.username ?? message.chat.username,
        text: message.text ?? message.caption ?? '',
        attachments,
        at: new Date(message.date * 1000).toISOString(),
      },
    ];
  },

  async send(reply, { botToken }): Promise<SendResult> {
    const hasText = reply.text.trim() !== '';
    // The text rides as the first file's caption when it fits, else as a message of its own.
    const captioned = hasText && reply.files.length > 0 && reply.text.length <= MAX_CAPTION;
    const parts: { what: string; send: () => Promise<Outcome<Message>> }[] = [
      ...((hasText && !captioned) || reply.files.length === 0
        ? [{ what: 'the text', send: () => call(botToken, 'sendMessage', { chat_id: reply.account, text: reply.text }) }]
        : []),
      ...reply.files.map((file, i) => ({
        what: `the file ${file.name}`,
        send: () => sendFile(botToken, reply.account, file, captioned && i === 0 ? reply.text : undefined),
      })),
    ];
    // The first part's id names the reply (the rest are its continuation).
    return sendInParts(parts, reply, 'first', async (part) => {
      let sent: Outcome<Message>;
      try {
        sent = await part.send();
      } catch (error) {
        // Our storage did not give a file's bytes: worth another attempt.
        return { ok: false, error: `${part.what} could not be read: ${(error as Error).message}`, retry: true };
      }
      return sent.ok ? { ok: true, id: `${sent.result.chat.id}:${sent.result.message_id}` } : sendFailure(sent);
    });
  },

  async connect(hookUrl, { botToken }, hookSecret) {
    const set = await call(botToken, 'setWebhook', { url: hookUrl, secret_token: hookSecret, allowed_updates: ['message'] });
    if (!set.ok) throw new MessengerCallError(`Telegram refused setWebhook: ${set.description}`, set.status, tokenRefused(set.status));
  },

  async disconnect({ botToken }) {
    const done = await call(botToken, 'deleteWebhook', {});
    if (!done.ok) throw new MessengerCallError(`Telegram refused deleteWebhook: ${done.description}`, done.status, tokenRefused(done.status));
  },

  async typing(account, { botToken }) {
    await call(botToken, 'sendChatAction', { chat_id: account, action: 'typing' });
  },

  async fetchAttachment(attachment, { botToken }) {
    const found = await call(botToken, 'getFile', { file_id: attachment.ref });
    if (!found.ok) throw new MessengerCallError(`Telegram refused getFile: ${found.description}`, found.status, tokenRefused(found.status));
    const file: File = found.result;
    if (!file.file_path) throw new MessengerCallError('Telegram gave no file path (the file is over 20 MB?)', 400);
    let response: Response;
    try {
      response = await fetch(`${apiUrl()}/file/bot${botToken}/${file.file_path}`, { signal: AbortSignal.timeout(TIMEOUT_MS * 3) });
    } catch {
      throw new MessengerCallError('the Telegram file could not be downloaded', undefined);
    }
    if (!response.ok) throw new MessengerCallError(`the Telegram file download answered ${response.status}`, response.status);
    return {
      bytes: new Uint8Array(await response.arrayBuffer()),
      ...(attachment.contentType ? { contentType: attachment.contentType } : {}),
      ...(attachment.name ? { name: attachment.name } : {}),
    };
  },
};
