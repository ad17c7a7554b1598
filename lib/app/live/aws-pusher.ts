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
import { maySee } from './visibility.ts';

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
    const connections = await connectionsOfLines<Parameters<typeof maySee>[0]>(events.map((e) => e.line));
    if (connections.length === 0) return;
    const texts = events.map((e) => JSON.stringify(e));
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
        if (line && maySee(connection.caller, line, event)) frames.push(texts[i]!);
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
