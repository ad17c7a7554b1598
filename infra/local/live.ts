/**
 * The live WebSocket on the local host: `GET /v1/live` upgraded on the same port as the API,
 * the same frames as the stack's WebSocket API (lib/domain/live/frames.ts), the same JWTs (verified
 * before the upgrade completes: a bad or missing token is answered 401 and the socket closed),
 * the same visibility rule (lib/domain/auth/policy.ts `mayReceiveEvent`). Events come from the live
 * fan-out's own poller of the stream (`liveFanoutHandler`, as its own mapping in AWS): pushed to
 * every socket that may see them, and logged. A
 * socket lives as long as its token: when the token expires it is closed (1008, `TOKEN_EXPIRED`)
 * and gets nothing more; the client reconnects with a new token.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { WebSocket, WebSocketServer } from 'ws';
import { partialBatchResponse, toChangeRecord } from '../../lib/adapters/dynamodb/stream.ts';
import { fanOutRecords, type LivePusher, logWritesSettled } from '../../lib/app/live/fanout.ts';
import { eventsAfter } from '../../lib/app/live/log.ts';
import { decideTyping, forwardOperatorTyping, hearsTyping } from '../../lib/app/live/typing.ts';
import { frameOf, type LiveCaller, linesOfCaller, maySee, resolveVisitorClient, visitorLiveCaller } from '../../lib/app/live/visibility.ts';
import { verifyVisitor } from '../../lib/app/visitors/identity.ts';
import { callerFromClaims } from '../../lib/contract/caller.ts';
import type { ChatlinesEvent } from '../../lib/contract/events.ts';
import type { Line } from '../../lib/contract/schemas.ts';
import { BEARER_PROTOCOL, type ControlFrame, LIVE_PATH, parseClientFrame, TypingThrottle, tokenOfUpgrade } from '../../lib/domain/live/frames.ts';
import { asFunction } from './current-function.ts';
import { inBackground } from './dynamodb-calls.ts';

type Verify = (authorization: string | undefined) => Promise<{ claims: Record<string, unknown> } | { error: string }>;

interface Socket {
  id: string;
  ws: WebSocket;
  /** Staff or an integration (its JWT), or a visitor (its visitor token: only its own sessions, in its shape). */
  caller: LiveCaller;
  /** While a resume replays the log, live events wait here (then de-duplicated by id). */
  held: ChatlinesEvent[] | undefined;
  /** When the socket's token expires (epoch ms): the socket is closed then. */
  expiresAt: number | undefined;
}

/** The close code and reason of a socket whose token expired: the client reconnects with a new token. */
export const TOKEN_EXPIRED = { code: 1008, reason: 'the token expired: reconnect with a new one' } as const;
/** setTimeout's longest delay; a later expiry is checked again then. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Connections beyond this many bytes of unsent frames are closed (a client that does not read). */
const MAX_BUFFERED = 16 * 1024 * 1024;

const hubs = new Set<LiveHub>();

/**
 * The live fan-out's handler on the local host, for its own poller (infra/local/events.ts), as
 * the live fan-out is its own function and stream mapping in AWS (functions/stream/live-fanout.ts,
 * the same `fanOutRecords`): the events of the records, pushed to every hub's sockets and logged.
 */
export const liveFanoutHandler = async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  const records = event.Records ?? [];
  if (records.length === 0) return { batchItemFailures: [] };
  const failures = await fanOutRecords(records.map(toChangeRecord), hubs);
  return partialBatchResponse(records, failures.keys());
};

