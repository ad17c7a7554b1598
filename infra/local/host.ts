/**
 * The local host: a Node HTTP server that serves exactly the routes of the manifest by turning
 * each request into an API Gateway HTTP API (payload 2.0) event, with the verified JWT's
 * claims in `requestContext.authorizer.jwt.claims`, and calling the same `handler` export
 * that Lambda runs.
 */

import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { HttpEvent, HttpHandler } from '../../lib/adapters/http/handler.ts';
import { problem } from '../../lib/adapters/http/problem.ts';
import { pathPattern, type RouteDefinition, routes } from '../../lib/contract/routes.ts';
import { functionEntry } from '../functions.ts';
import { serveConsole } from './console.ts';
import { asFunction } from './current-function.ts';
import { createVerifier, type DevKey } from './jwt.ts';
import { LiveHub } from './live.ts';
import { ensureLocalSecrets } from './secrets.ts';

/** API Gateway's own payload limit; the functions enforce a smaller one of their own. */
const GATEWAY_MAX_BYTES = 10 * 1024 * 1024;
/** The Lambda timeout the stack sets; the host gives up on a handler after the same time. */
export const HANDLER_TIMEOUT_MS = 10_000;

const compiled = routes.map((r) => ({ route: r as RouteDefinition, pattern: pathPattern(r.path) }));
const handlers = new Map<string, Promise<HttpHandler>>();

function loadHandler(name: string): Promise<HttpHandler> {
  let loaded = handlers.get(name);
  if (!loaded) {
    loaded = import(pathToFileURL(functionEntry(name)).href).then((m: { handler: HttpHandler }) => m.handler);
    handlers.set(name, loaded);
  }
  return loaded;
}

function send(res: ServerResponse, result: APIGatewayProxyStructuredResultV2): void {
  res.writeHead(result.statusCode ?? 200, result.headers as Record<string, string>);
  res.end(result.body ?? '');
}

function problemResult(kind: Parameters<typeof problem>[0], detail: string, headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 {
  const body = problem(kind, detail);
  return { statusCode: body.status, headers: { 'content-type': 'application/problem+json', ...headers }, body: JSON.stringify(body) };
}

function sendProblem(res: ServerResponse, kind: Parameters<typeof problem>[0], detail: string, headers: Record<string, string> = {}) {
  send(res, problemResult(kind, detail, headers));
}

/** One API request as the host takes it: from its HTTP server, or handed in directly (tests). */
export interface HostRequest {
  method: string;
  /** The path and query, as on the request line. */
  url: string;
  /** Header names in lower case. */
  headers: Record<string, string>;
  /** Reads the body (only once a route matched); `too-large` past the gateway's limit. */
  body(): Promise<Buffer | 'too-large'>;
  sourceIp?: string;
}

async function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > GATEWAY_MAX_BYTES) return 'too-large';
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export interface HostOptions {
  port: number;
  host?: string;
  key: DevKey;
  /** Serve the built console at `/`, its config and the development sign-in (default true; local only). */
  console?: boolean;
  /** Called for each request after the response is written (request log). */
  onRequest?: (line: string) => void;
}

export interface RunningHost {
  url: string;
  server: Server;
  /**
   * Answers one API request without HTTP: the same route matching, JWT check, gateway event
   * and handler as a request on the port (not the console's files).
   */
  answer(request: HostRequest): Promise<APIGatewayProxyStructuredResultV2>;
  /** The live WebSocket's sockets (`GET /v1/live`). */
  live: LiveHub;
  close(): Promise<void>;
}

