/**
 * API Gateway's WebSocket management API: post frames to a connection (false when it is gone,
 * 410), close one from the server side, and name a failed post for logs. Who gets what is the
 * pusher's business (lib/app/live/aws-pusher.ts).
 */
import type { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { loadOnce } from '../lazy.ts';

/**
 * The SDK, imported on the first post rather than at a cold start: a fan-out batch whose events
 * no open connection may see posts nothing.
 */
const sdk = loadOnce(() => import('@aws-sdk/client-apigatewaymanagementapi'));
type Sdk = Awaited<ReturnType<typeof sdk>>;

/** The management API of `https://<api>.execute-api.<region>.amazonaws.com/<stage>` (its client is built on the first call). */
export interface ManagementApi {
  readonly endpoint: string;
}
export const managementClient = (endpoint: string): ManagementApi => ({ endpoint });

const clients = new Map<string, ApiGatewayManagementApiClient>();
async function clientOf(api: ManagementApi): Promise<{ client: ApiGatewayManagementApiClient; S: Sdk }> {
  const S = await sdk();
  let client = clients.get(api.endpoint);
  if (!client) clients.set(api.endpoint, (client = new S.ApiGatewayManagementApiClient({ endpoint: api.endpoint })));
  return { client, S };
}

const isGone = (error: unknown) =>
  (error as { name?: string }).name === 'GoneException' || (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 410;

const encoder = new TextEncoder();

/** Posts frames to one connection in order; false when the connection is gone (410). */
export async function postFrames(api: ManagementApi, connectionId: string, frames: readonly string[]): Promise<boolean> {
  if (frames.length === 0) return true;
  const { client, S } = await clientOf(api);
  for (const frame of frames) {
    try {
      await client.send(new S.PostToConnectionCommand({ ConnectionId: connectionId, Data: encoder.encode(frame) }));
    } catch (error) {
      if (isGone(error)) return false;
      throw error;
    }
  }
  return true;
}

/**
 * Closes a connection from the server side (its token expired): API Gateway ends the socket and
 * `$disconnect` runs. One that is already gone is fine.
 */
export async function closeConnection(api: ManagementApi, connectionId: string): Promise<void> {
  const { client, S } = await clientOf(api);
  try {
    await client.send(new S.DeleteConnectionCommand({ ConnectionId: connectionId }));
  } catch (error) {
    if (isGone(error)) return;
    throw error;
  }
}

/** What a failed post answered: its HTTP status and error name, for logs and messages. */
export function statusOf(error: unknown): string {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  return `${e.$metadata?.httpStatusCode ?? 'no status'} ${e.name ?? 'Error'}${e.message ? ` (${e.message})` : ''}`;
}