/** One host's sockets. */
export class LiveHub implements LivePusher {
  readonly sockets = new Set<Socket>();
  private readonly typing = new TypingThrottle();
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: 64 * 1024,
    handleProtocols: (protocols) => (protocols.has(BEARER_PROTOCOL) ? BEARER_PROTOCOL : false),
  });

  constructor(private readonly verify: Verify) {
    // Every host in this process shares the live fan-out's poller (events.ts): one mapping, every hub.
    hubs.add(this);
  }

  /** Handles an upgrade request; false when it is not for `GET /v1/live` (the caller answers). */
  handles(req: IncomingMessage): boolean {
    return new URL(req.url ?? '/', 'http://localhost').pathname === LIVE_PATH;
  }

  async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const refuse = (status: number, title: string, detail: string) => {
      const body = JSON.stringify({ type: 'about:blank', title, status, detail });
      socket.end(
        `HTTP/1.1 ${status} ${title}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
          `${status === 401 ? 'WWW-Authenticate: Bearer\r\n' : ''}Connection: close\r\n\r\n${body}`,
      );
    };
    if ((req.method ?? 'GET').toUpperCase() !== 'GET') return refuse(405, 'Method Not Allowed', 'the live socket is GET /v1/live');
    const token = tokenOfUpgrade(url.searchParams, req.headers['sec-websocket-protocol']);
    if (token?.startsWith('vt1.')) {
      // A visitor token (the web-chat widget): verified with the visitor secret, scoped to its client.
      const claims = await verifyVisitor(token);
      if ('error' in claims) return refuse(401, 'Unauthorized', claims.error);
      const visitor = await asFunction('live-connect', () => inBackground(() => visitorLiveCaller(claims)));
      this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, visitor, claims.exp * 1000));
      return;
    }
    const verified = await this.verify(token ? `Bearer ${token}` : undefined);
    if ('error' in verified) return refuse(401, 'Unauthorized', verified.error);
    let caller: LiveCaller;
    try {
      caller = callerFromClaims(verified.claims);
    } catch {
      return refuse(401, 'Unauthorized', 'the token has no subject');
    }
    const exp = verified.claims.exp;
    const expiresAt = typeof exp === 'number' ? exp * 1000 : undefined;
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, caller, expiresAt));
  }

  private accept(ws: WebSocket, caller: LiveCaller, expiresAt: number | undefined): void {
    const s: Socket = { id: randomUUID(), ws, caller, held: undefined, expiresAt };
    this.sockets.add(s);
    let timer: NodeJS.Timeout | undefined;
    // The socket lives as long as its token: closed when it expires (checked again before each send).
    const watch = () => {
      if (this.expired(s)) return;
      if (expiresAt !== undefined) timer = setTimeout(watch, Math.min(expiresAt - Date.now(), MAX_TIMER_MS)).unref();
    };
    ws.on('close', () => {
      clearTimeout(timer);
      this.sockets.delete(s);
    });
    ws.on('error', () => this.sockets.delete(s));
    ws.on('message', (data, isBinary) => void this.onFrame(s, isBinary ? '' : data.toString()));
    this.control(s, { type: 'ready', connection: s.id, sub: caller.sub });
    watch();
  }

  /** Closes the socket if its token has expired (true then): it gets nothing more. */
  private expired(s: Socket): boolean {
    if (s.expiresAt === undefined || Date.now() < s.expiresAt) return false;
    this.sockets.delete(s);
    if (s.ws.readyState === WebSocket.OPEN || s.ws.readyState === WebSocket.CONNECTING) s.ws.close(TOKEN_EXPIRED.code, TOKEN_EXPIRED.reason);
    return true;
  }

  private control(s: Socket, frame: ControlFrame): void {
    this.send(s, JSON.stringify(frame));
  }

  send(s: Socket, text: string): void {
    if (s.ws.readyState !== WebSocket.OPEN || this.expired(s)) return;
    if (s.ws.bufferedAmount > MAX_BUFFERED) {
      s.ws.close(1008, 'too slow: reconnect and resume');
      return;
    }
    s.ws.send(text);
  }

  private async onFrame(s: Socket, data: string): Promise<void> {
    if (this.expired(s)) return;
    const frame = parseClientFrame(data);
    if ('error' in frame) return this.control(s, { type: 'error', message: frame.error });
    if (frame.action === 'ping') return this.control(s, { type: 'pong' });
    if (frame.action === 'typing') return this.onTyping(s, frame.session);
    // resume: hold live events, replay the log, then release what is not a repeat.
    if (s.held) return this.control(s, { type: 'error', message: 'a resume is already running' });
    s.held = [];
    const text = (event: ChatlinesEvent) => JSON.stringify(frameOf(s.caller, event));
    try {
      // The push does not wait for the log: a replay waits for the writes in flight instead.
      await logWritesSettled();
      const replay = await asFunction('live-default', () => inBackground(async () => eventsAfter(s.caller, frame.after, await linesOfCaller(s.caller))));
      const sent = new Set<string>();
      for (const event of replay.events) {
        sent.add(event.id);
        this.send(s, text(event));
      }
      const held = s.held;
      s.held = undefined;
      for (const event of held) if (!sent.has(event.id)) this.send(s, text(event));
      this.control(s, { type: 'resumed', after: frame.after, count: replay.events.length, complete: replay.complete });
    } catch {
      const held = s.held ?? [];
      s.held = undefined;
      for (const event of held) this.send(s, text(event));
      this.control(s, { type: 'error', message: 'resume failed: try again' });
    }
  }

  /** A typing frame: throttled per sender and session, checked, then pushed to the other side's sockets; nothing stored. */
  private async onTyping(s: Socket, session: string): Promise<void> {
    if (!this.typing.allow(s.caller.sub, session)) return;
    let typing: Awaited<ReturnType<typeof decideTyping>>;
    try {
      typing = await asFunction('live-default', () =>
        inBackground(async () => {
          s.caller = await resolveVisitorClient(s.caller);
          return decideTyping(s.caller, session);
        }),
      );
    } catch {
      return this.control(s, { type: 'error', message: 'typing failed: try again' });
    }
    if ('error' in typing) return this.control(s, { type: 'error', message: typing.error });
    const text = JSON.stringify(typing.frame);
    for (const hub of hubs) for (const other of hub.sockets) if (other !== s && hearsTyping(other.caller, typing)) hub.send(other, text);
    if (typing.frame.from === 'operator') await forwardOperatorTyping(typing);
  }

  /**
   * The pusher: every event to every socket that may see it, in order; one serialisation per
   * event, and per socket one corked write of all its frames of the batch (one syscall, not one
   * per frame).
   */
  async push(events: readonly ChatlinesEvent[], lines: ReadonlyMap<string, Line>): Promise<void> {
    await this.resolveVisitors(events);
    const texts = new Array<string | undefined>(events.length);
    const visitorTexts = new Array<string | undefined>(events.length);
    const text = (i: number, s: Socket) =>
      s.caller.visitor ? (visitorTexts[i] ??= JSON.stringify(frameOf(s.caller, events[i]!))) : (texts[i] ??= JSON.stringify(events[i]));
    for (const s of this.sockets) {
      let corked: { cork(): void; uncork(): void } | undefined;
      for (let i = 0; i < events.length; i++) {
        const event = events[i]!;
        const line = lines.get(event.line);
        if (!line || !maySee(s.caller, line, event)) continue;
        if (s.held) {
          s.held.push(event);
          continue;
        }
        if (!corked) {
          corked = (s.ws as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
          corked?.cork();
        }
        this.send(s, text(i, s));
      }
      corked?.uncork();
    }
  }

  /**
   * Visitor sockets opened before the visitor's first message follow no client yet: when a new
   * session starts on their channel, their client is looked up again (one GetItem each), so the
   * first session's events reach them too.
   */
  private async resolveVisitors(events: readonly ChatlinesEvent[]): Promise<void> {
    const created = new Set(events.filter((e) => e.type === 'session.created').map((e) => e.channel));
    if (created.size === 0) return;
    const pending = [...this.sockets].filter((s) => s.caller.visitor?.client === null && created.has(s.caller.visitor.channel));
    await Promise.all(
      pending.map(async (s) => {
        s.caller = await resolveVisitorClient(s.caller);
      }),
    );
  }

  close(): void {
    hubs.delete(this);
    for (const s of this.sockets) s.ws.terminate();
    this.sockets.clear();
    this.wss.close();
  }
}
