/**
 * Alarms on every function's errors and throttles (ten functions to an alarm), on the API's 5xx answers and p99 latency,
 * and on DynamoDB throttling of the table; and one dashboard: the API's 4xx/5xx,
 * latency, and the `CommandOutcome` metric every function emits (namespace `chatlines`,
 * dimensions operation and outcome, see lib/adapters/observability.ts). Every alarm notifies one SNS
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
/**
 * Functions per errors alarm and per throttles alarm: a metric math alarm may name at most 10
 * metrics. Each alarm watches this many functions (docs/decisions/stack-shape.md).
 */
export const FUNCTIONS_PER_ALARM = 10;

/** `get-session` → `getSession`: a metric id (lowercase first, letters and digits) that names the function. */
export function metricId(file: string): string {
  const pascal = pascalCase(file);
  return pascal[0]!.toLowerCase() + pascal.slice(1);
}

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

    // Errors and throttles of every function, FUNCTIONS_PER_ALARM functions to an alarm (one
    // alarm per function would be two CloudFormation resources per function): each alarm's
    // metric math is the largest count of its functions, each metric's id names its function,
    // and the description lists them; the dashboard graphs each function on its own line.
    const files = [...props.functions.keys()].sort();
    for (let start = 0, group = 1; start < files.length; start += FUNCTIONS_PER_ALARM, group++) {
      const members = files.slice(start, start + FUNCTIONS_PER_ALARM);
      const metrics = (which: 'Errors' | 'Throttles') =>
        Object.fromEntries(
          members.map((file) => {
            const fn = props.functions.get(file)!;
            const options = { period: PERIOD, statistic: Stats.SUM, label: file };
            return [metricId(file), which === 'Errors' ? fn.metricErrors(options) : fn.metricThrottles(options)];
          }),
        );
      const alarm = (which: 'Errors' | 'Throttles', what: string) =>
        new Alarm(this, `Function${which}${group}`, {
          alarmDescription: `chatlines functions ${members.join(', ')}: ${what}. The metric of each function is named after it (the alarm's graph and the dashboard's "Function ${which.toLowerCase()}" show which).`,
          metric: new MathExpression({
            expression: `MAX([${Object.keys(metrics(which)).join(', ')}])`,
            usingMetrics: metrics(which),
            label: `${which.toLowerCase()} of the busiest function`,
            period: PERIOD,
          }),
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        });
      this.alarms.push(
        alarm('Errors', 'one of them failed (unhandled error or timeout)'),
        alarm('Throttles', 'invocations of one of them were throttled (account or reserved concurrency reached)'),
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
    const lambdaThrottles: IMetric[] = [...props.functions].map(([file, fn]) => fn.metricThrottles({ period: PERIOD, statistic: Stats.SUM, label: file }));
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
        [new GraphWidget({ title: 'Function throttles', left: lambdaThrottles, width: 12 })],
      ],
    });
  }
}
