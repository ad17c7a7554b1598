/** Channels: messenger accounts connected to a line, and the endpoint that delivers replies to each. */

import { getItem, type TransactItem, tableName } from '../../adapters/dynamodb/db.ts';
import { channelDeliveryKey, mailAddressKey } from '../../adapters/dynamodb/keys.ts';
import { getChannel, getLineCached, insertChannel, updateChannel } from '../../adapters/dynamodb/lines.ts';
import { checkTargetUrl } from '../../adapters/http/urls.ts';
import type { Caller } from '../../contract/caller.ts';
import { conflict, invalid, isConflict, notFound } from '../../contract/errors.ts';
import type { Channel, CreateChannelBody, UpdateChannelBody } from '../../contract/schemas.ts';
import type * as z from '../../contract/zod.ts';
import { canSeeLine, requireAdmin } from '../../domain/auth/policy.ts';
import { newBaseFields, nowIso } from '../../domain/ids.ts';
import { newSecret } from '../../domain/webhooks/signing.ts';
import { forgetEndpoint } from '../webhooks/deliveries.ts';
import { channelWithSecrets, connectNative, restoreHook } from './native.ts';

/** A channel as answered by the call that set its endpoint: the secret is shown this once. */
export type ChannelWithSecret = Channel & { _deliverySecret?: string };

/** The write that sets (url) or clears (null) a channel's delivery endpoint, and the new secret. */
function deliveryEndpointWrite(channelId: string, url: string | null): { item: TransactItem; secret?: string } {
  if (url === null) return { item: { Delete: { TableName: tableName(), Key: channelDeliveryKey(channelId) } } };
  const secret = newSecret();
  return { item: { Put: { TableName: tableName(), Item: { ...channelDeliveryKey(channelId), entity: 'endpoint', url, secret } } }, secret };
}

/**
 * The endpoint of an inbox channel with an address and no integration endpoint: `mailto:`, which
 * the delivery machine sends as mail (lib/app/mail/outbound.ts) instead of posting. An integration
 * endpoint, when set, takes the channel's replies instead.
 */
function mailEndpointWrite(channelId: string, address: string): TransactItem {
  return { Put: { TableName: tableName(), Item: { ...channelDeliveryKey(channelId), entity: 'endpoint', url: `mailto:${address}`, secret: newSecret() } } };
}

/** Claims a mail address for a channel: fails (409, named by `addressTaken`) when another channel has it. */
function addressClaim(channelId: string, address: string): TransactItem {
  return {
    Put: {
      TableName: tableName(),
      Item: { ...mailAddressKey(address), entity: 'guard', channel: channelId },
      ConditionExpression: 'attribute_not_exists(pk) OR channel = :c',
      ExpressionAttributeValues: { ':c': channelId },
    },
  };
}
function addressRelease(channelId: string, address: string): TransactItem {
  return {
    Delete: { TableName: tableName(), Key: mailAddressKey(address), ConditionExpression: 'channel = :c', ExpressionAttributeValues: { ':c': channelId } },
  };
}
const addressTaken = (address: string) => conflict(`the address ${address} belongs to another channel`);

function requireInboxAddress(type: Channel['_type'], address: string | null | undefined): void {
  if (address && type !== 'inbox') throw invalid('_address', `only inbox channels have a mail address, not ${type}`);
}

/** Is a mail address free for (or already held by) this channel? */
async function addressFree(channelId: string, address: string): Promise<boolean> {
  const guard = await getItem(mailAddressKey(address));
  return !guard || guard.channel === channelId;
}

