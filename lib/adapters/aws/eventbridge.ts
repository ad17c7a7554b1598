/** The EventBridge adapter of the event bus: PutEvents to the `chatlines` bus, 10 entries a call. */
import type { EventBridgeClient, PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { ChatlinesEvent } from '../../contract/events.ts';
import type { EventBus } from '../bus.ts';
import { sendAll } from '../concurrency.ts';
import { loadOnce } from '../lazy.ts';

type Eb = typeof import('@aws-sdk/client-eventbridge');

export class EventBridgeBus implements EventBus {
  /** The EventBridge SDK, imported on the first publish (not at a cold start). */
  private readonly load = loadOnce(async (): Promise<{ eb: Eb; client: EventBridgeClient }> => {
    const eb = await import('@aws-sdk/client-eventbridge');
    return { eb, client: new eb.EventBridgeClient({}) };
  });
  constructor(private readonly busName: string) {}

  async publish(events: readonly ChatlinesEvent[]): Promise<void> {
    if (events.length === 0) return;
    const { eb, client } = await this.load();
    for (let i = 0; i < events.length; i += 10) {
      const entries: PutEventsRequestEntry[] = events.slice(i, i + 10).map((e) => ({
        EventBusName: this.busName,
        Source: 'chatlines',
        DetailType: e.type,
        Detail: JSON.stringify(e),
        Time: new Date(e.time),
        Resources: [],
      }));
      // Entries that failed (throttling, internal errors) are sent again after a backoff; the rest are not repeated.
      await sendAll(
        entries,
        async (pending) => {
          const out = await client.send(new eb.PutEventsCommand({ Entries: pending }));
          return pending.filter((_, k) => out.Entries?.[k]?.ErrorCode);
        },
        { attempts: 3, baseMs: 50, capMs: 1_000, exhausted: (left) => new Error(`EventBridge refused ${left.length} events`) },
      );
    }
  }
}
