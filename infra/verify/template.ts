/**
 * The synthesized template, read the way CloudFormation would deploy it: parameters at their
 * defaults, conditions evaluated, and every `Ref` / `Fn::GetAtt` / `Fn::Join` / `Fn::Sub` /
 * `Fn::If` … resolved to a local stand-in (the DynamoDB Local table's name, the gateway's URLs,
 * made-up but well-formed ARNs in one account and region). From it: each function (its asset
 * folder in cdk.out, environment, role policies), the HTTP and WebSocket routes, the stream
 * mappings and the schedules, all read generically from the resource types. Nested stacks
 * (`AWS::CloudFormation::Stack`) are read from their templates in cdk.out with the parameters
 * their parent passes, and their resources join the same model.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';

export interface PolicyDocument {
  Version?: string;
  Statement: unknown[];
}
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
  Outputs?: Record<string, { Value: Json }>;
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

/**
 * One template of the app, the root stack's or a nested stack's, with its own parameters and
 * conditions: intrinsics resolve against its own resources, and a nested stack's parameters are
 * the values its parent passes (resolved in the parent), as CloudFormation deploys them.
 */
class StackScope {
  readonly conditions = new Map<string, boolean>();
  private readonly parameters: Record<string, Json> = {};
  private readonly nested = new Map<string, StackScope>();

  constructor(
    private readonly owner: ResolvedTemplate,
    readonly stackName: string,
    readonly template: Template,
    given: Record<string, Json>,
  ) {
    for (const [name, p] of Object.entries(template.Parameters ?? {})) {
      this.parameters[name] = given[name] ?? (p.Default === undefined ? '' : String(p.Default));
    }
    for (const name of Object.keys(template.Conditions ?? {})) this.condition(name);
  }

  get resources(): [string, Resource][] {
    return Object.entries(this.template.Resources).filter(([, r]) => !r.Condition || this.condition(r.Condition));
  }

  ofType(type: string): [string, Resource][] {
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

  /**
   * The stack an `AWS::CloudFormation::Stack` resource deploys: its template from cdk.out (the
   * resource's `aws:asset:path`, or else the asset whose hash names the `TemplateURL`'s file),
   * its parameters the resource's `Parameters` resolved here.
   */
  nestedStack(logicalId: string): StackScope {
    let scope = this.nested.get(logicalId);
    if (!scope) {
      const resource = this.template.Resources[logicalId];
      if (resource?.Type !== 'AWS::CloudFormation::Stack') throw new Error(`${logicalId} is not a nested stack`);
      const assetPath = resource.Metadata?.['aws:asset:path'];
      const file =
        typeof assetPath === 'string'
          ? assetPath
          : assetFileOfHash(
              this.owner.cdkOut,
              String(this.resolve(resource.Properties?.TemplateURL ?? ''))
                .split('/')
                .pop()!
                .replace(/\.json$/, ''),
            );
      if (!file) throw new Error(`nested stack ${logicalId}: no template in ${this.owner.cdkOut}`);
      const template = JSON.parse(readFileSync(join(this.owner.cdkOut, file), 'utf8')) as Template;
      const given = (this.resolve(resource.Properties?.Parameters ?? {}) ?? {}) as Record<string, Json>;
      scope = new StackScope(this.owner, `${this.stackName}-${logicalId}`, template, given);
      this.nested.set(logicalId, scope);
    }
    return scope;
  }

  // --- names and ARNs of the stand-ins -------------------------------------------------

  physicalName(logicalId: string): string {
    const resource = this.template.Resources[logicalId];
    if (!resource) throw new Error(`no resource ${logicalId}`);
    const p = resource.Properties ?? {};
    switch (resource.Type) {
      case 'AWS::DynamoDB::Table':
        return this.owner.standIns.tableName;
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
      case 'AWS::S3::Bucket':
        // Bucket names are lower case (the objects' ARNs and the path-style URLs name it).
        return p.BucketName ? String(this.resolve(p.BucketName)) : logicalId.toLowerCase();
      case 'AWS::Cognito::UserPool':
        return `${REGION}_${logicalId.replace(/[^A-Za-z0-9]/g, '').slice(0, 9)}`;
      case 'AWS::Cognito::UserPoolClient':
        return `client${logicalId.toLowerCase().replace(/[^a-z0-9]/g, '')}`.slice(0, 26);
      default:
        return logicalId;
    }
  }

  ref(name: string): Json | typeof NO_VALUE {
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
        return this.stackName;
      case 'AWS::StackId':
        return `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${this.stackName}/verify`;
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
      case 'AWS::CloudFormation::Stack':
        return `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${this.stackName}-${name}/verify`;
      default:
        return this.physicalName(name);
    }
  }

