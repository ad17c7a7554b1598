/**
 * Live push in AWS: frames go out through API Gateway's management API (`postToConnection`);
 * a connection that answers 410 Gone is removed; one whose token expired is removed and closed
 * (nothing is posted to it); any other posting error fails the push. The fan-out finds the
 * connections of each batch's lines (lib/adapters/dynamodb/live.ts) and applies the same `maySee`
 * as the local host.
 */
import { ApiGatewayManagementApiClient, DeleteConnectionCommand, GoneException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { tokenExpired } from '../../app/live/connections.ts';
import type { LivePusher } from '../../app/live/fanout.ts';
import { maySee } from '../../app/live/visibility.ts';
import type { ChatlinesEvent } from '../../contract/events.ts';
import type { Line } from '../../contract/schemas.ts';
import { mapPool } from '../concurrency.ts';
import { connectionsOfLines, removeConnection } from '../dynamodb/live.ts';

const clients = new Map<string, ApiGatewayManagementApiClient>();
/** A management API client for `https://<api>.execute-api.<region>.amazonaws.com/<stage>`. */
export function managementClient(endpoint: string): ApiGatewayManagementApiClient {
  let client = clients.get(endpoint);
  if (!client) clients.set(endpoint, (client = new ApiGatewayManagementApiClient({ endpoint })));
  return client;
}

const encoder = new TextEncoder();

/** Posts frames to one connection in order; false when the connection is gone (410). */
export async function postFrames(client: ApiGatewayManagementApiClient, connectionId: string, frames: readonly string[]): Promise<boolean> {
  for (const frame of frames) {
    try {
      await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: encoder.encode(frame) }));
    } catch (error) {
      if (
        error instanceof GoneException ||
        (error as { name?: string }).name === 'GoneException' ||
        (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 410
      ) {
        return false;
      }
      throw error;
    }
  }
  return true;
}

/**
 * Closes a connection from the server side (its token expired): API Gateway ends the socket and
 * `$disconnect` runs. One that is already gone is fine.
 */
export async function closeConnection(client: ApiGatewayManagementApiClient, connectionId: string): Promise<void> {
  try {
    await client.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
  } catch (error) {
    if (error instanceof GoneException || (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 410) return;
    throw error;
  }
}

/** What a failed post answered: its HTTP status and error name, for logs and messages. */
export function statusOf(error: unknown): string {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  return `${e.$metadata?.httpStatusCode ?? 'no status'} ${e.name ?? 'Error'}${e.message ? ` (${e.message})` : ''}`;
}

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
        // Its token expired: nothing more for it. Out of the partitions first (so no later batch
        // finds it), then closed; the client reconnects with a new token.
        await removeConnection(connection.id);
        await closeConnection(client, connection.id);
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
