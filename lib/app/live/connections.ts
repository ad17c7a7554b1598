/**
 * Live connections of the AWS WebSocket API (stored by lib/adapters/dynamodb/live.ts): a new
 * connection is recorded for the lines its caller may receive events of, with the expiry of its
 * token: a connection whose token expired is closed instead of served (`tokenExpired`).
 */

import { type LiveConnection, saveConnection } from '../../adapters/dynamodb/live.ts';
import { hasRole } from '../../contract/caller.ts';
import { type LiveCaller, linesOfCaller, visitorPartition } from './visibility.ts';

/**
 * Records a new connection for the lines its caller may receive events of, with the expiry of
 * its token (`exp`, epoch seconds), so that the fan-out reads it with the caller.
 */
export async function connect(id: string, caller: LiveCaller, now = Date.now(), tokenExpiresAt?: number): Promise<void> {
  if (caller.visitor) {
    // A visitor's connection lives in its client's partition (none before its first message).
    const client = caller.visitor.client;
    await saveConnection(id, caller, client ? [visitorPartition(client)] : [], now, tokenExpiresAt);
    return;
  }
  const lines = hasRole(caller, 'admin') ? 'all' : await linesOfCaller(caller);
  await saveConnection(id, caller, lines === 'all' ? ['admins'] : lines.map((l) => l.__id), now, tokenExpiresAt);
}

/**
 * Has the connection's token expired? Such a connection gets nothing more (no event, no
 * answer to a frame): it is closed, and the client reconnects with a new token.
 */
export const tokenExpired = (connection: Pick<LiveConnection, 'tokenExpiresAt'>, now = Date.now()) =>
  connection.tokenExpiresAt !== undefined && connection.tokenExpiresAt * 1000 <= now;