/** Starts the host; rejects with EADDRINUSE when the port is taken. */
export async function startHost(options: HostOptions): Promise<RunningHost> {
  // The visitor secret and the credentials key, made on the first start (the runtime only reads them).
  ensureLocalSecrets();
  const verify = await createVerifier(options.key);

  const server = createServer(async (req, res) => {
    const started = Date.now();
    try {
      await serve(req, res);
    } catch {
      if (!res.headersSent) sendProblem(res, 'unavailable', 'the local host failed to serve the request');
    }
    options.onRequest?.(`${req.method} ${req.url} → ${res.statusCode} (${Date.now() - started} ms)`);
  });

  // The live WebSocket (`GET /v1/live`) on the same port; any other upgrade is refused.
  const live = new LiveHub(verify as ConstructorParameters<typeof LiveHub>[0]);
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    if (!live.handles(req)) {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    live.upgrade(req, socket, head).catch(() => socket.destroy());
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (options.console !== false && (await serveConsole(req, res, url, options.key))) return;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : v;
    send(
      res,
      await answer({
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers,
        body: () => readBody(req),
        ...(req.socket.remoteAddress ? { sourceIp: req.socket.remoteAddress } : {}),
      }),
    );
  }

  async function answer(request: HostRequest): Promise<APIGatewayProxyStructuredResultV2> {
    const url = new URL(request.url, 'http://localhost');
    const method = request.method.toUpperCase();
    const matches = compiled
      .map((c) => ({ ...c, match: c.pattern.exec(url.pathname) }))
      .filter((c) => c.match !== null)
      // Like API Gateway, the most specific route wins: fewer path parameters first.
      .sort((a, b) => a.route.path.split('{').length - b.route.path.split('{').length);
    if (matches.length === 0) return problemResult('not-found', `no route ${url.pathname}`);
    const found = matches.find((c) => c.route.method === method);
    if (!found) {
      return problemResult('not-found', `no route ${method} ${url.pathname}`, {
        allow: matches.map((c) => c.route.method).join(', '),
      });
    }

    const body = await request.body();
    if (body === 'too-large') return problemResult('too-large', 'the body is larger than the gateway accepts');
    const headers = request.headers;

    let claims: Record<string, unknown> = {};
    if (found.route.auth) {
      const verified = await verify(headers.authorization);
      if ('error' in verified) {
        return problemResult('unauthenticated', verified.error, { 'www-authenticate': 'Bearer' });
      }
      claims = verified.claims as Record<string, unknown>;
    }

    // No prototype: a parameter named `__proto__` stays a parameter (and is refused by name), as in API Gateway.
    const query: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const [k, v] of url.searchParams) query[k] = query[k] === undefined ? v : `${query[k]},${v}`;
    const pathParameters: Record<string, string> = {};
    for (const [k, v] of Object.entries(found.match!.groups ?? {})) {
      try {
        pathParameters[k] = decodeURIComponent(v);
      } catch {
        // Malformed percent-encoding (`%`, `%E0%A4%A`) is the client's mistake: 400, not a 5xx.
        const body = problem('invalid', `the path parameter ${k} is not valid percent-encoding`, [
          { path: `params.${k}`, message: 'malformed percent-encoding' },
        ]);
        return { statusCode: 400, headers: { 'content-type': 'application/problem+json' }, body: JSON.stringify(body) };
      }
    }
    const now = new Date();
    const requestId = randomUUID();
    const routeKey = `${found.route.method} ${found.route.path}`;
    const event = {
      version: '2.0',
      routeKey,
      rawPath: url.pathname,
      rawQueryString: url.search.replace(/^\?/, ''),
      headers,
      ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
      ...(Object.keys(pathParameters).length ? { pathParameters } : {}),
      requestContext: {
        accountId: 'local',
        apiId: 'local',
        domainName: headers.host ?? 'localhost',
        domainPrefix: 'localhost',
        http: { method, path: url.pathname, protocol: 'HTTP/1.1', sourceIp: request.sourceIp ?? '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
        requestId,
        routeKey,
        stage: '$default',
        time: now.toISOString(),
        timeEpoch: now.getTime(),
        authorizer: { jwt: { claims, scopes: [] }, principalId: '', integrationLatency: 0 },
      },
      // Text as API Gateway passes it; bytes that are not UTF-8 as base64, so a signature over them still holds.
      ...(body.length ? { body: isUtf8(body) ? body.toString('utf8') : body.toString('base64') } : {}),
      isBase64Encoded: body.length > 0 && !isUtf8(body),
    } as unknown as HttpEvent;

    const handler = await loadHandler(found.route.function);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), HANDLER_TIMEOUT_MS)));
    const run = asFunction(found.route.function, () => handler(event, { awsRequestId: requestId, functionName: found.route.function }));
    const result = await Promise.race([run, timeout]);
    clearTimeout(timer);
    if (result === 'timeout') return problemResult('unavailable', 'the function timed out', { 'retry-after': '5' });
    return result;
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const url = `http://${options.host ?? '127.0.0.1'}:${port}`;
  // Messenger webhooks registered from here point at this host unless PUBLIC_URL says otherwise (a tunnel).
  process.env.PUBLIC_URL ??= url;
  return {
    url,
    server,
    live,
    answer,
    close: () =>
      new Promise<void>((resolve) => {
        live.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
