/**
 * SES's sending events (delivery, bounce, complaint, reject, published by the configuration set
 * through SNS to functions/mail/mail-events.ts) set the reply's `_deliveryStatus`. Apart from the
 * receipt (ses.ts) so that the events function bundles nothing of mail parsing or file storage.
 */
import { getItem } from '../../adapters/dynamodb/db.ts';
import { messageRefKey } from '../../adapters/dynamodb/keys.ts';
import { logger } from '../../adapters/observability.ts';
import { isConflict } from '../../contract/errors.ts';
import { mailCaller } from '../../domain/mail/rules.ts';
import { reportMessageStatus } from '../channels/delivery-status.ts';

/** The tag our replies carry (lib/adapters/messengers/email.ts): the reply's message id. */
const MESSAGE_TAG = 'chatlines-message';

/** An SES sending event, as the configuration set publishes it (only what is read). */
export interface SesSendingEvent {
  readonly eventType?: string;
  readonly notificationType?: string;
  readonly mail?: { readonly messageId?: string; readonly tags?: Readonly<Record<string, readonly string[]>> };
  readonly bounce?: {
    readonly bounceType?: string;
    readonly bounceSubType?: string;
    readonly bouncedRecipients?: readonly { readonly emailAddress?: string; readonly diagnosticCode?: string }[];
  };
  readonly reject?: { readonly reason?: string };
}

/** What a sending event says of a reply: a status, or nothing to change. */
export function statusOfSesEvent(event: SesSendingEvent): { status: 'delivered' | 'failed'; error?: string } | undefined {
  const type = event.eventType ?? event.notificationType;
  if (type === 'Delivery') return { status: 'delivered' };
  if (type === 'Reject') return { status: 'failed', error: `SES rejected the mail: ${event.reject?.reason ?? 'no reason given'}` };
  if (type === 'Bounce' && event.bounce?.bounceType === 'Permanent') {
    const recipient = event.bounce.bouncedRecipients?.[0];
    const reason = recipient?.diagnosticCode ?? event.bounce.bounceSubType ?? 'no reason given';
    return { status: 'failed', error: `the mail bounced (${event.bounce.bounceSubType ?? 'Permanent'}): ${reason}`.slice(0, 1024) };
  }
  // A transient bounce is retried by SES; a complaint comes after delivery (the client called it spam): logged only.
  return undefined;
}

/** Applies one sending event to the reply it names. */
export async function applySesEvent(event: SesSendingEvent): Promise<'applied' | 'ignored'> {
  const messageId = event.mail?.tags?.[MESSAGE_TAG]?.[0];
  const change = statusOfSesEvent(event);
  if (event.eventType === 'Complaint' || event.notificationType === 'Complaint') logger.warn('a client marked a reply as spam', { message: messageId });
  if (!messageId || !change) return 'ignored';
  const ref = await getItem(messageRefKey(messageId), false);
  if (!ref || typeof ref.channel !== 'string') {
    logger.warn('an SES event names no reply we know', { message: messageId });
    return 'ignored';
  }
  const caller = mailCaller(String(ref.channel));
  try {
    await reportMessageStatus(caller, ref.channel, messageId, change, () => []);
    return 'applied';
  } catch (error) {
    // A status the reply may not take any more (a bounce after it was read): nothing to do.
    if (isConflict(error)) return 'ignored';
    throw error;
  }
}
