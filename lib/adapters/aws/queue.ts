/**
 * The delivery queue in AWS: the keys of new deliveries go to an SQS queue (SendMessageBatch,
 * ten a call) whose function attempts them (functions/queue/attempt-deliveries.ts). Entries SQS
 * refuses are sent once more after a short wait, then the call fails (the deliveries stay due for
 * the sweeper).
 */
import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, SQSClient } from '@aws-sdk/client-sqs';
import { sendAll } from '../concurrency.ts';

export class SqsDeliveryQueue {
  private readonly client = new SQSClient({});
  constructor(private readonly queueUrl: string) {}

  async enqueue(refs: readonly { pk: string; sk: string }[]): Promise<void> {
    const chunks: SendMessageBatchRequestEntry[][] = [];
    for (let i = 0; i < refs.length; i += 10) {
      chunks.push(refs.slice(i, i + 10).map((ref, k) => ({ Id: String(k), MessageBody: JSON.stringify({ pk: ref.pk, sk: ref.sk }) })));
    }
    await Promise.all(
      chunks.map((chunk) =>
        sendAll(
          chunk,
          async (entries) => {
            const out = await this.client.send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }));
            const failed = new Set((out.Failed ?? []).map((f) => f.Id));
            return entries.filter((e) => failed.has(e.Id));
          },
          { attempts: 2, baseMs: 50, capMs: 200, exhausted: (left) => new Error(`SQS refused ${left.length} delivery messages`) },
        ),
      ),
    );
  }
}
