/**
 * `$connect` of the WebSocket API (after the authorizer accepted the token): records the
 * connection for the lines its caller may receive events of, with its token's expiry. Echoes the `bearer` subprotocol
 * when the client offered it.
 */
import type { APIGatewayProxyResult, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { logger } from '../../lib/adapters/observability.ts';
import { connect } from '../../lib/app/live/connections.ts';
import type { Caller } from '../../lib/contract/caller.ts';
import { BEARER_PROTOCOL } from '../../lib/domain/live/frames.ts';

type ConnectEvent = APIGatewayProxyWebsocketEventV2 & {
  requestContext: { authorizer?: { caller?: string; expiresAt?: number | string } };
  headers?: Record<string, string | undefined>;
};

export const handler = async (event: ConnectEvent): Promise<APIGatewayProxyResult> => {
  const raw = event.requestContext.authorizer?.caller;
  if (!raw) return { statusCode: 401, body: '' };
  // The token's expiry, kept with the connection: the fan-out closes it then.
  const expiresAt = Number(event.requestContext.authorizer?.expiresAt);
  await connect(event.requestContext.connectionId, JSON.parse(raw) as Caller, Date.now(), Number.isFinite(expiresAt) ? expiresAt : undefined);
  logger.debug('live connected', { connection: event.requestContext.connectionId });
  const offered = (event.headers?.['Sec-WebSocket-Protocol'] ?? event.headers?.['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim().toLowerCase());
  return { statusCode: 200, body: '', ...(offered.includes(BEARER_PROTOCOL) ? { headers: { 'Sec-WebSocket-Protocol': BEARER_PROTOCOL } } : {}) };
};
