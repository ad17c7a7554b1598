/**
 * Live updates behind one small module. When the API has a live WebSocket (`config.liveUrl`,
 * `GET /v1/live` with the token in `?token=`), one socket per page calls every watcher's
 * `refresh` (debounced) on each event it may see, reconnecting with backoff; a slow poll stays
 * as a safety net. Without one (or while the socket is down) the pages poll every `everyMs`.
 */
import { current } from './auth.ts';
import { config } from './config.ts';

export interface Watch {
  stop(): void;
  /** Refresh now (after an action). */
  poke(): void;
}

/** Poll interval while the live socket is up: only a safety net. */
const SAFETY_POLL_MS = 15_000;

const listeners = new Set<() => void>();
/** Typing frames (`{ type: 'typing', session, from, at }`): shown, never stored. */
const typingListeners = new Set<(frame: { session: string; from: string }) => void>();

/** Calls `listener` with every typing frame the socket receives; returns the unsubscribe. */
export function onTyping(listener: (frame: { session: string; from: string }) => void): () => void {
  typingListeners.add(listener);
  return () => typingListeners.delete(listener);
}

let typingSentAt = 0;
/** Tells the client of a session the operator is typing (at most one frame per 2 s, as the server allows). */
export function sendTyping(session: string): void {
  if (!connected || !socket || Date.now() - typingSentAt < 2000) return;
  typingSentAt = Date.now();
  socket.send(JSON.stringify({ type: 'typing', session }));
}
let socket: WebSocket | undefined;
let connected = false;
let attempts = 0;
let opening = false;

async function ensureSocket(): Promise<void> {
  if (socket || opening) return;
  opening = true;
  try {
    const cfg = await config();
    const id = current();
    if (!cfg.liveUrl || !id || typeof WebSocket === 'undefined') return;
    const ws = new WebSocket(`${cfg.liveUrl}?token=${encodeURIComponent(id.token)}`);
    socket = ws;
    ws.onopen = () => {
      connected = true;
      attempts = 0;
    };
    ws.onmessage = (m) => {
      let frame: { type?: string; id?: string; session?: string; from?: string } | undefined;
      try {
        frame = JSON.parse(String(m.data)) as { type?: string; id?: string };
      } catch {
        return;
      }
      if (frame?.type === 'typing' && frame.session && frame.from) {
        for (const l of typingListeners) l({ session: frame.session, from: frame.from });
        return;
      }
      // Events carry an id; control frames (ready, pong, errors) do not.
      if (frame?.id) for (const l of listeners) l();
    };
    ws.onclose = () => {
      connected = false;
      socket = undefined;
      if (listeners.size === 0) return;
      attempts++;
      const delay = Math.min(30_000, 500 * 2 ** attempts) * (0.5 + Math.random() / 2);
      setTimeout(() => void ensureSocket(), delay);
    };
  } finally {
    opening = false;
  }
}

export function watch(refresh: () => Promise<void>, everyMs = 2000): Watch {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let debounce: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let running = false;
  const tick = async () => {
    if (stopped) return;
    clearTimeout(timer);
    if (!running && document.visibilityState !== 'hidden') {
      running = true;
      try {
        await refresh();
      } catch {
        // the page shows its own errors; keep watching
      } finally {
        running = false;
      }
    }
    if (!stopped) timer = setTimeout(tick, connected ? SAFETY_POLL_MS : everyMs);
  };
  const onEvent = () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => void tick(), 100);
  };
  listeners.add(onEvent);
  void ensureSocket();
  void tick();
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
      clearTimeout(debounce);
      listeners.delete(onEvent);
      if (listeners.size === 0) socket?.close();
    },
    poke: () => void tick(),
  };
}
