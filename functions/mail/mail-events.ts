import type { SNSEvent } from 'aws-lambda';
import { logger } from '../../lib/adapters/observability.ts';
import { applySesEvent, type SesSendingEvent } from '../../lib/app/mail/ses-events.ts';

/**
 * SES's sending events for inbox channels' replies (the configuration set publishes delivery,
 * bounce, complaint and reject to an SNS topic this function subscribes to): each sets the
 * reply's `_deliveryStatus` — `delivered`, or `failed` with the reason on a hard bounce or a
 * reject (lib/app/mail/ses-events.ts).
 */
export const handler = async (event: SNSEvent): Promise<void> => {
  for (const record of event.Records ?? []) {
    let parsed: SesSendingEvent;
    try {
      parsed = JSON.parse(record.Sns.Message) as SesSendingEvent;
    } catch {
      logger.error('an SES event that is not JSON', { messageId: record.Sns.MessageId });
      continue;
    }
    await applySesEvent(parsed);
  }
};
