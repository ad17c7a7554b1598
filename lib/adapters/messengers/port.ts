/**
 * The messenger port: one adapter per messenger (telegram.ts, whatsapp.ts, viber.ts,
 * instagram.ts, email.ts beside this file), each only the messenger's dialect. What is shared —
 * the hook routes, credentials storage, deduplication by the messenger's own id, the session
 * rules, the delivery queue, retries and status handling — lives in lib/app and never here.
 *
 * An adapter:
 * - verifies the messenger's own proof on a hook request before anything in it is read;
 * - parses a verified request into inbound events (messages, status reports);
 * - sends a reply (text, files) with the messenger's API and says what came of it;
 * - registers and removes its webhook where the messenger has an API for that.
 *
 * Base URLs come from the environment with the real service as default (TELEGRAM_API_URL,
 * WHATSAPP_API_URL, INSTAGRAM_API_URL, VIBER_API_URL), so tests run against local fakes.
 */
import type { LineChannelType } from '../../contract/enums.ts';

/** A hook request as the messenger sent it. Signatures are over `rawBody`, byte for byte. */
export interface HookRequest {
  readonly method: 'GET' | 'POST';
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly query: Readonly<Record<string, string | undefined>>;
  readonly rawBody: string;
}

/** What a hook answers when the adapter answers itself (Meta's `hub.challenge` handshake). */
export interface HookAnswer {
  readonly status: number;
  readonly body: string;
  readonly contentType: string;
}

/** The outcome of checking a hook request's proof. */
export type Verdict = { readonly ok: true } | { readonly ok: false; readonly reason: string } | { readonly answer: HookAnswer };

/** A file a client sent, as the messenger refers to it; fetched into storage by the shared code. */
export interface InboundAttachment {
  /** The messenger's reference: a Telegram file_id, a Meta media id, a Viber or e-mail URL. */
  readonly ref: string;
  readonly name?: string | undefined;
  readonly contentType?: string | undefined;
  readonly size?: number | undefined;
}

/** What a verified hook request says. */
export type InboundEvent =
  | {
      readonly kind: 'message';
      /** The messenger's own id of the message (update_id/message_id, wamid, message_token, mid): the dedup key. */
      readonly externalId: string;
      /** The client's account in the messenger (chat id, phone number, Viber user id, IGSID). */
      readonly account: string;
      readonly displayName?: string | undefined;
      readonly username?: string | undefined;
      readonly text: string;
      readonly attachments: readonly InboundAttachment[];
      readonly at?: string | undefined;
    }
  | {
      /** What became of one of our replies, named by the id the messenger gave it when it was sent. */
      readonly kind: 'status';
      readonly externalId: string;
      readonly status: 'delivered' | 'read' | 'failed';
      readonly error?: string | undefined;
      readonly at?: string | undefined;
    }
  | {
      /** The client read everything sent to it up to a moment (Instagram's and Viber's read watermarks). */
      readonly kind: 'readUpTo';
      readonly account: string;
      readonly at: string;
    };

/** A file of a reply, for the messenger's media call. */
export interface OutboundFile {
  readonly name: string;
  readonly contentType: string;
  readonly size: number;
  /** A short-lived URL the messenger (or our own code) can download the bytes from. */
  readonly url: string;
  /** The bytes, for messengers that take an upload rather than a URL. */
  readonly bytes?: () => Promise<Uint8Array>;
}

/** Where a reply belongs, for messengers that thread by headers (e-mail). */
export interface OutboundThread {
  /** The subject line (`Re: <session name>`). */
  readonly subject: string;
  /** The Message-ID of the client's mail this answers (no angle brackets). */
  readonly inReplyTo?: string | undefined;
  /** The thread's Message-IDs, oldest first (no angle brackets). */
  readonly references?: readonly string[] | undefined;
  /** An automatic answer (the bot's): marked so, so auto-responders do not answer it. */
  readonly automatic?: boolean | undefined;
}

/**
 * How far a reply of several parts got (a text too long for one message, a text and its files:
 * one messenger call each): the parts that went out, in the adapter's order, and the messenger's
 * id that names the reply so far. The parts of one reply are the same at every attempt (its text
 * and its files do not change), so an attempt that resumes skips what went out before.
 */
export interface SendProgress {
  readonly parts: number;
  readonly externalId?: string | undefined;
}

/** A reply to send to a client. */
export interface OutboundReply {
  /** Our message id (idempotency keys, logs). */
  readonly messageId: string;
  readonly account: string;
  readonly text: string;
  readonly files: readonly OutboundFile[];
  readonly thread?: OutboundThread | undefined;
  /** What an earlier attempt sent: those parts are not sent again. */
  readonly progress?: SendProgress | undefined;
}

