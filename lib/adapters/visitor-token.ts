/**
 * Visitor tokens: what the web-chat widget holds instead of a staff JWT. A JWT signed with
 * HS256 by a secret only chatlines knows (lib/adapters/secrets.ts), behind a `vt1.` prefix that
 * tells it from a staff token at a glance; the visitor functions verify it themselves (API
 * Gateway's JWT authorizer is for staff tokens). A token names one channel (`ch`) and one client
 * account (`acct`) and expires (`exp`). An adapter (crypto at the edge), no AWS imports; the
 * verifier is loaded lazily by the visitor functions (lib/adapters/lazy/visitor-token.ts).
 */
import { compactVerify, SignJWT } from 'jose';
import type { VisitorClaims } from '../contract/visitors.ts';

/** How long a visitor token lives: a day (the widget asks for a new one after that). */
export const VISITOR_TOKEN_TTL_SECONDS = 24 * 60 * 60;
const PREFIX = 'vt1.';
const ALGORITHM = 'HS256';

const keyOf = (secret: string) => new TextEncoder().encode(secret);

export async function signVisitorToken(secret: string, claims: VisitorClaims): Promise<string> {
  const jwt = await new SignJWT({ ch: claims.channel, acct: claims.account })
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setExpirationTime(claims.exp)
    .sign(keyOf(secret));
  return `${PREFIX}${jwt}`;
}

/** The claims of a valid, unexpired token, or the reason it is refused (for a 401). */
export async function verifyVisitorToken(
  secret: string,
  token: string | undefined,
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<VisitorClaims | { error: string }> {
  if (!token) return { error: 'missing visitor token' };
  if (!token.startsWith(PREFIX)) return { error: 'not a visitor token' };
  let payload: Record<string, unknown>;
  try {
    // The JWS alone (jose's compactVerify, not jwtVerify: its claim-set checks and every error
    // class would come along in each visitor bundle); the one claim checked is `exp`, below.
    const verified = await compactVerify(token.slice(PREFIX.length), keyOf(secret), { algorithms: [ALGORITHM] });
    if (verified.protectedHeader.typ !== undefined && verified.protectedHeader.typ !== 'JWT') return { error: 'malformed visitor token' };
    const parsed: unknown = JSON.parse(new TextDecoder().decode(verified.payload));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { error: 'malformed visitor token' };
    payload = parsed as Record<string, unknown>;
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') return { error: 'bad visitor token signature' };
    return { error: 'malformed visitor token' };
  }
  if (typeof payload.exp !== 'number') return { error: 'malformed visitor token' };
  if (payload.exp <= nowSeconds) return { error: 'visitor token expired' };
  const { ch, acct, exp } = payload;
  if (typeof ch !== 'string' || typeof acct !== 'string' || typeof exp !== 'number') return { error: 'malformed visitor token' };
  return { channel: ch, account: acct, exp };
}

/** `Authorization: Bearer vt1.…` → the token. */
export function bearer(authorization: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
}
