/**
 * A messenger's hook request, shared by every messenger (lib/contract/routes/hooks.ts): the
 * channel and its sealed credentials are read (one BatchGetItem), the adapter checks the
 * messenger's proof — and only a request that passes is parsed. A channel that does not exist,
 * is of another type or is not connected natively gets the same 401 as a forged proof, so the
 * hook tells nothing about which channels exist. Then each event in order:
 *
 * - a message → the inbound use case (lib/app/sessions/open.ts): the client by the messenger's
 *   user id (display name and username kept on a new client), deduplicated by the messenger's id;
 * - a status → the reply it names (the ref written when it was sent) moves on by the status rules;
 * - a read watermark → every reply to that client up to then becomes `read`.
 *
 * A channel that is not `active` takes nothing and still answers 200 (a messenger retries
 * anything else for a day).
 */
import { openSecrets } from '../../adapters/dynamodb/credentials.ts';
import { getItem, queryPage } from '../../adapters/dynamodb/db.ts';
import { readMessage } from '../../adapters/dynamodb/items.ts';
import { channelCredentialsKey, MESSAGE_PREFIX, outboundRefKey, sessionKey } from '../../adapters/dynamodb/keys.ts';
import { clientIdByAccount, getChannelWith } from '../../adapters/dynamodb/lines.ts';
import { latestSessionIdOfClient } from '../../adapters/dynamodb/sessions.ts';
import { messengerByHookPath } from '../../adapters/messengers/index.ts';
import type { HookRequest, InboundAttachment, InboundEvent } from '../../adapters/messengers/port.ts';
import { logger } from '../../adapters/observability.ts';
import { ChatlinesError } from '../../contract/errors.ts';
import type { Channel } from '../../contract/schemas.ts';
import { MAX_BODY_LENGTH } from '../../contract/schemas.ts';
import { receiveInbound } from '../sessions/open.ts';
import { applyStatus, messengerCaller } from './outbound.ts';

export interface HookReply {
  status: number;
  body?: unknown;
  text?: string;
  headers?: Record<string, string>;
}

const refused = () => new ChatlinesError('unauthenticated', 'the request does not carry a valid proof for this hook');

/** How many of a session's newest messages a read watermark looks through. */
const READ_WINDOW = 100;

/** What a message without text says in the session: its files by name. */
function bodyOf(text: string, attachments: readonly InboundAttachment[]): string {
  const files = attachments.map((a) => `[${a.name ?? a.contentType ?? 'file'}]`).join(' ');
  const body = [text, files].filter((s) => s.trim() !== '').join('\n');
  return (body || '[a message chatlines cannot show]').slice(0, MAX_BODY_LENGTH);
}

export async function receiveHook(hookPath: string, channelId: string, request: HookRequest): Promise<HookReply> {
  const messenger = messengerByHookPath(hookPath);
  if (!messenger) throw refused();
  let channel: Channel;
  let item: Record<string, unknown> | undefined;
  try {
    ({
      channel,
      items: [item],
    } = await getChannelWith(channelId, [channelCredentialsKey(channelId)]));
  } catch (error) {
    if (error instanceof ChatlinesError && error.kind === 'not-found') throw refused();
    throw error;
  }
  if (channel._type !== messenger.type) throw refused();
  const secrets = await openSecrets(channelId, item);
  if (!secrets || secrets.type !== messenger.type) throw refused();
  const verdict = messenger.verify(request, secrets.credentials, secrets.hookSecret);
  if ('answer' in verdict) return { status: verdict.answer.status, text: verdict.answer.body, headers: { 'content-type': verdict.answer.contentType } };
  if (!verdict.ok) {
    logger.warn('a hook request failed its proof', { channel: channelId, messenger: messenger.type, reason: verdict.reason });
    throw refused();
  }

  let events: InboundEvent[];
  try {
    events = messenger.parse(request);
  } catch (error) {
    throw new ChatlinesError('invalid', `the ${messenger.type} update could not be read: ${(error as Error).message}`);
  }
  if (channel._state !== 'active') {
    logger.info('a hook request for a channel that is not active was ignored', { channel: channelId, state: channel._state });
    return { status: 200, body: { ok: true } };
  }
  const caller = messengerCaller(channel);
  for (const event of events) {
    if (event.kind === 'message') {
      await receiveInbound(
        caller,
        channelId,
        {
          account: event.account,
          body: bodyOf(event.text, event.attachments),
          externalId: event.externalId,
          displayName: event.displayName,
          extraData: {
            ...(event.username ? { username: event.username } : {}),
            ...(event.displayName ? { displayName: event.displayName } : {}),
          },
        },
        () => [],
      );
    } else if (event.kind === 'status') {
      const ref = await getItem(outboundRefKey(channelId, event.externalId));
      if (ref) await applyStatus(channel, String(ref.messageId), event.status, event.error);
    } else {
      await applyReadUpTo(channel, event.account, event.at);
    }
  }
  return { status: 200, body: { ok: true } };
}

/** The client read everything up to `at`: its latest session's replies sent or delivered by then become `read`. */
async function applyReadUpTo(channel: Channel, account: string, at: string): Promise<void> {
  const clientId = await clientIdByAccount(channel.__id, account);
  const sessionId = clientId ? await latestSessionIdOfClient(clientId) : undefined;
  if (!sessionId) return;
  const page = await queryPage({
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :msg)',
    ExpressionAttributeValues: { ':pk': sessionKey(sessionId).pk, ':msg': MESSAGE_PREFIX },
    ScanIndexForward: false,
    Limit: READ_WINDOW,
  });
  for (const item of page.items) {
    const message = readMessage(item);
    if (message.author === 'client' || message.__createdAt > at) continue;
    if (message._deliveryStatus === 'sent' || message._deliveryStatus === 'delivered') await applyStatus(channel, message.__id, 'read');
  }
}
