/**
 * The WebSocket API's `$connect` authorizer (Lambda REQUEST authorizer): verifies the same JWTs
 * as the HTTP API's JWT authorizer — signature against the issuer's JWKS, `iss`, expiry, and the
 * audience as `aud` or `client_id` (Cognito access tokens) — and hands the caller's claims to
 * `$connect` as context. A bad or missing token is refused before the upgrade (401).
 */
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose';
import { logger } from '../../lib/adapters/observability.ts';
import { verifyVisitor } from '../../lib/app/visitors/identity.ts';
import { callerFromClaims } from '../../lib/contract/caller.ts';
import { tokenOfUpgrade } from '../../lib/domain/live/frames.ts';

let jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
const issuer = () => (process.env.JWT_ISSUER ?? '').replace(/\/+$/, '');

/** The verified claims, or undefined. */
export async function verifyToken(token: string | undefined): Promise<JWTPayload | undefined> {
  if (!token) return undefined;
  jwks ??= createRemoteJWKSet(new URL(`${issuer()}/.well-known/jwks.json`));
  try {
    const { payload } = await jwtVerify(token, jwks, { issuer: issuer() });
    const audience = process.env.JWT_AUDIENCE;
    const auds = Array.isArray(payload.aud) ? payload.aud : payload.aud ? [payload.aud] : [];
    if (audience && !auds.includes(audience) && payload.client_id !== audience) return undefined;
    return payload;
  } catch {
    return undefined;
  }
}

const allow = (event: APIGatewayRequestAuthorizerEvent, principalId: string, context: APIGatewayAuthorizerResult['context']): APIGatewayAuthorizerResult => ({
  principalId,
  policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }] },
  context,
});

export const handler = async (event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
  const token = tokenOfUpgrade(event.queryStringParameters ?? {}, event.headers?.['Sec-WebSocket-Protocol'] ?? event.headers?.['sec-websocket-protocol']);
  if (token?.startsWith('vt1.')) {
    // A visitor token (the web-chat widget), signed with the visitor secret: $connect scopes it to its client.
    const visitor = await verifyVisitor(token);
    if ('error' in visitor) {
      logger.info('live visitor connection refused');
      throw new Error('Unauthorized');
    }
    return allow(event, `visitor:${visitor.account}`.slice(0, 128), { visitor: JSON.stringify(visitor), expiresAt: visitor.exp });
  }
  const claims = await verifyToken(token);
  if (!claims) {
    logger.info('live connection refused');
    // API Gateway answers 401 to this error and never completes the upgrade.
    throw new Error('Unauthorized');
  }
  let caller: ReturnType<typeof callerFromClaims>;
  try {
    caller = callerFromClaims(claims as Record<string, unknown>);
  } catch {
    throw new Error('Unauthorized'); // a token without a subject
  }
  // Context values must be strings, numbers or booleans: the caller as JSON, and when its token
  // expires (epoch seconds; the connection is closed then), read by $connect.
  return allow(event, caller.sub, { caller: JSON.stringify(caller), ...(typeof claims.exp === 'number' ? { expiresAt: claims.exp } : {}) });
};
