/**
 * Live push in AWS: the fan-out's pusher. It finds the connections of each batch's lines
 * (lib/adapters/dynamodb/live.ts), applies the same `maySee` as the local host, and posts through
 * API Gateway's management API (lib/adapters/aws/live.ts): a connection that answers 410 Gone is
 * removed; one whose token expired is removed and closed (nothing is posted to it); any other
 * posting error fails the push.
 */
import { closeConnection, managementClient, postFrames, statusOf } from '../../adapters/aws/live.ts';
import { mapPool } from '../../adapters/concurrency.ts';
import { connectionsOfLines, removeConnection } from '../../adapters/dynamodb/live.ts';
import type { ChatlinesEvent } from '../../contract/events.ts';
import type { Line } from '../../contract/schemas.ts';
import { tokenExpired } from './connections.ts';
import type { LivePusher } from './fanout.ts';
import { forwardOperatorTyping, hearsTyping, type Typing } from './typing.ts';
import { frameOf, type LiveCaller, maySee, visitorPartition } from './visibility.ts';

/** The visitor partitions a batch may reach: the clients of its sessions (one Query each, beside the lines'). */
const clientPartitions = (events: readonly ChatlinesEvent[]) =>
  events.flatMap((e) =>
    e.session === null ? [] : (((e.data.session as { _clients?: string[] } | undefined)?._clients ?? []) as string[]).map(visitorPartition),
  );

/**
 * The fan-out's pusher: per connection its visible events in order, connections 32 at a time. A
 * posting error other than 410 (a 403 from a missing grant, a 500, throttling) is logged and
 * fails the push once every connection has had its turn, so the stream batch is retried (the
 * connections that got the frames drop the repeats by event id) and, if it keeps failing, ends
 * at the mapping's failure destination, with an alarm: never a silent success.
 */
export class ApiGatewayPusher implements LivePusher {
  constructor(
    private readonly endpoint: string,
    private readonly onPostError: (error: unknown, connectionId: string) => void = () => undefined,
  ) {}

  async push(events: readonly ChatlinesEvent[], lines: ReadonlyMap<string, Line>): Promise<void> {
    const connections = await connectionsOfLines<LiveCaller>([...events.map((e) => e.line), ...clientPartitions(events)]);
    if (connections.length === 0) return;
    const texts = events.map((e) => JSON.stringify(e));
    const visitorTexts = new Array<string | undefined>(events.length);
    const client = managementClient(this.endpoint);
    const errors: unknown[] = [];
    const now = Date.now();
    await mapPool(connections, 32, async (connection) => {
      if (tokenExpired(connection, now)) {
        // Its token expired: nothing more for it. Closed first, then out of the partitions: a close
        // that fails leaves the record, so the retried batch closes it (a second close of a gone
        // connection is fine); the client reconnects with a new token.
        await closeConnection(client, connection.id);
        await removeConnection(connection.id);
        return;
      }
      const frames: string[] = [];
      events.forEach((event, i) => {
        const line = lines.get(event.line);
        if (!line || !maySee(connection.caller, line, event)) return;
        frames.push(connection.caller.visitor ? (visitorTexts[i] ??= JSON.stringify(frameOf(connection.caller, event))) : texts[i]!);
      });
      if (frames.length === 0) return;
      let alive: boolean;
      try {
        alive = await postFrames(client, connection.id, frames);
      } catch (error) {
        this.onPostError(error, connection.id);
        errors.push(error);
        return;
      }
      if (!alive) await removeConnection(connection.id);
    });
    if (errors.length > 0)
      throw new AggregateError(errors, `live push failed for ${errors.length} of ${connections.length} connections: ${statusOf(errors[0])}`);
  }
}

/**
 * A typing frame to the other side's connections: the session's line partition and the admins'
 * (staff hearing a visitor) or its clients' visitor partitions (a visitor hearing staff) — Queries
 * by key, never a Scan — then `hearsTyping` per connection. Gone and expired connections are
 * removed; other posting errors are left to the client (typing is best effort, never retried).
 */
export async function pushTyping(endpoint: string, typing: Typing, senderId: string): Promise<void> {
  const partitions = typing.frame.from === 'client' ? [typing.line.__id] : typing.session._clients.map(visitorPartition);
  const connections = await connectionsOfLines<LiveCaller>(partitions);
  const client = managementClient(endpoint);
  const text = JSON.stringify(typing.frame);
  const now = Date.now();
  await mapPool(connections, 32, async (connection) => {
    if (connection.id === senderId || tokenExpired(connection, now) || !hearsTyping(connection.caller, typing)) return;
    const alive = await postFrames(client, connection.id, [text]).catch(() => true);
    if (!alive) await removeConnection(connection.id);
  });
  if (typing.frame.from === 'operator') await forwardOperatorTyping(typing);
}
