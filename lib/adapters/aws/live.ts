/**
 * Live push in AWS: frames go out through API Gateway's management API (`postToConnection`);
 * a connection that answers 410 Gone is removed. The fan-out finds the connections of each
 * batch's lines (lib/adapters/dynamodb/live.ts) and applies the same `maySee` as the local host.
 */
import { ApiGatewayManagementApiClient, GoneException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import type { LivePusher } from '../../app/live/fanout.ts';
import { maySee } from '../../app/live/visibility.ts';
import type { ChatlinesEvent } from '../../contract/events.ts';
import type { Line } from '../../contract/schemas.ts';
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

async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

/** The fan-out's pusher: per connection its visible events in order, connections 32 at a time. */
export class ApiGatewayPusher implements LivePusher {
  constructor(private readonly endpoint: string) {}

  async push(events: readonly ChatlinesEvent[], lines: ReadonlyMap<string, Line>): Promise<void> {
    const connections = await connectionsOfLines<Parameters<typeof maySee>[0]>(events.map((e) => e.line));
    if (connections.length === 0) return;
    const texts = events.map((e) => JSON.stringify(e));
    const client = managementClient(this.endpoint);
    await inParallel(connections, 32, async (connection) => {
      const frames: string[] = [];
      events.forEach((event, i) => {
        const line = lines.get(event.line);
        if (line && maySee(connection.caller, line, event)) frames.push(texts[i]!);
      });
      if (frames.length === 0) return;
      const alive = await postFrames(client, connection.id, frames).catch(() => true);
      if (!alive) await removeConnection(connection.id);
    });
  }
}
