/**
 * Model objects ↔ table items. Writing adds the keys from keys.ts and an `entity` tag;
 * reading strips them and validates with the model's zod schema, so a malformed item is
 * caught where it is read, not three calls later.
 */

import {
  type Channel,
  ChannelSchema,
  type Client,
  ClientSchema,
  type Line,
  LineSchema,
  type Message,
  MessageSchema,
  type Operator,
  OperatorSchema,
} from '../../contract/schemas.ts';
import type * as z from '../../contract/zod.ts';
import type { Item } from './db.ts';
import { channelIndexKeys, channelKey, clientIndexKeys, clientKey, lineIndexKeys, lineKey, messageSortKey, sessionKey } from './keys.ts';
import { keyAttributeNames } from './table.ts';

export type Entity = 'line' | 'channel' | 'client' | 'session' | 'message' | 'operator' | 'template';

const KEY_ATTRIBUTES = new Set([...keyAttributeNames(), 'entity', 'expiresAt']);

function stripKeys(item: Item): Item {
  const out: Item = {};
  for (const [k, v] of Object.entries(item)) if (!KEY_ATTRIBUTES.has(k)) out[k] = v;
  return out;
}

/** An item as the model: keys stripped, validated by the model's schema. */
export function read<S extends z.ZodMiniType>(schema: S, item: Item, entity: Entity): z.output<S> {
  const parsed = schema.safeParse(stripKeys(item));
  if (!parsed.success) throw new Error(`stored ${entity} ${String(item.pk)} is malformed: ${parsed.error.message}`);
  return parsed.data;
}

export const lineItem = (line: Line): Item => ({ ...lineKey(line.__id), ...lineIndexKeys(line), entity: 'line', ...line });
export const channelItem = (channel: Channel): Item => ({
  ...channelKey(channel.__id),
  ...channelIndexKeys(channel),
  entity: 'channel',
  ...channel,
});
export const clientItem = (client: Client): Item => ({
  ...clientKey(client.__id),
  ...clientIndexKeys(client),
  entity: 'client',
  ...client,
});
export const messageItem = (message: Message): Item => ({
  pk: sessionKey(message.session).pk,
  sk: messageSortKey(message.__id),
  entity: 'message',
  ...message,
});

export const readLine = (item: Item): Line => read(LineSchema, item, 'line');
export const readChannel = (item: Item): Channel => read(ChannelSchema, item, 'channel');
export const readClient = (item: Item): Client => read(ClientSchema, item, 'client');
export const readMessage = (item: Item): Message => read(MessageSchema, item, 'message');
export const readOperator = (item: Item): Operator => read(OperatorSchema, item, 'operator');