  arnOf(logicalId: string): string {
    return String(this.getAtt(logicalId, 'Arn'));
  }

  getAtt(logicalId: string, attribute: string): Json {
    const resource = this.template.Resources[logicalId];
    if (!resource) throw new Error(`GetAtt of unknown ${logicalId}`);
    if (resource.Type === 'AWS::CloudFormation::Stack' && attribute.startsWith('Outputs.')) {
      const nested = this.nestedStack(logicalId);
      const output = nested.template.Outputs?.[attribute.slice('Outputs.'.length)];
      if (!output) throw new Error(`GetAtt of unknown output ${logicalId}.${attribute}`);
      return nested.resolve(output.Value);
    }
    const name = this.physicalName(logicalId);
    const key = `${resource.Type}.${attribute}`;
    switch (key) {
      case 'AWS::DynamoDB::Table.Arn':
        return `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}`;
      case 'AWS::DynamoDB::Table.StreamArn':
        return `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}/stream/${this.owner.standIns.streamLabel}`;
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
        return `${this.owner.standIns.gatewayUrl}/idp/${name}`;
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
      case 'AWS::S3::Bucket.Arn':
        return `arn:aws:s3:::${name}`;
      case 'AWS::S3::Bucket.DomainName':
      case 'AWS::S3::Bucket.RegionalDomainName':
        return `${name}.s3.${REGION}.${URL_SUFFIX}`;
      case 'AWS::KMS::Key.Arn':
        return `arn:aws:kms:${REGION}:${ACCOUNT}:key/${logicalId}`;
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
}

/** The file in cdk.out of the asset with this hash (from the assets manifests), if any. */
function assetFileOfHash(cdkOut: string, hash: string): string | undefined {
  for (const name of readdirSync(cdkOut).filter((n) => n.endsWith('.assets.json'))) {
    const manifest = JSON.parse(readFileSync(join(cdkOut, name), 'utf8')) as { files?: Record<string, { source?: { path?: string } }> };
    const path = manifest.files?.[hash]?.source?.path;
    if (path) return path;
  }
  return undefined;
}

/** A resource with the stack it is declared in. */
type Entry = [logicalId: string, resource: Resource, stack: StackScope];

/**
 * The app as deployed: the root stack and every nested stack under it, read as one model (the
 * nested stacks' routes, integrations and permissions beside the root's functions).
 */
export class ResolvedTemplate {
  /** The root stack's template. */
  readonly template: Template;
  readonly functions = new Map<string, FunctionSpec>();
  readonly httpRoutes: HttpRouteSpec[] = [];
  readonly webSocketRoutes: WebSocketRouteSpec[] = [];
  readonly streamMappings: StreamMappingSpec[] = [];
  readonly queueMappings: QueueMappingSpec[] = [];
  readonly schedules: ScheduleSpec[] = [];
  readonly eventRules: EventRuleSpec[] = [];
  readonly permissions: LambdaPermissionSpec[] = [];
  /** Role ARN → its policies (function and scheduler roles alike). */
  readonly rolePolicies = new Map<string, PolicyDocument[]>();
  /** The root stack's conditions, evaluated. */
  readonly conditions: Map<string, boolean>;
  /** The root stack first, then its nested stacks (depth first). */
  readonly stacks: StackScope[] = [];
  private readonly root: StackScope;
  /** Role ARN → the role's resource and stack. */
  private readonly roles = new Map<string, Entry>();
  /** Function logical id → its physical name (what `FunctionName` may say instead of the ARN). */
  private readonly functionNames = new Map<string, string>();

  constructor(
    readonly cdkOut: string,
    stackName: string,
    readonly standIns: StandIns,
  ) {
    this.template = JSON.parse(readFileSync(join(cdkOut, `${stackName}.template.json`), 'utf8')) as Template;
    this.root = new StackScope(this, stackName, this.template, standIns.parameters ?? {});
    this.conditions = this.root.conditions;
    const visit = (stack: StackScope) => {
      this.stacks.push(stack);
      for (const [id] of stack.ofType('AWS::CloudFormation::Stack')) visit(stack.nestedStack(id));
    };
    visit(this.root);
    this.readRoles();
    this.readFunctions();
    this.readApis();
    this.readMappings();
    this.readSchedulesAndRules();
    this.readPermissions();
  }

  /** Every (deployed) resource of `type`, in the root stack and the nested ones. */
  private ofType(type: string): Entry[] {
    return this.stacks.flatMap((stack) => stack.ofType(type).map(([id, r]): Entry => [id, r, stack]));
  }

  condition(name: string): boolean {
    return this.root.condition(name);
  }

  /** Resolves every intrinsic function in `value`, in the root stack. */
  resolve(value: Json): Json {
    return this.root.resolve(value);
  }

  /** The ARN of a resource, in the first stack that declares `logicalId`. */
  arnOf(logicalId: string): string {
    const stack = this.stacks.find((s) => logicalId in s.template.Resources);
    if (!stack) throw new Error(`no resource ${logicalId}`);
    return stack.arnOf(logicalId);
  }

  // --- the parts of the stack the harness drives ------------------------------------------

  private readRoles(): void {
    const byName = new Map<string, string>();
    for (const entry of this.ofType('AWS::IAM::Role')) {
      const [id, r, stack] = entry;
      const arn = stack.arnOf(id);
      this.roles.set(arn, entry);
      byName.set(String(stack.resolve({ Ref: id })), arn);
      const list = this.rolePolicies.get(arn) ?? [];
      this.rolePolicies.set(arn, list);
      // Inline policies (CDK's `inlinePolicies`, or a policy merged into the role).
      for (const inline of (r.Properties?.Policies as { PolicyDocument: Json }[] | undefined) ?? []) {
        list.push(stack.resolve(inline.PolicyDocument) as unknown as PolicyDocument);
      }
    }
    for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
      for (const [, r, stack] of this.ofType(type)) {
        for (const role of (r.Properties?.Roles as Json[] | undefined) ?? []) {
          const arn = byName.get(String(stack.resolve(role)));
          if (arn) this.rolePolicies.get(arn)!.push(stack.resolve(r.Properties!.PolicyDocument!) as unknown as PolicyDocument);
        }
      }
    }
  }

  private readFunctions(): void {
    for (const [id, r, stack] of this.ofType('AWS::Lambda::Function')) {
      const p = r.Properties ?? {};
      const roleArn = p.Role ? String(stack.resolve(p.Role)) : '';
      const role = this.roles.get(roleArn);
      const env: Record<string, string> = {};
      const variables = (stack.resolve((p.Environment as { Variables?: Json } | undefined)?.Variables ?? {}) ?? {}) as Record<string, Json>;
      for (const [k, v] of Object.entries(variables)) env[k] = String(v);
      const tags = (p.Tags as { Key: string; Value: string }[] | undefined) ?? [];
      const managed = ((role?.[1].Properties?.ManagedPolicyArns as Json[] | undefined) ?? []).map((m) => String(role![2].resolve(m)));
      const logGroup = (p.LoggingConfig as { LogGroup?: Json } | undefined)?.LogGroup;
      this.functionNames.set(id, stack.physicalName(id));
      this.functions.set(id, {
        logicalId: id,
        name: tags.find((t) => t.Key === 'chatlines:function')?.Value ?? id,
        runtime: String(p.Runtime ?? ''),
        assetDir: join(this.cdkOut, String(r.Metadata?.['aws:asset:path'] ?? '')),
        handler: String(p.Handler ?? 'index.handler'),
        environment: env,
        timeoutSeconds: Number(p.Timeout ?? 3),
        memoryMb: Number(p.MemorySize ?? 128),
        roleLogicalId: role?.[0] ?? '',
        roleArn: role ? roleArn : '',
        policies: role ? (this.rolePolicies.get(roleArn) ?? []) : [],
        unknownManagedPolicies: managed,
        logGroupName: logGroup ? String(stack.resolve(logGroup)) : `/aws/lambda/${id}`,
        tracing: (p.TracingConfig as { Mode?: string } | undefined)?.Mode === 'Active',
        arn: stack.arnOf(id),
      });
    }
  }

  /** The function whose ARN an integration or target names (directly or in an invocation URI). */
  functionOfArn(text: string): string | undefined {
    for (const f of this.functions.values()) if (text === f.arn || text.includes(`${f.arn}/`) || text.startsWith(`${f.arn}:`)) return f.logicalId;
    return undefined;
  }

  /** The function a `FunctionName` names: its ARN (or a qualified one) or its physical name. */
  private functionNamed(name: string): string | undefined {
    return this.functionOfArn(name) ?? [...this.functionNames].find(([, physical]) => physical === name)?.[0];
  }

  /**
   * Routes, wherever they are declared: a route names its API, integration and authorizer by
   * `Ref` (what those resolve to in the route's stack: the resource itself, or a nested stack's
   * parameter that the parent filled with it), so they are matched by their resolved ids.
   */
  private readApis(): void {
    const byRef = (type: string) => this.ofType(type).map((entry) => ({ ref: String(entry[2].resolve({ Ref: entry[0] })), entry }));
    const apis = byRef('AWS::ApiGatewayV2::Api');
    const integrations = byRef('AWS::ApiGatewayV2::Integration');
    const authorizers = byRef('AWS::ApiGatewayV2::Authorizer');
    for (const [, r, stack] of this.ofType('AWS::ApiGatewayV2::Route')) {
      const p = r.Properties ?? {};
      const apiId = String(stack.resolve(p.ApiId ?? ''));
      const api = apis.find((a) => a.ref === apiId)?.entry;
      const target = String(stack.resolve(p.Target ?? '')).replace(/^integrations\//, '');
      // An integration's id is unique only per stack here (the logical id): the route's own stack first.
      const integration = (integrations.find((i) => i.ref === target && i.entry[2] === stack) ?? integrations.find((i) => i.ref === target))?.entry;
      if (!api || !integration) continue;
      const [, integrationResource, integrationStack] = integration;
      const functionId = this.functionOfArn(String(integrationStack.resolve(integrationResource.Properties?.IntegrationUri ?? '')));
      if (!functionId) throw new Error(`route ${String(p.RouteKey)}: no function behind its integration`);
      const authorizerId = p.AuthorizerId ? String(stack.resolve(p.AuthorizerId)) : undefined;
      const authorizerEntry = authorizerId ? authorizers.find((a) => a.ref === authorizerId)?.entry : undefined;
      const authorizer = authorizerEntry ? { p: authorizerEntry[1].Properties ?? {}, stack: authorizerEntry[2] } : undefined;
      const routeKey = String(stack.resolve(p.RouteKey!));
      const [apiLogicalId, apiResource, apiStack] = api;
      if (apiResource.Properties?.ProtocolType === 'WEBSOCKET') {
        const authorizerFunction = authorizer ? this.functionOfArn(String(authorizer.stack.resolve(authorizer.p.AuthorizerUri ?? ''))) : undefined;
        this.webSocketRoutes.push({
          apiId: apiStack.physicalName(apiLogicalId),
          routeKey,
          functionId,
          ...(authorizer && authorizerFunction
            ? {
                authorizer: {
                  id: authorizerId!,
                  functionId: authorizerFunction,
                  identitySource: (authorizer.stack.resolve(authorizer.p.IdentitySource ?? []) as string[]) ?? [],
                },
              }
            : {}),
        });
        continue;
      }
      const [method, path] = routeKey === '$default' ? ['ANY', '$default'] : (routeKey.split(' ') as [string, string]);
      const jwt =
        authorizer?.p.AuthorizerType === 'JWT'
          ? (authorizer.stack.resolve(authorizer.p.JwtConfiguration!) as { Issuer: string; Audience: string[] })
          : undefined;
      this.httpRoutes.push({
        apiId: apiStack.physicalName(apiLogicalId),
        routeKey,
        method,
        path,
        functionId,
        payloadFormatVersion: String(integrationResource.Properties?.PayloadFormatVersion ?? '2.0'),
        authorization: String(p.AuthorizationType ?? 'NONE') as HttpRouteSpec['authorization'],
        ...(jwt && authorizer
          ? {
              jwt: {
                issuer: jwt.Issuer,
                audience: jwt.Audience,
                identitySource: (authorizer.stack.resolve(authorizer.p.IdentitySource ?? []) as string[]) ?? ['$request.header.Authorization'],
              },
            }
          : {}),
        scopes: (stack.resolve(p.AuthorizationScopes ?? []) as string[]) ?? [],
      });
    }
  }

  private readMappings(): void {
    for (const [id, r, stack] of this.ofType('AWS::Lambda::EventSourceMapping')) {
      const p = stack.resolve(r.Properties as Json) as Record<string, Json>;
      const functionName = String(p.FunctionName);
      const functionId = this.functionNamed(functionName);
      if (!functionId) throw new Error(`mapping ${id}: unknown function ${functionName}`);
      if (String(p.EventSourceArn).startsWith('arn:aws:sqs:')) {
        const queueArn = String(p.EventSourceArn);
        const queue = this.ofType('AWS::SQS::Queue').find(([qid, , qstack]) => qstack.arnOf(qid) === queueArn);
        const q = (queue ? queue[2].resolve(queue[1].Properties ?? {}) : {}) as Record<string, Json>;
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
    for (const [id, r, stack] of this.ofType('AWS::Scheduler::Schedule')) {
      const p = stack.resolve(r.Properties as Json) as Record<string, Json>;
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
    for (const [id, r, stack] of this.ofType('AWS::Events::Rule')) {
      const p = stack.resolve(r.Properties as Json) as Record<string, Json>;
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
    for (const [, r, stack] of this.ofType('AWS::Lambda::Permission')) {
      const p = stack.resolve(r.Properties as Json) as Record<string, Json>;
      const functionId = this.functionNamed(String(p.FunctionName));
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
    return this.ofType('AWS::ApiGatewayV2::Api').map(([id, , stack]) => `${stack.physicalName(id)}.execute-api.${REGION}.${URL_SUFFIX}`);
  }

  /**
   * Does the role's trust policy let `service` assume it (an Allow of `sts:AssumeRole` for that
   * service principal; an `aws:SourceAccount` condition must name this account)?
   */
  trusts(roleArn: string, service: string): boolean {
    const role = this.roles.get(roleArn);
    const document = role ? (role[2].resolve(role[1].Properties?.AssumeRolePolicyDocument ?? null) as { Statement?: Record<string, Json>[] } | null) : null;
    return (document?.Statement ?? []).some((statement) => {
      const services = [(statement.Principal as { Service?: Json } | undefined)?.Service].flat();
      const actions = [statement.Action].flat();
      const account = JSON.stringify(statement.Condition ?? {}).match(/"aws:SourceAccount":"?([^"}\]]+)/)?.[1];
      return statement.Effect === 'Allow' && services.includes(service) && actions.includes('sts:AssumeRole') && (!account || account === ACCOUNT);
    });
  }

  /** The stage names of an API (by its stand-in id), wherever the stages are declared. */
  stagesOf(apiId: string): string[] {
    return this.ofType('AWS::ApiGatewayV2::Stage')
      .filter(([, r, stack]) => r.Properties?.ApiId !== undefined && String(stack.resolve(r.Properties.ApiId)) === apiId)
      .map(([id, , stack]) => stack.physicalName(id));
  }

  /** The ARN of every Secrets Manager secret the stack makes. */
  /** Each KMS key's ARN → its key policy (KMS authorizes against it as well as the role's policies). */
  keyPolicies(): Map<string, PolicyDocument> {
    return new Map(
      this.ofType('AWS::KMS::Key').map(([id, resource, stack]) => [
        stack.arnOf(id),
        stack.resolve(resource.Properties?.KeyPolicy ?? null) as unknown as PolicyDocument,
      ]),
    );
  }

  secretArns(): string[] {
    return this.ofType('AWS::SecretsManager::Secret').map(([id, , stack]) => String(stack.resolve({ Ref: id })));
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

/**
 * The policies without their DeleteConnection grant (`execute-api:ManageConnections` on a
 * `…/DELETE/@connections/…` resource): what the roles were before they could close an expired
 * token's socket, to show the IAM check denies the call then (`--deny-delete-connection`).
 */
export function withoutDeleteConnection(policies: readonly PolicyDocument[]): PolicyDocument[] {
  return policies.map((policy) => ({
    ...policy,
    Statement: policy.Statement.flatMap((statement) => {
      const s = statement as { Action?: string | string[]; Resource?: string | string[] };
      if (![s.Action ?? []].flat().includes('execute-api:ManageConnections')) return [statement];
      const kept = [s.Resource ?? []].flat().filter((r) => !r.includes('/DELETE/@connections/'));
      return kept.length > 0 ? [{ ...s, Resource: kept }] : [];
    }),
  }));
}
