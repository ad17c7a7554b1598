/** Channels: messenger accounts connected to a line, and the endpoint that delivers replies to each. */
import type * as z from 'zod';
import { type TransactItem, tableName } from '../../adapters/dynamodb/db.ts';
import { channelDeliveryKey } from '../../adapters/dynamodb/keys.ts';
import { getChannel, getLineCached, insertChannel, updateChannel } from '../../adapters/dynamodb/lines.ts';
import { checkTargetUrl } from '../../adapters/http/urls.ts';
import type { Caller } from '../../contract/caller.ts';
import { conflict, invalid, notFound } from '../../contract/errors.ts';
import { isNativeChannelType } from '../../contract/messengers.ts';
import type { Channel, CreateChannelBody, UpdateChannelBody } from '../../contract/schemas.ts';
import { canSeeLine, requireAdmin } from '../../domain/auth/policy.ts';
import { newBaseFields, nowIso } from '../../domain/ids.ts';
import { newSecret } from '../../domain/webhooks/signing.ts';
import { forgetEndpoint } from '../webhooks/deliveries.ts';
import { connectNative, restoreHook, secretsOf } from './native.ts';

/** A channel as answered by the call that set its endpoint: the secret is shown this once. */
export type ChannelWithSecret = Channel & { _deliverySecret?: string };

/** The write that sets (url) or clears (null) a channel's delivery endpoint, and the new secret. */
function deliveryEndpointWrite(channelId: string, url: string | null): { item: TransactItem; secret?: string } {
  if (url === null) return { item: { Delete: { TableName: tableName(), Key: channelDeliveryKey(channelId) } } };
  const secret = newSecret();
  return { item: { Put: { TableName: tableName(), Item: { ...channelDeliveryKey(channelId), entity: 'endpoint', url, secret } } }, secret };
}

export async function createChannel(
  caller: Caller,
  body: z.output<typeof CreateChannelBody>,
  extra: (channel: ChannelWithSecret) => TransactItem[],
): Promise<ChannelWithSecret> {
  requireAdmin(caller);
  if (body._deliveryUrl) await checkTargetUrl(body._deliveryUrl, '_deliveryUrl');
  const now = nowIso();
  const channel: Channel = {
    ...newBaseFields(body.__name, caller.sub, now),
    _line: body._line,
    _type: body._type,
    _state: 'active',
    _deliveryUrl: body._deliveryUrl ?? null,
  };
  // A native channel registers its hook before anything is written (a refusal leaves nothing):
  // the line must exist first, or the messenger would post to a channel that never comes.
  if (body._credentials !== undefined) await getLineCached(body._line);
  const native = body._credentials !== undefined ? await connectNative(body._type, channel.__id, body._credentials, true) : undefined;
  const endpoint = body._deliveryUrl ? deliveryEndpointWrite(channel.__id, body._deliveryUrl) : undefined;
  const answer: ChannelWithSecret = endpoint?.secret ? { ...channel, _deliverySecret: endpoint.secret } : channel;
  try {
    await insertChannel(channel, [...(endpoint ? [endpoint.item] : []), ...(native?.writes ?? []), ...extra(answer)]);
  } catch (error) {
    await native?.undo();
    throw error;
  }
  return answer;
}

/**
 * `PATCH /v1/channels/{id}` (admin): rename; set (a new secret, shown once) or clear the delivery
 * endpoint; or replace a native channel's credentials (registered again with a new hook secret
 * while the channel is not disconnected; accepted credentials take a channel out of `error`).
 */
export async function patchChannel(
  caller: Caller,
  id: string,
  body: z.output<typeof UpdateChannelBody>,
  extra: (channel: ChannelWithSecret) => TransactItem[],
): Promise<ChannelWithSecret> {
  const channel = await getChannel(id);
  if (!canSeeLine(caller, await getLineCached(channel._line))) throw notFound('channel', id);
  requireAdmin(caller);
  if (body._credentials !== undefined && body._deliveryUrl) throw invalid('_deliveryUrl', 'a natively connected channel delivers by itself: no _deliveryUrl');
  // A native channel's endpoint is its messenger: a URL would silently take its replies away.
  if (body._deliveryUrl !== undefined && body._credentials === undefined && isNativeChannelType(channel._type) && (await secretsOf(id))) {
    throw conflict('this channel is connected natively and delivers by itself: it takes no _deliveryUrl');
  }
  if (body._deliveryUrl) await checkTargetUrl(body._deliveryUrl, '_deliveryUrl');
  const register = channel._state !== 'disconnected';
  const native = body._credentials !== undefined ? await connectNative(channel._type, id, body._credentials, register) : undefined;
  const after: Channel = {
    ...channel,
    ...(body.__name !== undefined ? { __name: body.__name } : {}),
    ...(body._deliveryUrl !== undefined ? { _deliveryUrl: body._deliveryUrl } : {}),
    ...(native ? { _deliveryUrl: null, ...(channel._state === 'error' ? { _state: 'active' as const, _lastError: null } : {}) } : {}),
    __updatedAt: nowIso(),
    __updatedBy: caller.sub,
  };
  const endpoint = body._deliveryUrl !== undefined && !native ? deliveryEndpointWrite(id, body._deliveryUrl) : undefined;
  const answer: ChannelWithSecret = endpoint?.secret ? { ...after, _deliverySecret: endpoint.secret } : after;
  try {
    await updateChannel(channel, after, [...(endpoint ? [endpoint.item] : []), ...(native?.writes ?? []), ...extra(answer)]);
  } catch (error) {
    // The hook now carries a secret that was not stored: register the stored one again.
    if (native && register) await restoreHook(channel._type, id);
    throw error;
  }
  if (endpoint || native) forgetEndpoint({ kind: 'channel', id });
  return answer;
}
