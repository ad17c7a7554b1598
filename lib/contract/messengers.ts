/**
 * The credentials each native messenger channel is connected with (`_credentials` on
 * `POST /v1/channels` and `PATCH /v1/channels/{id}`), one schema per channel type. Write-only:
 * stored encrypted beside the channel (lib/app/messengers/credentials.ts) and never answered,
 * logged, sent in an event or searchable. A messenger adapter (lib/adapters/messengers/*.ts)
 * takes its type's output.
 */

import type { LineChannelType } from './enums.ts';
import * as z from './zod.ts';

const Secret = z.string().check(z.trim(), z.minLength(1), z.maxLength(1024));

/** @BotFather's token: `<bot id>:<secret>`. */
export const TelegramCredentials = z.strictObject({
  botToken: z.string().check(z.trim(), z.regex(/^[0-9]{1,20}:[A-Za-z0-9_-]{20,100}$/, { error: 'not a bot token from @BotFather (<digits>:<secret>)' })),
});
export type TelegramCredentials = z.output<typeof TelegramCredentials>;

/** WhatsApp Cloud API: the business phone number's id, a system user's access token, the app secret (signatures), the verify token (handshake). */
export const WhatsappCredentials = z.strictObject({
  phoneNumberId: z.string().check(z.trim(), z.regex(/^[0-9]{1,32}$/, { error: 'the phone number id (digits) from the WhatsApp Manager' })),
  accessToken: Secret,
  appSecret: Secret,
  verifyToken: Secret,
});
export type WhatsappCredentials = z.output<typeof WhatsappCredentials>;

/** Viber bot: the authentication token from the Viber Admin Panel; the name shown on replies (Viber's limit: 28), by default the bot's own. */
export const ViberCredentials = z.strictObject({ authToken: Secret, senderName: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(28))) });
export type ViberCredentials = z.output<typeof ViberCredentials>;

/** Instagram messaging: the professional account's id, its access token, the app secret, the verify token. */
export const InstagramCredentials = z.strictObject({
  accountId: z.string().check(z.trim(), z.regex(/^[0-9]{1,32}$/, { error: "the Instagram account's id (digits)" })),
  accessToken: Secret,
  appSecret: Secret,
  verifyToken: Secret,
});
export type InstagramCredentials = z.output<typeof InstagramCredentials>;

/**
 * The channel types connected natively, and the credentials each takes: one line per messenger
 * (its adapter is registered in lib/adapters/messengers/index.ts).
 */
export const CREDENTIALS_BY_TYPE = {
  telegramBot: TelegramCredentials,
  whatsapp: WhatsappCredentials,
  viberbot: ViberCredentials,
  instagram: InstagramCredentials,
} as const satisfies Partial<Record<LineChannelType, z.ZodMiniType>>;

export type NativeChannelType = keyof typeof CREDENTIALS_BY_TYPE;
export type CredentialsOf<T extends NativeChannelType> = z.output<(typeof CREDENTIALS_BY_TYPE)[T]>;

/** Whether channels of this type are connected natively (credentials, hooks, sends by chatlines). */
export const isNativeChannelType = (type: string): type is NativeChannelType => Object.hasOwn(CREDENTIALS_BY_TYPE, type);

/**
 * `_credentials` as the request body takes it: string fields, checked against the channel's type
 * (the body's `_type`, or the channel's on PATCH) by {@link credentialIssues}.
 */
export const CredentialsInput = z.record(z.string().check(z.maxLength(64)), z.string().check(z.maxLength(4096))).check(
  z.meta({
    description:
      'Write-only credentials of a natively connected messenger, by `_type`: telegramBot `{ botToken }`; whatsapp `{ phoneNumberId, accessToken, appSecret, verifyToken }`; viberbot `{ authToken, senderName? }`; instagram `{ accountId, accessToken, appSecret, verifyToken }`. Stored encrypted, never answered.',
  }),
);

/** What is wrong with `_credentials` for a channel type (zod issues, paths under `_credentials`); empty when fine. */
export function credentialIssues(type: string, credentials: unknown): { path: (string | number)[]; message: string }[] {
  if (!isNativeChannelType(type)) return [{ path: ['_credentials'], message: `${type} channels take no credentials` }];
  const parsed = CREDENTIALS_BY_TYPE[type].safeParse(credentials);
  if (parsed.success) return [];
  return parsed.error.issues.map((issue) => ({
    path: ['_credentials', ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
    message: issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : issue.message,
  }));
}
