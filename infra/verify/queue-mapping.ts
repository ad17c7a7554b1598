/**
 * An SQS event source mapping as the template configures it, over the gateway's emulated queue:
 * batches of at most `BatchSize` visible messages (each receive counts), the SQS event shape
 * Lambda sends, then: success deletes the batch; with ReportBatchItemFailures only the reported
 * messages stay (an empty or unknown `itemIdentifier` fails the whole batch); a function error
 * leaves every message. What stays becomes visible again after its visibility timeout (shortened
 * here: the harness does not wait the queue's real timeout), and a message received more than the
 * redrive policy's `maxReceiveCount` times moves to the dead-letter queue (SQS's own move). Lambda
 * polls, deletes and reads the queue's attributes with the function's execution role: those
 * calls are authorized.
 */
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import type { Gateway, QueueMessage } from './gateway.ts';
import type { Authorizer } from './iam.ts';
import type { LambdaRunner } from './lambda-runner.ts';
import { type QueueMappingSpec, REGION, type ResolvedTemplate } from './template.ts';

export interface QueueMappingStats {
  invocations: number;
  deleted: number;
  /** Messages moved to the dead-letter queue. */
  deadLettered: number;
}

export interface QueueMappingOptions {
  spec: QueueMappingSpec;
  template: ResolvedTemplate;
  runner: LambdaRunner;
  authorizer: Authorizer;
  gateway: Gateway;
  pollMs?: number;
  /** The stand-in for the visibility timeout after a failed receive (ms). */
  visibilityMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class QueueMapping {
  readonly stats: QueueMappingStats = { invocations: 0, deleted: 0, deadLettered: 0 };
  private stopped = false;
  private loop: Promise<void> | undefined;
  private idleRounds = 0;

  constructor(private readonly options: QueueMappingOptions) {}

  get spec(): QueueMappingSpec {
    return this.options.spec;
  }

  private get fn() {
    return this.options.template.functions.get(this.spec.functionId)!;
  }

  private authorize(action: string, detail: string) {
    const fn = this.fn;
    return this.options.authorizer.authorize(fn.logicalId, fn.roleArn, fn.policies, action, this.spec.queueArn, detail);
  }

  async start(): Promise<void> {
    await this.authorize('sqs:GetQueueAttributes', 'event source mapping');
    this.loop = this.run();
  }

  private receive(): QueueMessage[] {
    const queue = this.options.gateway.queues.get(this.spec.queueArn) ?? [];
    const now = Date.now();
    const batch: QueueMessage[] = [];
    for (const m of [...queue]) {
      if (batch.length >= this.spec.batchSize) break;
      if (m.visibleAt > now) continue;
      const redrive = this.spec.redrive;
      if (redrive && m.receiveCount >= redrive.maxReceiveCount) {
        // SQS moves a message received more than maxReceiveCount times to the dead-letter queue.
        queue.splice(queue.indexOf(m), 1);
        const dlq = this.options.gateway.queues.get(redrive.deadLetterTargetArn) ?? [];
        dlq.push(m);
        this.options.gateway.queues.set(redrive.deadLetterTargetArn, dlq);
        this.stats.deadLettered++;
        continue;
      }
      m.receiveCount++;
      m.firstReceivedAt ??= now;
      m.visibleAt = now + this.spec.visibilityTimeoutSeconds * 1000;
      batch.push(m);
    }
    return batch;
  }

  private record(m: QueueMessage): SQSRecord {
    return {
      messageId: m.messageId,
      receiptHandle: `${m.messageId}#${m.receiveCount}`,
      body: m.body,
      attributes: {
        ApproximateReceiveCount: String(m.receiveCount),
        SentTimestamp: String(m.sentAt),
        SenderId: m.sender,
        ApproximateFirstReceiveTimestamp: String(m.firstReceivedAt ?? m.sentAt),
      },
      messageAttributes: m.messageAttributes as SQSRecord['messageAttributes'],
      md5OfBody: m.md5OfBody,
      eventSource: 'aws:sqs',
      eventSourceARN: this.spec.queueArn,
      awsRegion: REGION,
    };
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const batch = this.receive();
      if (batch.length === 0) {
        this.idleRounds++;
        await sleep(this.options.pollMs ?? 50);
        continue;
      }
      await this.authorize('sqs:ReceiveMessage', 'event source mapping');
      this.stats.invocations++;
      const outcome = await this.options.runner.invoke(
        this.spec.functionId,
        { Records: batch.map((m) => this.record(m)) },
        { principal: 'lambda.amazonaws.com' },
      );
      let failed = new Set<string>();
      if (!outcome.ok) failed = new Set(batch.map((m) => m.messageId));
      else if (this.spec.reportBatchItemFailures) {
        const reported = (outcome.result as SQSBatchResponse | null)?.batchItemFailures ?? [];
        for (const r of reported) {
          if (!r?.itemIdentifier || !batch.some((m) => m.messageId === r.itemIdentifier)) {
            failed = new Set(batch.map((m) => m.messageId));
            break;
          }
          failed.add(r.itemIdentifier);
        }
      }
      const queue = this.options.gateway.queues.get(this.spec.queueArn) ?? [];
      for (const m of batch) {
        if (failed.has(m.messageId)) {
          m.visibleAt = Date.now() + (this.options.visibilityMs ?? 200);
          continue;
        }
        await this.authorize('sqs:DeleteMessage', 'event source mapping');
        queue.splice(queue.indexOf(m), 1);
        this.stats.deleted++;
      }
    }
  }

  /** Resolves when the queue holds no message (failing ones end in the dead-letter queue). */
  async drain(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const start = this.idleRounds;
      while (this.idleRounds < start + 2) {
        if (Date.now() > deadline) throw new Error(`queue mapping ${this.spec.logicalId} did not drain within ${timeoutMs} ms`);
        await sleep(10);
      }
      if ((this.options.gateway.queues.get(this.spec.queueArn) ?? []).length === 0) return;
      if (Date.now() > deadline) throw new Error(`queue mapping ${this.spec.logicalId} did not drain within ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}
