import { logger } from '../../lib/adapters/observability.ts';
import { withFileLinks } from '../../lib/app/files/files.ts';
import { registerMailSender } from '../../lib/app/mail/outbound.ts';
import { messengerSender } from '../../lib/app/messengers/outbound.ts';
import { prepareDeliveryBodies, sweepDueDeliveries, useNativeSender } from '../../lib/app/webhooks/deliveries.ts';

// Replies to natively connected messengers go out through their APIs.
useNativeSender(messengerSender);
// Channel endpoints get the download URLs of a message's files, signed at each attempt.
prepareDeliveryBodies(withFileLinks);

// Inbox channels' replies (`mailto:` endpoints) go out as mail.
registerMailSender();

/**
 * Scheduled (EventBridge Scheduler every minute in AWS, a one-second timer on the local host):
 * attempts the webhook and messenger deliveries that have come due.
 */
export const handler = async (): Promise<{ attempted: number }> => {
  const attempted = await sweepDueDeliveries();
  if (attempted > 0) logger.info('deliveries attempted', { attempted });
  return { attempted };
};
