/**
 * Who is signed in. Locally: a development sign-in (`POST /dev/sign-in`, served only by the
 * local host) mints a token with the dev key. In AWS: the Cognito hosted UI, code flow + PKCE;
 * the ID token (roles in `custom:roles`, groups in `cognito:groups`) is what the API takes.
 * The token lives in sessionStorage (gone with the tab).
 */
import type { ConsoleConfig } from './config.ts';
import { authorizeUrl, challengeOf, type HostedUi, newVerifier, tokenRequest } from './pkce.ts';

const KEY = 'chatlines.token';
const PKCE = 'chatlines.pkce';

export interface Identity {
  token: string;
  sub: string;
  roles: string[];
  groups: string[];
  exp: number;
}

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.split(/[\s,]+/).filter(Boolean) : []);

export function decode(token: string): Identity | undefined {
  try {
    const part = token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/');
    const claims = JSON.parse(decodeURIComponent(escape(atob(part)))) as Record<string, unknown>;
    return {
      token,
      sub: String(claims.sub ?? ''),
      roles: list(claims.roles ?? claims['custom:roles']),
      groups: list(claims.groups ?? claims['cognito:groups']),
      exp: Number(claims.exp ?? 0),
    };
  } catch {
    return undefined;
  }
}

export function current(): Identity | undefined {
  const token = sessionStorage.getItem(KEY);
  const id = token ? decode(token) : undefined;
  if (id && id.exp * 1000 > Date.now()) return id;
  sessionStorage.removeItem(KEY);
  return undefined;
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
}

/** Local only: the host's development sign-in. */
export async function devSignIn(cfg: ConsoleConfig, input: { sub: string; roles: string[]; groups: string[] }): Promise<Identity> {
  const r = await fetch(`${cfg.apiUrl}/dev/sign-in`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(input) });
  const body = (await r.json().catch(() => ({}))) as { token?: string; detail?: string };
  if (!r.ok || !body.token) throw new Error(body.detail ?? `sign-in failed (${r.status})`);
  sessionStorage.setItem(KEY, body.token);
  return decode(body.token)!;
}

const hostedUi = (cfg: ConsoleConfig): HostedUi | undefined =>
  cfg.auth.mode === 'cognito'
    ? {
        domain: cfg.auth.domain,
        clientId: cfg.auth.clientId,
        redirectUri: cfg.auth.redirectUri ?? new URL('./', location.href).toString(),
        ...(cfg.auth.scopes ? { scopes: cfg.auth.scopes } : {}),
      }
    : undefined;

/** AWS: off to the hosted UI; comes back to the console with `?code=&state=`. */
export async function startHostedSignIn(cfg: ConsoleConfig): Promise<void> {
  const ui = hostedUi(cfg);
  if (!ui) return;
  const verifier = newVerifier();
  const state = newVerifier();
  sessionStorage.setItem(PKCE, JSON.stringify({ verifier, state }));
  location.assign(authorizeUrl(ui, await challengeOf(verifier), state));
}

/** On the way back from the hosted UI: redeems the code. Undefined when the URL carries none. */
export async function completeHostedSignIn(cfg: ConsoleConfig): Promise<Identity | undefined> {
  const ui = hostedUi(cfg);
  const params = new URLSearchParams(location.search);
  const code = params.get('code');
  if (!ui || !code) return undefined;
  const saved = JSON.parse(sessionStorage.getItem(PKCE) ?? '{}') as { verifier?: string; state?: string };
  sessionStorage.removeItem(PKCE);
  history.replaceState(null, '', location.pathname + location.hash);
  if (!saved.verifier || saved.state !== params.get('state')) throw new Error('sign-in failed: the state does not match (start again)');
  const req = tokenRequest(ui, code, saved.verifier);
  const r = await fetch(req.url, req.init);
  const body = (await r.json()) as { id_token?: string; error?: string };
  if (!r.ok || !body.id_token) throw new Error(`sign-in failed: ${body.error ?? r.status}`);
  sessionStorage.setItem(KEY, body.id_token);
  return decode(body.id_token);
}
