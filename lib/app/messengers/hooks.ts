/**
 * A messenger's hook request, shared by every messenger (lib/contract/routes/hooks.ts): the
 * channel and its sealed credentials are read (one BatchGetItem), the adapter checks the
 * messenger's proof — and only a request that passes is parsed. A channel that does not exist,
 * is of another type or is not connected natively gets the same 401 as a forged proof, so the
 * hook tells nothing about which channels exist. Then each event in order:
 *
 * - a message → the inbound use case (lib/app/sessions/open.ts): the client by the messenger's
 *   user id (display name and username kept on a new client), deduplicated by the messenger's id;
 *   its attachments fetched from the messenger into storage first (`inboundFiles`);
 * - a status → the reply it names (the ref written when it was sent) moves on by the status rules;
 * - a read watermark → every reply to that client up to then becomes `read`.
 *
 * A channel that is not `active` takes nothing and still answers 200 (a messenger retries
 * anything else for a day).
 */
import { openSecrets } from '../../adapters/dynamodb/credentials.ts';
import { getItem, queryPage } from '../../adapters/dynamodb/db.ts';
import { readMessage } from '../../adapters/dynamodb/items.ts';
import { channelCredentialsKey, channelPendingCredentialsKey, MESSAGE_PREFIX, outboundRefKey, sessionKey } from '../../adapters/dynamodb/keys.ts';
import { clientIdByAccount, getChannelWith } from '../../adapters/dynamodb/lines.ts';
import { findExternalId, latestSessionIdOfClient } from '../../adapters/dynamodb/sessions.ts';
import { filesConfigured } from '../../adapters/files/s3.ts';
import { messengerByHookPath } from '../../adapters/messengers/index.ts';
import type { HookRequest, InboundAttachment, InboundEvent, Messenger } from '../../adapters/messengers/port.ts';
import { logger } from '../../adapters/observability.ts';
import { ChatlinesError } from '../../contract/errors.ts';
import type { Channel } from '../../contract/schemas.ts';
import { MAX_BODY_LENGTH } from '../../contract/schemas.ts';
import { discardInboundFiles, type MessageFile, storeInboundFile } from '../files/files.ts';
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
  const messenger = await messengerByHookPath(hookPath);
  if (!messenger) throw refused();
  let channel: Channel;
  let item: Record<string, unknown> | undefined;
  try {
    ({
      channel,
      items: [item],
    } = await getChannelWith(channelId, [channelCredentialsKey(channelId)]));
  } catch (error) {
    if (error instanceof ChatlinesError && error.kind === 'not-found') return pendingOnly(messenger, channelId, request);
    throw error;
  }
  if (channel._type !== messenger.type) throw refused();
  const secrets = await openSecrets(channelId, item);
  const verdict = secrets && secrets.type === messenger.type ? messenger.verify(request, secrets.credentials, secrets.hookSecret) : undefined;
  if (verdict && 'answer' in verdict)
    return { status: verdict.answer.status, text: verdict.answer.body, headers: { 'content-type': verdict.answer.contentType } };
  if (!verdict?.ok) return pendingOnly(messenger, channelId, request, verdict?.reason);

  let events: InboundEvent[];
  try {
    events = messenger.parse(request, secrets!.credentials);
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
      const { files, missed } = await inboundFiles(messenger, secrets!.credentials, channelId, event, caller.sub);
      let written = false;
      try {
        const result = await receiveInbound(
          caller,
          channelId,
          {
            account: event.account,
            // Stored files are the message's own; only those that could not be fetched are named in its text.
            body: files.length > 0 && missed.length === 0 ? event.text.slice(0, MAX_BODY_LENGTH) : bodyOf(event.text, missed),
            files,
            externalId: event.externalId,
            displayName: event.displayName,
            extraData: {
              ...(event.username ? { username: event.username } : {}),
              ...(event.displayName ? { displayName: event.displayName } : {}),
            },
          },
          () => [],
        );
        written = result.duplicate !== true;
      } finally {
        // Not written (a copy that lost the race to its original, or a failure the messenger will
        // retry): no record names the stored bytes, so they go now.
        if (files.length > 0 && !written) await discard(channelId, files);
      }
    } else if (event.kind === 'status') {
      const ref = await getItem(outboundRefKey(channelId, event.externalId));
      if (ref) await applyStatus(channel, String(ref.messageId), event.status, event.error);
    } else {
      await applyReadUpTo(channel, event.account, event.at);
    }
  }
  return { status: 200, body: { ok: true } };
}

