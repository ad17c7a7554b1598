/**
 * Development tokens for the local host: an ES256 signing key created on first use under
 * `.chatlines/` (git-ignored), and the verifier the host applies to every protected route,
 * with the same checks API Gateway's JWT authorizer makes (signature, expiry, issuer, audience).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type JWK, type JWTPayload, jwtVerify, SignJWT } from 'jose';

export const LOCAL_ISSUER = 'https://chatlines.local/dev';
export const LOCAL_AUDIENCE = 'chatlines';

export interface DevKey {
  privateJwk: JWK;
  publicJwk: JWK;
}

export const defaultKeyFile = () => join(process.cwd(), '.chatlines', 'dev-key.json');

/** Reads the development key, creating it on first use. */
export async function loadOrCreateDevKey(file = defaultKeyFile()): Promise<DevKey> {
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as DevKey;
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const key: DevKey = { privateJwk: await exportJWK(privateKey), publicJwk: await exportJWK(publicKey) };
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(key, null, 2), { mode: 0o600 });
  return key;
}

export interface TokenClaims {
  sub: string;
  roles?: string[];
  groups?: string[];
  channels?: string[];
}

export interface SignOptions {
  expiresIn?: string | number;
  issuer?: string;
  audience?: string;
}

export async function signToken(key: DevKey, claims: TokenClaims, options: SignOptions = {}): Promise<string> {
  const privateKey = await importJWK(key.privateJwk, 'ES256');
  const { sub, ...rest } = claims;
  return new SignJWT({ ...rest } as JWTPayload)
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
    .setSubject(sub)
    .setIssuer(options.issuer ?? LOCAL_ISSUER)
    .setAudience(options.audience ?? LOCAL_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '12h')
    .sign(privateKey);
}

/** A verifier: the claims of a valid token, or an error message for a 401. */
export async function createVerifier(key: DevKey) {
  const publicKey = await importJWK(key.publicJwk, 'ES256');
  return async (authorization: string | undefined): Promise<{ claims: JWTPayload } | { error: string }> => {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!match) return { error: 'missing bearer token' };
    try {
      const { payload } = await jwtVerify(match[1]!, publicKey, {
        issuer: LOCAL_ISSUER,
        audience: LOCAL_AUDIENCE,
        algorithms: ['ES256'],
      });
      return { claims: payload };
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'ERR_JWT_INVALID';
      return { error: `invalid token (${code})` };
    }
  };
}
