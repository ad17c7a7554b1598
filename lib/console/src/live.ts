/**
 * Live updates behind one small module. Today: polling every `everyMs` while the page is
 * visible. When the API's live WebSocket (`GET /v1/live`, token in `?token=`) is on main,
 * `watch` subscribes to it and calls `refresh` on each event (keeping a slow poll as a safety
 * net): the pages do not change.
 */
export interface Watch {
  stop(): void;
  /** Refresh now (after an action). */
  poke(): void;
}

export function watch(refresh: () => Promise<void>, everyMs = 2000): Watch {
  let timer: ReturnType<typeof setTimeout> | undefined;
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
        // the page shows its own errors; keep polling
      } finally {
        running = false;
      }
    }
    if (!stopped) timer = setTimeout(tick, everyMs);
  };
  void tick();
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
    poke: () => void tick(),
  };
}
