/**
 * The HTTP API as the template defines it: its routes (route key → integration → function),
 * the JWT authorizer with the issuer and audience the template gives, checked as API Gateway
 * documents (a `kid` of the issuer's JWKS, RSA algorithms only, `iss`, `aud` — or `client_id`
 * when there is no `aud` —, `exp`, `nbf`, `iat`; verified with `jose` against the stand-in user
 * pool's JWKS), public routes without one,
 * and the payload format 2.0 event and response mapping API Gateway documents: claims as
 * strings (arrays as `[a b]`), headers lowercased and joined, cookies apart, the most specific
 * route first, `{"message":"Not Found"}` / `{"message":"Unauthorized"}` /
 * `{"message":"Internal Server Error"}` from the gateway itself.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet, type JWTPayload, jwtVerify } from 'jose';
import type { LambdaRunner } from './lambda-runner.ts';
import { closeServer, listenLoopback } from './loopback.ts';
import { ACCOUNT, type HttpRouteSpec, REGION } from './template.ts';

interface CompiledRoute {
  spec: HttpRouteSpec;
  pattern: RegExp;
  /** Literal segments first, then fewer parameters: API Gateway's "most specific route". */
  rank: [number, number];
}

function compile(spec: HttpRouteSpec): CompiledRoute {
  const segments = spec.path.split('/').filter(Boolean);
  const source = segments
    .map((s) => {
      const greedy = /^\{(\w+)\+\}$/.exec(s);
      if (greedy) return `/(?<${greedy[1]}>.+)`;
      const param = /^\{(\w+)\}$/.exec(s);
      if (param) return `/(?<${param[1]}>[^/]+)`;
      return `/${s.replace(/[.*+?^$()|[\]\\]/g, '\\$&')}`;
    })
    .join('');
  const params = segments.filter((s) => s.startsWith('{')).length;
  return { spec, pattern: new RegExp(`^${source || '/'}$`), rank: [-(segments.length - params), params] };
}

/** API Gateway's flattening of JWT claims for payload 2.0: every value a string. */
export function flattenClaims(payload: JWTPayload): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(payload)) {
    if (Array.isArray(v)) out[k] = `[${v.map(String).join(' ')}]`;
    else if (v !== null && typeof v === 'object') out[k] = JSON.stringify(v);
    else out[k] = String(v);
  }
  return out;
}

const TEXT_TYPES = /^(text\/|application\/(json|xml|x-www-form-urlencoded|problem\+json|[\w.+-]*\+json))/i;

export interface HttpApiOptions {
  routes: readonly HttpRouteSpec[];
  runner: LambdaRunner;
  jwks: JSONWebKeySet;
}

export class HttpApiStandIn {
  private server: Server | undefined;
  private readonly compiled: CompiledRoute[];
  private readonly keys: ReturnType<typeof createLocalJWKSet>;
  url = '';
  /** Requests per route key, with their statuses. */
  readonly served: { routeKey: string; status: number }[] = [];

