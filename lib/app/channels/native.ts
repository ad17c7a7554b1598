/**
 * Connecting a natively connected messenger channel: its credentials (checked against its type),
 * a generated hook secret, the webhook registered with the messenger where it has an API for it
 * (Telegram `setWebhook`), and the writes that go with the channel's own: the sealed secrets and
 * a native delivery endpoint (replies then go out through the messenger's API, lib/app/messengers/outbound.ts).
 * A registration the messenger refuses is a 400 naming `_credentials` (a bad token) or a 502 (the
 * messenger failed or could not be reached) — and nothing is written.
 */
import { randomBytes } from 'node:crypto';
import { type ChannelSecrets, openSecrets, pendingSecretsItem, secretsWrite } from '../../adapters/dynamodb/credentials.ts';
import { getItem, putItem, type TransactItem, tableName } from '../../adapters/dynamodb/db.ts';
import { channelCredentialsKey, channelDeliveryKey } from '../../adapters/dynamodb/keys.ts';
import { getChannelFreshWith } from '../../adapters/dynamodb/lines.ts';
import { loadMessenger } from '../../adapters/messengers/index.ts';
import { type Messenger, MessengerCallError } from '../../adapters/messengers/port.ts';
import { logger } from '../../adapters/observability.ts';
import type { LineChannelType } from '../../contract/enums.ts';
import { ChatlinesError, conflict, upstream } from '../../contract/errors.ts';
import { CREDENTIALS_BY_TYPE, credentialIssues, isNativeChannelType } from '../../contract/messengers.ts';
import type { Channel } from '../../contract/schemas.ts';

/**
 * Where the messengers reach this deployment: `PUBLIC_URL` (in AWS the HTTP API's URL, set by the
 * stack; on the local host its own URL unless set).
 */
export function publicUrl(): string {
  const url = process.env.PUBLIC_URL;
  if (!url) throw conflict('PUBLIC_URL is not set: this deployment cannot register messenger webhooks');
  return url.replace(/\/+$/, '');
}

/** The hook URL of a channel: `${PUBLIC_URL}/v1/hooks/<messenger>/<channel id>`. */
export const hookUrlOf = (messenger: Messenger<unknown>, channelId: string) => `${publicUrl()}/v1/hooks/${messenger.hookPath}/${channelId}`;

/** A fresh hook secret: 43 characters of `A-Za-z0-9_-` (what Telegram's `secret_token` allows). */
export const newHookSecret = () => randomBytes(32).toString('base64url');

/** The adapter of a natively connected type; 409 while none is registered for it. */
export async function requireMessenger(type: LineChannelType): Promise<Messenger<Record<string, string>>> {
  const messenger = await loadMessenger(type);
  if (!messenger) throw conflict(`${type} channels cannot be connected natively by this deployment yet`);
  return messenger;
}

/** `_credentials` checked against a channel type and parsed (trimmed); 400 naming the bad fields. */
export function checkCredentials(type: LineChannelType, credentials: unknown): Record<string, string> {
  const issues = credentialIssues(type, credentials);
  if (issues.length > 0) {
    const errors = issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    throw new ChatlinesError('invalid', `invalid _credentials: ${errors.map((e) => `${e.path} (${e.message})`).join('; ')}`, errors);
  }
  if (!isNativeChannelType(type)) throw conflict(`${type} channels take no credentials`);
  return CREDENTIALS_BY_TYPE[type].parse(credentials) as Record<string, string>;
}

/** A messenger's refusal as the caller's problem: a refused credential is 400, anything else 502. */
function asProblem(type: LineChannelType, error: unknown): Error {
  if (error instanceof MessengerCallError) {
    if (error.credentialsRefused) {
      return new ChatlinesError('invalid', `the messenger refused the credentials: ${error.message}`, [
        { path: '_credentials', message: `refused by ${type} (${error.status ?? 'no answer'})` },
      ]);
    }
    return upstream(`${type}: ${error.message}`);
  }
  return error as Error;
}

