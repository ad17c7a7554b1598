/**
 * The WebSocket API as the template defines it: `$connect` behind its Lambda REQUEST authorizer
 * (identity source checked first: a missing one is a 401 without calling the authorizer; the
 * returned policy must allow `execute-api:Invoke` on the method ARN), then the `$connect`
 * integration (a non-2xx answer refuses the upgrade; its `Sec-WebSocket-Protocol` header is
 * echoed), every client frame to `$default`, the close to `$disconnect`. Frames go out only
 * through the management API (the gateway's `@connections` calls land here).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import type { ConnectionSink } from './gateway.ts';
import type { LambdaRunner } from './lambda-runner.ts';
import { closeServer, listenLoopback } from './loopback.ts';
import { ACCOUNT, globMatch, REGION, type WebSocketRouteSpec } from './template.ts';

interface Connection {
  id: string;
  socket: WebSocket;
  connectedAt: number;
  authorizer: Record<string, unknown>;
  /** Frames posted to this connection, in order. */
  posted: string[];
}

export class WebSocketStandIn implements ConnectionSink {
  private server: Server | undefined;
  private readonly wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (_protocols, req) => (req as IncomingMessage & { chosen?: string }).chosen ?? false,
  });
  readonly connections = new Map<string, Connection>();
  /** Every frame posted per connection id (kept after the connection closed). */
  readonly posted = new Map<string, string[]>();
  readonly refused: { status: number; reason: string }[] = [];
  url = '';
  readonly apiId: string;
  readonly stage: string;

  constructor(
    private readonly routes: readonly WebSocketRouteSpec[],
    private readonly runner: LambdaRunner,
    stage: string,
  ) {
    this.apiId = routes[0]?.apiId ?? 'none';
    this.stage = stage;
  }

  async start(): Promise<string> {
    this.server = createServer((_, res) => {
      res.writeHead(426);
      res.end();
    });
    this.server.on('upgrade', (req, socket, head) => {
      socket.on('error', () => socket.destroy());
      this.upgrade(req, socket, head).catch(() => this.refuse(socket, 500, 'Internal Server Error'));
    });
    this.url = `ws://127.0.0.1:${await listenLoopback(this.server)}/${this.stage}`;
    return this.url;
  }

  async stop(): Promise<void> {
    for (const c of this.connections.values()) c.socket.terminate();
    await closeServer(this.server);
  }

  private route(key: string) {
    return this.routes.find((r) => r.routeKey === key);
  }

  private refuse(socket: Duplex, status: number, reason: string) {
    this.refused.push({ status, reason });
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
  }

  private context(connectionId: string, routeKey: string, eventType: string, connectedAt: number) {
    const now = Date.now();
    return {
      routeKey,
      eventType,
      extendedRequestId: randomUUID(),
      requestTime: new Date(now).toUTCString(),
      messageDirection: 'IN',
      stage: this.stage,
      connectedAt,
      requestTimeEpoch: now,
      identity: { sourceIp: '127.0.0.1' },
      requestId: randomUUID(),
      domainName: `${this.apiId}.execute-api.${REGION}.amazonaws.com`,
      connectionId,
      apiId: this.apiId,
    };
  }

  private sourceArn(routeKey: string) {
    return `arn:aws:execute-api:${REGION}:${ACCOUNT}:${this.apiId}/${this.stage}/${routeKey}`;
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://ws');
    if (url.pathname !== `/${this.stage}`) return this.refuse(socket, 403, 'Forbidden');
    const connect = this.route('$connect');
    const connectionId = `${randomBytes(9).toString('base64').replace(/[+/]/g, 'A')}=`;
    const connectedAt = Date.now();
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;

    let authorizer: Record<string, unknown> = {};
    if (connect?.authorizer) {
      for (const source of connect.authorizer.identitySource) {
        const q = /^route\.request\.querystring\.(.+)$/.exec(source);
        const h = /^route\.request\.header\.(.+)$/.exec(source);
        if ((q && !query[q[1]!]) || (h && !headers[h[1]!.toLowerCase()])) return this.refuse(socket, 401, 'Unauthorized');
      }
      const methodArn = this.sourceArn('$connect');
      const outcome = await this.runner.invoke(
        connect.authorizer.functionId,
        {
          type: 'REQUEST',
          methodArn,
          headers,
          multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
          queryStringParameters: query,
          multiValueQueryStringParameters: Object.fromEntries(Object.entries(query).map(([k, v]) => [k, [v]])),
          stageVariables: {},
          requestContext: this.context(connectionId, '$connect', 'CONNECT', connectedAt),
        },
        { principal: 'apigateway.amazonaws.com', sourceArn: `arn:aws:execute-api:${REGION}:${ACCOUNT}:${this.apiId}/authorizers/${connect.authorizer.id}` },
      );
      if (!outcome.ok) return this.refuse(socket, outcome.error.errorMessage === 'Unauthorized' ? 401 : 500, outcome.error.errorMessage);
      const result = outcome.result as {
        principalId?: string;
        policyDocument?: { Statement?: { Effect: string; Action: string | string[]; Resource: string | string[] }[] };
        context?: Record<string, unknown>;
      };
      const statements = result.policyDocument?.Statement ?? [];
      const applies = (s: (typeof statements)[number]) =>
        [s.Action].flat().some((a) => globMatch(a, 'execute-api:Invoke')) && [s.Resource].flat().some((r) => globMatch(r, methodArn));
      if (statements.some((s) => s.Effect === 'Deny' && applies(s)) || !statements.some((s) => s.Effect === 'Allow' && applies(s))) {
        return this.refuse(socket, 403, 'Forbidden');
      }
      authorizer = { principalId: result.principalId, integrationLatency: 1, ...(result.context ?? {}) };
    }

    if (connect) {
      const outcome = await this.runner.invoke(
        connect.functionId,
        {
          headers,
          multiValueHeaders: {},
          queryStringParameters: query,
          requestContext: { ...this.context(connectionId, '$connect', 'CONNECT', connectedAt), authorizer },
          isBase64Encoded: false,
        },
        { principal: 'apigateway.amazonaws.com', sourceArn: this.sourceArn('$connect') },
      );
      const status = outcome.ok ? Number((outcome.result as { statusCode?: number } | null)?.statusCode ?? 200) : 500;
      if (status < 200 || status > 299) return this.refuse(socket, status, 'Refused');
      const chosen = outcome.ok ? (outcome.result as { headers?: Record<string, string> } | null)?.headers?.['Sec-WebSocket-Protocol'] : undefined;
      if (chosen) (req as IncomingMessage & { chosen?: string }).chosen = chosen;
    }

    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const connection: Connection = { id: connectionId, socket: ws, connectedAt, authorizer, posted: [] };
      this.connections.set(connectionId, connection);
      this.posted.set(connectionId, connection.posted);
      let frames = Promise.resolve();
      ws.on('message', (data) => {
        frames = frames.then(() => this.message(connection, String(data)));
      });
      ws.on('close', (code, reason) => {
        this.connections.delete(connectionId);
        void frames.then(() => this.disconnect(connection, code, String(reason)));
      });
    });
  }

  /** Pending `$default` and `$disconnect` invocations, so a run can wait for them. */
  private readonly inFlight = new Set<Promise<unknown>>();

  private track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
    return work;
  }

  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private async message(connection: Connection, body: string): Promise<void> {
    const route = this.route('$default');
    if (!route) return;
    await this.track(
      this.runner.invoke(
        route.functionId,
        {
          requestContext: {
            ...this.context(connection.id, '$default', 'MESSAGE', connection.connectedAt),
            messageId: randomUUID(),
            authorizer: connection.authorizer,
          },
          body,
          isBase64Encoded: false,
        },
        { principal: 'apigateway.amazonaws.com', sourceArn: this.sourceArn('$default') },
      ),
    );
  }

  private async disconnect(connection: Connection, code: number, reason: string): Promise<void> {
    const route = this.route('$disconnect');
    if (!route) return;
    await this.track(
      this.runner.invoke(
        route.functionId,
        {
          headers: {},
          requestContext: {
            ...this.context(connection.id, '$disconnect', 'DISCONNECT', connection.connectedAt),
            disconnectStatusCode: code,
            disconnectReason: reason,
            authorizer: connection.authorizer,
          },
          isBase64Encoded: false,
        },
        { principal: 'apigateway.amazonaws.com', sourceArn: this.sourceArn('$disconnect') },
      ),
    );
  }

  // --- the management API's side ---------------------------------------------------------

  post(apiId: string, stage: string, connectionId: string, data: Buffer): boolean {
    const connection = apiId === this.apiId && stage === this.stage ? this.connections.get(connectionId) : undefined;
    if (!connection || connection.socket.readyState !== connection.socket.OPEN) return false;
    connection.posted.push(data.toString('utf8'));
    connection.socket.send(data.toString('utf8'));
    return true;
  }

  remove(apiId: string, stage: string, connectionId: string): boolean {
    const connection = apiId === this.apiId && stage === this.stage ? this.connections.get(connectionId) : undefined;
    if (!connection) return false;
    connection.socket.close(1000, 'deleted');
    return true;
  }

  exists(apiId: string, stage: string, connectionId: string): boolean {
    return apiId === this.apiId && stage === this.stage && this.connections.has(connectionId);
  }
}
