/**
 * Where events go for users' own rules: the EventBridge bus `chatlines` in AWS (lib/adapters/aws/eventbridge.ts),
 * and on the local host this in-process bus, which keeps the recent events so that tests and
 * local tools can read them, and lets local subscribers (the live WebSocket) listen.
 */
import type { ChatlinesEvent } from '../contract/events.ts';

export interface EventBus {
  publish(events: readonly ChatlinesEvent[]): Promise<void>;
}

export type EventListener = (events: readonly ChatlinesEvent[]) => void | Promise<void>;

export class InProcessBus implements EventBus {
  /** The most recent events, oldest first (bounded). */
  readonly recent: ChatlinesEvent[] = [];
  private readonly listeners = new Set<EventListener>();
  constructor(private readonly keep = 20_000) {}

  async publish(events: readonly ChatlinesEvent[]): Promise<void> {
    this.recent.push(...events);
    if (this.recent.length > this.keep) this.recent.splice(0, this.recent.length - this.keep);
    for (const listener of this.listeners) await listener(events);
  }

  /** Calls `listener` with every published batch; returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** The local host's bus (one per process). */
export const inProcessBus = new InProcessBus();