/** How long credentials being connected stay where the hook finds them (the messenger checks the hook within its own call). */
const PENDING_SECONDS = 600;

/** Registers the channel's webhook with its messenger (where the adapter can); the messenger's refusal as a problem. */
export async function registerHook(type: LineChannelType, channelId: string, secrets: ChannelSecrets): Promise<void> {
  const messenger = await requireMessenger(type);
  if (!messenger.connect) return;
  try {
    if (messenger.callsHookOnConnect) {
      // Refused credentials are refused before anything is written.
      await messenger.checkCredentials?.(secrets.credentials);
      await putItem(await pendingSecretsItem(channelId, secrets, Math.floor(Date.now() / 1000) + PENDING_SECONDS));
    }
    await messenger.connect(hookUrlOf(messenger, channelId), secrets.credentials, secrets.hookSecret);
  } catch (error) {
    throw asProblem(type, error);
  }
}

/** Removes the channel's webhook (where the adapter can); a failure is logged, never in the way of going offline. */
export async function unregisterHook(type: LineChannelType, channelId: string, secrets: ChannelSecrets): Promise<void> {
  const messenger = await loadMessenger(type);
  if (!messenger?.disconnect) return;
  try {
    await messenger.disconnect(secrets.credentials);
  } catch (error) {
    logger.warn('the messenger did not remove the webhook', { channel: channelId, type, reason: (error as Error).message });
  }
}

/** The writes of a connected channel: its sealed secrets and its native delivery endpoint. */
export async function nativeWrites(type: LineChannelType, channelId: string, secrets: ChannelSecrets): Promise<TransactItem[]> {
  return [
    await secretsWrite(channelId, secrets),
    { Put: { TableName: tableName(), Item: { ...channelDeliveryKey(channelId), entity: 'endpoint', native: type } } },
  ];
}

/** A channel's stored secrets (undefined: it is not connected natively). */
/**
 * A channel and its credentials item, read together in one round trip (a command on the channel
 * reads both). `secrets()` opens them (a KMS call in AWS) only when asked; `native` says whether
 * any are stored.
 */
export async function channelWithSecrets(id: string): Promise<{ channel: Channel; native: boolean; secrets(): Promise<ChannelSecrets | undefined> }> {
  const {
    channel,
    items: [credentials],
  } = await getChannelFreshWith(id, [channelCredentialsKey(id)]);
  const native = isNativeChannelType(channel._type) && typeof credentials?.sealed === 'object' && credentials.sealed !== null;
  return { channel, native, secrets: () => (native ? openSecrets(id, credentials) : Promise.resolve(undefined)) };
}

export async function secretsOf(channelId: string): Promise<ChannelSecrets | undefined> {
  return openSecrets(channelId, await getItem(channelCredentialsKey(channelId)));
}

/**
 * Connects: checks the credentials, registers the hook with a new secret, and answers the
 * writes that must go with the channel's (a failure after registering removes the hook again).
 */
export async function connectNative(
  type: LineChannelType,
  channelId: string,
  credentials: unknown,
  register: boolean,
): Promise<{ writes: TransactItem[]; undo(): Promise<void> }> {
  const parsed = checkCredentials(type, credentials);
  await requireMessenger(type);
  const secrets: ChannelSecrets = { type, credentials: parsed, hookSecret: newHookSecret() };
  if (register) await registerHook(type, channelId, secrets);
  return {
    writes: await nativeWrites(type, channelId, secrets),
    undo: () => (register ? unregisterHook(type, channelId, secrets) : Promise.resolve()),
  };
}

/** Registers the stored secrets again (after a change that registered others failed to be written); best effort. */
export async function restoreHook(type: LineChannelType, channelId: string): Promise<void> {
  try {
    const stored = await secretsOf(channelId);
    if (stored) await registerHook(type, channelId, stored);
  } catch (error) {
    logger.warn('the stored webhook could not be registered again', { channel: channelId, type, reason: (error as Error).message });
  }
}
