/**
 * What the WhatsApp, Instagram and Viber adapters share below their dialects: the base URL of a
 * messenger's API from the environment, one JSON call with a time limit, a bounded download,
 * HMAC proofs compared in constant time, and the reading of a JSON body whose big integer ids
 * must survive byte for byte.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { MessengerCallError, type SendResult } from './port.ts';

/** A messenger API's base URL: `process.env[name]` (read at each call, so tests can point it at a fake) or the real service. */
export function apiBase(name: string, fallback: string): string {
  const value = process.env[name]?.trim();
  return (value || fallback).replace(/\/+$/, '');
}

/** Lowercase hex HMAC-SHA256 of `body` under `key`. */
export function hmacSha256Hex(key: string, body: string): string {
  return createHmac('sha256', key).update(body, 'utf8').digest('hex');
}

/**
 * Whether two strings are equal, in time that depends on neither: both are hashed first, so
 * even their lengths stay hidden from a caller timing the answer.
 */
export function safeEqual(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b)) && a.length === b.length;
}

/** An API's answer: the status, the headers and the body (parsed when it is JSON, else undefined). */
export interface ApiAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json: unknown;
}

/** The call never got an answer (refused, reset, timed out): always worth another attempt. */
export class NetworkError extends MessengerCallError {
  constructor(message: string) {
    super(message, undefined);
    this.name = 'NetworkError';
  }
}

/** A send that never got an answer is worth another attempt; any other throw is a bug to surface. */
export function networkFailure(error: unknown): Extract<SendResult, { ok: false }> {
  if (error instanceof NetworkError) return { ok: false, error: error.message, retry: true };
  throw error;
}

/** How long one call to a messenger may take before it counts as lost. */
export const CALL_TIMEOUT_MS = 10_000;

type JsonReviver = (key: string, value: unknown, context?: { source?: string }) => unknown;

/** JSON.parse that never throws (undefined for a body that is not JSON). */
export function parseJson(text: string, reviver?: JsonReviver): unknown {
  try {
    return JSON.parse(text, reviver as Parameters<typeof JSON.parse>[1]);
  } catch {
    return undefined;
  }
}

/**
 * A reviver keeping the named numeric fields as their source digits: Viber's `message_token` is
 * a 64-bit integer, which a double would round (two tokens within 1,024 of each other would read
 * as one, and a status could land on the wrong reply). Node's JSON.parse hands revivers the
 * source text of each primitive.
 */
export function keepDigits(...keys: string[]): JsonReviver {
  const names = new Set(keys);
  return (key, value, context) => (names.has(key) && typeof value === 'number' && context?.source ? context.source : value);
}

/** One HTTP call whose answer is read whole; throws NetworkError when no answer came. */
export async function call(
  url: string,
  init: { method: 'GET' | 'POST' | 'DELETE'; headers?: Record<string, string>; json?: unknown },
  reviver?: JsonReviver,
): Promise<ApiAnswer> {
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method: init.method,
      headers: { accept: 'application/json', ...(init.json === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
      ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }),
      signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
      redirect: 'error',
    });
    text = await response.text();
  } catch (error) {
    // Only the URL's origin: a path may carry an account id, never a token (tokens go in headers).
    throw new NetworkError(`no answer from ${new URL(url).origin}: ${(error as Error).message}`);
  }
  return { status: response.status, headers: response.headers, text, json: parseJson(text, reviver) };
}

/** The longest file fetched from a messenger (WhatsApp's own limit for documents is 100 MB). */
export const MAX_DOWNLOAD_BYTES = 100 * 1024 * 1024;

/** Downloads a file's bytes, refusing more than `maxBytes`; throws on a failure or an answer other than 2xx. */
export async function download(
  url: string,
  headers: Record<string, string> = {},
  maxBytes = MAX_DOWNLOAD_BYTES,
): Promise<{ bytes: Uint8Array; contentType?: string }> {
  const origin = new URL(url).origin;
  let response: Response;
  try {
    response = await fetch(url, { headers, signal: AbortSignal.timeout(6 * CALL_TIMEOUT_MS) });
  } catch (error) {
    throw new NetworkError(`no answer from ${origin}: ${(error as Error).message}`);
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw new MessengerCallError(`download failed: ${response.status} from ${origin}`, response.status, response.status === 401);
  }
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > maxBytes) {
    await response.body.cancel();
    throw new MessengerCallError(`download refused: ${declared} bytes is over ${maxBytes}`, response.status);
  }
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const part of response.body) {
    size += part.byteLength;
    if (size > maxBytes) throw new MessengerCallError(`download refused: over ${maxBytes} bytes`, response.status);
    parts.push(part);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.byteLength;
  }
  const contentType = response.headers.get('content-type') ?? undefined;
  return contentType ? { bytes, contentType } : { bytes };
}

/** `Retry-After` (seconds or an HTTP date) in ms, when the answer has one. */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const value = headers.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Splits a text into pieces of at most `max` UTF-16 units without cutting a surrogate pair (messengers cap a message's length). */
export function splitText(text: string, max: number): string[] {
  if (text.length <= max) return text ? [text] : [];
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > max) {
    let cut = max;
    // Prefer the last line break or space in the second half of the piece.
    const soft = Math.max(rest.lastIndexOf('\n', max), rest.lastIndexOf(' ', max));
    if (soft > max / 2) cut = soft + 1;
    else if (/[\uD800-\uDBFF]/.test(rest[cut - 1] ?? '')) cut -= 1;
    pieces.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  if (rest) pieces.push(rest);
  return pieces;
}

/** An epoch time (seconds or ms) as an ISO timestamp; undefined when it is not a number. */
export function isoFromEpoch(value: unknown, unit: 's' | 'ms'): string | undefined {
  const n = typeof value === 'string' ? Number(value) : typeof value === 'number' ? value : Number.NaN;
  if (!Number.isFinite(n) || n <= 0) return undefined;
  const date = new Date(unit === 's' ? n * 1000 : n);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
