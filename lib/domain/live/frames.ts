/**
 * The frames of the live WebSocket (`GET /v1/live` locally, the stack's WebSocket API in AWS),
 * the same in both hosts. Pure: no AWS or Node imports.
 *
 * Server → client, one JSON object per text frame:
 * - an **event** (lib/contract/events.ts: `id`, `type` such as `session.assigned`, `time`, `line`,
 *   `channel`, `session`, `sequence`, `data`) the caller may see;
 * - `{ "type": "ready", "connection": "<id>", "sub": "<caller>" }` once, after the connection is
 *   authenticated (locally at once; in AWS in answer to the first frame, see docs/live.md);
 * - `{ "type": "pong" }` in answer to `{ "action": "ping" }`;
 * - `{ "type": "resumed", "after": "<id>", "count": n, "complete": bool }` after the events a
 *   `resume` re-sent; `complete: false` when `after` is not in the last hour's log (unknown or
 *   older): then everything of the last hour was re-sent and older events may be missing;
 * - `{ "type": "error", "message": "..." }` for a frame the server does not understand.
 *
 * - `{ "type": "typing", "session": "<id>", "from": "client" | "operator", "at": "<ISO time>" }`: the
 *   other side of a session is typing (at most once per 2 s per sender; never stored, never on
 *   webhooks).
 *
 * Client → server: `{ "action": "resume", "after": "<event id>" }`, `{ "action": "ping" }`,
 * `{ "type": "typing", "session": "<id>" }` (a visitor for its own session; staff for a session
 * it may write to).
 * Event types contain a dot (`session.created`); control frames' types never do.
 */
export const LIVE_PATH = '/v1/live';

export type ControlFrame =
  | { type: 'ready'; connection: string; sub: string }
  | { type: 'pong' }
  | { type: 'resumed'; after: string; count: number; complete: boolean }
  | { type: 'error'; message: string }
  | TypingFrame;

/** Who is typing: the client (a visitor) or the staff side. */
export type TypingFrom = 'client' | 'operator';
export interface TypingFrame {
  type: 'typing';
  session: string;
  from: TypingFrom;
  at: string;
}

/** A sender's typing frames for one session reach the other side at most this often. */
export const TYPING_INTERVAL_MS = 2_000;

/**
 * Per sender and session, when its typing last went out: a frame within `TYPING_INTERVAL_MS` of
 * that is dropped. Bounded: entries older than the interval are forgotten as the map grows.
 */
export class TypingThrottle {
  readonly #last = new Map<string, number>();
  /** True when this sender's typing for this session may go out now (and records it). */
  allow(sender: string, session: string, now = Date.now()): boolean {
    const key = `${sender}\u0000${session}`;
    const last = this.#last.get(key);
    if (last !== undefined && now - last < TYPING_INTERVAL_MS) return false;
    if (this.#last.size >= 10_000) for (const [k, t] of this.#last) if (now - t >= TYPING_INTERVAL_MS) this.#last.delete(k);
    this.#last.set(key, now);
    return true;
  }
}

export type ClientFrame = { action: 'resume'; after: string } | { action: 'ping' } | { action: 'typing'; session: string };

const SESSION_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

/** A frame from a client, or the reason it is not one. Event ids are short printable strings. */
export function parseClientFrame(text: string): ClientFrame | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { error: 'a frame is one JSON object' };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { error: 'a frame is one JSON object' };
  const frame = value as Record<string, unknown>;
  if (frame.action === 'ping') return { action: 'ping' };
  if (frame.type === 'typing' || frame.action === 'typing') {
    if (typeof frame.session !== 'string' || !SESSION_ID.test(frame.session)) return { error: 'typing needs `session`: the id of the session' };
    return { action: 'typing', session: frame.session };
  }
  if (frame.action === 'resume') {
    if (typeof frame.after !== 'string' || frame.after.length === 0 || frame.after.length > 300 || /[\s#]/.test(frame.after)) {
      return { error: 'resume needs `after`: the id of the last event received' };
    }
    return { action: 'resume', after: frame.after };
  }
  return { error: 'unknown action: send {"action":"resume","after":"<event id>"}, {"action":"ping"} or {"type":"typing","session":"<id>"}' };
}

/** The bearer token of an upgrade request: `?token=` or the subprotocol pair `bearer, <jwt>`. */
export function tokenOfUpgrade(query: URLSearchParams | Record<string, string | undefined>, protocolHeader: string | undefined): string | undefined {
  const fromQuery = query instanceof URLSearchParams ? query.get('token') : query.token;
  if (fromQuery) return fromQuery;
  const protocols = (protocolHeader ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const at = protocols.findIndex((p) => p.toLowerCase() === 'bearer');
  return at >= 0 ? protocols[at + 1] : undefined;
}

/** The subprotocol the server answers with when the token came as `bearer, <jwt>`. */
export const BEARER_PROTOCOL = 'bearer';
