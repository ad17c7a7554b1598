/**
 * An inbox channel's replies go out as mail. The channel's delivery endpoint is `mailto:<its
 * address>` (lib/app/channels/channels.ts), so a reply takes the shared delivery machine's path
 * (lib/app/webhooks/deliveries.ts: recorded once, attempted by the delivery worker, retried by
 * the sweeper) and this sender does the attempt: the e-mail adapter sends the mail threaded
 * under the client's last mail, the sent Message-ID gets a ref naming the session (so the
 * client's answer finds it), and the reply's `_deliveryStatus` becomes `sent` (or `failed` when
 * the mail server refused it for good).
 *
 * Only client-visible replies of operators and the bot reach this (the consumer makes channel
 * deliveries of nothing else): staff notes and history never leave.
 */
import { getItem, putItem } from '../../adapters/dynamodb/db.ts';
import { mailThreadKey, outboundRefKey } from '../../adapters/dynamodb/keys.ts';
import { findChannel } from '../../adapters/dynamodb/lines.ts';
import { type EmailCredentials, emailMessenger } from '../../adapters/messengers/email.ts';
import { loadMessenger, registerMessenger } from '../../adapters/messengers/index.ts';
import { logger } from '../../adapters/observability.ts';
import type { ChatlinesEvent } from '../../contract/events.ts';
import type { Message, Session } from '../../contract/schemas.ts';
import { isOutbound } from '../../domain/events/map.ts';
import { mailCaller, replySubject, replyThreading } from '../../domain/mail/rules.ts';
import { reportMessageStatus } from '../channels/delivery-status.ts';
import { filesOf } from '../files/files.ts';
import { type AttemptOutcome, registerEndpointSender } from '../webhooks/deliveries.ts';

/** Makes this process send `mailto:` deliveries (the delivery worker, the sweeper, an inline consumer). */
export function registerMailSender(): void {
  registerMessenger(emailMessenger);
  registerEndpointSender('mailto', sendMailDelivery);
}

/** One attempt at a reply's delivery to an inbox channel's client. */
export async function sendMailDelivery(url: string, body: string): Promise<AttemptOutcome> {
  const event = JSON.parse(body) as ChatlinesEvent;
  const message = event.data.message as Message | undefined;
  const session = event.data.session as Session | undefined;
  const to = typeof event.data.to === 'string' ? event.data.to : undefined;
  if (event.type !== 'message.created' || !message || !session || event.data.visibility !== 'client' || !isOutbound(message)) {
    return { ok: true, code: null, error: null };
  }
  if (!to) return { ok: false, code: null, error: 'the session has no client to mail', final: true };
  const address = url.slice('mailto:'.length);
  const [channel, thread] = await Promise.all([findChannel(event.channel), getItem(mailThreadKey(session.__id), false)]);
  const threading = replyThreading(
    thread && typeof thread.last === 'string'
      ? { last: thread.last, references: Array.isArray(thread.references) ? thread.references.map(String) : [] }
      : undefined,
  );
  const email = await loadMessenger('inbox');
  if (!email) return { ok: false, code: null, error: 'no e-mail adapter is registered', final: true };
  const credentials: EmailCredentials = { address, name: channel?.__name };
  const result = await email.send(
    {
      messageId: message.__id,
      account: to,
      text: message.body,
      // A reply's files go as attachments (their bytes read from storage when the mail is built).
      files: await filesOf(message),
      thread: { subject: replySubject(session.__name), ...threading, automatic: message.author === 'bot' },
    },
    credentials as unknown as Record<string, string>,
  );
  if (result.ok) {
    // The client's answer names this Message-ID (SES puts its own in place of ours): its ref finds the session.
    await putItem({
      ...outboundRefKey(event.channel, result.externalId),
      entity: 'ref',
      sessionId: session.__id,
      messageId: message.__id,
      channel: event.channel,
    });
    await reportMessageStatus(mailCaller(event.channel), event.channel, message.__id, { status: 'sent' }, () => []).catch((error: unknown) => {
      // The mail went; a status that could not be set is no reason to send it again.
      logger.warn('reply mailed; its status was not set', { message: message.__id, error: error as Error });
    });
    return { ok: true, code: 250, error: null };
  }
  if (!result.retry) {
    await reportMessageStatus(mailCaller(event.channel), event.channel, message.__id, { status: 'failed', error: result.error }, () => []).catch(
      () => undefined,
    );
    return { ok: false, code: null, error: result.error, final: true };
  }
  return { ok: false, code: null, error: result.error };
}
