/** Channels: messenger accounts connected to a line, and the endpoint that delivers replies to each. */
import type * as z from 'zod';
import { type TransactItem, tableName } from '../../adapters/dynamodb/db.ts';
import { channelDeliveryKey } from '../../adapters/dynamodb/keys.ts';
import { getChannel, getLineCached, insertChannel, updateChannel } from '../../adapters/dynamodb/lines.ts';
import { checkTargetUrl } from '../../adapters/http/urls.ts';
import type { Caller } from '../../contract/caller.ts';
import { notFound } from '../../contract/errors.ts';
import type { Channel, CreateChannelBody, UpdateChannelBody } from '../../contract/schemas.ts';
import { canSeeLine, requireAdmin } from '../../domain/auth/policy.ts';
import { newBaseFields, nowIso } from '../../domain/ids.ts';
import { newSecret } from '../../domain/webhooks/signing.ts';
import { forgetEndpoint } from '../webhooks/deliveries.ts';

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
  const endpoint = body._deliveryUrl ? deliveryEndpointWrite(channel.__id, body._deliveryUrl) : undefined;
  const answer: ChannelWithSecret = endpoint?.secret ? { ...channel, _deliverySecret: endpoint.secret } : channel;
  await insertChannel(channel, [...(endpoint ? [endpoint.item] : []), ...extra(answer)]);
  return answer;
}

/** `PATCH /v1/channels/{id}` (admin): rename; set (a new secret, shown once) or clear the delivery endpoint. */
export async function patchChannel(
  caller: Caller,
  id: string,
  body: z.output<typeof UpdateChannelBody>,
  extra: (channel: ChannelWithSecret) => TransactItem[],
): Promise<ChannelWithSecret> {
  const channel = await getChannel(id);
  if (!canSeeLine(caller, await getLineCached(channel._line))) throw notFound('channel', id);
  requireAdmin(caller);
  if (body._deliveryUrl) await checkTargetUrl(body._deliveryUrl, '_deliveryUrl');
  const after: Channel = {
    ...channel,
    ...(body.__name !== undefined ? { __name: body.__name } : {}),
    ...(body._deliveryUrl !== undefined ? { _deliveryUrl: body._deliveryUrl } : {}),
    __updatedAt: nowIso(),
    __updatedBy: caller.sub,
  };
  const endpoint = body._deliveryUrl !== undefined ? deliveryEndpointWrite(id, body._deliveryUrl) : undefined;
  const answer: ChannelWithSecret = endpoint?.secret ? { ...after, _deliverySecret: endpoint.secret } : after;
  await updateChannel(channel, after, [...(endpoint ? [endpoint.item] : []), ...extra(answer)]);
  if (endpoint) forgetEndpoint({ kind: 'channel', id });
  return answer;
}
