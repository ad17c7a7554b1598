/**
 * A fake Telegram Bot API on loopback (point `TELEGRAM_API_URL` at it), answering as
 * https://core.telegram.org/bots/api documents, with the shapes of `@grammyjs/types`:
 *
 * - Requests: `POST /bot<token>/<method>` with a JSON body (method names case-insensitive);
 *   `GET /file/bot<token>/<file_path>` downloads a file. Every answer is
 *   `{ ok: true, result }` or `{ ok: false, error_code, description, parameters? }`.
 * - A token the fake was not given is `401 Unauthorized` (as for a revoked token).
 * - `setWebhook` keeps `url`, `secret_token` (1-256 of `A-Za-z0-9_-`, else 400) and
 *   `allowed_updates`; `deleteWebhook` clears them. Unlike Telegram it accepts `http://` on
 *   loopback (the local host).
 * - `sendMessage` needs `chat_id` and a non-empty `text` (400 "message text is empty"); a chat
 *   in `blocked` is `403 Forbidden: bot was blocked by the user`; an unknown chat is 400
 *   "chat not found" when `knownChats` is used.
 * - Failures on demand: `failNext(method, status, description, retryAfter?)` makes the next
 *   call of a method fail (429 carries `parameters.retry_after`, as flood control does).
 * - `sendChatAction` → true; `getFile` → a File with `file_path` (the bytes of `files` by file_id,
 *   else 5 bytes); `sendPhoto`/`sendDocument` → a Message, taking the file as a file_id or URL
 *   (JSON) or uploaded as multipart/form-data (kept in `uploads`, as Telegram would store it).
 * - `post(update)` sends an update to the registered webhook with the registered secret in
 *   `X-Telegram-Bot-Api-Secret-Token` (or another secret, to forge one), as Telegram does.
 */
import { createServer, type Server } from 'node:http';
import type { ApiError, File, Message, Update } from '@grammyjs/types';

export interface TelegramCall {
  token: string;
  method: string;
  body: Record<string, unknown>;
  at: number;
}

