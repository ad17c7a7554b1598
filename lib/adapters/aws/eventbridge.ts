/** The EventBridge adapter of the event bus: PutEvents to the `chatlines` bus, 10 entries a call. */
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { ChatlinesEvent } from '../../contract/events.ts';
import type { EventBus } from '../../domain/events/bus.ts';

export class EventBridgeBus implements EventBus {
  private readonly client = new EventBridgeClient({});
  constructor(private readonly busName: string) {}

  async publish(events: readonly ChatlinesEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += 10) {
      let entries: PutEventsRequestEntry[] = events.slice(i, i + 10).map((e) => ({
        EventBusName: this.busName,
        Source: 'chatlines',
        DetailType: e.type,
        Detail: JSON.stringify(e),
        Time: new Date(e.time),
        Resources: [],
      }));
      // Entries that failed (throttling, internal errors) are sent again; the rest are not repeated.
      for (let attempt = 0; entries.length > 0; attempt++) {
        if (attempt === 3) throw new Error(`EventBridge refused ${entries.length} events`);
        const out = await this.client.send(new PutEventsCommand({ Entries: entries }));
        entries = entries.filter((_, k) => out.Entries?.[k]?.ErrorCode);
      }
    }
  }
}
