/** Channels: messenger accounts connected to a line. */
import type * as z from 'zod';
import type { Caller } from '../auth/caller.ts';
import { requireAdmin } from '../auth/policy.ts';
import { newId, nowIso } from '../ids.ts';
import type { Channel, CreateChannelBody } from '../model/schemas.ts';
import type { TransactItem } from '../store/db.ts';
import { insertChannel } from '../store/repository.ts';

export async function createChannel(
  caller: Caller,
  body: z.output<typeof CreateChannelBody>,
  extra: (channel: Channel) => TransactItem[],
): Promise<Channel> {
  requireAdmin(caller);
  const now = nowIso();
  const channel: Channel = {
    __id: newId(),
    __name: body.__name,
    __createdAt: now,
    __createdBy: caller.sub,
    __updatedAt: now,
    __updatedBy: caller.sub,
    __deletedAt: null,
    _line: body._line,
    _type: body._type,
    _state: 'active',
  };
  await insertChannel(channel, extra(channel));
  return channel;
}
