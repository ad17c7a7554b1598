/** `$disconnect` of the WebSocket API: removes the connection's items (TTL catches a lost one). */
import type { APIGatewayProxyResult, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { removeConnection } from '../../lib/adapters/dynamodb/live.ts';

export const handler = async (event: APIGatewayProxyWebsocketEventV2): Promise<APIGatewayProxyResult> => {
  await removeConnection(event.requestContext.connectionId);
  return { statusCode: 200, body: '' };
};