export interface FakeTelegram {
  url: string;
  calls: TelegramCall[];
  /** Tokens the fake accepts (others: 401). */
  tokens: Set<string>;
  /** Chats that blocked the bot (sendMessage: 403). */
  blocked: Set<string>;
  /** Files clients sent, by file_id (getFile and the download serve them). */
  files: Map<string, Uint8Array>;
  /** Files uploaded with sendPhoto/sendDocument (multipart), in order. */
  uploads: { method: string; field: string; name: string; type: string; bytes: Buffer; fields: Record<string, string> }[];
  /** The webhook each token registered. */
  webhooks: Map<string, { url: string; secret_token?: string; allowed_updates?: string[] }>;
  failNext(method: string, status: number, description: string, retryAfter?: number): void;
  /** Calls of a method (lower case), in order. */
  callsOf(method: string): TelegramCall[];
  /** Posts an update to a token's webhook; `secret` overrides the registered secret (undefined: none sent). */
  post(token: string, update: Update, options?: { secret?: string | null; raw?: string }): Promise<{ status: number; body: string }>;
  waitFor(predicate: () => boolean, what: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const BOT = { id: 1, is_bot: true as const, first_name: 'Chatlines test bot', username: 'chatlines_test_bot' };

/** A text message update from a private chat, as Telegram sends it. */
export function textUpdate(
  updateId: number,
  messageId: number,
  from: { id: number; first_name: string; last_name?: string; username?: string },
  text: string,
): Update {
  const message = {
    message_id: messageId,
    date: Math.floor(Date.now() / 1000),
    chat: { id: from.id, type: 'private' as const, first_name: from.first_name, ...(from.username ? { username: from.username } : {}) },
    from: { ...from, is_bot: false as const },
    text,
  };
  return { update_id: updateId, message } as Update;
}

export async function startFakeTelegram(): Promise<FakeTelegram> {
  let nextMessageId = 1000;
  const failures = new Map<string, { status: number; description: string; retryAfter?: number | undefined }[]>();
  const fake: FakeTelegram = {
    url: '',
    calls: [],
    tokens: new Set(),
    blocked: new Set(),
    files: new Map(),
    uploads: [],
    webhooks: new Map(),
    failNext(method, status, description, retryAfter) {
      const list = failures.get(method.toLowerCase()) ?? [];
      list.push({ status, description, retryAfter });
      failures.set(method.toLowerCase(), list);
    },
    callsOf: (method) => fake.calls.filter((c) => c.method === method.toLowerCase()),
    async post(token, update, options = {}) {
      const hook = fake.webhooks.get(token);
      if (!hook) throw new Error('no webhook registered for this token');
      const secret = options.secret === undefined ? hook.secret_token : options.secret;
      const response = await fetch(hook.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(secret ? { 'x-telegram-bot-api-secret-token': secret } : {}) },
        body: options.raw ?? JSON.stringify(update),
      });
      return { status: response.status, body: await response.text() };
    },
    async waitFor(predicate, what, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };

  const error = (code: number, description: string, retryAfter?: number): ApiError => ({
    ok: false,
    error_code: code,
    description,
    ...(retryAfter !== undefined ? { parameters: { retry_after: retryAfter } } : {}),
  });

  function answer(token: string, method: string, body: Record<string, unknown>, uploaded = false): { status: number; payload: unknown } {
    if (!fake.tokens.has(token)) return { status: 401, payload: error(401, 'Unauthorized') };
    const failure = failures.get(method)?.shift();
    if (failure) return { status: failure.status, payload: error(failure.status, failure.description, failure.retryAfter) };
    const ok = (result: unknown, description?: string) => ({ status: 200, payload: { ok: true, result, ...(description ? { description } : {}) } });
    switch (method) {
      case 'setwebhook': {
        if (typeof body.url !== 'string') return { status: 400, payload: error(400, 'Bad Request: bad webhook: URL must be provided') };
        const secret = body.secret_token;
        if (secret !== undefined && (typeof secret !== 'string' || !/^[A-Za-z0-9_-]{1,256}$/.test(secret))) {
          return { status: 400, payload: error(400, 'Bad Request: secret token contains unallowed characters') };
        }
        if (body.url === '') fake.webhooks.delete(token);
        else
          fake.webhooks.set(token, {
            url: body.url,
            ...(typeof secret === 'string' ? { secret_token: secret } : {}),
            ...(Array.isArray(body.allowed_updates) ? { allowed_updates: body.allowed_updates as string[] } : {}),
          });
        return ok(true, body.url === '' ? 'Webhook was deleted' : 'Webhook was set');
      }
      case 'deletewebhook': {
        const had = fake.webhooks.delete(token);
        return ok(true, had ? 'Webhook was deleted' : 'Webhook is already deleted');
      }
      case 'sendmessage':
      case 'sendphoto':
      case 'senddocument': {
        const chat = body.chat_id;
        if (chat === undefined || chat === '') return { status: 400, payload: error(400, 'Bad Request: chat_id is empty') };
        if (method === 'sendmessage' && (typeof body.text !== 'string' || body.text.trim() === '')) {
          return { status: 400, payload: error(400, 'Bad Request: message text is empty') };
        }
        const field = method === 'sendphoto' ? 'photo' : 'document';
        if (method !== 'sendmessage' && typeof body[field] !== 'string' && !uploaded) {
          return { status: 400, payload: error(400, `Bad Request: there is no ${field} in the request`) };
        }
        if (fake.blocked.has(String(chat))) return { status: 403, payload: error(403, 'Forbidden: bot was blocked by the user') };
        const message = {
          message_id: ++nextMessageId,
          date: Math.floor(Date.now() / 1000),
          chat: { id: Number(chat), type: 'private' as const, first_name: 'Client' },
          from: BOT,
          ...(method === 'sendmessage'
            ? { text: body.text as string }
            : method === 'sendphoto'
              ? { photo: [{ file_id: 'photo-1', file_unique_id: 'photo-u-1', width: 1, height: 1 }] }
              : { document: { file_id: 'doc-1', file_unique_id: 'doc-u-1' } }),
          ...(typeof body.caption === 'string' ? { caption: body.caption } : {}),
        } as Message;
        return ok(message);
      }
      case 'sendchataction':
        return ok(true);
      case 'getfile': {
        if (typeof body.file_id !== 'string') return { status: 400, payload: error(400, 'Bad Request: file_id is empty') };
        const size = fake.files.get(body.file_id)?.byteLength ?? 5;
        const file: File = { file_id: body.file_id, file_unique_id: `u-${body.file_id}`, file_size: size, file_path: `photos/${body.file_id}.jpg` };
        return ok(file);
      }
      case 'getme':
        return ok(BOT);
      default:
        return { status: 404, payload: error(404, 'Not Found') };
    }
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const file = /^\/file\/bot([^/]+)\/(.+)$/.exec(url.pathname);
      if (file && req.method === 'GET') {
        if (!fake.tokens.has(decodeURIComponent(file[1]!))) {
          res.writeHead(401).end();
          return;
        }
        const id = /^photos\/(.+)\.jpg$/.exec(decodeURIComponent(file[2]!))?.[1];
        res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(Buffer.from((id && fake.files.get(id)) || Buffer.from('bytes')));
        return;
      }
      const call = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
      if (!call) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify(error(404, 'Not Found')));
        return;
      }
      const token = decodeURIComponent(call[1]!);
      const method = call[2]!.toLowerCase();
      let body: Record<string, unknown> = {};
      let uploaded = false;
      try {
        const contentType = req.headers['content-type'] ?? '';
        if (contentType.startsWith('multipart/form-data')) {
          const form = await new Response(Buffer.concat(chunks), { headers: { 'content-type': contentType } }).formData();
          const fields: Record<string, string> = {};
          const files: { field: string; file: globalThis.File }[] = [];
          for (const [k, v] of form.entries()) {
            if (typeof v === 'string') fields[k] = v;
            else files.push({ field: k, file: v });
          }
          body = { ...fields };
          for (const { field, file } of files) {
            uploaded = true;
            fake.uploads.push({ method, field, name: file.name, type: file.type, bytes: Buffer.from(await file.arrayBuffer()), fields });
          }
        } else {
          const text = Buffer.concat(chunks).toString('utf8');
          body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
        }
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify(error(400, "Bad Request: can't parse JSON object")));
        return;
      }
      fake.calls.push({ token, method, body, at: Date.now() });
      const { status, payload } = answer(token, method, body, uploaded);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  fake.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return fake;
}
