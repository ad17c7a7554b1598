import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { mapPool } from '../../lib/adapters/concurrency.ts';
import { logger } from '../../lib/adapters/observability.ts';
import { withFileLinks } from '../../lib/app/files/files.ts';
import { registerMailSender } from '../../lib/app/mail/outbound.ts';
import { messengerSender } from '../../lib/app/messengers/outbound.ts';
import { type DeliveryMessage, deliverNew, prepareDeliveryBodies, useNativeSender } from '../../lib/app/webhooks/deliveries.ts';

// Replies to natively connected messengers go out through their APIs.
useNativeSender(messengerSender);
// Channel endpoints get the download URLs of a message's files, signed at each attempt.
prepareDeliveryBodies(withFileLinks);

// Inbox channels' replies (`mailto:` endpoints) go out as mail.
registerMailSender();

/**
 * The delivery worker: each message is a new delivery (a target and its event) that the stream
 * consumer queued; the batch's first attempts run together (lib/app/webhooks/deliveries.ts
 * `deliverNew`: per target in event order; a delivery recorded before is skipped), each then
 * recorded once. A failed attempt is no failure here: the delivery waits in the due index for the
 * sweeper. A message fails (reported alone, partial batch response) only when it is malformed or
 * its delivery could not be attempted and recorded — SQS then retries it, and after its receives
 * it goes to the dead-letter queue. The local host runs this handler too (infra/local/events.ts).
 */
export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const failed: { itemIdentifier: string }[] = [];
  const messages: { id: string; message: DeliveryMessage }[] = [];
  for (const record of event.Records ?? []) {
    const message = parseMessage(record.body);
    if (message) messages.push({ id: record.messageId, message });
    else {
      logger.error('a delivery message names no delivery', { messageId: record.messageId });
      failed.push({ itemIdentifier: record.messageId });
    }
  }
  try {
    await deliverNew(messages.map((m) => m.message));
  } catch (error) {
    // The batch's reads or writes failed as a whole: each target's messages again one by one,
    // in order; after a failure the rest of that target's messages fail too (a FIFO queue hands
    // them out again only in order).
    logger.warn('delivery batch failed; attempting its messages one by one', { error: error as Error });
    const groups = new Map<string, typeof messages>();
    for (const m of messages) {
      const group = `${m.message.target.kind}:${m.message.target.id}`;
      groups.set(group, [...(groups.get(group) ?? []), m]);
    }
    await mapPool([...groups.values()], 10, async (list) => {
      let broken = false;
      for (const { id, message } of list) {
        if (!broken) {
          try {
            await deliverNew([message]);
            continue;
          } catch (alone) {
            logger.error('delivery attempt failed', { error: alone as Error, messageId: id });
            broken = true;
          }
        }
        failed.push({ itemIdentifier: id });
      }
    });
  }
  return { batchItemFailures: failed };
};

function parseMessage(body: string): DeliveryMessage | undefined {
  try {
    const m = JSON.parse(body) as Partial<DeliveryMessage>;
    const t = m.target;
    const e = m.event;
    if (!t || (t.kind !== 'webhook' && t.kind !== 'channel') || typeof t.id !== 'string') return undefined;
    if (!e || typeof e.id !== 'string' || typeof e.type !== 'string') return undefined;
    return m as DeliveryMessage;
  } catch {
    return undefined;
  }
}
