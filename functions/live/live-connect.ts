/**
 * `$connect` of the WebSocket API (after the authorizer accepted the token): records the
 * connection for the lines its caller may receive events of, with its token's expiry. Echoes the `bearer` subprotocol
 * when the client offered it.
 */
import type { APIGatewayProxyResult, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { logger } from '../../lib/adapters/observability.ts';
import { connect } from '../../lib/app/live/connections.ts';
import { type LiveCaller, visitorLiveCaller } from '../../lib/app/live/visibility.ts';
import type { VisitorClaims } from '../../lib/contract/visitors.ts';
import { BEARER_PROTOCOL } from '../../lib/domain/live/frames.ts';

type ConnectEvent = APIGatewayProxyWebsocketEventV2 & {
  requestContext: { authorizer?: { caller?: string; visitor?: string; expiresAt?: number | string } };
  headers?: Record<string, string | undefined>;
};

export const handler = async (event: ConnectEvent): Promise<APIGatewayProxyResult> => {
  const raw = event.requestContext.authorizer?.caller;
  const visitor = event.requestContext.authorizer?.visitor;
  if (!raw && !visitor) return { statusCode: 401, body: '' };
  // A visitor: scoped to the client its token names (one GetItem).
  const caller: LiveCaller = visitor ? await visitorLiveCaller(JSON.parse(visitor) as VisitorClaims) : (JSON.parse(raw!) as LiveCaller);
  // The token's expiry, kept with the connection: the fan-out closes it then.
  const expiresAt = Number(event.requestContext.authorizer?.expiresAt);
  await connect(event.requestContext.connectionId, caller, Date.now(), Number.isFinite(expiresAt) ? expiresAt : undefined);
  logger.debug('live connected', { connection: event.requestContext.connectionId });
  const offered = (event.headers?.['Sec-WebSocket-Protocol'] ?? event.headers?.['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim().toLowerCase());
  return { statusCode: 200, body: '', ...(offered.includes(BEARER_PROTOCOL) ? { headers: { 'Sec-WebSocket-Protocol': BEARER_PROTOCOL } } : {}) };
};
