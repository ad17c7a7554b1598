/**
 * The chatlines stack: the table, one Lambda per function file of the route manifest (and per
 * scheduled function), the HTTP API with its JWT authorizer, alarms and a dashboard. Every
 * route, function and grant is derived from `lib/contract/routes.ts`; nothing here names a route.
 */
import { Aws, CfnOutput, CfnParameter, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { EventBus } from 'aws-cdk-lib/aws-events';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import {
  routes as manifestRoutes,
  scheduledFunctions as manifestScheduledFunctions,
  streamFunctions as manifestStreamFunctions,
  type RouteDefinition,
  type ScheduledFunctionDefinition,
  type TableAccess,
} from '../../lib/contract/routes.ts';
import { grantOf } from '../grants.ts';
import { ChatlinesFunction, pascalCase } from './chatlines-function.ts';
import { ChatlinesConsole } from './console.ts';
import { contextFlag } from './context.ts';
import { CredentialsKey } from './credentials.ts';
import { DeliveryWorker } from './deliveries.ts';
import { EVENT_BUS_NAME, StreamConsumer } from './events.ts';
import { FILES_MALWARE_SCAN_CONTEXT, FileBucket } from './files.ts';
import { ChatlinesHttpApi } from './http-api.ts';
import { ApiIdentity } from './identity.ts';
import { LivePush } from './live.ts';
import { ChatlinesMail, mailDomainContext } from './mail.ts';
import { Monitoring } from './monitoring.ts';
import { ScheduledChatlinesFunction } from './scheduled-function.ts';
import { ChatlinesTable } from './table.ts';
import { VisitorTokenSecret } from './visitors.ts';

export interface ChatlinesStackProps extends StackProps {
  /** Defaults to the manifest; tests pass variants (e.g. a stand-in scheduled function). */
  readonly routes?: readonly RouteDefinition[];
  readonly scheduledFunctions?: readonly ScheduledFunctionDefinition[];
}

const ACCESS_RANK: Record<TableAccess, number> = { none: 0, read: 1, write: 2 };

/**
 * One entry per distinct function file. Routes sharing a file (the searches) must agree on
 * access; if they don't, the function gets the broadest one they name, since a single role
 * serves them all.
 */
export function functionsOfRoutes(routes: readonly RouteDefinition[]): Map<string, { access: TableAccess; routes: RouteDefinition[] }> {
  const functions = new Map<string, { access: TableAccess; routes: RouteDefinition[] }>();
  for (const route of routes) {
    const entry = functions.get(route.function) ?? { access: 'none' as TableAccess, routes: [] };
    if (ACCESS_RANK[route.access] > ACCESS_RANK[entry.access]) entry.access = route.access;
    entry.routes.push(route);
    functions.set(route.function, entry);
  }
  return functions;
}

/** The function behind the messengers' hooks (lib/contract/routes/hooks.ts). */
const HOOK_FUNCTION = 'receive-messenger-hook';

export class ChatlinesStack extends Stack {
  readonly table: ChatlinesTable;
  readonly functions = new Map<string, ChatlinesFunction>();
  readonly scheduled: ScheduledChatlinesFunction[] = [];
  readonly bus: EventBus;
  readonly streamConsumers: StreamConsumer[] = [];
  readonly deliveries: DeliveryWorker;
  readonly httpApi: ChatlinesHttpApi;
  readonly identity: ApiIdentity;
  readonly monitoring: Monitoring;
  readonly live: LivePush;
  readonly console: ChatlinesConsole;
  readonly files: FileBucket | undefined;
  /** Inbox channels' mail through SES: only with the `mailDomain` context (infra/aws/mail.ts). */
  readonly mail: ChatlinesMail | undefined;

  constructor(scope: Construct, id: string, props: ChatlinesStackProps = {}) {
    super(scope, id, { description: 'chatlines: Live Chat support sessions (HTTP API, Lambda, DynamoDB)', ...props });
    const routes = props.routes ?? manifestRoutes;
    const scheduledFunctions = props.scheduledFunctions ?? manifestScheduledFunctions;

    this.table = new ChatlinesTable(this, 'Data');

    for (const [file, { routes: served }] of functionsOfRoutes(routes)) {
      this.functions.set(
        file,
        new ChatlinesFunction(this, pascalCase(file), {
          functionFile: file,
          table: this.table,
          description: `chatlines ${served.map((r) => `${r.method} ${r.path}`).join(', ')}`.slice(0, 256),
          // A messenger's hook downloads the message's attachments (up to 20 MB each) before it
          // answers: up to the HTTP API's own 30 s limit rather than an API call's 10 s.
          ...(file === HOOK_FUNCTION ? { timeout: Duration.seconds(29) } : {}),
        }),
      );
    }

    // Events out: the bus and the stream's consumer.
    this.bus = new EventBus(this, 'EventBus', { eventBusName: EVENT_BUS_NAME, description: 'chatlines events (source "chatlines", detail-type = event type)' });
    for (const definition of manifestStreamFunctions) {
      this.streamConsumers.push(new StreamConsumer(this, `Stream${pascalCase(definition.function)}`, { definition, table: this.table, bus: this.bus }));
    }
    // The consumer records deliveries and queues them; the delivery function attempts them.
    this.deliveries = new DeliveryWorker(this, 'Deliveries', {
      table: this.table,
      producers: this.streamConsumers.filter((c) => grantOf(c.definition.function).queueDeliveries).map((c) => c.function),
    });

    // Only with a scheduled function on the parameter's rate: an unused parameter is a template lint finding.
    const rateMinutes = scheduledFunctions.every((s) => s.everyMinutes !== undefined)
      ? undefined
      : new CfnParameter(this, 'AggregationRateMinutes', {
          type: 'Number',
          default: 5,
          minValue: 2,
          maxValue: 1440,
          description: 'Minutes between runs of each scheduled function (the metrics aggregation).',
        });
    for (const definition of scheduledFunctions) {
      this.scheduled.push(
        new ScheduledChatlinesFunction(this, `Scheduled${pascalCase(definition.function)}`, {
          definition,
          table: this.table,
          rateMinutes: rateMinutes?.valueAsString ?? '5',
        }),
      );
    }

    const mailDomain = mailDomainContext(this);
    const delivering = [this.deliveries.function, ...this.scheduled.map((s) => s.function)];
    this.mail = mailDomain
      ? new ChatlinesMail(this, 'Mail', {
          domain: mailDomain,
          table: this.table,
          senders: delivering.filter((f) => grantOf(f.functionFile).sendMail),
        })
      : undefined;

    this.identity = new ApiIdentity(this, 'Identity');
    const routeFunctions = new Map<string, IFunction>([...this.functions].map(([file, fn]) => [file, fn.function]));
    this.httpApi = new ChatlinesHttpApi(this, 'Http', {
      routes,
      functions: routeFunctions,
      jwtIssuer: this.identity.issuer,
      jwtAudience: this.identity.audience,
    });

    this.live = new LivePush(this, 'Live', { table: this.table, jwtIssuer: this.identity.issuer, jwtAudience: this.identity.audience });

    // The visitor routes (web-chat widget) and the live authorizer (visitor sockets) sign and
    // verify visitor tokens with a key of the stack's.
    const visitorFunctions = [...this.functions, ...this.live.functions].filter(([file]) => grantOf(file).visitorSecret).map(([, fn]) => fn.function);
    if (visitorFunctions.length > 0) new VisitorTokenSecret(this, 'VisitorTokens', { functions: visitorFunctions });
    this.console = new ChatlinesConsole(this, 'Console', {
      apiEndpoint: this.httpApi.api.apiEndpoint,
      identity: this.identity,
      liveUrl: this.live.stage.url,
      filesOrigin: `https://*.s3.${Aws.REGION}.amazonaws.com`,
    });

    // Files: one bucket; the functions that sign, check or serve files get their S3 actions on it.
    const everyFunction: [string, ChatlinesFunction][] = [
      ...this.functions,
      ...this.scheduled.map((s): [string, ChatlinesFunction] => [s.definition.function, s.function]),
      ['attempt-deliveries', this.deliveries.function],
    ];
    const fileFunctions = everyFunction.filter(([file]) => (grantOf(file).files?.length ?? 0) > 0);
    this.files =
      fileFunctions.length === 0
        ? undefined
        : new FileBucket(this, 'Files', {
            functions: fileFunctions.map(([file, fn]) => ({ fn: fn.function, actions: grantOf(file).files! })),
            consoleOrigin: this.console.url,
            malwareScan: contextFlag(this, FILES_MALWARE_SCAN_CONTEXT),
          });

    // Messenger credentials: sealed under a key of the stack, opened only by the functions that connect, receive and send (and pass an operator's typing on).
    const withCredentials = [
      ...[...this.functions].map(([file, fn]) => [file, fn.function] as const),
      ...this.scheduled.map((s) => [s.definition.function, s.function.function] as const),
      ['attempt-deliveries', this.deliveries.function.function] as const,
      ...[...this.live.functions].map(([file, fn]) => [file, fn.function] as const),
    ].filter(([file]) => grantOf(file).credentialsKey);
    if (withCredentials.length > 0) {
      new CredentialsKey(this, 'MessengerCredentials', { functions: withCredentials.map(([, fn]) => fn), publicUrl: this.httpApi.api.apiEndpoint });
    }

    const allFunctions = new Map<string, IFunction>(routeFunctions);
    // By function file (unique across the triggers, infra/functions.ts): alarms and the dashboard name each function by it.
    for (const s of this.scheduled) allFunctions.set(s.definition.function, s.function.function);
    for (const [file, fn] of this.live.functions) allFunctions.set(file, fn.function);
    for (const c of this.streamConsumers) allFunctions.set(c.definition.function, c.function.function);
    allFunctions.set('attempt-deliveries', this.deliveries.function.function);
    if (this.mail) {
      allFunctions.set('receive-mail', this.mail.receive.function);
      allFunctions.set('mail-events', this.mail.events.function);
    }
    this.monitoring = new Monitoring(this, 'Monitoring', {
      api: this.httpApi.api,
      table: this.table.table,
      functions: allFunctions,
      extraAlarms: [
        ...this.scheduled.map((s) => s.deadLetterAlarm),
        ...this.streamConsumers.flatMap((c) => [c.failureAlarm, c.iteratorAgeAlarm]),
        this.live.fanOutDeadLetterAlarm,
        this.deliveries.deadLetterAlarm,
        ...(this.mail ? [this.mail.deadLetterAlarm] : []),
      ],
    });

    new CfnOutput(this, 'ApiUrl', { value: this.httpApi.url, description: 'Base URL of the HTTP API (append /v1/...).' });
    new CfnOutput(this, 'EventBusName', { value: this.bus.eventBusName, description: 'The EventBridge bus chatlines publishes its events to.' });
    if (this.files) new CfnOutput(this, 'FilesBucketName', { value: this.files.bucket.bucketName, description: 'The S3 bucket of the conversations’ files.' });
    new CfnOutput(this, 'TableName', { value: this.table.table.tableName, description: 'The DynamoDB table.' });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.topic.topicArn, description: 'Subscribe to receive alarm notifications.' });
    new CfnOutput(this, 'DashboardName', { value: this.monitoring.dashboard.dashboardName, description: 'The CloudWatch dashboard.' });
  }
}
