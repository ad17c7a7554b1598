/**
 * Live sockets for tests: a `ws` client on the test host's `GET /v1/live` that keeps every
 * frame it receives, and waits for frames by predicate.
 */
import WebSocket from 'ws';

export interface LiveFrame {
  type: string;
  id?: string;
  session?: string | null;
  sequence?: number;
  line?: string;
  channel?: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  data?: any;
  [k: string]: unknown;
}

export interface LiveSocket {
  ws: WebSocket;
  frames: LiveFrame[];
  /** Event frames only (types with a dot), in arrival order. */
  events(): LiveFrame[];
  waitFor(predicate: (frames: LiveFrame[]) => boolean, timeoutMs?: number): Promise<void>;
  send(frame: unknown): void;
  close(): Promise<void>;
}

export const isEvent = (f: LiveFrame) => f.type.includes('.');

/**
 * Resolves when the server answered a ping on this socket: every frame it sent before reading
 * the ping has arrived (one ordered stream), so a late or doubled frame would show by now.
 */
export function roundTrip(ws: WebSocket, timeoutMs = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no pong from the live socket')), timeoutMs);
    ws.once('pong', () => {
      clearTimeout(timer);
      resolve();
    });
    ws.ping();
  });
}

/** Opens a socket and resolves once `ready` arrived; rejects with the HTTP status when refused. */
export function openLive(
  baseUrl: string,
  token: string | undefined,
  options: { via?: 'query' | 'protocol'; onFrame?: (f: LiveFrame) => void } = {},
): Promise<LiveSocket> {
  const url = new URL('/v1/live', baseUrl.replace(/^http/, 'ws'));
  let protocols: string[] | undefined;
  if (token && options.via === 'protocol') protocols = ['bearer', token];
  else if (token) url.searchParams.set('token', token);
  const ws = new WebSocket(url, protocols);
  const frames: LiveFrame[] = [];
  let waiters: (() => void)[] = [];
  ws.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as LiveFrame;
    frames.push(frame);
    options.onFrame?.(frame);
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  });
  const socket: LiveSocket = {
    ws,
    frames,
    events: () => frames.filter(isEvent),
    async waitFor(predicate, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(frames)) {
        if (Date.now() > deadline)
          throw new Error(
            `timed out waiting for live frames (have ${frames.length}: ${frames
              .slice(-3)
              .map((f) => f.type)
              .join(', ')})`,
          );
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
    },
    send: (frame) => ws.send(JSON.stringify(frame)),
    close: () =>
      new Promise<void>((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) return resolve();
        ws.once('close', () => resolve());
        ws.close();
      }),
  };
  return new Promise((resolve, reject) => {
    ws.once('unexpected-response', (_req, res) => {
      const error = Object.assign(new Error(`refused: ${res.statusCode}`), { status: res.statusCode, opened: false });
      res.resume();
      reject(error);
    });
    ws.once('error', reject);
    ws.once('open', () => {
      socket.waitFor((f) => f.some((x) => x.type === 'ready'), 5_000).then(() => resolve(socket), reject);
    });
  });
}
