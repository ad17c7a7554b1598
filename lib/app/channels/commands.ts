/**
 * Channel commands: `disconnect()` and `reconnect()` (the seed's). The channel's state machine
 * is small enough to read in one table below; inbound messages on a channel that is not
 * `active` are refused by the inbound use case (lib/app/sessions/open.ts).
 */

import type { TransactItem } from '../../adapters/dynamodb/db.ts';
import { getLineCached, updateChannel } from '../../adapters/dynamodb/lines.ts';
import type { Caller } from '../../contract/caller.ts';
import { type LineChannelState, RECONNECTABLE_CHANNEL_TYPES } from '../../contract/enums.ts';
import { conflict, notFound } from '../../contract/errors.ts';
import type { Channel } from '../../contract/schemas.ts';
import { canSeeLine, requireChannelManager } from '../../domain/auth/policy.ts';
import { nowIso } from '../../domain/ids.ts';
import { channelWithSecrets, registerHook, unregisterHook } from './native.ts';

export type ChannelCommand = 'disconnect' | 'reconnect';

/** state × command → next state or the reason it is refused (409). */
export const CHANNEL_TRANSITIONS: Record<ChannelCommand, Record<LineChannelState, LineChannelState | { refused: string }>> = {
  disconnect: {
    active: 'disconnected',
    // A channel in error can be taken offline on purpose, so that it stops being retried.
    error: 'disconnected',
    disconnected: { refused: 'the channel is already disconnected' },
  },
  reconnect: {
    active: { refused: 'the channel is already active' },
    error: 'active',
    disconnected: 'active',
  },
};

/** Disconnects or reconnects a channel; returns it after the change. */
export async function runChannelCommand(caller: Caller, id: string, command: ChannelCommand, extra: (channel: Channel) => TransactItem[]): Promise<Channel> {
  const { channel, secrets: openSecrets } = await channelWithSecrets(id);
  const line = await getLineCached(channel._line);
  if (!canSeeLine(caller, line)) throw notFound('channel', id);
  requireChannelManager(caller, line);
  if (command === 'reconnect' && !RECONNECTABLE_CHANNEL_TYPES.includes(channel._type)) {
    throw conflict(
      `${channel._type} channels cannot be reconnected; only ${RECONNECTABLE_CHANNEL_TYPES.join(', ')} can — connect the account again as a new channel`,
    );
  }
  const next = CHANNEL_TRANSITIONS[command][channel._state];
  if (typeof next === 'object') throw conflict(next.refused);
  const now = nowIso();
  const after: Channel = { ...channel, _state: next, ...(next === 'active' ? { _lastError: null } : {}), __updatedAt: now, __updatedBy: caller.sub };
  // A native channel's webhook: registered again before a reconnect is written (a refusal
  // leaves the channel as it was), removed after a disconnect is.
  const secrets = await openSecrets();
  if (secrets && command === 'reconnect') await registerHook(channel._type, id, secrets);
  await updateChannel(channel, after, extra(after));
  if (secrets && command === 'disconnect') await unregisterHook(channel._type, id, secrets);
  return after;
}
