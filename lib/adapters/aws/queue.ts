/**
 * The delivery queue in AWS: new deliveries (each a target and its event) go to an SQS FIFO queue
 * (SendMessageBatch, ten a call) whose function attempts them (functions/queue/attempt-deliveries.ts).
 * Entries SQS refuses are sent once more after a short wait, then the call fails, and with it the
 * stream records they came from (retried: a delivery already recorded is not attempted twice).
 */
import type { SendMessageBatchRequestEntry, SQSClient } from '@aws-sdk/client-sqs';
import { sendAll } from '../concurrency.ts';
import { loadOnce } from '../lazy.ts';

type Sqs = typeof import('@aws-sdk/client-sqs');

export class SqsDeliveryQueue {
  /** The SQS SDK, imported on the first enqueue, not at a cold start (most stream batches hold no new delivery). */
  private readonly load = loadOnce(async (): Promise<{ sqs: Sqs; client: SQSClient }> => {
    const sqs = await import('@aws-sdk/client-sqs');
    return { sqs, client: new sqs.SQSClient({}) };
  });
  constructor(private readonly queueUrl: string) {}

  /** Each message with its group (its order is kept within it) and its deduplication id (a repeat within 5 minutes is dropped). */
  async enqueue(messages: readonly { body: unknown; group: string; once: string }[]): Promise<void> {
    if (messages.length === 0) return;
    const { sqs, client } = await this.load();
    const chunks: SendMessageBatchRequestEntry[][] = [];
    for (let i = 0; i < messages.length; i += 10) {
      chunks.push(
        messages
          .slice(i, i + 10)
          .map((m, k) => ({ Id: String(k), MessageBody: JSON.stringify(m.body), MessageGroupId: m.group, MessageDeduplicationId: m.once })),
      );
    }
    await Promise.all(
      chunks.map((chunk) =>
        sendAll(
          chunk,
          async (entries) => {
            const out = await client.send(new sqs.SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }));
            const failed = new Set((out.Failed ?? []).map((f) => f.Id));
            return entries.filter((e) => failed.has(e.Id));
          },
          { attempts: 2, baseMs: 50, capMs: 200, exhausted: (left) => new Error(`SQS refused ${left.length} delivery messages`) },
        ),
      ),
    );
  }
}
