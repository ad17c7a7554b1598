/**
 * Replies out to natively connected messengers: the delivery machine (lib/app/webhooks/deliveries.ts)
 * attempts a native channel's delivery through this sender instead of a signed POST, with its
 * retries (the messenger's `retry_after` when it gives one) and its record of each attempt.
 *
 * - Files: each ready file of the reply goes to the adapter as an `OutboundFile` (`filesOf`: a
 *   pre-signed URL valid an hour and the bytes on demand); the adapter picks the messenger's media
 *   call and whether it sends by URL or by upload.
 * - Several parts (a long text, a text and its files: one messenger call each): a part that failed
 *   is retried from there, the parts before it are not sent again (the delivery keeps the
 *   adapter's `SendProgress` between attempts).
 * - Accepted: the messenger's id of the reply is recorded (a ref item keyed by channel + that id,
 *   which status callbacks name) and the reply becomes `sent`.
 * - Refused for good (blocked by the user, a bad chat) or retries spent: the reply becomes `failed`
 *   with the messenger's reason.
 * - Credentials refused (401): the reply fails and the channel goes to `error` with `_lastError`.
 *
 * Status changes go through the same rules as the integrations' reports
 * (lib/app/channels/delivery-status.ts). Only the delivery path calls a messenger's send.
 */
import { openSecrets } from '../../adapters/dynamodb/credentials.ts';
import { putItem } from '../../adapters/dynamodb/db.ts';
import { channelCredentialsKey, outboundRefKey } from '../../adapters/dynamodb/keys.ts';
import { getChannel, getChannelWith, updateChannel } from '../../adapters/dynamodb/lines.ts';
import { loadMessenger } from '../../adapters/messengers/index.ts';
import { logger } from '../../adapters/observability.ts';
import type { Caller } from '../../contract/caller.ts';
import { ChatlinesError } from '../../contract/errors.ts';
import type { ChatlinesEvent } from '../../contract/events.ts';
import type { Channel, Message } from '../../contract/schemas.ts';
import { nowIso } from '../../domain/ids.ts';
import { reportMessageStatus } from '../channels/delivery-status.ts';
import { DELIVERY_LINK_SECONDS, filesOf } from '../files/files.ts';
import type { AttemptOutcome, NativeSender } from '../webhooks/deliveries.ts';

/** Who changes a reply's status on a messenger's word: the channel's own integration. */
export const messengerCaller = (channel: Pick<Channel, '__id' | '_type'>): Caller => ({
  sub: `messenger:${channel._type}`,
  roles: ['integration'],
  groups: [],
  channels: [channel.__id],
});

/** Applies a status to a reply; a report the rules refuse or a reply gone is logged, not thrown. */
export async function applyStatus(channel: Channel, messageId: string, status: 'sent' | 'delivered' | 'read' | 'failed', error?: string): Promise<void> {
  try {
    await reportMessageStatus(messengerCaller(channel), channel.__id, messageId, { status, ...(error ? { error } : {}) }, () => []);
  } catch (e) {
    if (!(e instanceof ChatlinesError) || (e.kind !== 'conflict' && e.kind !== 'not-found')) throw e;
    logger.info('a messenger status changed nothing', { channel: channel.__id, message: messageId, status, reason: e.message });
  }
}

/** The channel goes to `error` with the reason (only from `active`; a lost race leaves it to the winner). */
async function markChannelError(channelId: string, reason: string): Promise<void> {
  const channel = await getChannel(channelId);
  if (channel._state !== 'active') return;
  try {
    await updateChannel(channel, { ...channel, _state: 'error', _lastError: reason, __updatedAt: nowIso(), __updatedBy: messengerCaller(channel).sub });
  } catch (error) {
    if (!(error instanceof ChatlinesError) || error.kind !== 'conflict') throw error;
  }
}

const replyOf = (event: ChatlinesEvent) => ({ message: event.data.message as Message | undefined, account: event.data.to as string | undefined });

export const messengerSender: NativeSender = {
  async send(channelId, event, progress): Promise<AttemptOutcome> {
    const { message, account } = replyOf(event);
    if (!message || !account) return { ok: false, code: null, error: 'the reply names no client account', final: true };
    const {
      channel,
      items: [item],
    } = await getChannelWith(channelId, [channelCredentialsKey(channelId)]);
    const secrets = await openSecrets(channelId, item);
    const messenger = await loadMessenger(channel._type);
    if (!secrets || !messenger) return { ok: false, code: null, error: 'the channel is not connected to its messenger', final: true };
    if (channel._state !== 'active') return { ok: false, code: null, error: `the channel is ${channel._state}`, final: true };
    // Signed at each attempt, valid an hour: a messenger that takes a URL (WhatsApp, Viber, Instagram) may fetch it a while later.
    const files = await filesOf(message, DELIVERY_LINK_SECONDS);
    // A reply of several parts resumes after those an earlier attempt sent (the delivery keeps them).
    const result = await messenger.send({ messageId: message.__id, account, text: message.body, files, progress }, secrets.credentials);
    if (result.ok) {
      // Sent is sent: a failure to record it must not make the delivery send it again.
      try {
        await putItem({ ...outboundRefKey(channelId, result.externalId), entity: 'ref', messageId: message.__id, session: message.session });
        await applyStatus(channel, message.__id, 'sent');
      } catch (error) {
        logger.error('a reply was sent but its messenger id or status could not be recorded', {
          channel: channelId,
          message: message.__id,
          error: error as Error,
        });
      }
      return { ok: true, code: 200, error: null };
    }
    if (result.credentialsRefused) await markChannelError(channelId, `${channel._type} refused the credentials: ${result.error}`);
    return { ok: false, code: null, error: result.error, retryAfterMs: result.retryAfterMs, final: !result.retry, progress: result.progress };
  },

  async gaveUp(channelId, event, error) {
    const { message } = replyOf(event);
    if (!message) return;
    await applyStatus(await getChannel(channelId), message.__id, 'failed', error.slice(0, 1024));
  },
};
