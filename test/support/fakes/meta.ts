/**
 * A fake of Meta's Graph API on loopback, as WhatsApp Cloud API and Instagram messaging document
 * it: `POST /{phone-number-id}/messages` (WhatsApp), `POST /{ig-account-id}/messages`
 * (Instagram), `GET /{media-id}` and the media download, all behind a Bearer token; errors in
 * the Graph shape `{ error: { message, type, code, error_subcode?, error_data?, fbtrace_id } }`.
 * Base URL for the adapters: `${fake.url}/v23.0` (the version segment is ignored).
 *
 * Also builds what Meta sends to a hook — real-shaped notifications, signed with the app secret.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { type Answer, type Canned, type FakeServer, json, type Recorded, startFakeServer } from './http.ts';

export interface MetaFake extends FakeServer {
  readonly apiUrl: string;
  /** The token the fake accepts (a test may change it to make every call refused). */
  accessToken: string;
  /** Media the fake serves: WhatsApp media ids and Instagram CDN paths. */
  readonly media: Map<string, { bytes: Uint8Array; mimeType: string }>;
  /** Recorded send calls of one account (`/{id}/messages`). */
  sends(id: string): Recorded[];
  /** The message id the fake gave in its answer to a send (a wamid, or an Instagram mid). */
  answered(request: Recorded): string;
}

/** A WhatsApp Business number's credentials as the tests and the bench connect it (the fake takes what it is started with). */
export const WHATSAPP_CREDENTIALS = {
  phoneNumberId: '106540352242922',
  accessToken: 'EAAG-system-user-token-0123456789',
  appSecret: 'whatsapp-app-secret-0123456789',
  verifyToken: 'whatsapp-verify-token-0123456789',
} as const;

/** An Instagram professional account's credentials, likewise. */
export const INSTAGRAM_CREDENTIALS = {
  accountId: '17841405822304914',
  accessToken: 'IGAA-instagram-token-0123456789',
  appSecret: 'instagram-app-secret-0123456789',
  verifyToken: 'instagram-verify-token-0123456789',
} as const;

export interface MetaFakeOptions {
  accessToken: string;
  /** WhatsApp phone number ids the fake knows. */
  phoneNumberIds?: string[];
  /** Instagram account ids the fake knows. */
  accountIds?: string[];
}

const trace = () => randomBytes(8).toString('base64url');

export function graphError(status: number, code: number, message: string, extra: { subcode?: number; details?: string; type?: string } = {}): Canned {
  return {
    status,
    body: {
      error: {
        message,
        type: extra.type ?? 'OAuthException',
        code,
        ...(extra.subcode === undefined ? {} : { error_subcode: extra.subcode }),
        ...(extra.details === undefined ? {} : { error_data: { messaging_product: 'whatsapp', details: extra.details } }),
        fbtrace_id: trace(),
      },
    },
  };
}

/** The failures the docs name, as the fake answers them. */
export const metaFailures = {
  invalidToken: () => graphError(401, 190, 'Invalid OAuth access token - Cannot parse access token'),
  throughput: () => graphError(400, 130429, '(#130429) Rate limit hit', { details: 'Cloud API message throughput has been reached.' }),
  appRateLimit: () => graphError(400, 4, '(#4) Application request limit reached'),
  tooManyRequests: (retryAfterSeconds?: number) => ({
    ...graphError(429, 80007, '(#80007) Rate limit issues'),
    ...(retryAfterSeconds === undefined ? {} : { headers: { 'retry-after': String(retryAfterSeconds) } }),
  }),
  reengagement: () =>
    graphError(400, 131047, '(#131047) Re-engagement message', {
      details: 'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
    }),
  undeliverable: () => graphError(400, 131026, '(#131026) Message undeliverable', { details: 'Message Undeliverable.' }),
  outsideWindow: () => graphError(400, 10, '(#10) This message is sent outside of allowed window.', { subcode: 2534022 }),
  serverError: () => graphError(500, 1, 'An unknown error has occurred.'),
};

let sequence = 0;
const wamid = () => `wamid.HBgL${Buffer.from(`${Date.now()}:${++sequence}:${randomBytes(6).toString('hex')}`).toString('base64')}`;
const igMid = () => `aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOj${randomBytes(12).toString('base64url')}`;

function graphHandler(options: MetaFakeOptions, fake: () => MetaFake) {
  const phones = new Set(options.phoneNumberIds ?? []);
  const accounts = new Set(options.accountIds ?? []);
  return (request: Recorded, base: string): Answer => {
    const segments = request.path.split('/').filter(Boolean);
    // The media download URL is served by another host in production; here under /download.
    if (segments[0] === 'cdn') {
      const item = fake().media.get(segments.slice(1).join('/'));
      return item ? { status: 200, body: item.bytes, contentType: item.mimeType } : { status: 404, body: 'not found', contentType: 'text/plain' };
    }
    const bearer = request.headers.authorization?.replace(/^Bearer\s+/i, '') ?? request.query.get('access_token');
    if (bearer !== fake().accessToken) return json(401, metaFailures.invalidToken().body);
    if (segments[0] === 'download') {
      const item = fake().media.get(segments[1] ?? '');
      return item ? { status: 200, body: item.bytes, contentType: item.mimeType } : { status: 404, body: 'not found', contentType: 'text/plain' };
    }
    if (/^v\d+\.\d+$/.test(segments[0] ?? '')) segments.shift();
    const [id, edge] = segments;
    if (request.method === 'GET' && id && !edge) {
      const item = fake().media.get(id);
      if (!item) return json(400, graphError(400, 100, `Unsupported get request. Object with ID '${id}' does not exist`).body);
      return json(200, {
        messaging_product: 'whatsapp',
        url: `${base}/download/${id}`,
        mime_type: item.mimeType,
        sha256: 'x',
        file_size: item.bytes.byteLength,
        id,
      });
    }
    if (request.method !== 'POST' || edge !== 'messages' || !id) return json(400, graphError(400, 100, 'Unsupported request').body);
    const body = request.json;
    if (phones.has(id)) return whatsappSend(body);
    if (accounts.has(id)) return instagramSend(body);
    return json(400, graphError(400, 100, `Unsupported post request. Object with ID '${id}' does not exist`).body);
  };
}