/** A send that did not get through. */
export interface SendFailure {
  readonly ok: false;
  readonly error: string;
  /** Worth another attempt (429, 5xx, network); `retryAfterMs` when the messenger said so. */
  readonly retry: boolean;
  readonly retryAfterMs?: number | undefined;
  /** The messenger refused the credentials (401, invalid token): the channel goes to `error`. */
  readonly credentialsRefused?: boolean | undefined;
  /** The parts that went out before the failure (this attempt's and earlier ones'): a retry starts after them. */
  readonly progress?: SendProgress | undefined;
}

/** What came of a send. */
export type SendResult = { readonly ok: true; readonly externalId: string } | SendFailure;

/** What one part's call came to: the messenger's id of it, or a failure (`wentOut`: it was sent all the same, e.g. answered without an id). */
export type PartSent = { readonly ok: true; readonly id: string } | (SendFailure & { readonly wentOut?: true });

/** A failure at part `index`: the parts before it went out, `externalId` names the reply so far. */
const failedAtPart = (failure: SendFailure, index: number, externalId: string | undefined): SendFailure =>
  index > 0 ? { ...failure, progress: { parts: index, ...(externalId ? { externalId } : {}) } } : failure;

/**
 * Sends the parts of a reply that earlier attempts did not (`reply.progress`), one call each, in
 * order; a failure says how far the reply got. `names`: which part's id names the reply — the
 * first (Telegram) or the last (the messengers whose statuses follow the latest message).
 */
export async function sendInParts<T>(
  parts: readonly T[],
  reply: OutboundReply,
  names: 'first' | 'last',
  sendPart: (part: T) => Promise<PartSent>,
): Promise<SendResult> {
  let externalId = reply.progress?.externalId;
  for (const [index, part] of [...parts.entries()].slice(reply.progress?.parts ?? 0)) {
    const sent = await sendPart(part);
    if (!sent.ok) {
      const { wentOut, ...failure } = sent;
      return failedAtPart(failure, wentOut ? index + 1 : index, externalId);
    }
    externalId = names === 'first' ? (externalId ?? sent.id) : sent.id;
  }
  // Every part went out on earlier attempts, none named by the messenger: nothing to record it by.
  if (!externalId) return { ok: false, error: 'the reply went out, but the messenger named none of its parts', retry: false };
  return { ok: true, externalId };
}

/**
 * A messenger's API refused or failed a call that is not a send (registering or removing the
 * webhook, a file download). Never carries a credential: adapters build the message themselves.
 */
export class MessengerCallError extends Error {
  constructor(
    message: string,
    /** The messenger's HTTP status; undefined when it could not be reached. */
    readonly status: number | undefined,
    /** The messenger refused the credentials (401, invalid token). */
    readonly credentialsRefused = false,
  ) {
    super(message);
    this.name = 'MessengerCallError';
  }
}

/** One messenger's dialect. `C` is its credentials (lib/contract/messengers.ts, validated before an adapter sees them). */
export interface Messenger<C> {
  readonly type: LineChannelType;
  /** The hook path segment: `/v1/hooks/<hookPath>/{channelId}` (lib/contract/routes/hooks.ts). */
  readonly hookPath: string;
  /**
   * The messenger calls the hook, signed with the credentials being connected, before `connect`
   * returns (Viber's `set_webhook` answers only after its own signed `webhook` callback got 200):
   * the shared code checks those credentials first (`checkCredentials`) and keeps them, sealed and
   * for a few minutes, where the hook finds them before the channel is written
   * (lib/app/channels/native.ts, lib/app/messengers/hooks.ts).
   */
  readonly callsHookOnConnect?: boolean;
  /** Asks the messenger whether it takes the credentials, changing nothing there; throws MessengerCallError when not. */
  checkCredentials?(credentials: C): Promise<void>;
  /** Checks the messenger's proof; `hookSecret` is the secret chatlines generated for this channel's hook. */
  verify(request: HookRequest, credentials: C, hookSecret: string): Verdict;
  /** The events of a verified request; given the channel's credentials, only those about its own account (one Meta app serves many numbers). */
  parse(request: HookRequest, credentials?: C): InboundEvent[];
  send(reply: OutboundReply, credentials: C): Promise<SendResult>;
  /** Registers the webhook at `hookUrl` (where the messenger has an API for it). */
  connect?(hookUrl: string, credentials: C, hookSecret: string): Promise<void>;
  /** Removes the webhook (where the messenger has an API for it). */
  disconnect?(credentials: C): Promise<void>;
  /** Downloads an inbound attachment's bytes. */
  fetchAttachment?(attachment: InboundAttachment, credentials: C): Promise<{ bytes: Uint8Array; contentType?: string; name?: string }>;
  /** Shows the client that an operator is typing (where the messenger has it). */
  typing?(account: string, credentials: C): Promise<void>;
}
