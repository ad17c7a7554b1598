/**
 * Events out in AWS: the `chatlines` EventBridge bus, and the stream consumer — a Lambda on the
 * table's stream with the event source mapping the design asks for: only the item kinds that
 * make events wake it (filter criteria from lib/adapters/dynamodb/stream.ts, the same filter the local poller
 * applies), batches that fail are bisected and reported from the failing record (partial
 * batch responses), retries are capped, and what still fails goes to an encrypted SQS
 * on-failure destination with an alarm. Parallelization factor 4: up to four batches of a shard
 * at once, spread by partition key, so the records of one partition key (a session with its
 * messages and history; a line; an operator; a channel) stay in order, while arrivals of many
 * sessions are routed side by side (docs/routing.md). A second alarm watches the stream's iterator age.
 */
import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { EventBus } from 'aws-cdk-lib/aws-events';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { FilterCriteria, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { STREAM_FILTER } from '../../lib/adapters/dynamodb/stream.ts';
import type { StreamFunctionDefinition } from '../../lib/contract/routes.ts';
import { grantOf } from '../grants.ts';
import { ChatlinesFunction } from './chatlines-function.ts';
import { acknowledge } from './nag.ts';
import type { ChatlinesTable } from './table.ts';

/** The bus users attach their own rules to (`source: "chatlines"`, `detail-type` = event type). */
export const EVENT_BUS_NAME = 'chatlines';

export interface StreamConsumerProps {
  readonly definition: StreamFunctionDefinition;
  readonly table: ChatlinesTable;
  readonly bus: EventBus;
}

export class StreamConsumer extends Construct {
  readonly definition: StreamFunctionDefinition;
  readonly function: ChatlinesFunction;
  readonly failureQueue: Queue;
  readonly failureAlarm: Alarm;
  readonly iteratorAgeAlarm: Alarm;

  constructor(scope: Construct, id: string, props: StreamConsumerProps) {
    super(scope, id);
    this.definition = props.definition;
    this.failureQueue = new Queue(this, 'OnFailure', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(this.failureQueue, 'AwsSolutions-SQS3', "This queue is itself the stream mapping's on-failure destination; nothing consumes it to fail again.");
    acknowledge(
      this.failureQueue,
      'Serverless-SQSRedrivePolicy',
      "This queue is itself the stream mapping's on-failure destination; a redrive policy would need yet another queue.",
    );

    this.function = new ChatlinesFunction(this, 'Function', {
      functionFile: props.definition.function,
      table: props.table,
      description: props.definition.description,
      // A batch makes deliveries whose receivers may take up to 10 s each.
      timeout: Duration.minutes(2),
      environment: { EVENT_BUS_NAME: props.bus.eventBusName },
    });
    if (grantOf(props.definition.function).putEvents) {
      this.function.role.addToPolicy(new PolicyStatement({ actions: ['events:PutEvents'], resources: [props.bus.eventBusArn] }));
    }
    acknowledge(
      this.function.function,
      'Serverless-LambdaDLQ',
      "The stream mapping's on-failure destination (an SQS queue) receives what fails; a function DLQ only catches asynchronous invocations.",
    );

    this.function.function.addEventSource(
      new DynamoEventSource(props.table.table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(1),
        // As STREAM_CONSUMER_MAPPING (infra/local/stream-mapping.ts), which the local poller follows.
        parallelizationFactor: 4,
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        retryAttempts: 10,
        maxRecordAge: Duration.hours(24),
        onFailure: new SqsDlq(this.failureQueue),
        filters: [FilterCriteria.filter(STREAM_FILTER)],
      }),
    );
    // The mapping's grants include dynamodb:ListStreams, which has no resource-level permission.
    acknowledge(
      this.function.role,
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray trace writes and dynamodb:ListStreams support no resource-level permissions, so their statements must name Resource *.',
    );

    this.failureAlarm = new Alarm(this, 'OnFailureAlarm', {
      alarmDescription: 'chatlines stream consumer: records failed after their retries (metadata in the on-failure queue; replay from the table).',
      metric: this.failureQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.iteratorAgeAlarm = new Alarm(this, 'IteratorAgeAlarm', {
      alarmDescription: 'chatlines stream consumer: events are more than a minute behind their commits.',
      metric: this.function.function.metric('IteratorAge', { period: Duration.minutes(1), statistic: 'Maximum' }),
      threshold: 60_000,
      evaluationPeriods: 3,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }
}
