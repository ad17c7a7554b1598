/**
 * The synthesized template, read the way CloudFormation would deploy it: parameters at their
 * defaults, conditions evaluated, and every `Ref` / `Fn::GetAtt` / `Fn::Join` / `Fn::Sub` /
 * `Fn::If` … resolved to a local stand-in (the DynamoDB Local table's name, the gateway's URLs,
 * made-up but well-formed ARNs in one account and region). From it: each function (its asset
 * folder in cdk.out, environment, role policies), the HTTP and WebSocket routes, the stream
 * mappings and the schedules, all read generically from the resource types.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PolicyDocument } from './iam.ts';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const PARTITION = 'aws';
export const URL_SUFFIX = 'amazonaws.com';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
interface Resource {
  Type: string;
  Properties?: Record<string, Json>;
  Condition?: string;
  Metadata?: Record<string, Json>;
}
interface Template {
  Parameters?: Record<string, { Default?: Json; Type: string }>;
  Conditions?: Record<string, Json>;
  Resources: Record<string, Resource>;
}

/** What the template's names and URLs stand for locally. */
export interface StandIns {
  /** The DynamoDB Local table every `AWS::DynamoDB::Table` resolves to (one table). */
  tableName: string;
  /** The stream label of that table (DynamoDB Local's), for the stream ARN. */
  streamLabel: string;
  /** The gateway's base URL: the user pool's issuer and the WebSocket callback URL point into it. */
  gatewayUrl: string;
  /** Overrides of parameter defaults. */
  parameters?: Record<string, string>;
}

const NO_VALUE = Symbol('AWS::NoValue');

export interface FunctionSpec {
  logicalId: string;
  /** The `chatlines:function` tag (the function file's name), or the logical id. */
  name: string;
  runtime: string;
  /** cdk.out/asset.<hash>: holds `index.mjs`. */
  assetDir: string;
  handler: string;
  environment: Record<string, string>;
  timeoutSeconds: number;
  memoryMb: number;
  roleLogicalId: string;
  roleArn: string;
  policies: PolicyDocument[];
  /** Managed policies the role names that the harness cannot read (reported). */
  unknownManagedPolicies: string[];
  logGroupName: string;
  tracing: boolean;
  arn: string;
}

export interface HttpRouteSpec {
  apiId: string;
  routeKey: string;
  method: string;
  path: string;
  functionId: string;
  payloadFormatVersion: string;
  authorization: 'NONE' | 'JWT' | 'CUSTOM' | 'AWS_IAM';
  jwt?: { issuer: string; audience: string[]; identitySource: string[] };
  scopes: string[];
}

export interface WebSocketRouteSpec {
  apiId: string;
  routeKey: string;
  functionId: string;
  authorizer?: { id: string; functionId: string; identitySource: string[] };
}

export interface StreamMappingSpec {
  logicalId: string;
  functionId: string;
  eventSourceArn: string;
  batchSize: number;
  bisectBatchOnFunctionError: boolean;
  onFailureArn?: string;
  filters: Record<string, unknown>[];
  reportBatchItemFailures: boolean;
  maximumBatchingWindowSeconds: number;
  maximumRecordAgeSeconds: number;
  maximumRetryAttempts: number;
  startingPosition: string;
}

/** An SQS event source mapping (the queue's redrive policy and visibility timeout with it). */
export interface QueueMappingSpec {
  logicalId: string;
  functionId: string;
  queueArn: string;
  batchSize: number;
  reportBatchItemFailures: boolean;
  visibilityTimeoutSeconds: number;
  redrive?: { deadLetterTargetArn: string; maxReceiveCount: number };
}

export interface ScheduleSpec {
  logicalId: string;
  kind: 'scheduler' | 'rule';
  expression: string;
  functionId: string;
  input?: string;
  /** The role EventBridge Scheduler assumes to invoke the target. */
  roleArn?: string;
}

export interface EventRuleSpec {
  logicalId: string;
  busName: string;
  pattern: Record<string, unknown>;
  targets: string[];
}

export interface LambdaPermissionSpec {
  functionId: string;
  principal: string;
  action: string;
  sourceArn?: string;
}

