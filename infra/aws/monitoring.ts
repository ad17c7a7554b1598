/**
 * Alarms on every function's errors and throttles, on the API's 5xx answers and p99 latency,
 * and on DynamoDB throttling of the table; and one dashboard: the API's 4xx/5xx,
 * latency, and the `CommandOutcome` metric every function emits (namespace `chatlines`,
 * dimensions operation and outcome, see lib/adapters/aws/observability.ts). Every alarm notifies one SNS
 * topic (output `AlarmTopicArn`) that operators subscribe to.
 */
import { Duration } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Alarm, ComparisonOperator, Dashboard, GraphWidget, type IMetric, MathExpression, Stats, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { pascalCase } from './chatlines-function.ts';
import { acknowledge } from './nag.ts';

export interface MonitoringProps {
  readonly api: HttpApi;
  /** The chatlines table (throttling alarm). */
  readonly table: ITable;
  /** Function file name → its Lambda. */
  readonly functions: ReadonlyMap<string, IFunction>;
  /** Alarms made elsewhere (the scheduled functions' dead-letter alarms) that should notify too. */
  readonly extraAlarms: readonly Alarm[];
}

const PERIOD = Duration.minutes(5);
/** API 5xx answers in one period that page someone (a single 503 during a blip does not). */
export const API_5XX_THRESHOLD = 5;
/** p99 latency (ms) of the API, three periods in a row: well above every budget, below the 10 s timeout. */
export const API_P99_LATENCY_MS = 3000;

export class Monitoring extends Construct {
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;
  /** Every alarm notifies this topic; subscribe to it (email, chat, pager) after deploying. */
  readonly topic: Topic;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.topic = new Topic(this, 'AlarmTopic', { displayName: 'chatlines alarms', enforceSSL: true });
    acknowledge(
      this.topic,
      'AwsSolutions-SNS2',
      'Alarm notifications carry only alarm names and states; CloudWatch cannot publish under the AWS-managed SNS key and a customer key costs a monthly fee.',
    );

    for (const [file, fn] of props.functions) {
      const name = pascalCase(file);
      this.alarms.push(
        new Alarm(this, `${name}Errors`, {
          alarmDescription: `chatlines ${file}: the function failed (unhandled error or timeout).`,
          metric: fn.metricErrors({ period: PERIOD, statistic: Stats.SUM }),
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
        new Alarm(this, `${name}Throttles`, {
          alarmDescription: `chatlines ${file}: invocations were throttled (account or reserved concurrency reached).`,
          metric: fn.metricThrottles({ period: PERIOD, statistic: Stats.SUM }),
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      );
    }
    const api = props.api;
    this.alarms.push(
      new Alarm(this, 'Api5xx', {
        alarmDescription: `chatlines API: ${API_5XX_THRESHOLD} or more 5xx answers in 5 minutes (functions failing, DynamoDB unreachable, or the gateway's own errors).`,
        metric: api.metricServerError({ period: PERIOD, statistic: Stats.SUM }),
        threshold: API_5XX_THRESHOLD,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      new Alarm(this, 'ApiLatencyP99', {
        alarmDescription: `chatlines API: p99 latency at or above ${API_P99_LATENCY_MS} ms for 15 minutes.`,
        metric: api.metricLatency({ period: PERIOD, statistic: Stats.p(99) }),
        threshold: API_P99_LATENCY_MS,
        evaluationPeriods: 3,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      new Alarm(this, 'TableThrottles', {
        alarmDescription:
          'chatlines table: DynamoDB throttled reads or writes (on-demand limits, a hot partition, or an index that cannot keep up, which throttles table writes).',
        metric: new MathExpression({
          expression: 'reads + writes',
          usingMetrics: {
            reads: props.table.metric('ReadThrottleEvents', { period: PERIOD, statistic: Stats.SUM }),
            writes: props.table.metric('WriteThrottleEvents', { period: PERIOD, statistic: Stats.SUM }),
          },
          label: 'throttle events',
          period: PERIOD,
        }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );
    const notify = new SnsAction(this.topic);
    for (const alarm of [...this.alarms, ...props.extraAlarms]) alarm.addAlarmAction(notify);

    const lambdaErrors: IMetric[] = [...props.functions].map(([file, fn]) => fn.metricErrors({ period: PERIOD, statistic: Stats.SUM, label: file }));
    this.dashboard = new Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(6),
      widgets: [
        [
          new GraphWidget({
            title: 'API requests, 4xx and 5xx',
            left: [
              api.metricCount({ period: PERIOD, statistic: Stats.SUM, label: 'requests' }),
              api.metricClientError({ period: PERIOD, statistic: Stats.SUM, label: '4xx' }),
              api.metricServerError({ period: PERIOD, statistic: Stats.SUM, label: '5xx' }),
            ],
            width: 12,
          }),
          new GraphWidget({
            title: 'API latency (ms)',
            left: [
              api.metricLatency({ period: PERIOD, statistic: Stats.p(50), label: 'p50' }),
              api.metricLatency({ period: PERIOD, statistic: Stats.p(99), label: 'p99' }),
              api.metricIntegrationLatency({ period: PERIOD, statistic: Stats.p(99), label: 'integration p99' }),
            ],
            width: 12,
          }),
        ],
        [
          new GraphWidget({
            title: 'Command outcomes (chatlines CommandOutcome by operation and outcome)',
            left: [
              new MathExpression({
                // Powertools adds the `service` dimension to every metric it emits.
                expression: `SEARCH('{chatlines,operation,outcome,service} MetricName="CommandOutcome"', 'Sum', ${PERIOD.toSeconds()})`,
                usingMetrics: {},
                label: '',
                period: PERIOD,
              }),
            ],
            width: 12,
          }),
          new GraphWidget({ title: 'Function errors', left: lambdaErrors, width: 12 }),
        ],
      ],
    });
  }
}