  constructor(private readonly options: HttpApiOptions) {
    this.compiled = options.routes.map(compile);
    this.keys = createLocalJWKSet(options.jwks);
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      this.serve(req, res).catch(() => {
        if (!res.headersSent) this.reply(res, 500, { message: 'Internal Server Error' });
      });
    });
    this.url = `http://127.0.0.1:${await listenLoopback(this.server)}`;
    return this.url;
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
  }

  private reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  private match(method: string, path: string): { route: CompiledRoute; params: Record<string, string> } | undefined {
    const candidates = this.compiled
      .filter((c) => c.spec.method === method || c.spec.method === 'ANY')
      .map((c) => ({ route: c, m: c.pattern.exec(path) }))
      .filter((c) => c.m !== null)
      .sort(
        (a, b) =>
          a.route.rank[0] - b.route.rank[0] ||
          a.route.rank[1] - b.route.rank[1] ||
          (a.route.spec.method === 'ANY' ? 1 : 0) - (b.route.spec.method === 'ANY' ? 1 : 0),
      );
    const found = candidates[0] ?? this.compiled.filter((c) => c.spec.routeKey === '$default').map((route) => ({ route, m: null }))[0];
    if (!found) return undefined;
    return { route: found.route, params: { ...(found.m?.groups ?? {}) } };
  }

  private async authorize(route: HttpRouteSpec, headers: Record<string, string>): Promise<{ claims: JWTPayload } | { status: number }> {
    const jwt = route.jwt!;
    const source = jwt.identitySource[0] ?? '$request.header.Authorization';
    const header = /^\$request\.header\.(.+)$/.exec(source)?.[1]?.toLowerCase() ?? 'authorization';
    const raw = headers[header];
    if (!raw) return { status: 401 };
    const token = raw.replace(/^Bearer\s+/i, '');
    try {
      // API Gateway requires a `kid` naming a key of the issuer's JWKS, and only RSA algorithms.
      if (!decodeProtectedHeader(token).kid) return { status: 401 };
      const { payload } = await jwtVerify(token, this.keys, { issuer: jwt.issuer, algorithms: ['RS256', 'RS384', 'RS512'] });
      if (typeof payload.iat === 'number' && payload.iat > Date.now() / 1000) return { status: 401 };
      // `aud` when present, `client_id` only without it (Cognito access tokens).
      const audiences = payload.aud !== undefined ? [payload.aud].flat() : typeof payload.client_id === 'string' ? [payload.client_id] : [];
      if (!jwt.audience.some((a) => audiences.includes(a))) return { status: 401 };
      if (route.scopes.length > 0) {
        const scopes = String(payload.scope ?? payload.scp ?? '').split(' ');
        if (!route.scopes.some((s) => scopes.includes(s))) return { status: 403 };
      }
      return { claims: payload };
    } catch {
      return { status: 401 };
    }
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://api');
    const method = (req.method ?? 'GET').toUpperCase();
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const found = this.match(method, url.pathname);
    if (!found) {
      this.served.push({ routeKey: `${method} ${url.pathname} (no route)`, status: 404 });
      return this.reply(res, 404, { message: 'Not Found' });
    }
    const { spec } = found.route;

    const headers: Record<string, string> = {};
    const cookies: string[] = [];
    for (const [k, v] of Object.entries(req.headers)) {
      if (v === undefined) continue;
      if (k === 'cookie') cookies.push(...String(v).split(/;\s*/));
      else headers[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : v;
    }

    let authorizer: Record<string, unknown> | undefined;
    if (spec.authorization === 'JWT' && spec.jwt) {
      const verdict = await this.authorize(spec, headers);
      if ('status' in verdict) {
        this.served.push({ routeKey: spec.routeKey, status: verdict.status });
        return this.reply(res, verdict.status, { message: verdict.status === 401 ? 'Unauthorized' : 'Forbidden' }, { 'www-authenticate': 'Bearer' });
      }
      const scope = verdict.claims.scope ?? verdict.claims.scp;
      authorizer = { jwt: { claims: flattenClaims(verdict.claims), scopes: typeof scope === 'string' ? scope.split(' ') : null } };
    }

    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = query[k] === undefined ? v : `${query[k]},${v}`;
    const pathParameters: Record<string, string> = {};
    for (const [k, v] of Object.entries(found.params)) {
      try {
        pathParameters[k] = decodeURIComponent(v);
      } catch {
        pathParameters[k] = v;
      }
    }
    const now = new Date();
    const requestId = randomUUID();
    const domainName = `${spec.apiId}.execute-api.${REGION}.amazonaws.com`;
    const text = body.length === 0 || TEXT_TYPES.test(headers['content-type'] ?? '');
    const event = {
      version: '2.0',
      routeKey: spec.routeKey,
      rawPath: url.pathname,
      rawQueryString: url.search.replace(/^\?/, ''),
      ...(cookies.length ? { cookies } : {}),
      headers,
      ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
      requestContext: {
        accountId: ACCOUNT,
        apiId: spec.apiId,
        ...(authorizer ? { authorizer } : {}),
        domainName,
        domainPrefix: spec.apiId,
        http: { method, path: url.pathname, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
        requestId,
        routeKey: spec.routeKey,
        stage: '$default',
        time: now.toUTCString(),
        timeEpoch: now.getTime(),
      },
      ...(body.length ? { body: text ? body.toString('utf8') : body.toString('base64') } : {}),
      ...(Object.keys(pathParameters).length ? { pathParameters } : {}),
      isBase64Encoded: !text,
    };
    const path = spec.path === '$default' ? '' : spec.path;
    const outcome = await this.options.runner.invoke(spec.functionId, event, {
      principal: 'apigateway.amazonaws.com',
      sourceArn: `arn:aws:execute-api:${REGION}:${ACCOUNT}:${spec.apiId}/$default/${method}${path}`,
    });
    if (!outcome.ok) {
      this.served.push({ routeKey: spec.routeKey, status: 500 });
      return this.reply(res, 500, { message: 'Internal Server Error' });
    }
    const result = outcome.result as Record<string, unknown> | string | null;
    if (result === null || typeof result !== 'object' || !('statusCode' in result)) {
      this.served.push({ routeKey: spec.routeKey, status: 200 });
      return this.reply(res, 200, result);
    }
    const status = Number(result.statusCode);
    const outHeaders: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries((result.headers as Record<string, unknown>) ?? {})) outHeaders[k.toLowerCase()] = String(v);
    if (Array.isArray(result.cookies) && result.cookies.length) outHeaders['set-cookie'] = result.cookies.map(String);
    const payload =
      result.body === undefined || result.body === null
        ? Buffer.alloc(0)
        : result.isBase64Encoded
          ? Buffer.from(String(result.body), 'base64')
          : Buffer.from(String(result.body));
    outHeaders['content-length'] = String(payload.length);
    outHeaders['apigw-requestid'] = requestId;
    this.served.push({ routeKey: spec.routeKey, status });
    res.writeHead(status, outHeaders);
    res.end(payload);
  }
}
