/**
 * API Gateway's WebSocket management API: post frames to a connection (false when it is gone,
 * 410), close one from the server side, and name a failed post for logs. Who gets what is the
 * pusher's business (lib/app/live/aws-pusher.ts).
 */
import { ApiGatewayManagementApiClient, DeleteConnectionCommand, GoneException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';

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
