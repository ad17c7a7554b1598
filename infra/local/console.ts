/**
 * What only the LOCAL host serves besides the API: the built console
 * (`dist/console`, made by `npm run build:console`) at `/`, `/widget.js`, its
 * `/console/config.json`, and the development sign-in `POST /dev/sign-in` that mints a token
 * with the dev key. None of this is in the route manifest: nothing of it is deployed (in AWS
 * the assets are on S3 + CloudFront and sign-in is Cognito's hosted UI).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { ROLES } from '../../lib/contract/caller.ts';
import { type DevKey, signToken } from './jwt.ts';

export const consoleDir = () => join(import.meta.dirname, '..', '..', 'dist', 'console');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
};

/** The headers CloudFront's response headers policy sets in AWS (infra/aws/console.ts), locally the same. */
export function securityHeaders(connect: string[]): Record<string, string> {
  // The file store (s3rver): images shown inline and files fetched straight from it, as from the bucket in AWS.
  const files = process.env.S3_ENDPOINT ? ` ${process.env.S3_ENDPOINT}` : '';
  return {
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'strict-origin-when-cross-origin',
    'x-frame-options': 'DENY',
    'content-security-policy': [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self' 'unsafe-inline'",
      `img-src 'self' data: blob:${files}`,
      `connect-src 'self' ${connect.join(' ')}${files}`.trim(),
      "frame-ancestors 'none'",
      "base-uri 'self'",
      "object-src 'none'",
    ].join('; '),
  };
}

const PRINCIPAL = /^[A-Za-z0-9._:@+-]{1,128}$/;

function json(res: ServerResponse, status: number, body: unknown, type = 'application/json') {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

const TITLES: Record<number, string> = { 400: 'Invalid request', 403: 'Forbidden', 404: 'Not found' };

function problem(res: ServerResponse, status: number, detail: string, errors?: { path: string; message: string }[]) {
  json(res, status, { type: 'about:blank', title: TITLES[status] ?? 'Error', status, detail, ...(errors ? { errors } : {}) }, 'application/problem+json');
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 16_384) return undefined;
    chunks.push(c as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

/** The names of this machine's loopback interface, as a `Host` header spells them. */
const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Why the development sign-in refuses this request, or undefined. It mints tokens of any role,
 * so it answers only to the developer's own machine and the host's own pages: `Host` must be a
 * loopback name or address with the port the host listens on (a page on another site that
 * rebinds its own name to 127.0.0.1 sends its own name), and `Origin`, when the browser sends
 * one, must be the host's own origin (another site's page posting to localhost sends its own).
 */
export function signInRefusal(req: IncomingMessage): string | undefined {
  const host = (req.headers.host ?? '').toLowerCase();
  const port = req.socket.localPort;
  const match = /^(localhost|127\.0\.0\.1|\[::1\]):(\d{1,5})$/.exec(host);
  if (!match || !LOOPBACK_NAMES.has(match[1]!) || Number(match[2]) !== port) {
    return `the development sign-in answers only on loopback: Host must be localhost, 127.0.0.1 or [::1] with port ${port}`;
  }
  const origin = req.headers.origin;
  if (origin !== undefined && origin.toLowerCase() !== `http://${host}`) {
    return `the development sign-in answers only to the host's own pages: Origin must be http://${host}`;
  }
  return undefined;
}

/** `POST /dev/sign-in {sub, roles, groups}` → `{ token }` signed with the development key. */
async function devSignIn(req: IncomingMessage, res: ServerResponse, key: DevKey) {
  const refusal = signInRefusal(req);
  if (refusal) {
    // Drain the body unread; the answer says why, and no token is made.
    req.resume();
    return problem(res, 403, refusal);
  }
  const body = (await readJson(req)) as { sub?: unknown; roles?: unknown; groups?: unknown } | undefined;
  const errors: { path: string; message: string }[] = [];
  if (!body || typeof body !== 'object') return problem(res, 400, 'the body must be a JSON object', [{ path: 'body', message: 'malformed JSON' }]);
  if (typeof body.sub !== 'string' || !PRINCIPAL.test(body.sub)) errors.push({ path: 'sub', message: 'letters, digits and ._:@+- only (1-128)' });
  const roles = body.roles ?? [];
  if (!Array.isArray(roles) || roles.some((r) => !(ROLES as readonly unknown[]).includes(r)))
    errors.push({ path: 'roles', message: `any of ${ROLES.join(', ')}` });
  const groups = body.groups ?? [];
  if (!Array.isArray(groups) || groups.some((g) => typeof g !== 'string' || !PRINCIPAL.test(g)))
    errors.push({ path: 'groups', message: 'a list of group ids' });
  if (errors.length) return problem(res, 400, `invalid sign-in: ${errors.map((e) => e.path).join(', ')}`, errors);
  const token = await signToken(key, { sub: body.sub as string, roles: roles as string[], groups: groups as string[] });
  json(res, 200, { token });
}

/**
 * Serves the request if it is the console's (true), else leaves it to the API (false).
 * `/v1/…` is always the API's.
 */
export async function serveConsole(req: IncomingMessage, res: ServerResponse, url: URL, key: DevKey, dir = consoleDir()): Promise<boolean> {
  const method = (req.method ?? 'GET').toUpperCase();
  if (url.pathname.startsWith('/v1/')) return false;
  if (url.pathname === '/dev/sign-in' && method === 'POST') {
    await devSignIn(req, res, key);
    return true;
  }
  if (method !== 'GET' && method !== 'HEAD') return false;
  const origin = `http://${req.headers.host ?? 'localhost'}`;
  if (url.pathname === '/console/config.json') {
    // The live WebSocket is served by the same host (`GET /v1/live`).
    // Public and read by the widget from other sites' pages: any origin may read it.
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store', 'access-control-allow-origin': '*' });
    res.end(JSON.stringify({ apiUrl: origin, liveUrl: `ws://${req.headers.host ?? 'localhost'}/v1/live`, auth: { mode: 'dev' } }));
    return true;
  }
  if (!existsSync(join(dir, 'index.html'))) {
    if (url.pathname !== '/') return false;
    res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('The console is not built: run `npm run build:console` (npm ci and npm start do it).\n');
    return true;
  }
  const relative = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname).replace(/^\/+/, '');
  const file = normalize(join(dir, relative));
  if (!file.startsWith(dir + sep) || !existsSync(file) || !statSync(file).isFile()) return false;
  const type = TYPES[extname(file)] ?? 'application/octet-stream';
  const hashed = file.includes(`${sep}assets${sep}`);
  res.writeHead(200, {
    'content-type': type,
    'cache-control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
    ...securityHeaders([origin.replace(/^http/, 'ws')]),
    // The widget is embedded by other sites: it must load cross-origin.
    ...(relative === 'widget.js' ? { 'access-control-allow-origin': '*', 'cross-origin-resource-policy': 'cross-origin' } : {}),
  });
  res.end(method === 'HEAD' ? undefined : readFileSync(file));
  return true;
}
