/**
 * `$default` of the WebSocket API: the client's frames (lib/domain/live/frames.ts). `ping` → `pong`;
 * `resume` → the caller-visible events after the given id from the log, in order, then
 * `resumed`; `typing` → the other side's connections (lib/app/live/typing.ts). The first answer on a connection is preceded by `ready` (API Gateway cannot send
 * before `$connect` returns). A connection whose token expired gets no answer: it is closed.
 */
import type { APIGatewayProxyResult, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { closeConnection, managementClient, postFrames } from '../../lib/adapters/aws/live.ts';
import { claimTypingSlot, findConnection, markGreeted, removeConnection } from '../../lib/adapters/dynamodb/live.ts';
import { pushTyping } from '../../lib/app/live/aws-pusher.ts';
import { connect, tokenExpired } from '../../lib/app/live/connections.ts';
import { eventsAfter } from '../../lib/app/live/log.ts';
import { decideTyping } from '../../lib/app/live/typing.ts';
import { frameOf, type LiveCaller, linesOfCaller, resolveVisitorClient } from '../../lib/app/live/visibility.ts';
import { type ControlFrame, parseClientFrame, TYPING_INTERVAL_MS } from '../../lib/domain/live/frames.ts';

export const handler = async (event: APIGatewayProxyWebsocketEventV2): Promise<APIGatewayProxyResult> => {
  const { connectionId, domainName, stage } = event.requestContext;
  // The stage's callback URL; LIVE_ENDPOINT overrides it (tests, a custom domain).
  const client = managementClient(process.env.LIVE_ENDPOINT ?? `https://${domainName}/${stage}`);
  const connection = await findConnection<LiveCaller>(connectionId);
  if (!connection) {
    await postFrames(client, connectionId, [JSON.stringify({ type: 'error', message: 'unknown connection: reconnect' } satisfies ControlFrame)]);
    return { statusCode: 410, body: '' };
  }
  if (tokenExpired(connection)) {
    // No answer on a token that expired (a resume would replay events): the connection is
    // closed, and the client reconnects with a new token.
    // Closed before its record goes, so a failed close leaves something to retry from.
    await closeConnection(client, connectionId);
    await removeConnection(connectionId, connection.partitions);
    return { statusCode: 401, body: '' };
  }
  if (connection.caller.visitor?.client === null) {
    // A visitor connected before its first message: filed under its client once it has one.
    const resolved = await resolveVisitorClient(connection.caller);
    if (resolved.visitor?.client) {
      await connect(connectionId, resolved, Date.now(), connection.tokenExpiresAt);
      connection.caller = resolved;
      connection.greeted = false;
    }
  }
  const frames: string[] = [];
  if (!connection.greeted) {
    if (await markGreeted(connectionId))
      frames.push(JSON.stringify({ type: 'ready', connection: connectionId, sub: connection.caller.sub } satisfies ControlFrame));
  }
  const frame = parseClientFrame(typeof event.body === 'string' ? event.body : '');
  if ('error' in frame) frames.push(JSON.stringify({ type: 'error', message: frame.error } satisfies ControlFrame));
  else if (frame.action === 'ping') frames.push(JSON.stringify({ type: 'pong' } satisfies ControlFrame));
  else if (frame.action === 'typing') {
    // Throttled per connection and session by a conditional write of the throttle's clock; a
    // frame within the interval is dropped without an answer, as on the local host.
    if (await claimTypingSlot(connectionId, frame.session, Date.now(), TYPING_INTERVAL_MS)) {
      const typing = await decideTyping(connection.caller, frame.session);
      if ('error' in typing) frames.push(JSON.stringify({ type: 'error', message: typing.error } satisfies ControlFrame));
      else await pushTyping(process.env.LIVE_ENDPOINT ?? `https://${domainName}/${stage}`, typing, connectionId);
    }
  } else {
    const replay = await eventsAfter(connection.caller, frame.after, await linesOfCaller(connection.caller));
    for (const e of replay.events) frames.push(JSON.stringify(frameOf(connection.caller, e)));
    frames.push(JSON.stringify({ type: 'resumed', after: frame.after, count: replay.events.length, complete: replay.complete } satisfies ControlFrame));
  }
  if (frames.length > 0 && !(await postFrames(client, connectionId, frames))) await removeConnection(connectionId, connection.partitions);
  return { statusCode: 200, body: '' };
};
