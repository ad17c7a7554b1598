/**
 * A natively connected channel's credentials and hook secret (pattern 36 of keys.ts): one item
 * beside the channel holding only ciphertext (lib/adapters/sealing.ts), bound to the channel id.
 * No index key, no plaintext attribute: nothing of it reaches a search, the stream's events or a
 * log (the stream maps no `credentials` entity).
 */
import { type Sealed, seal, unseal } from '../sealing.ts';
import type { Item, TransactItem } from './db.ts';
import { tableName } from './db.ts';
import { channelCredentialsKey } from './keys.ts';

export interface ChannelSecrets {
  /** The channel type they were stored for. */
  readonly type: string;
  readonly credentials: Record<string, string>;
  /** The secret chatlines generated for the channel's hook (Telegram's `secret_token`). */
  readonly hookSecret: string;
}

/** The Put of a channel's sealed secrets (replacing any before). */
export async function secretsWrite(channelId: string, secrets: ChannelSecrets): Promise<TransactItem> {
  const sealed = await seal(JSON.stringify({ credentials: secrets.credentials, hookSecret: secrets.hookSecret }), channelId);
  return { Put: { TableName: tableName(), Item: { ...channelCredentialsKey(channelId), entity: 'credentials', type: secrets.type, sealed } } };
}

/** The secrets of a credentials item read with something else (undefined: none stored). */
export async function openSecrets(channelId: string, item: Item | undefined): Promise<ChannelSecrets | undefined> {
  if (!item || typeof item.sealed !== 'object' || item.sealed === null) return undefined;
  const opened = JSON.parse(await unseal(item.sealed as Sealed, channelId)) as { credentials: Record<string, string>; hookSecret: string };
  return { type: String(item.type), credentials: opened.credentials, hookSecret: opened.hookSecret };
}
