/**
 * Webhook and messenger deliveries off the stream consumer's path: the consumer records each new
 * delivery in the table and sends its key to this queue (SendMessageBatch); the delivery function
 * (functions/queue/attempt-deliveries.ts) attempts them, ten per invocation, reporting the
 * messages it could not process (partial batch response). A message that keeps failing lands in
 * an encrypted dead-letter queue with an alarm; its delivery stays due in the table, so the
 * sweeper (retry-deliveries, every minute) attempts it anyway. Self-contained: the stack adds one
 * of these and names the functions that enqueue.
 */
import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { EventSourceMapping } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { DeduplicationScope, FifoThroughputLimit, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ChatlinesFunction } from './chatlines-function.ts';
import { acknowledge } from './nag.ts';
import type { ChatlinesTable } from './table.ts';

export interface DeliveryWorkerProps {
  readonly table: ChatlinesTable;
  /** The functions that record deliveries and enqueue them (the stream consumer): get the queue's URL and SendMessage. */
  readonly producers: readonly ChatlinesFunction[];
}

/** A delivery attempt may take 10 s (the receiver's timeout); ten run side by side per invocation. */
const FUNCTION_TIMEOUT = Duration.seconds(30);

export class DeliveryWorker extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly function: ChatlinesFunction;
  readonly deadLetterAlarm: Alarm;

  constructor(scope: Construct, id: string, props: DeliveryWorkerProps) {
    super(scope, id);
    // FIFO: a delivery queued twice (a stream record retried) is dropped by SQS (its deduplication
    // id is the delivery's key), and each target's deliveries keep their order (its message group).
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      fifo: true,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(
      this.deadLetterQueue,
      'AwsSolutions-SQS3',
      'This queue is itself the dead-letter queue of the delivery queue; nothing consumes it to fail again.',
    );
    acknowledge(
      this.deadLetterQueue,
      'Serverless-SQSRedrivePolicy',
      'This queue is itself the dead-letter queue of the delivery queue; a redrive policy would need yet another queue.',
    );
    this.queue = new Queue(this, 'Queue', {
      fifo: true,
      // High throughput: the limits apply per target (message group), not to the queue.
      deduplicationScope: DeduplicationScope.MESSAGE_GROUP,
      fifoThroughputLimit: FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Six times the function's timeout, as Lambda advises for an SQS event source.
      visibilityTimeout: Duration.seconds(FUNCTION_TIMEOUT.toSeconds() * 6),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 5 },
    });

    this.function = new ChatlinesFunction(this, 'Function', {
      functionFile: 'attempt-deliveries',
      table: props.table,
      description: 'Webhook and messenger deliveries: attempts the new ones the stream consumer queued (lib/app/webhooks/deliveries.ts).',
      timeout: FUNCTION_TIMEOUT,
    });
    acknowledge(
      this.function.function,
      'Serverless-LambdaDLQ',
      "The queue's own dead-letter queue receives what fails; a function DLQ only catches asynchronous invocations.",
    );
    this.function.function.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: 10,
        reportBatchItemFailures: true,
      }),
    );
    const mapping = this.function.function.node.children.find((c) => c instanceof EventSourceMapping);
    if (mapping) {
      acknowledge(
        mapping,
        'Serverless-LambdaEventSourceMappingDestination',
        "An SQS mapping takes no on-failure destination: the queue's redrive policy sends what keeps failing to its dead-letter queue.",
      );
    }

    for (const producer of props.producers) {
      // SendMessage only (what lib/adapters/aws/queue.ts calls), inline in the producer's role.
      producer.role.addToPolicy(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.queue.queueArn] }));
      producer.function.addEnvironment('DELIVERY_QUEUE_URL', this.queue.queueUrl);
    }

    this.deadLetterAlarm = new Alarm(this, 'DeadLetterAlarm', {
      alarmDescription: 'chatlines deliveries: a queued delivery could not be attempted after its receives (its delivery stays due for the sweeper).',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }
}
