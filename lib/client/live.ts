/**
 * The live subscription: `lines.live.subscribe({ onEvent })` keeps a WebSocket to the API's
 * live endpoint open — `GET /v1/live` on the local host, the stack's `LiveUrl` in AWS —
 * reconnects with exponential backoff and full jitter when it drops, and resumes after the last
 * event it delivered (`{ action: "resume", after }`), dropping repeats by event id. Runs in
 * browsers and in Node ≥ 22 (global `WebSocket`); on Node 20 pass `WebSocket` (e.g. from `ws`).
 */
import type { LiveEventData } from './types.ts';

/** The part of the WHATWG WebSocket the subscription uses. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** What the subscription is doing, for a status indicator. */
export type LiveState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface LiveSubscribeOptions {
  /** Each event the caller may see, once, in the order received (per session: `sequence` order). */
  onEvent(event: LiveEventData): void;
  /** Connection state changes; `delayMs` is the wait before the next attempt when reconnecting. */
  onState?(state: LiveState, info?: { delayMs?: number; code?: number; reason?: string }): void;
  /**
   * After a resume: `complete: false` when the server no longer had the last event (older than an
   * hour): events may have been missed; re-read what you show over HTTP.
   */
  onResumed?(info: { after: string; count: number; complete: boolean }): void;
  /** Resume after this event id on the first connection too (e.g. kept across page loads). */
  after?: string;
  /** Ping interval (default 5 min; AWS closes sockets idle for 10 min). */
  pingEveryMs?: number;
  /** First reconnect delay (default 500 ms), doubled per failed attempt with jitter, capped at `maxDelayMs` (default 30 s). */
  minDelayMs?: number;
  maxDelayMs?: number;
}

export interface LiveSubscription {
  /** The id of the last event delivered to `onEvent` (what a reconnect resumes after). */
  readonly lastEventId: string | undefined;
  readonly state: LiveState;
  /** Stops for good: closes the socket, no more reconnects. */
  close(): void;
}

export interface LiveConnectionOptions {
  /** `ws(s)://…/v1/live` (or the stack's `LiveUrl`). */
  url: string;
  token: string | (() => string | Promise<string>) | undefined;
  WebSocket: WebSocketConstructor | undefined;
}

const OPEN = 1;
const REMEMBERED_IDS = 10_000;

/** `http://host:3000` → `ws://host:3000/v1/live`. */
export const liveUrlOf = (baseUrl: string) => `${baseUrl.replace(/^http/, 'ws').replace(/\/+$/, '')}/v1/live`;

export function subscribeLive(connection: LiveConnectionOptions, options: LiveSubscribeOptions): LiveSubscription {
  const Found = connection.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (!Found) throw new TypeError('live: no WebSocket in this runtime (Node < 22): pass `WebSocket` in the client options');
  const Ctor: WebSocketConstructor = Found;
  const minDelay = Math.max(1, options.minDelayMs ?? 500);
  const maxDelay = Math.max(minDelay, options.maxDelayMs ?? 30_000);
  const pingEvery = options.pingEveryMs ?? 5 * 60_000;

  let state: LiveState = 'connecting';
  let lastEventId = options.after;
  let socket: WebSocketLike | undefined;
  let attempt = 0;
  let stopped = false;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let pingTimer: ReturnType<typeof setInterval> | undefined;
  const seen = new Set<string>();

  const setState = (next: LiveState, info?: { delayMs?: number; code?: number; reason?: string }) => {
    state = next;
    options.onState?.(next, info);
  };
  const remember = (id: string) => {
    seen.add(id);
    if (seen.size > REMEMBERED_IDS) seen.delete(seen.values().next().value as string);
  };

  async function connect(): Promise<void> {
    if (stopped) return;
    let token: string | undefined;
    try {
      token = typeof connection.token === 'function' ? await connection.token() : connection.token;
    } catch {
      return scheduleReconnect({ reason: 'no token' });
    }
    if (stopped) return;
    const url = new URL(connection.url);
    if (token) url.searchParams.set('token', token);
    let ws: WebSocketLike;
    try {
      ws = new Ctor(url.toString());
    } catch {
      return scheduleReconnect({ reason: 'bad url' });
    }
    socket = ws;
    ws.onopen = () => {
      if (stopped) return ws.close(1000);
      attempt = 0;
      setState('open');
      // Resume first; otherwise a ping (AWS answers `ready` to the first frame).
      ws.send(JSON.stringify(lastEventId ? { action: 'resume', after: lastEventId } : { action: 'ping' }));
      clearInterval(pingTimer);
      pingTimer = setInterval(() => ws.readyState === OPEN && ws.send('{"action":"ping"}'), pingEvery);
    };
    ws.onmessage = (message) => {
      if (typeof message.data !== 'string') return;
      let frame: Record<string, unknown>;
      try {
        frame = JSON.parse(message.data) as Record<string, unknown>;
      } catch {
        return;
      }
      const type = String(frame.type ?? '');
      if (type.includes('.') && typeof frame.id === 'string') {
        if (seen.has(frame.id)) return;
        remember(frame.id);
        lastEventId = frame.id;
        options.onEvent(frame as unknown as LiveEventData);
      } else if (type === 'resumed') {
        options.onResumed?.({ after: String(frame.after), count: Number(frame.count), complete: frame.complete === true });
      }
    };
    ws.onerror = () => undefined;
    ws.onclose = (ev) => {
      clearInterval(pingTimer);
      if (socket === ws) socket = undefined;
      if (!stopped) scheduleReconnect({ code: ev.code, reason: ev.reason });
    };
  }

  function scheduleReconnect(info: { code?: number; reason?: string }) {
    if (stopped) return;
    const cap = Math.min(maxDelay, minDelay * 2 ** attempt);
    const delayMs = Math.round(cap / 2 + Math.random() * (cap / 2));
    attempt++;
    setState('reconnecting', { ...info, delayMs });
    retryTimer = setTimeout(() => {
      setState('connecting');
      void connect();
    }, delayMs);
  }

  setState('connecting');
  void connect();
  return {
    get lastEventId() {
      return lastEventId;
    },
    get state() {
      return state;
    },
    close() {
      if (stopped) return;
      stopped = true;
      clearTimeout(retryTimer);
      clearInterval(pingTimer);
      socket?.close(1000, 'closed by the client');
      socket = undefined;
      setState('closed');
    },
  };
}
