/** The console's PKCE code (lib/console/src/pkce.ts), in Node: RFC 7636's own example, the authorize URL, the token request. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authorizeUrl, challengeOf, newVerifier, tokenRequest } from '../../lib/console/src/pkce.ts';

const ui = { domain: 'https://chatlines-1.auth.eu-west-1.amazoncognito.com', clientId: 'client123', redirectUri: 'https://d1.cloudfront.net/' };

describe('PKCE (Cognito hosted UI, code flow)', () => {
  it('S256 challenge of RFC 7636 appendix B', async () => {
    assert.equal(await challengeOf('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'), 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('verifiers: 43 unreserved characters, from 32 random bytes, never the same twice', () => {
    const a = newVerifier();
    assert.match(a, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a, newVerifier());
    // RFC 7636 appendix B's bytes give its verifier.
    const bytes = new Uint8Array([
      116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
    ]);
    assert.equal(
      newVerifier(() => bytes),
      'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk',
    );
  });

  it('the authorize URL asks for a code with an S256 challenge and the state', () => {
    const url = new URL(authorizeUrl(ui, 'CHALLENGE', 'STATE'));
    assert.equal(url.origin + url.pathname, `${ui.domain}/oauth2/authorize`);
    assert.deepEqual(Object.fromEntries(url.searchParams), {
      response_type: 'code',
      client_id: 'client123',
      redirect_uri: 'https://d1.cloudfront.net/',
      scope: 'openid email profile',
      code_challenge_method: 'S256',
      code_challenge: 'CHALLENGE',
      state: 'STATE',
    });
  });

  it('the token request redeems the code with the verifier (form-encoded, no client secret)', () => {
    const { url, init } = tokenRequest(ui, 'CODE', 'VERIFIER');
    assert.equal(url, `${ui.domain}/oauth2/token`);
    assert.equal(init.method, 'POST');
    assert.deepEqual((init.headers as Record<string, string>)['content-type'], 'application/x-www-form-urlencoded');
    assert.deepEqual(Object.fromEntries(new URLSearchParams(String(init.body))), {
      grant_type: 'authorization_code',
      client_id: 'client123',
      code: 'CODE',
      redirect_uri: 'https://d1.cloudfront.net/',
      code_verifier: 'VERIFIER',
    });
  });
});