export async function createChannel(
  caller: Caller,
  body: z.output<typeof CreateChannelBody>,
  extra: (channel: ChannelWithSecret) => TransactItem[],
): Promise<ChannelWithSecret> {
  requireAdmin(caller);
  requireInboxAddress(body._type, body._address);
  if (body._deliveryUrl) await checkTargetUrl(body._deliveryUrl, '_deliveryUrl');
  const now = nowIso();
  const channel: Channel = {
    ...newBaseFields(body.__name, caller.sub, now),
    _line: body._line,
    _type: body._type,
    _state: 'active',
    _deliveryUrl: body._deliveryUrl ?? null,
    ...(body._address ? { _address: body._address } : {}),
  };
  // A native channel registers its hook before anything is written (a refusal leaves nothing):
  // the line must exist first, or the messenger would post to a channel that never comes.
  if (body._credentials !== undefined) await getLineCached(body._line);
  const native = body._credentials !== undefined ? await connectNative(body._type, channel.__id, body._credentials, true) : undefined;
  const endpoint = body._deliveryUrl ? deliveryEndpointWrite(channel.__id, body._deliveryUrl) : undefined;
  const answer: ChannelWithSecret = endpoint?.secret ? { ...channel, _deliverySecret: endpoint.secret } : channel;
  const mail = body._address ? [addressClaim(channel.__id, body._address), ...(endpoint ? [] : [mailEndpointWrite(channel.__id, body._address)])] : [];
  try {
    await insertChannel(channel, [...(endpoint ? [endpoint.item] : []), ...mail, ...(native?.writes ?? []), ...extra(answer)]);
  } catch (error) {
    await native?.undo();
    if (body._address && isConflict(error) && !(await addressFree(channel.__id, body._address))) throw addressTaken(body._address);
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
  // A native channel's endpoint is its messenger: setting a URL asks whether credentials are stored, read with the channel.
  const asksNative = body._deliveryUrl !== undefined && body._credentials === undefined;
  const { channel, native: connectedNatively } = asksNative ? await channelWithSecrets(id) : { channel: await getChannel(id), native: false };
  if (!canSeeLine(caller, await getLineCached(channel._line))) throw notFound('channel', id);
  requireAdmin(caller);
  requireInboxAddress(channel._type, body._address);
  if (body._credentials !== undefined && body._deliveryUrl) throw invalid('_deliveryUrl', 'a natively connected channel delivers by itself: no _deliveryUrl');
  // A native channel's endpoint is its messenger: a URL would silently take its replies away.
  if (asksNative && connectedNatively) {
    throw conflict('this channel is connected natively and delivers by itself: it takes no _deliveryUrl');
  }
  if (body._deliveryUrl) await checkTargetUrl(body._deliveryUrl, '_deliveryUrl');
  const register = channel._state !== 'disconnected';
  const native = body._credentials !== undefined ? await connectNative(channel._type, id, body._credentials, register) : undefined;
  const after: Channel = {
    ...channel,
    ...(body.__name !== undefined ? { __name: body.__name } : {}),
    ...(body._deliveryUrl !== undefined ? { _deliveryUrl: body._deliveryUrl } : {}),
    ...(body._address !== undefined ? { _address: body._address } : {}),
    ...(native ? { _deliveryUrl: null, ...(channel._state === 'error' ? { _state: 'active' as const, _lastError: null } : {}) } : {}),
    __updatedAt: nowIso(),
    __updatedBy: caller.sub,
  };
  const before = channel._address ?? null;
  const address = after._address ?? null;
  const addressChanged = body._address !== undefined && address !== before;
  let endpoint = body._deliveryUrl !== undefined && !native ? deliveryEndpointWrite(id, body._deliveryUrl) : undefined;
  // Without an integration endpoint an inbox channel's replies go out as mail from its address.
  if ((addressChanged || body._deliveryUrl === null) && !after._deliveryUrl && !native) {
    endpoint = address ? { item: mailEndpointWrite(id, address) } : { item: { Delete: { TableName: tableName(), Key: channelDeliveryKey(id) } } };
  }
  const mail = addressChanged ? [...(before ? [addressRelease(id, before)] : []), ...(address ? [addressClaim(id, address)] : [])] : [];
  const answer: ChannelWithSecret = endpoint?.secret ? { ...after, _deliverySecret: endpoint.secret } : after;
  try {
    await updateChannel(channel, after, [...(endpoint ? [endpoint.item] : []), ...mail, ...(native?.writes ?? []), ...extra(answer)]);
  } catch (error) {
    // The hook now carries a secret that was not stored: register the stored one again.
    if (native && register) await restoreHook(channel._type, id);
    if (addressChanged && address && isConflict(error) && !(await addressFree(id, address))) throw addressTaken(address);
    throw error;
  }
  if (endpoint || native) forgetEndpoint({ kind: 'channel', id });
  return answer;
}
