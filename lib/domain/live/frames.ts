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
 * Client → server: `{ "action": "resume", "after": "<event id>" }`, `{ "action": "ping" }`.
 * Event types contain a dot (`session.created`); control frames' types never do.
 */
export const LIVE_PATH = '/v1/live';

export type ControlFrame =
  | { type: 'ready'; connection: string; sub: string }
  | { type: 'pong' }
  | { type: 'resumed'; after: string; count: number; complete: boolean }
  | { type: 'error'; message: string };

export type ClientFrame = { action: 'resume'; after: string } | { action: 'ping' };

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
  if (frame.action === 'resume') {
    if (typeof frame.after !== 'string' || frame.after.length === 0 || frame.after.length > 300 || /[\s#]/.test(frame.after)) {
      return { error: 'resume needs `after`: the id of the last event received' };
    }
    return { action: 'resume', after: frame.after };
  }
  return { error: 'unknown action: send {"action":"resume","after":"<event id>"} or {"action":"ping"}' };
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