export class ResolvedTemplate {
  readonly template: Template;
  readonly functions = new Map<string, FunctionSpec>();
  readonly httpRoutes: HttpRouteSpec[] = [];
  readonly webSocketRoutes: WebSocketRouteSpec[] = [];
  readonly streamMappings: StreamMappingSpec[] = [];
  readonly queueMappings: QueueMappingSpec[] = [];
  readonly schedules: ScheduleSpec[] = [];
  readonly eventRules: EventRuleSpec[] = [];
  readonly permissions: LambdaPermissionSpec[] = [];
  /** Secret ARN → the secret's resource, for seeding values. */
  readonly secrets = new Map<string, string>();
  /** Role ARN → its policies (function and scheduler roles alike). */
  readonly rolePolicies = new Map<string, PolicyDocument[]>();
  readonly conditions = new Map<string, boolean>();
  private readonly parameters: Record<string, Json>;

  constructor(
    readonly cdkOut: string,
    stackName: string,
    readonly standIns: StandIns,
  ) {
    this.template = JSON.parse(readFileSync(join(cdkOut, `${stackName}.template.json`), 'utf8')) as Template;
    this.parameters = {};
    for (const [name, p] of Object.entries(this.template.Parameters ?? {})) {
      const given = standIns.parameters?.[name];
      this.parameters[name] = given ?? (p.Default === undefined ? '' : String(p.Default));
    }
    for (const name of Object.keys(this.template.Conditions ?? {})) this.condition(name);
    this.readRoles();
    this.readFunctions();
    this.readApis();
    this.readMappings();
    this.readSchedulesAndRules();
    this.readPermissions();
  }

  private get resources(): [string, Resource][] {
    return Object.entries(this.template.Resources).filter(([, r]) => !r.Condition || this.condition(r.Condition));
  }

  private ofType(type: string): [string, Resource][] {
    return this.resources.filter(([, r]) => r.Type === type);
  }

  condition(name: string): boolean {
    let value = this.conditions.get(name);
    if (value === undefined) {
      const expression = this.template.Conditions?.[name];
      if (expression === undefined) throw new Error(`unknown condition ${name}`);
      value = Boolean(this.resolve(expression));
      this.conditions.set(name, value);
    }
    return value;
  }

  // --- names and ARNs of the stand-ins -------------------------------------------------

  private tableName(): string {
    return this.standIns.tableName;
  }

  private physicalName(logicalId: string): string {
    const resource = this.template.Resources[logicalId];
    if (!resource) throw new Error(`no resource ${logicalId}`);
    const p = resource.Properties ?? {};
    switch (resource.Type) {
      case 'AWS::DynamoDB::Table':
        return this.tableName();
      case 'AWS::Events::EventBus':
        return String(this.resolve(p.Name ?? logicalId));
      case 'AWS::Lambda::Function':
        return p.FunctionName ? String(this.resolve(p.FunctionName)) : logicalId;
      case 'AWS::Logs::LogGroup':
        return p.LogGroupName ? String(this.resolve(p.LogGroupName)) : `/aws/verify/${logicalId}`;
      case 'AWS::SQS::Queue':
        return p.QueueName ? String(this.resolve(p.QueueName)) : logicalId;
      case 'AWS::ApiGatewayV2::Api':
        return logicalId
          .toLowerCase()
          .replace(/[^a-z0-9]/g, '')
          .slice(0, 10);
      case 'AWS::ApiGatewayV2::Stage':
        return String(this.resolve(p.StageName ?? '$default'));
      case 'AWS::Cognito::UserPool':
        return `${REGION}_${logicalId.replace(/[^A-Za-z0-9]/g, '').slice(0, 9)}`;
      case 'AWS::Cognito::UserPoolClient':
        return `client${logicalId.toLowerCase().replace(/[^a-z0-9]/g, '')}`.slice(0, 26);
      default:
        return logicalId;
    }
  }

