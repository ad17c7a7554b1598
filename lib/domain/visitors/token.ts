/**
 * Visitor tokens: what the web-chat widget holds instead of a staff JWT. An HMAC-SHA256 over
 * the claims (base64url JSON) with a secret only chatlines knows; the visitor functions verify
 * it themselves (API Gateway's JWT authorizer is for staff tokens). A token names one channel
 * and one client account and expires. Pure: no AWS imports.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface VisitorClaims {
  /** The livechat channel the visitor writes to. */
  readonly channel: string;
  /** The visitor's client account on that channel (`_username` of its client). */
  readonly account: string;
  /** Expiry, Unix seconds. */
  readonly exp: number;
}

/** How long a visitor token lives: a day (the widget asks for a new one after that). */
export const VISITOR_TOKEN_TTL_SECONDS = 24 * 60 * 60;
const PREFIX = 'vt1.';

const mac = (secret: string, payload: string) => createHmac('sha256', secret).update(payload).digest('base64url');

export function signVisitorToken(secret: string, claims: VisitorClaims): string {
  const payload = Buffer.from(JSON.stringify({ ch: claims.channel, acct: claims.account, exp: claims.exp })).toString('base64url');
  return `${PREFIX}${payload}.${mac(secret, payload)}`;
}

/** The claims of a valid, unexpired token, or the reason it is refused (for a 401). */
export function verifyVisitorToken(secret: string, token: string | undefined, nowSeconds = Math.floor(Date.now() / 1000)): VisitorClaims | { error: string } {
  if (!token) return { error: 'missing visitor token' };
  if (!token.startsWith(PREFIX)) return { error: 'not a visitor token' };
  const [payload, signature, ...rest] = token.slice(PREFIX.length).split('.');
  if (!payload || !signature || rest.length > 0) return { error: 'malformed visitor token' };
  const expected = Buffer.from(mac(secret, payload));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { error: 'bad visitor token signature' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { error: 'malformed visitor token' };
  }
  const p = parsed as { ch?: unknown; acct?: unknown; exp?: unknown };
  if (typeof p.ch !== 'string' || typeof p.acct !== 'string' || typeof p.exp !== 'number') return { error: 'malformed visitor token' };
  if (p.exp <= nowSeconds) return { error: 'visitor token expired' };
  return { channel: p.ch, account: p.acct, exp: p.exp };
}

/** `Authorization: Bearer vt1.…` → the token. */
export function bearer(authorization: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
}
