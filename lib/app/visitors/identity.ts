/** The visitor of a request: its `Authorization: Bearer vt1.…` token verified with the visitor secret, or 401. */

import { visitorSecret } from '../../adapters/secrets.ts';
import { ChatlinesError } from '../../contract/errors.ts';
import { bearer, type VisitorClaims, verifyVisitorToken } from '../../domain/visitors/token.ts';

export async function requireVisitor(authorization: string | undefined): Promise<VisitorClaims> {
  const claims = await verifyVisitorToken(await visitorSecret(), bearer(authorization));
  if ('error' in claims) throw new ChatlinesError('unauthenticated', claims.error);
  return claims;
}

/** The claims of a visitor token, or why it is refused (the live socket answers 401 with it). */
export async function verifyVisitor(token: string | undefined): Promise<VisitorClaims | { error: string }> {
  return verifyVisitorToken(await visitorSecret(), token);
}