type MessageEvent = Extract<InboundEvent, { kind: 'message' }>;

/**
 * A message's attachments, fetched from the messenger and stored (lib/app/files/files.ts
 * `storeInboundFile`: checked by content; a file that fails is kept `rejected` and never served).
 *
 * - A repeat of a message the channel took already fetches nothing (one read of its guard); two
 *   copies racing past that read both fetch, the loser's bytes are discarded once the message's
 *   own guard turns it away — so a message and its files are written once.
 * - A fetch or store that fails loses the file, never the message: the text arrives with the
 *   file named in it (`[photo.jpg]`) and the failure is logged. Without file storage on the host,
 *   every attachment is named that way.
 */
async function inboundFiles(
  messenger: Messenger<Record<string, string>>,
  credentials: Record<string, string>,
  channelId: string,
  event: MessageEvent,
  by: string,
): Promise<{ files: MessageFile[]; missed: InboundAttachment[] }> {
  const attachments = event.attachments;
  if (attachments.length === 0) return { files: [], missed: [] };
  if (!filesConfigured() || !messenger.fetchAttachment || (await findExternalId(channelId, event.externalId))) return { files: [], missed: [...attachments] };
  const fetchAttachment = messenger.fetchAttachment.bind(messenger);
  const outcomes = await Promise.all(
    attachments.map(async (attachment) => {
      try {
        const got = await fetchAttachment(attachment, credentials);
        const file = await storeInboundFile({
          channel: channelId,
          name: got.name ?? attachment.name ?? `${messenger.hookPath}-file`,
          contentType: got.contentType ?? attachment.contentType,
          bytes: got.bytes,
          by,
        });
        return { attachment, file };
      } catch (error) {
        logger.warn('an attachment of a messenger message could not be fetched: the text arrives without it', {
          channel: channelId,
          messenger: messenger.type,
          message: event.externalId,
          error: error as Error,
        });
        return { attachment, file: undefined };
      }
    }),
  );
  return {
    files: outcomes.flatMap((o) => (o.file ? [o.file] : [])),
    missed: outcomes.flatMap((o) => (o.file ? [] : [o.attachment])),
  };
}

async function discard(channelId: string, files: readonly MessageFile[]): Promise<void> {
  try {
    await discardInboundFiles(files);
  } catch (error) {
    logger.warn('the stored bytes of an unwritten inbound message could not be deleted', { channel: channelId, error: error as Error });
  }
}

/**
 * A request the channel's stored secrets do not verify (or for a channel not written yet). For a
 * messenger that calls the hook while it registers it, verified with the credentials being
 * connected, it is that check: 200 and nothing taken — and anything it carries 503, so that the
 * messenger sends it again once the channel is written. Anything else is the usual 401.
 */
async function pendingOnly(
  messenger: Messenger<Record<string, string>>,
  channelId: string,
  request: HookRequest,
  reason = 'not connected',
): Promise<HookReply> {
  const pending = messenger.callsHookOnConnect ? await openSecrets(channelId, await getItem(channelPendingCredentialsKey(channelId))) : undefined;
  const verdict = pending?.type === messenger.type ? messenger.verify(request, pending.credentials, pending.hookSecret) : undefined;
  if (!verdict || !('ok' in verdict) || !verdict.ok) {
    logger.warn('a hook request failed its proof', { channel: channelId, messenger: messenger.type, reason });
    throw refused();
  }
  if (messenger.parse(request, pending!.credentials).length > 0) throw new ChatlinesError('unavailable', 'the channel is being connected: send it again');
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
