/**
 * Live push in AWS: an API Gateway WebSocket API whose `$connect` is authorised by a
 * Lambda REQUEST authorizer verifying the HTTP API's JWTs (same issuer and audience), the
 * `$connect` / `$disconnect` / `$default` handlers, and the fan-out: a second consumer of the
 * table stream that logs each event and posts it to the connections that may see it. One stage
 * (`live`) with throttling, and JSON access logs when the account's API Gateway logging role is
 * there (infra/aws/context.ts). Its URL is the stack output `LiveUrl`.
 */
import { ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { CfnAccount } from 'aws-cdk-lib/aws-apigateway';
import { type CfnRoute, type CfnStage, WebSocketApi, WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { FilterCriteria, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { STREAM_FILTER } from '../../lib/adapters/dynamodb/stream.ts';
import { grantOf } from '../grants.ts';
import { ChatlinesFunction, pascalCase } from './chatlines-function.ts';
import { API_GATEWAY_ACCOUNT_ROLE_CONTEXT, contextFlag, LIVE_ACCESS_LOGS_CONTEXT } from './context.ts';
import { acknowledge } from './nag.ts';
import type { ChatlinesTable } from './table.ts';

export interface LivePushProps {
  readonly table: ChatlinesTable;
  readonly jwtIssuer: string;
  readonly jwtAudience: string;
}

/** One JSON line per connect, message and disconnect; no query string, so no token is logged. */
const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  ip: '$context.identity.sourceIp',
  eventType: '$context.eventType',
  routeKey: '$context.routeKey',
  connectionId: '$context.connectionId',
  status: '$context.status',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
  subject: '$context.authorizer.principalId',
});

export class LivePush extends Construct {
  readonly api: WebSocketApi;
  readonly stage: WebSocketStage;
  /** Function file → its function. */
  readonly functions = new Map<string, ChatlinesFunction>();
  readonly fanOutDeadLetterAlarm: Alarm;
  /** The stage's access logs: only with the account's API Gateway CloudWatch role (see the constructor). */
  readonly accessLogs: LogGroup | undefined;

  constructor(scope: Construct, id: string, props: LivePushProps) {
    super(scope, id);
    const fn = (file: string, description: string, extra: { timeout?: Duration; memorySize?: number } = {}) => {
      const made = new ChatlinesFunction(this, pascalCase(file), { functionFile: file, table: props.table, description, ...extra });
      this.functions.set(file, made);
      return made;
    };

    const authorizer = fn('live-authorizer', 'chatlines live: $connect authorizer (JWT, same issuer and audience as the HTTP API)');
    authorizer.function.addEnvironment('JWT_ISSUER', props.jwtIssuer);
    authorizer.function.addEnvironment('JWT_AUDIENCE', props.jwtAudience);
    const connect = fn('live-connect', 'chatlines live: $connect (records the connection)');
    const disconnect = fn('live-disconnect', 'chatlines live: $disconnect (removes the connection)');
    const frames = fn('live-default', 'chatlines live: $default (ping, resume)');

    this.api = new WebSocketApi(this, 'Api', {
      description: 'chatlines: live events (WebSocket)',
      connectRouteOptions: {
        integration: new WebSocketLambdaIntegration('ConnectIntegration', connect.function),
        // Browsers cannot set headers on a WebSocket: the token travels in `?token=`.
        authorizer: new WebSocketLambdaAuthorizer('JwtAuthorizer', authorizer.function, { identitySource: ['route.request.querystring.token'] }),
      },
      disconnectRouteOptions: { integration: new WebSocketLambdaIntegration('DisconnectIntegration', disconnect.function) },
      defaultRouteOptions: { integration: new WebSocketLambdaIntegration('FramesIntegration', frames.function) },
    });
    this.stage = new WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName: 'live',
      autoDeploy: true,
      throttle: { rateLimit: 100, burstLimit: 200 },
    });

    // Access logs. WebSocket (like REST) APIs log through the account's API Gateway CloudWatch
    // role (one per account and region, shared by every REST and WebSocket API there): a stage
    // with access logs fails to deploy without it. The stack sets it only when asked
    // (`-c apiGatewayAccountRole=true`), since that replaces the role of every API of the region;
    // `-c liveAccessLogs=true` turns the logs on in an account that has the role already.
    const setsAccountRole = contextFlag(this, API_GATEWAY_ACCOUNT_ROLE_CONTEXT);
    const accessLogs = setsAccountRole || contextFlag(this, LIVE_ACCESS_LOGS_CONTEXT);
    const cfnStage = this.stage.node.defaultChild as CfnStage;
    if (accessLogs) {
      this.accessLogs = new LogGroup(this, 'AccessLogs', { retention: RetentionDays.ONE_MONTH });
      cfnStage.accessLogSettings = { destinationArn: this.accessLogs.logGroupArn, format: ACCESS_LOG_FORMAT };
    } else {
      const why = `WebSocket access logs need the account's API Gateway CloudWatch role, which this stack leaves alone unless deployed with -c ${API_GATEWAY_ACCOUNT_ROLE_CONTEXT}=true (or -c ${LIVE_ACCESS_LOGS_CONTEXT}=true where the account has it); the live functions log every connect, frame and disconnect themselves.`;
      acknowledge(this.stage, 'AwsSolutions-APIG1', why);
      acknowledge(this.stage, 'Serverless-APIGWAccessLogging', why);
    }
    if (setsAccountRole) {
      const cloudWatchRole = new Role(this, 'ApiGatewayLogsRole', {
        assumedBy: new ServicePrincipal('apigateway.amazonaws.com'),
        description: 'API Gateway (account setting): writes WebSocket access and execution logs to CloudWatch Logs',
        inlinePolicies: {
          logs: new PolicyDocument({
            statements: [
              new PolicyStatement({
                actions: [
                  'logs:CreateLogGroup',
                  'logs:CreateLogStream',
                  'logs:DescribeLogGroups',
                  'logs:DescribeLogStreams',
                  'logs:PutLogEvents',
                  'logs:GetLogEvents',
                  'logs:FilterLogEvents',
                ],
                resources: [Stack.of(this).formatArn({ service: 'logs', resource: 'log-group', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
              }),
            ],
          }),
        },
      });
      // The account setting outlives the stack (CloudFormation cannot unset it): the role stays
      // too, so that the other APIs of the region keep a role that exists.
      cloudWatchRole.applyRemovalPolicy(RemovalPolicy.RETAIN);
      acknowledge(
        cloudWatchRole,
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:*]',
        'API Gateway writes execution logs to log groups it names per API and stage at run time, so the account role cannot name them in advance.',
      );
      const account = new CfnAccount(this, 'ApiGatewayAccount', { cloudWatchRoleArn: cloudWatchRole.roleArn });
      cfnStage.node.addDependency(account);
    }

    for (const route of ['$disconnect', '$default']) {
      const cfnRoute = this.api.node.findChild(`${route}-Route`).node.findChild('Resource') as CfnRoute;
      acknowledge(
        cfnRoute,
        'AwsSolutions-APIG4',
        `WebSocket APIs authorise only $connect; ${route} runs on a connection whose token $connect's authorizer already verified.`,
      );
    }

    // The fan-out: a second consumer of the table stream, same filter as the stream consumer.
    const deadLetters = new Queue(this, 'FanOutDeadLetters', { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14) });
    acknowledge(deadLetters, 'AwsSolutions-SQS3', 'This queue is itself the on-failure destination of the live fan-out; nothing consumes it to fail again.');
    acknowledge(
      deadLetters,
      'Serverless-SQSRedrivePolicy',
      'This queue is itself the on-failure destination of the live fan-out; a redrive policy would need yet another queue.',
    );
    const fanOut = fn('live-fanout', 'chatlines live: stream → event log → postToConnection', { timeout: Duration.seconds(60) });
    fanOut.function.addEnvironment('LIVE_ENDPOINT', this.stage.callbackUrl);
    fanOut.function.addEventSource(
      new DynamoEventSource(props.table.table, {
        startingPosition: StartingPosition.LATEST,
        batchSize: 100,
        maxBatchingWindow: Duration.millis(0),
        parallelizationFactor: 1,
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        retryAttempts: 5,
        maxRecordAge: Duration.hours(1),
        onFailure: new SqsDlq(deadLetters),
        filters: [FilterCriteria.filter(STREAM_FILTER as never)],
      }),
    );
    // Posting to a connection (`POST @connections/{id}`) and closing one whose token expired
    // (`DELETE @connections/{id}`): no function reads (GET) a connection.
    const apiLogicalId = Stack.of(this).getLogicalId(this.api.node.defaultChild as never);
    const connections = (method: 'POST' | 'DELETE') =>
      Stack.of(this).formatArn({ service: 'execute-api', resource: this.api.apiId, resourceName: `${this.stage.stageName}/${method}/@connections/*` });
    for (const [file, made] of this.functions) {
      if (!grantOf(file).postToConnection) continue;
      made.role.addToPolicy(new PolicyStatement({ actions: ['execute-api:ManageConnections'], resources: [connections('POST'), connections('DELETE')] }));
      for (const method of ['POST', 'DELETE'] as const) {
        acknowledge(
          made.role,
          `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${apiLogicalId}>/live/${method}/@connections/*]`,
          `${method === 'POST' ? 'postToConnection' : 'DeleteConnection'} names connection ids that exist only at run time; the grant is limited to ${method} on this API's stage.`,
        );
      }
    }
    this.fanOutDeadLetterAlarm = new Alarm(this, 'FanOutDeadLetterAlarm', {
      alarmDescription: 'Live fan-out batches failed after their retries (their stream positions are in the queue).',
      metric: deadLetters.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    new CfnOutput(Stack.of(this), 'LiveUrl', { value: this.stage.url, description: 'The live WebSocket (wss://…/live?token=<JWT>).' });
  }
}
