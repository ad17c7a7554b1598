/**
 * A function run by EventBridge Scheduler instead of a route (the metrics aggregation): the
 * schedule, its retry policy, an encrypted dead-letter queue for invocations that still fail,
 * and an alarm as soon as one lands there.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Schedule, ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { ScheduledFunctionDefinition } from '../../lib/contract/routes.ts';
import { ChatlinesFunction } from './chatlines-function.ts';
import { acknowledge } from './nag.ts';
import { InlinePolicyRole } from './role.ts';
import type { ChatlinesTable } from './table.ts';

export interface ScheduledChatlinesFunctionProps {
  readonly definition: ScheduledFunctionDefinition;
  readonly table: ChatlinesTable;
  /** Minutes between runs (a token from the `AggregationRateMinutes` parameter), unless the definition fixes its own. */
  readonly rateMinutes: string;
}

export class ScheduledChatlinesFunction extends Construct {
  readonly definition: ScheduledFunctionDefinition;
  readonly function: ChatlinesFunction;
  readonly deadLetterQueue: Queue;
  readonly schedule: Schedule;
  readonly deadLetterAlarm: Alarm;

  constructor(scope: Construct, id: string, props: ScheduledChatlinesFunctionProps) {
    super(scope, id);
    const { definition } = props;
    this.definition = definition;
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(this.deadLetterQueue, 'AwsSolutions-SQS3', 'This queue is itself the dead-letter queue of the schedule; nothing consumes it to fail again.');
    acknowledge(
      this.deadLetterQueue,
      'Serverless-SQSRedrivePolicy',
      'This queue is itself the dead-letter queue of the schedule; a redrive policy would need yet another queue.',
    );

    this.function = new ChatlinesFunction(this, 'Function', {
      functionFile: definition.function,
      table: props.table,
      description: definition.description,
      // A batch job: longer than a request, still well under the shortest schedule rate.
      timeout: Duration.minutes(1),
      asyncFailureQueue: this.deadLetterQueue,
    });

    // Our own role, closed to the target's grants: they would add `lambda:InvokeFunction` on
    // `<function>:*` (every version and alias); this one may invoke the function and write
    // to the dead-letter queue, nothing else.
    const schedulerRole = new InlinePolicyRole(this, 'SchedulerRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: `EventBridge Scheduler: invoke chatlines ${definition.function}`,
    });
    schedulerRole.addToPolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.function.function.functionArn] }));
    schedulerRole.addToPolicy(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.deadLetterQueue.queueArn] }));

    this.schedule = new Schedule(this, 'Schedule', {
      description: `chatlines ${definition.function}: ${definition.description}`,
      schedule: definition.everyMinutes
        ? ScheduleExpression.rate(Duration.minutes(definition.everyMinutes))
        : ScheduleExpression.expression(`rate(${props.rateMinutes} minutes)`),
      target: new LambdaInvoke(this.function.function, {
        role: schedulerRole.withoutPolicyUpdates(),
        retryAttempts: 3,
        maxEventAge: Duration.minutes(15),
        deadLetterQueue: this.deadLetterQueue,
      }),
    });

    this.deadLetterAlarm = new Alarm(this, 'DeadLetterAlarm', {
      alarmDescription: `chatlines ${definition.function}: a scheduled run failed after its retries (message in the dead-letter queue).`,
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }
}
