/** Channels: messenger accounts connected to a line. */
import type * as z from 'zod';
import type { Caller } from '../auth/caller.ts';
import { requireAdmin } from '../auth/policy.ts';
import { newBaseFields, nowIso } from '../ids.ts';
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
    ...newBaseFields(body.__name, caller.sub, now),
    _line: body._line,
    _type: body._type,
    _state: 'active',
  };
  await insertChannel(channel, extra(channel));
  return channel;
}
