/** The visitor of a request: its `Authorization: Bearer vt1.…` token verified with the visitor secret, or 401. */

import { importLazy, loadOnce } from '../../adapters/lazy.ts';
import { visitorSecret } from '../../adapters/secrets.ts';
import { bearer } from '../../adapters/visitor-token.ts';
import { ChatlinesError } from '../../contract/errors.ts';
import type { VisitorClaims } from '../../contract/visitors.ts';

/** The verifier, loaded once (a lazy module), while the secret is read. */
const verifier = loadOnce(() => importLazy<typeof import('../../adapters/lazy/visitor-token.ts')>('visitor-token'));

/** The claims of a visitor token, or why it is refused (the live socket answers 401 with it). */
export async function verifyVisitor(token: string | undefined): Promise<VisitorClaims | { error: string }> {
  const [{ verifyVisitorToken }, secret] = await Promise.all([verifier(), visitorSecret()]);
  return verifyVisitorToken(secret, token);
}

export async function requireVisitor(authorization: string | undefined): Promise<VisitorClaims> {
  const claims = await verifyVisitor(bearer(authorization));
  if ('error' in claims) throw new ChatlinesError('unauthenticated', claims.error);
  return claims;
}
