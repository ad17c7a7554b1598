/**
 * The HTTP API: one route per manifest entry (in a nested stack), each integrated with its function's Lambda, the
 * JWT authorizer on every route the manifest marks `auth`, JSON access logs, default-stage
 * throttling and CORS only for the origins the `CorsAllowedOrigins` parameter names.
 */
import { Aws, CfnCondition, CfnParameter, Fn, NestedStack, Stack } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  type CfnApi,
  type CfnRoute,
  type CfnStage,
  HttpApi,
  HttpAuthorizer,
  HttpAuthorizerType,
  HttpMethod,
  HttpNoneAuthorizer,
  HttpRoute,
  HttpRouteKey,
  HttpStage,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { RouteDefinition } from '../../lib/contract/routes.ts';
import { pascalCase } from './chatlines-function.ts';
import { acknowledge } from './nag.ts';

export interface ChatlinesHttpApiProps {
  readonly routes: readonly RouteDefinition[];
  /** The Lambda for each function file named by `routes`. */
  readonly functions: ReadonlyMap<string, IFunction>;
  readonly jwtIssuer: string;
  readonly jwtAudience: string;
}

/** One JSON line per request; no headers, so no token ever reaches the access log. */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    requestTime: '$context.requestTime',
    ip: '$context.identity.sourceIp',
    method: '$context.httpMethod',
    routeKey: '$context.routeKey',
    status: '$context.status',
    responseLength: '$context.responseLength',
    latencyMs: '$context.responseLatency',
    integrationLatencyMs: '$context.integrationLatency',
    integrationError: '$context.integrationErrorMessage',
    authorizerError: '$context.authorizer.error',
    subject: '$context.authorizer.claims.sub',
  }),
);

export class ChatlinesHttpApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogs: LogGroup;
  readonly routes: HttpRoute[] = [];
  /** The nested stack that holds the routes, their integrations and their invoke permissions. */
  readonly routeStack: NestedStack;

  constructor(scope: Construct, id: string, props: ChatlinesHttpApiProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const rate = new CfnParameter(stack, 'ApiThrottleRateLimit', {
      type: 'Number',
      default: 100,
      minValue: 1,
      description: 'Steady-state requests per second allowed on the default stage (every route).',
    });
    const burst = new CfnParameter(stack, 'ApiThrottleBurstLimit', {
      type: 'Number',
      default: 200,
      minValue: 1,
      description: 'Burst of requests allowed on the default stage (every route).',
    });
    const origins = new CfnParameter(stack, 'CorsAllowedOrigins', {
      type: 'String',
      default: '',
      // Explicit origins only: a wildcard would let any site call the API with a user's token.
      allowedPattern: '^$|^https?://[^,*\\s]+(,https?://[^,*\\s]+)*$',
      constraintDescription: 'comma-separated http(s) origins without wildcards, or empty',
      description: 'Comma-separated origins allowed by CORS (https://app.example.com). Empty: no CORS.',
    });
    const corsEnabled = new CfnCondition(stack, 'CorsEnabled', {
      expression: Fn.conditionNot(Fn.conditionEquals(origins.valueAsString, '')),
    });

    this.api = new HttpApi(this, 'Api', {
      description: 'chatlines: Live Chat support sessions',
      createDefaultStage: false,
    });
    (this.api.node.defaultChild as CfnApi).addPropertyOverride(
      'CorsConfiguration',
      Fn.conditionIf(
        corsEnabled.logicalId,
        {
          AllowOrigins: Fn.split(',', origins.valueAsString),
          AllowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
          AllowHeaders: ['authorization', 'content-type', 'idempotency-key'],
          ExposeHeaders: ['idempotent-replayed', 'retry-after'],
          MaxAge: 600,
        },
        Aws.NO_VALUE,
      ),
    );

    this.accessLogs = new LogGroup(this, 'AccessLogs', { retention: RetentionDays.ONE_MONTH });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: rate.valueAsNumber, burstLimit: burst.valueAsNumber },
      accessLogSettings: { destination: new LogGroupLogDestination(this.accessLogs), format: ACCESS_LOG_FORMAT },
    });

    // Per-route limits from the manifest, tighter than the stage default.
    const routeSettings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> = {};
    for (const route of props.routes) {
      if (route.throttle) {
        routeSettings[`${route.method} ${route.path}`] = { ThrottlingRateLimit: route.throttle.rate, ThrottlingBurstLimit: route.throttle.burst };
      }
    }
    if (Object.keys(routeSettings).length > 0) {
      (this.stage.node.defaultChild as CfnStage).addPropertyOverride('RouteSettings', routeSettings);
    }

    // The JWT authorizer, in this stack: its issuer and audience are conditional on the stack's
    // own parameters (identity.ts), which a nested stack could not see.
    const jwt = new HttpAuthorizer(this, 'JwtAuthorizer', {
      httpApi: this.api,
      type: HttpAuthorizerType.JWT,
      identitySource: ['$request.header.Authorization'],
      jwtIssuer: props.jwtIssuer,
      jwtAudience: [props.jwtAudience],
    });
    const authorizer = HttpAuthorizer.fromHttpAuthorizerAttributes(this, 'JwtAuthorizerOfRoutes', {
      authorizerId: jwt.authorizerId,
      authorizerType: HttpAuthorizerType.JWT,
    });

    // The route table (a route, an integration per function, an invoke permission per route:
    // three resources a route) in a nested stack of its own, so that the stack's other resources
    // and the routes each stay far under CloudFormation's 500 (docs/decisions/stack-shape.md).
    this.routeStack = new NestedStack(this, 'Routes', { description: 'chatlines: the HTTP API routes, their Lambda integrations and invoke permissions' });
    const integrations = new Map<string, HttpLambdaIntegration>();
    for (const route of props.routes) {
      const fn = props.functions.get(route.function);
      if (!fn) throw new Error(`no Lambda for function file ${route.function}`);
      let integration = integrations.get(route.function);
      if (!integration) {
        integration = new HttpLambdaIntegration(`${pascalCase(route.function)}Integration`, fn);
        integrations.set(route.function, integration);
      }
      const added = new HttpRoute(this.routeStack, `${route.method}${route.path}`, {
        httpApi: this.api,
        routeKey: HttpRouteKey.with(route.path, HttpMethod[route.method]),
        integration,
        authorizer: route.auth ? authorizer : new HttpNoneAuthorizer(),
      });
      this.routes.push(added);
      if (!route.auth) {
        acknowledge(
          added.node.defaultChild as CfnRoute,
          'AwsSolutions-APIG4',
          route.visitor
            ? `${route.method} ${route.path} is a web-chat visitor route: no staff JWT by design; the function verifies the visitor token and the route is throttled.`
            : route.raw
              ? `${route.method} ${route.path} is a messenger's webhook: no staff JWT by design; the function verifies the messenger's own proof before it reads anything, and the route is throttled.`
              : `${route.method} ${route.path} is public by contract (health and the OpenAPI document need no token).`,
        );
      }
    }
    // The stage's per-route settings name routes: they exist first.
    this.stage.node.addDependency(this.routeStack);
  }

  /** The invoke URL of the default stage. */
  get url(): string {
    return this.stage.url;
  }
}