  private ref(name: string): Json | typeof NO_VALUE {
    switch (name) {
      case 'AWS::Region':
        return REGION;
      case 'AWS::AccountId':
        return ACCOUNT;
      case 'AWS::Partition':
        return PARTITION;
      case 'AWS::URLSuffix':
        return URL_SUFFIX;
      case 'AWS::StackName':
        return 'Chatlines';
      case 'AWS::StackId':
        return `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/Chatlines/verify`;
      case 'AWS::NoValue':
        return NO_VALUE;
    }
    if (name in this.parameters) return this.parameters[name]!;
    const resource = this.template.Resources[name];
    if (!resource) throw new Error(`Ref to unknown ${name}`);
    switch (resource.Type) {
      case 'AWS::SQS::Queue':
        return `https://sqs.${REGION}.${URL_SUFFIX}/${ACCOUNT}/${this.physicalName(name)}`;
      case 'AWS::SecretsManager::Secret':
        return `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-AbCdEf`;
      case 'AWS::SNS::Topic':
        return `arn:aws:sns:${REGION}:${ACCOUNT}:${name}`;
      default:
        return this.physicalName(name);
    }
  }

  arnOf(logicalId: string): string {
    return String(this.getAtt(logicalId, 'Arn'));
  }

  private getAtt(logicalId: string, attribute: string): Json {
    const resource = this.template.Resources[logicalId];
    if (!resource) throw new Error(`GetAtt of unknown ${logicalId}`);
    const name = this.physicalName(logicalId);
    const key = `${resource.Type}.${attribute}`;
    switch (key) {
      case 'AWS::DynamoDB::Table.Arn':
        return `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}`;
      case 'AWS::DynamoDB::Table.StreamArn':
        return `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}/stream/${this.standIns.streamLabel}`;
      case 'AWS::Lambda::Function.Arn':
        return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
      case 'AWS::IAM::Role.Arn':
        return `arn:aws:iam::${ACCOUNT}:role/${name}`;
      case 'AWS::SQS::Queue.Arn':
        return `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;
      case 'AWS::SQS::Queue.QueueName':
        return name;
      case 'AWS::Events::EventBus.Arn':
        return `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${name}`;
      case 'AWS::Events::EventBus.Name':
        return name;
      case 'AWS::Logs::LogGroup.Arn':
        return `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${name}:*`;
      case 'AWS::Cognito::UserPool.ProviderURL':
        // The issuer serves its JWKS from the gateway (`<issuer>/.well-known/jwks.json`).
        return `${this.standIns.gatewayUrl}/idp/${name}`;
      case 'AWS::Cognito::UserPool.Arn':
        return `arn:aws:cognito-idp:${REGION}:${ACCOUNT}:userpool/${name}`;
      case 'AWS::Cognito::UserPool.ProviderName':
        return `cognito-idp.${REGION}.${URL_SUFFIX}/${name}`;
      case 'AWS::ApiGatewayV2::Api.ApiEndpoint': {
        const protocol = resource.Properties?.ProtocolType === 'WEBSOCKET' ? 'wss' : 'https';
        return `${protocol}://${name}.execute-api.${REGION}.${URL_SUFFIX}`;
      }
      case 'AWS::ApiGatewayV2::Api.ApiId':
        return name;
      case 'AWS::SNS::Topic.TopicArn':
        return `arn:aws:sns:${REGION}:${ACCOUNT}:${logicalId}`;
      case 'AWS::SecretsManager::Secret.Id':
        return String(this.ref(logicalId));
      default:
        if (attribute === 'Arn') return `arn:aws:${resource.Type.split('::')[1]!.toLowerCase()}:${REGION}:${ACCOUNT}:${logicalId}`;
        return `${logicalId}.${attribute}`;
    }
  }

  /** Resolves every intrinsic function in `value`. */
  resolve(value: Json): Json {
    const out = this.resolveInner(value);
    return out === NO_VALUE ? null : out;
  }

  private resolveInner(value: Json): Json | typeof NO_VALUE {
    if (Array.isArray(value)) {
      return value.map((v) => this.resolveInner(v)).filter((v): v is Json => v !== NO_VALUE);
    }
    if (value === null || typeof value !== 'object') return value;
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const [fn] = keys as [string];
      const arg = value[fn] as Json;
      switch (fn) {
        case 'Ref':
          return this.ref(String(arg));
        case 'Fn::GetAtt': {
          const [id, attribute] = Array.isArray(arg) ? (arg as string[]) : String(arg).split(/\.(.*)/);
          return this.getAtt(id!, attribute!);
        }
        case 'Fn::Join': {
          const [sep, parts] = arg as [string, Json];
          return (this.resolveInner(parts) as Json[]).map(String).join(sep);
        }
        case 'Fn::Split': {
          const [sep, source] = arg as [string, Json];
          return String(this.resolveInner(source)).split(sep);
        }
        case 'Fn::Select': {
          const [index, list] = arg as [Json, Json];
          return (this.resolveInner(list) as Json[])[Number(this.resolveInner(index))] ?? null;
        }
        case 'Fn::Sub': {
          const [text, vars] = Array.isArray(arg) ? (arg as [string, Record<string, Json>]) : [String(arg), {}];
          return text.replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
            if (name in vars) return String(this.resolveInner(vars[name]!));
            const [id, attribute] = name.split(/\.(.*)/);
            return String(attribute ? this.getAtt(id!, attribute) : this.ref(id!));
          });
        }
        case 'Fn::If': {
          const [condition, whenTrue, whenFalse] = arg as [string, Json, Json];
          return this.condition(condition) ? this.resolveInner(whenTrue) : this.resolveInner(whenFalse);
        }
        case 'Fn::Equals': {
          const [a, b] = arg as [Json, Json];
          return JSON.stringify(this.resolveInner(a)) === JSON.stringify(this.resolveInner(b));
        }
        case 'Fn::Not':
          return !this.resolveInner((arg as Json[])[0]!);
        case 'Fn::And':
          return (arg as Json[]).every((c) => Boolean(this.resolveInner(c)));
        case 'Fn::Or':
          return (arg as Json[]).some((c) => Boolean(this.resolveInner(c)));
        case 'Condition':
          return this.condition(String(arg));
        case 'Fn::GetAZs':
          return [`${REGION}a`, `${REGION}b`];
        case 'Fn::Base64':
          return Buffer.from(String(this.resolveInner(arg))).toString('base64');
      }
    }
    const out: Record<string, Json> = {};
    for (const [k, v] of Object.entries(value)) {
      const resolved = this.resolveInner(v);
      if (resolved !== NO_VALUE) out[k] = resolved;
    }
    return out;
  }

  // --- the parts of the stack the harness drives ------------------------------------------

  private readRoles(): void {
    const byRole = new Map<string, PolicyDocument[]>();
    const add = (roleLogicalId: string, doc: Json) => {
      const list = byRole.get(roleLogicalId) ?? [];
      list.push(this.resolve(doc) as unknown as PolicyDocument);
      byRole.set(roleLogicalId, list);
    };
    for (const [id, r] of this.ofType('AWS::IAM::Role')) {
      byRole.set(id, byRole.get(id) ?? []);
      for (const inline of (r.Properties?.Policies as { PolicyDocument: Json }[] | undefined) ?? []) add(id, inline.PolicyDocument);
    }
    for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
      for (const [, r] of this.ofType(type)) {
        for (const role of (r.Properties?.Roles as Json[] | undefined) ?? []) {
          const roleRef = (role as { Ref?: string }).Ref;
          if (roleRef) add(roleRef, r.Properties!.PolicyDocument!);
        }
      }
    }
    for (const [id, policies] of byRole) this.rolePolicies.set(this.arnOf(id), policies);
  }

  private readFunctions(): void {
    for (const [id, r] of this.ofType('AWS::Lambda::Function')) {
      const p = r.Properties ?? {};
      const roleRef = p.Role as { 'Fn::GetAtt'?: [string, string] };
      const roleLogicalId = roleRef?.['Fn::GetAtt']?.[0] ?? '';
      const env: Record<string, string> = {};
      const variables = (this.resolve((p.Environment as { Variables?: Json } | undefined)?.Variables ?? {}) ?? {}) as Record<string, Json>;
      for (const [k, v] of Object.entries(variables)) env[k] = String(v);
      const tags = (p.Tags as { Key: string; Value: string }[] | undefined) ?? [];
      const managed = ((this.template.Resources[roleLogicalId]?.Properties?.ManagedPolicyArns as Json[] | undefined) ?? []).map((m) => String(this.resolve(m)));
      const logGroup = (p.LoggingConfig as { LogGroup?: Json } | undefined)?.LogGroup;
      this.functions.set(id, {
        logicalId: id,
        name: tags.find((t) => t.Key === 'chatlines:function')?.Value ?? id,
        runtime: String(p.Runtime ?? ''),
        assetDir: join(this.cdkOut, String(r.Metadata?.['aws:asset:path'] ?? '')),
        handler: String(p.Handler ?? 'index.handler'),
        environment: env,
        timeoutSeconds: Number(p.Timeout ?? 3),
        memoryMb: Number(p.MemorySize ?? 128),
        roleLogicalId,
        roleArn: roleLogicalId ? this.arnOf(roleLogicalId) : '',
        policies: roleLogicalId ? (this.rolePolicies.get(this.arnOf(roleLogicalId)) ?? []) : [],
        unknownManagedPolicies: managed,
        logGroupName: logGroup ? String(this.resolve(logGroup)) : `/aws/lambda/${id}`,
        tracing: (p.TracingConfig as { Mode?: string } | undefined)?.Mode === 'Active',
        arn: this.arnOf(id),
      });
    }
  }

  /** The function whose ARN an integration or target names (directly or in an invocation URI). */
  functionOfArn(text: string): string | undefined {
    for (const f of this.functions.values()) if (text === f.arn || text.includes(`${f.arn}/`) || text.startsWith(`${f.arn}:`)) return f.logicalId;
    return undefined;
  }

  private readApis(): void {
    const apis = new Map(this.ofType('AWS::ApiGatewayV2::Api'));
    const integrations = new Map(this.ofType('AWS::ApiGatewayV2::Integration'));
    const authorizers = new Map(this.ofType('AWS::ApiGatewayV2::Authorizer'));
    for (const [, r] of this.ofType('AWS::ApiGatewayV2::Route')) {
      const p = r.Properties ?? {};
      const apiId = (p.ApiId as { Ref: string }).Ref;
      const api = apis.get(apiId);
      const target = String(this.resolve(p.Target ?? ''));
      const integration = integrations.get(target.replace(/^integrations\//, ''));
      if (!api || !integration) continue;
      const functionId = this.functionOfArn(String(this.resolve(integration.Properties?.IntegrationUri ?? '')));
      if (!functionId) throw new Error(`route ${String(p.RouteKey)}: no function behind its integration`);
      const authorizerId = (p.AuthorizerId as { Ref?: string } | undefined)?.Ref;
      const authorizer = authorizerId ? authorizers.get(authorizerId) : undefined;
      const routeKey = String(this.resolve(p.RouteKey!));
      if (api.Properties?.ProtocolType === 'WEBSOCKET') {
        const authorizerFunction = authorizer ? this.functionOfArn(String(this.resolve(authorizer.Properties?.AuthorizerUri ?? ''))) : undefined;
        this.webSocketRoutes.push({
          apiId: this.physicalName(apiId),
          routeKey,
          functionId,
          ...(authorizer && authorizerFunction
            ? {
                authorizer: {
                  id: authorizerId!,
                  functionId: authorizerFunction,
                  identitySource: (this.resolve(authorizer.Properties?.IdentitySource ?? []) as string[]) ?? [],
                },
              }
            : {}),
        });
        continue;
      }
      const [method, path] = routeKey === '$default' ? ['ANY', '$default'] : (routeKey.split(' ') as [string, string]);
      const jwt =
        authorizer?.Properties?.AuthorizerType === 'JWT'
          ? (this.resolve(authorizer.Properties.JwtConfiguration!) as { Issuer: string; Audience: string[] })
          : undefined;
      this.httpRoutes.push({
        apiId: this.physicalName(apiId),
        routeKey,
        method,
        path,
        functionId,
        payloadFormatVersion: String(integration.Properties?.PayloadFormatVersion ?? '2.0'),
        authorization: String(p.AuthorizationType ?? 'NONE') as HttpRouteSpec['authorization'],
        ...(jwt
          ? {
              jwt: {
                issuer: jwt.Issuer,
                audience: jwt.Audience,
                identitySource: (this.resolve(authorizer!.Properties!.IdentitySource ?? []) as string[]) ?? ['$request.header.Authorization'],
              },
            }
          : {}),
        scopes: (this.resolve(p.AuthorizationScopes ?? []) as string[]) ?? [],
      });
    }
  }

  private readMappings(): void {
    for (const [id, r] of this.ofType('AWS::Lambda::EventSourceMapping')) {
      const p = this.resolve(r.Properties as Json) as Record<string, Json>;
      const functionName = String(p.FunctionName);
      const functionId = [...this.functions.values()].find((f) => f.arn === functionName || this.physicalName(f.logicalId) === functionName)?.logicalId;
      if (!functionId) throw new Error(`mapping ${id}: unknown function ${functionName}`);
      if (String(p.EventSourceArn).startsWith('arn:aws:sqs:')) {
        const queueArn = String(p.EventSourceArn);
        const queue = this.ofType('AWS::SQS::Queue').find(([qid]) => this.arnOf(qid) === queueArn)?.[1];
        const q = (queue ? this.resolve(queue.Properties ?? {}) : {}) as Record<string, Json>;
        const redrive = (typeof q.RedrivePolicy === 'string' ? JSON.parse(q.RedrivePolicy) : q.RedrivePolicy) as
          | { deadLetterTargetArn?: string; maxReceiveCount?: number }
          | undefined;
        this.queueMappings.push({
          logicalId: id,
          functionId,
          queueArn,
          batchSize: Number(p.BatchSize ?? 10),
          reportBatchItemFailures: ((p.FunctionResponseTypes as string[] | undefined) ?? []).includes('ReportBatchItemFailures'),
          visibilityTimeoutSeconds: Number(q.VisibilityTimeout ?? 30),
          ...(redrive?.deadLetterTargetArn
            ? { redrive: { deadLetterTargetArn: redrive.deadLetterTargetArn, maxReceiveCount: Number(redrive.maxReceiveCount ?? 1) } }
            : {}),
        });
        continue;
      }
      const filters = ((p.FilterCriteria as { Filters?: { Pattern: string }[] } | undefined)?.Filters ?? []).map(
        (f) => JSON.parse(f.Pattern) as Record<string, unknown>,
      );
      this.streamMappings.push({
        logicalId: id,
        functionId,
        eventSourceArn: String(p.EventSourceArn),
        batchSize: Number(p.BatchSize ?? 100),
        bisectBatchOnFunctionError: p.BisectBatchOnFunctionError === true,
        ...((p.DestinationConfig as { OnFailure?: { Destination?: string } } | undefined)?.OnFailure?.Destination
          ? { onFailureArn: (p.DestinationConfig as { OnFailure: { Destination: string } }).OnFailure.Destination }
          : {}),
        filters,
        reportBatchItemFailures: ((p.FunctionResponseTypes as string[] | undefined) ?? []).includes('ReportBatchItemFailures'),
        maximumBatchingWindowSeconds: Number(p.MaximumBatchingWindowInSeconds ?? 0),
        maximumRecordAgeSeconds: Number(p.MaximumRecordAgeInSeconds ?? -1),
        maximumRetryAttempts: Number(p.MaximumRetryAttempts ?? -1),
        startingPosition: String(p.StartingPosition ?? 'LATEST'),
      });
    }
  }

  private readSchedulesAndRules(): void {
    for (const [id, r] of this.ofType('AWS::Scheduler::Schedule')) {
      const p = this.resolve(r.Properties as Json) as Record<string, Json>;
      const target = p.Target as { Arn: string; Input?: string; RoleArn?: string };
      const functionId = this.functionOfArn(target.Arn);
      if (!functionId) continue;
      this.schedules.push({
        logicalId: id,
        kind: 'scheduler',
        expression: String(p.ScheduleExpression),
        functionId,
        ...(target.Input ? { input: target.Input } : {}),
        ...(target.RoleArn ? { roleArn: target.RoleArn } : {}),
      });
    }
    for (const [id, r] of this.ofType('AWS::Events::Rule')) {
      const p = this.resolve(r.Properties as Json) as Record<string, Json>;
      const targets = ((p.Targets as { Arn: string; Input?: string }[] | undefined) ?? []).map((t) => t.Arn);
      if (p.ScheduleExpression) {
        for (const arn of targets) {
          const functionId = this.functionOfArn(arn);
          if (functionId) this.schedules.push({ logicalId: id, kind: 'rule', expression: String(p.ScheduleExpression), functionId });
        }
      }
      if (p.EventPattern) {
        const bus = String(p.EventBusName ?? 'default');
        this.eventRules.push({
          logicalId: id,
          busName: bus.startsWith('arn:') ? bus.split('/').pop()! : bus,
          pattern: (typeof p.EventPattern === 'string' ? JSON.parse(p.EventPattern) : p.EventPattern) as Record<string, unknown>,
          targets,
        });
      }
    }
  }

  private readPermissions(): void {
    for (const [, r] of this.ofType('AWS::Lambda::Permission')) {
      const p = this.resolve(r.Properties as Json) as Record<string, Json>;
      const functionId =
        this.functionOfArn(String(p.FunctionName)) ?? [...this.functions.values()].find((f) => this.physicalName(f.logicalId) === p.FunctionName)?.logicalId;
      if (!functionId) continue;
      this.permissions.push({
        functionId,
        principal: String(p.Principal),
        action: String(p.Action),
        ...(p.SourceArn ? { sourceArn: String(p.SourceArn) } : {}),
      });
    }
  }

  /** The execute-api host names of the APIs (`<api id>.execute-api.<region>.amazonaws.com`). */
  apiHosts(): string[] {
    return this.ofType('AWS::ApiGatewayV2::Api').map(([id]) => `${this.physicalName(id)}.execute-api.${REGION}.${URL_SUFFIX}`);
  }

  /**
   * Does the role's trust policy let `service` assume it (an Allow of `sts:AssumeRole` for that
   * service principal; an `aws:SourceAccount` condition must name this account)?
   */
  trusts(roleArn: string, service: string): boolean {
    const role = this.ofType('AWS::IAM::Role').find(([id]) => this.arnOf(id) === roleArn)?.[1];
    const document = role ? (this.resolve(role.Properties?.AssumeRolePolicyDocument ?? null) as { Statement?: Record<string, Json>[] } | null) : null;
    return (document?.Statement ?? []).some((statement) => {
      const services = [(statement.Principal as { Service?: Json } | undefined)?.Service].flat();
      const actions = [statement.Action].flat();
      const account = JSON.stringify(statement.Condition ?? {}).match(/"aws:SourceAccount":"?([^"}\]]+)/)?.[1];
      return statement.Effect === 'Allow' && services.includes(service) && actions.includes('sts:AssumeRole') && (!account || account === ACCOUNT);
    });
  }

  /** The stage names of an API (by its stand-in id). */
  stagesOf(apiId: string): string[] {
    return this.ofType('AWS::ApiGatewayV2::Stage')
      .filter(
        ([, r]) =>
          (r.Properties?.ApiId as { Ref?: string } | undefined)?.Ref !== undefined && this.physicalName((r.Properties!.ApiId as { Ref: string }).Ref) === apiId,
      )
      .map(([id]) => this.physicalName(id));
  }

  /** The ARN of every Secrets Manager secret the stack makes. */
  secretArns(): string[] {
    return this.ofType('AWS::SecretsManager::Secret').map(([id]) => String(this.ref(id)));
  }

  /** Does a `lambda:InvokeFunction` permission let `principal` invoke the function from `sourceArn`? */
  mayInvoke(functionId: string, principal: string, sourceArn: string): boolean {
    return this.permissions.some(
      (p) =>
        p.functionId === functionId &&
        p.principal === principal &&
        (p.action === 'lambda:InvokeFunction' || p.action === 'lambda:*') &&
        (!p.sourceArn || globMatch(p.sourceArn, sourceArn)),
    );
  }
}

/** ARN globbing as IAM and Lambda permissions use it: `*` any run of characters, `?` one. */
export function globMatch(pattern: string, value: string): boolean {
  const source = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`).test(value);
}
