/**
 * What WhatsApp and Instagram share as Meta products: the webhook proofs and the Graph API's
 * error answers.
 *
 * Proofs (https://developers.facebook.com/docs/graph-api/webhooks/getting-started):
 * - the verification request `GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`,
 *   answered with the challenge as it came when the token is the one configured in the app;
 * - every notification `POST` carries `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw
 *   body under the app secret>`.
 *
 * Errors (https://developers.facebook.com/docs/graph-api/guides/error-handling and
 * https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes): an answer
 * `{ error: { message, type, code, error_subcode?, error_data?: { details } } }`; what to do
 * follows from `code` more than from the HTTP status.
 */
import * as z from '../../contract/zod.ts';
import type { HookRequest, SendResult, Verdict } from './port.ts';
import { type ApiAnswer, hmacSha256Hex, retryAfterMs, safeEqual } from './wire.ts';

/** The two secrets of a Meta app's webhook: the app secret (signatures) and the verify token (handshake). */
export interface MetaHookSecrets {
  readonly appSecret: string;
  readonly verifyToken: string;
}

/** The handshake answered, a signed notification accepted, anything else refused. */
export function verifyMeta(request: HookRequest, secrets: MetaHookSecrets): Verdict {
  if (request.method === 'GET') {
    const mode = request.query['hub.mode'];
    const token = request.query['hub.verify_token'];
    const challenge = request.query['hub.challenge'];
    if (mode !== 'subscribe' || token === undefined || !safeEqual(token, secrets.verifyToken)) {
      return { ok: false, reason: 'the verification request does not carry this channel’s verify token' };
    }
    if (!challenge) return { ok: false, reason: 'the verification request has no hub.challenge' };
    return { answer: { status: 200, body: challenge, contentType: 'text/plain; charset=utf-8' } };
  }
  const header = request.headers['x-hub-signature-256'];
  if (!header) return { ok: false, reason: 'no X-Hub-Signature-256 header' };
  const given = header.trim().toLowerCase();
  if (!given.startsWith('sha256=')) return { ok: false, reason: 'X-Hub-Signature-256 is not sha256=<hex>' };
  if (!safeEqual(given, `sha256=${hmacSha256Hex(secrets.appSecret, request.rawBody)}`)) {
    return { ok: false, reason: 'X-Hub-Signature-256 does not match the body under the app secret' };
  }
  return { ok: true };
}

/** A Graph API error answer, loosely: Meta adds fields over time. */
const GraphError = z.looseObject({
  error: z.looseObject({
    message: z.optional(z.string()),
    type: z.optional(z.string()),
    code: z.optional(z.number()),
    error_subcode: z.optional(z.number()),
    error_data: z.optional(z.union([z.looseObject({ details: z.optional(z.string()) }), z.string()])),
  }),
});

/**
 * Rate limits and Meta's own passing trouble: 1/2 (unknown, service), 4 (app calls), 17 (user
 * calls), 32 (page calls), 341/613 (call volume), 80002/80006/80007 (Instagram, Messenger and
 * WhatsApp Business account rate limits), 130429 (throughput), 131056 (pair rate),
 * 131000 (something went wrong), 131016 (service unavailable), 133004 (server unavailable).
 */
const RETRY_CODES = new Set([1, 2, 4, 17, 32, 341, 613, 80002, 80006, 80007, 130429, 131000, 131016, 131056, 133004]);

/** The access token is invalid, expired or revoked: 190 (OAuth), 102 (session). */
const CREDENTIAL_CODES = new Set([190, 102]);

/** The reason of a Graph error, with its code, in one line (never a token: Meta does not echo them). */
export function graphErrorText(answer: ApiAnswer): string {
  const parsed = GraphError.safeParse(answer.json);
  if (!parsed.success) return `HTTP ${answer.status}${answer.text ? `: ${answer.text.slice(0, 200)}` : ''}`;
  const { message, code, error_data: data } = parsed.data.error;
  const details = typeof data === 'string' ? data : data?.details;
  const head = message ?? `HTTP ${answer.status}`;
  const withCode = code !== undefined && !head.includes(`#${code}`) ? `(#${code}) ${head}` : head;
  return details && !withCode.includes(details) ? `${withCode}: ${details}` : withCode;
}

/** What a failed Graph API answer means for a reply. */
export function graphFailure(answer: ApiAnswer): Extract<SendResult, { ok: false }> {
  const parsed = GraphError.safeParse(answer.json);
  const code = parsed.success ? parsed.data.error.code : undefined;
  const error = graphErrorText(answer);
  if (answer.status === 401 || (code !== undefined && CREDENTIAL_CODES.has(code))) {
    return { ok: false, error, retry: false, credentialsRefused: true };
  }
  if (answer.status === 429 || answer.status >= 500 || (code !== undefined && RETRY_CODES.has(code))) {
    const after = retryAfterMs(answer.headers);
    return after === undefined ? { ok: false, error, retry: true } : { ok: false, error, retry: true, retryAfterMs: after };
  }
  // The rest is about this reply or this recipient (outside the 24-hour window, blocked, not a
  // WhatsApp user, a bad parameter): another attempt would be refused the same way.
  return { ok: false, error, retry: false };
}

/** The Graph API's `Authorization` header for an access token. */
export const bearer = (accessToken: string) => ({ authorization: `Bearer ${accessToken}` });
