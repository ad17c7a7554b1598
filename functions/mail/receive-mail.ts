import type { SESEvent } from 'aws-lambda';
import { readMailObject } from '../../lib/adapters/aws/mail-objects.ts';
import { receiveSesMail } from '../../lib/app/mail/ses.ts';

/**
 * SES's receipt rule (infra/aws/mail.ts) stores each mail for the domain in the mail bucket
 * under `MAIL_PREFIX` + SES's message id, then invokes this function (asynchronously: a failure
 * is retried by Lambda, and the receipt's dedup by Message-ID makes a retry add nothing). Each
 * mail becomes a client's message on the inbox channel its recipient names (lib/app/mail).
 */
export const handler = async (event: SESEvent): Promise<void> => {
  const bucket = process.env.MAIL_BUCKET;
  if (!bucket) throw new Error('MAIL_BUCKET is not set');
  for (const record of event.Records ?? []) {
    const { mail, receipt } = record.ses;
    await receiveSesMail(
      {
        messageId: mail.messageId,
        recipients: receipt.recipients,
        spf: receipt.spfVerdict?.status,
        dkim: receipt.dkimVerdict?.status,
        dmarc: receipt.dmarcVerdict?.status,
      },
      (maxBytes) => readMailObject(bucket, `${process.env.MAIL_PREFIX ?? ''}${mail.messageId}`, maxBytes),
    );
  }
};