const invalid = (message: string) => json(400, graphError(400, 100, `(#100) ${message}`).body);

/** https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages */
function whatsappSend(body: any): Answer {
  if (body?.messaging_product !== 'whatsapp') return invalid('The parameter messaging_product is required.');
  if (typeof body.to !== 'string' || !body.to) return invalid('The parameter to is required.');
  const type = body.type ?? 'text';
  const content = body[type];
  if (!content) return invalid(`The parameter ${type} is required.`);
  if (type === 'text' && (typeof content.body !== 'string' || !content.body || content.body.length > 4096)) return invalid("Param text['body'] is invalid.");
  if ((type === 'image' || type === 'document') && !content.link && !content.id) return invalid(`Param ${type}['link'] or ${type}['id'] is required.`);
  if (content.caption !== undefined && String(content.caption).length > 1024) return invalid('Param caption is too long.');
  if (!['text', 'image', 'document', 'audio', 'video'].includes(type)) return invalid(`Param type ${type} is not supported here.`);
  return json(200, { messaging_product: 'whatsapp', contacts: [{ input: body.to, wa_id: body.to }], messages: [{ id: wamid() }] });
}

/** https://developers.facebook.com/docs/instagram-platform/instagram-api-with-instagram-login/messaging-api */
function instagramSend(body: any): Answer {
  const recipient = body?.recipient?.id;
  if (typeof recipient !== 'string' || !recipient) return invalid('The parameter recipient is required.');
  if (body.sender_action) return json(200, { recipient_id: recipient });
  const message = body.message;
  if (!message || (message.text === undefined && message.attachment === undefined)) return invalid('The parameter message is required.');
  if (message.text !== undefined && (typeof message.text !== 'string' || message.text.length > 1000))
    return invalid('Param message[text] must be a string of at most 1000 characters.');
  if (message.attachment !== undefined && !message.attachment?.payload?.url) return invalid('Param message[attachment][payload][url] is required.');
  return json(200, { recipient_id: recipient, message_id: igMid() });
}

export async function startMetaFake(options: MetaFakeOptions): Promise<MetaFake> {
  let fake: MetaFake | undefined;
  const server = await startFakeServer(graphHandler(options, () => fake!));
  fake = Object.assign(server, {
    apiUrl: `${server.url}/v23.0`,
    accessToken: options.accessToken,
    media: new Map<string, { bytes: Uint8Array; mimeType: string }>(),
    sends: (id: string) => server.requests.filter((r) => r.method === 'POST' && r.path.endsWith(`/${id}/messages`)),
    answered(request: Recorded) {
      const body = JSON.parse(request.answer?.body ?? '{}');
      const id = body.messages?.[0]?.id ?? body.message_id;
      if (typeof id !== 'string') throw new Error(`the fake answered no message id: ${request.answer?.body}`);
      return id;
    },
  });
  return fake;
}

/** `X-Hub-Signature-256` as Meta computes it. */
export const metaSignature = (body: string, appSecret: string) => `sha256=${createHmac('sha256', appSecret).update(body, 'utf8').digest('hex')}`;

const seconds = (at = Date.now()) => String(Math.floor(at / 1000));

/** A WhatsApp `messages` notification (https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/payload-examples). */
export function whatsappNotification(phoneNumberId: string, value: { contacts?: unknown[]; messages?: unknown[]; statuses?: unknown[] }) {
  return {
    object: 'whatsapp_business_account' as const,
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            field: 'messages' as const,
            value: { messaging_product: 'whatsapp' as const, metadata: { display_phone_number: '15550783881', phone_number_id: phoneNumberId }, ...value },
          },
        ],
      },
    ],
  };
}

export function whatsappText(from: string, name: string, body: string, id = wamid()) {
  return {
    contacts: [{ profile: { name }, wa_id: from, user_id: `US.${from}` }],
    messages: [{ from, from_user_id: `US.${from}`, id, timestamp: seconds(), type: 'text' as const, text: { body } }],
  };
}

export function whatsappStatus(
  id: string,
  status: 'sent' | 'delivered' | 'read' | 'failed',
  recipient: string,
  error?: { code: number; title: string; details: string },
) {
  return {
    statuses: [
      {
        id,
        status,
        timestamp: seconds(),
        recipient_id: recipient,
        ...(error ? { errors: [{ code: error.code, title: error.title, message: error.title, error_data: { details: error.details } }] } : {}),
      },
    ],
  };
}

/** An Instagram messaging notification (https://developers.facebook.com/docs/instagram-platform/webhooks/examples). */
export function instagramNotification(accountId: string, messaging: unknown[]) {
  return { object: 'instagram', entry: [{ id: accountId, time: Date.now(), messaging }] };
}

export function instagramText(accountId: string, from: string, text: string, mid = igMid()) {
  return { sender: { id: from }, recipient: { id: accountId }, timestamp: Date.now(), message: { mid, text } };
}

export function instagramRead(accountId: string, from: string, mid: string) {
  return { sender: { id: from }, recipient: { id: accountId }, timestamp: Date.now(), read: { mid } };
}
