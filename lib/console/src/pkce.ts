/**
 * OAuth 2.0 authorization code flow with PKCE (RFC 7636) against the Cognito hosted UI: the
 * pure parts (verifier, S256 challenge, the authorize URL, the token request), testable in Node.
 */
const base64url = (bytes: Uint8Array) => {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
};

/** 32 random bytes → a 43-character verifier (RFC 7636 §4.1: 43–128 unreserved characters). */
export function newVerifier(random: (n: number) => Uint8Array = (n) => crypto.getRandomValues(new Uint8Array(n))): string {
  return base64url(random(32));
}

/** `S256`: base64url(SHA-256(verifier)). */
export async function challengeOf(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

export interface HostedUi {
  domain: string;
  clientId: string;
  redirectUri: string;
  scopes?: string[];
}

export function authorizeUrl(ui: HostedUi, challenge: string, state: string): string {
  const url = new URL('/oauth2/authorize', ui.domain);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: ui.clientId,
    redirect_uri: ui.redirectUri,
    scope: (ui.scopes ?? ['openid', 'email', 'profile']).join(' '),
    code_challenge_method: 'S256',
    code_challenge: challenge,
    state,
  }).toString();
  return url.toString();
}

/** The token request that redeems the code (the answer's `id_token` is what the API takes). */
export function tokenRequest(ui: HostedUi, code: string, verifier: string): { url: string; init: RequestInit } {
  return {
    url: new URL('/oauth2/token', ui.domain).toString(),
    init: {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: ui.clientId,
        code,
        redirect_uri: ui.redirectUri,
        code_verifier: verifier,
      }).toString(),
    },
  };
}
