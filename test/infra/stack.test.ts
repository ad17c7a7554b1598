/**
 * The AWS stack, proven without an account: synthesize it ONCE (cdk-nag AwsSolutions +
 * Serverless and CDK's CloudFormation validation as policy-validation plugins), then assert the
 * templates (the stack's and its nested route stack's, read as one) against the route manifest
 * and the grants (infra/grants.ts). The synthesis skips esbuild (CDK's `aws:cdk:bundling-stacks`
 * context, as `cdk ls` does): one function is bundled on its own below; every bundle is built
 * by `npm run synth`, the benchmark and `npm run verify:aws`.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { App, NestedStack, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { addNagChecks, buildApp } from '../../infra/aws/build-app.ts';
import { ChatlinesFunction, FUNCTION_TAG, pascalCase, REPO_ROOT } from '../../infra/aws/chatlines-function.ts';
import { API_GATEWAY_ACCOUNT_ROLE_CONTEXT, LIVE_ACCESS_LOGS_CONTEXT } from '../../infra/aws/context.ts';
import { LivePush } from '../../infra/aws/live.ts';
import { MAIL_FUNCTIONS } from '../../infra/aws/mail.ts';
import { FUNCTIONS_PER_ALARM } from '../../infra/aws/monitoring.ts';
import { acknowledge } from '../../infra/aws/nag.ts';
import { functionsOfRoutes } from '../../infra/aws/stack.ts';
import { ChatlinesTable, WRITE_ACTIONS } from '../../infra/aws/table.ts';
import { functionFiles, grantOf } from '../../infra/grants.ts';
import { STREAM_CONSUMER_MAPPING } from '../../infra/local/stream-mapping.ts';
import { STREAM_FILTER } from '../../lib/adapters/dynamodb/stream.ts';
import { tableDefinition } from '../../lib/adapters/dynamodb/table.ts';
import { routes, type ScheduledFunctionDefinition, scheduledFunctions, streamFunctions } from '../../lib/contract/routes.ts';

type Json = Record<string, any>;

/** Until the manifest has a scheduled function, a stand-in exercises the schedule code path. */
const scheduled: readonly ScheduledFunctionDefinition[] = scheduledFunctions.length
  ? scheduledFunctions
  : [{ function: 'get-health', access: 'read', description: 'test-only stand-in for a scheduled function' }];

/**
 * CDK's own helper Lambdas (log retention, custom-resource providers) have these logical-id
 * prefixes and never carry the chatlines:function tag; every other Lambda must be ours.
 */
const CDK_HELPER_LAMBDA =
  /^(LogRetention|CustomResourceProvider|AWS679f53fac002430cb0da5b7982bd2287|CustomS3AutoDeleteObjects|BucketNotificationsHandler|CustomCDKBucketDeployment)/;

const outdir = mkdtempSync(join(tmpdir(), 'chatlines-cdk-'));
let template: Template;
/** Every resource of the stack and of its nested stacks, by logical id (a nested stack's parameters replaced by what the parent passes). */
let resources: Record<string, Json>;
/** Each template's resource count: the stack's, and each nested stack's. */
const resourceCounts = new Map<string, number>();
let synthError: unknown;

/** `value` with every `{ Ref: <parameter> }` replaced by the parameter's value in `parameters`. */
function substitute(value: unknown, parameters: Record<string, unknown>): any {
  if (Array.isArray(value)) return value.map((v) => substitute(v, parameters));
  if (value && typeof value === 'object') {
    const ref = (value as Json).Ref;
    if (typeof ref === 'string' && Object.keys(value).length === 1 && ref in parameters) return parameters[ref];
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, parameters)]));
  }
  return value;
}

function ofType(type: string): [string, Json][] {
  return Object.entries(resources).filter(([, r]) => r.Type === type);
}
function tagOf(resource: Json): string | undefined {
  return (resource.Properties?.Tags as { Key: string; Value: string }[] | undefined)?.find((t) => t.Key === FUNCTION_TAG)?.Value;
}
/** Function file → logical id of its Lambda (route functions; scheduled ones are keyed `scheduled:<file>`, live push ones `live:<file>`). */
function functionLogicalIds(): Map<string, string> {
  const ids = new Map<string, string>();
  for (const [id, r] of ofType('AWS::Lambda::Function')) {
    const tag = tagOf(r);
    if (!tag) continue;
    const group = ['Scheduled', 'Stream', 'Live', 'Deliveries'].find((prefix) => id.startsWith(prefix));
    ids.set(group ? `${group === 'Deliveries' ? 'queue' : group.toLowerCase()}:${tag}` : tag, id);
  }
  return ids;
}
/** The live push functions (infra/aws/live.ts), besides the manifest's. */
const LIVE_FUNCTIONS = ['live-authorizer', 'live-connect', 'live-default', 'live-disconnect', 'live-fanout'];
/** The HTTP API's routes (the WebSocket API has its own). */
function httpRoutes(): [string, Json][] {
  const [httpApiId] = ofType('AWS::ApiGatewayV2::Api').find(([, a]) => a.Properties.ProtocolType === 'HTTP')!;
  return ofType('AWS::ApiGatewayV2::Route').filter(([, r]) => r.Properties.ApiId?.Ref === httpApiId);
}
function actionsOf(statement: Json): string[] {
  return [statement.Action].flat().filter((a): a is string => typeof a === 'string');
}
/** Every statement granted to a role: its inline policies and the AWS::IAM::Policy resources attached to it. */
function roleStatements(roleLogicalId: string): Json[] {
  const statements: Json[] = [];
  for (const policy of resources[roleLogicalId]?.Properties?.Policies ?? []) statements.push(...policy.PolicyDocument.Statement);
  for (const [, policy] of ofType('AWS::IAM::Policy')) {
    if ((policy.Properties.Roles as Json[]).some((r) => r.Ref === roleLogicalId)) statements.push(...policy.Properties.PolicyDocument.Statement);
  }
  return statements;
}
/** Every action granted to a role. */
function roleActions(roleLogicalId: string): string[] {
  return roleStatements(roleLogicalId).flatMap(actionsOf);
}

before(() => {
  const started = performance.now();
  // With cdk.json's context (the feature flags), as `cdk synth` / `cdk deploy` run it.
  const context = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')).context as Record<string, unknown>;
  const { app, stack } = buildApp({ scheduledFunctions: scheduled }, new App({ outdir, context: { ...context, 'aws:cdk:bundling-stacks': [] } }));
  try {
    app.synth();
  } catch (error) {
    synthError = error;
  }
  template = Template.fromStack(stack);
  resources = { ...template.toJSON().Resources };
  resourceCounts.set(stack.stackName, Object.keys(resources).length);
  for (const nested of stack.node.findAll().filter((c): c is NestedStack => c instanceof NestedStack)) {
    const nestedResources = Template.fromStack(nested).toJSON().Resources as Record<string, Json>;
    resourceCounts.set(nested.node.path, Object.keys(nestedResources).length);
    const parameters = resources[stack.getLogicalId(nested.nestedStackResource!)]!.Properties.Parameters as Record<string, unknown>;
    for (const [id, resource] of Object.entries(nestedResources)) {
      assert.ok(!(id in resources), `logical id ${id} in two templates`);
      resources[id] = substitute(resource, parameters);
    }
  }
  console.log(`synthesized (without bundling) in ${((performance.now() - started) / 1000).toFixed(1)}s`);
});
after(() => rmSync(outdir, { recursive: true, force: true }));

describe('cdk-nag', () => {
  test('the stack synthesizes with zero unacknowledged AwsSolutions/Serverless/CloudFormation findings', () => {
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8'));
    const violations = (report.pluginReports as Json[]).flatMap((p) => p.violations as Json[]);
    assert.equal(synthError, undefined, `synthesis failed validation:\n${JSON.stringify(violations, null, 1).slice(0, 4000)}`);
    assert.deepEqual(violations, []);
  });

  test('the same wiring fails synthesis on a finding, and an acknowledgement clears it on its construct only', () => {
    /** Two SNS topics without an SSL-only policy (AwsSolutions-SNS3); returns the findings by construct path. */
    const findings = (acknowledgeOn: ('first' | 'second')[]) => {
      const dir = mkdtempSync(join(tmpdir(), 'chatlines-nag-'));
      try {
        const app = new App({ outdir: dir });
        addNagChecks(app);
        const stack = new Stack(app, 'Probe');
        const topics = { first: new Topic(stack, 'First'), second: new Topic(stack, 'Second') };
        for (const which of acknowledgeOn) acknowledge(topics[which], 'AwsSolutions-SNS3', 'test acknowledgement');
        let failed = false;
        try {
          app.synth();
        } catch {
          failed = true;
        }
        const report = JSON.parse(readFileSync(join(dir, 'validation-report.json'), 'utf8'));
        const found = (report.pluginReports as Json[]).flatMap((p) =>
          (p.violations as Json[]).flatMap((v) => (v.violatingConstructs as Json[]).map((c) => `${v.ruleName} ${c.constructPath}`)),
        );
        assert.equal(failed, found.length > 0, 'synthesis fails exactly when there are findings');
        return found.filter((f) => f.startsWith('AwsSolutions-SNS3')).sort();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };
    assert.deepEqual(findings([]), ['AwsSolutions-SNS3 Probe/First/Resource', 'AwsSolutions-SNS3 Probe/Second/Resource']);
    assert.deepEqual(findings(['first']), ['AwsSolutions-SNS3 Probe/Second/Resource']);
    assert.deepEqual(findings(['first', 'second']), []);
  });
});

describe('functions', () => {
  test('one Lambda per distinct manifest function file (plus one per scheduled function) and no more', () => {
    const expected = [
      ...functionsOfRoutes(routes).keys(),
      ...scheduled.map((s) => `scheduled:${s.function}`),
      ...streamFunctions.map((s) => `stream:${s.function}`),
      ...LIVE_FUNCTIONS.map((f) => `live:${f}`),
      'queue:attempt-deliveries',
    ].sort();
    assert.deepEqual([...functionLogicalIds().keys()].sort(), expected);
    const untagged = ofType('AWS::Lambda::Function').filter(([, r]) => !tagOf(r));
    for (const [id] of untagged) assert.match(id, CDK_HELPER_LAMBDA, `${id} is neither a chatlines function nor a CDK helper`);
    assert.equal(ofType('AWS::Lambda::Function').length, expected.length + untagged.length);
  });

  test('every function: Node 22+ on arm64, ESM bundle, own log group with retention, tracing, environment', () => {
    for (const [file, id] of functionLogicalIds()) {
      const p = resources[id]!.Properties;
      assert.match(p.Runtime, /^nodejs(2[2-9]|[3-9]\d)\.x$/, file);
      assert.deepEqual(p.Architectures, ['arm64'], file);
      assert.equal(p.Handler, 'index.handler', file);
      assert.deepEqual(p.TracingConfig, { Mode: 'Active' }, file);
      // The visitor routes, and the live authorizer (visitor tokens on the socket).
      const visitor = routes.some((r) => r.function === file && r.visitor) || file === 'live:live-authorizer';
      const own = [
        ...(file.startsWith('stream:') ? ['DELIVERY_QUEUE_URL', 'EVENT_BUS_NAME'] : []),
        ...(visitor ? ['VISITOR_SECRET_ARN'] : []),
        // The functions that connect, receive and send on messenger channels: the credentials key and the hook URLs' base.
        ...(grantOf(file.replace(/^[a-z]+:/, '')).credentialsKey ? ['CREDENTIALS_KEY_ID', 'PUBLIC_URL'] : []),
        ...((grantOf(file.replace(/^\w+:/, '')).files?.length ?? 0) > 0 ? ['FILES_BUCKET'] : []),
        ...(file === 'live:live-authorizer' ? ['JWT_AUDIENCE', 'JWT_ISSUER'] : file === 'live:live-fanout' ? ['LIVE_ENDPOINT'] : []),
      ];
      assert.deepEqual(
        Object.keys(p.Environment.Variables).sort(),
        [...own, 'LINE_SHARDS', 'POWERTOOLS_METRICS_NAMESPACE', 'POWERTOOLS_SERVICE_NAME', 'TABLE_NAME'].sort(),
        file,
      );
      // Every function agrees on the shards of a line's hot partitions (context lineShards, default 1).
      assert.equal(p.Environment.Variables.LINE_SHARDS, '1', file);
      const logGroup = resources[p.LoggingConfig.LogGroup.Ref];
      assert.equal(logGroup?.Type, 'AWS::Logs::LogGroup', file);
      assert.ok(logGroup.Properties.RetentionInDays > 0, file);
      // The code is an asset (the bundle `npm run synth` builds; skipped in this synthesis).
      assert.match(String(p.Code.S3Key), /^[0-9a-f]{64}\.zip$/, `${file}: code asset`);
    }
  });

  test('a function bundles into one ESM file (index.mjs) with esbuild, the AWS SDK left to the runtime, its lazy modules beside it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'chatlines-bundle-'));
    try {
      const app = new App({ outdir: dir });
      const stack = new Stack(app, 'BundleProbe');
      const table = new ChatlinesTable(stack, 'Data');
      const files = ['get-health', 'post-session-message', 'retry-deliveries'];
      for (const functionFile of files) new ChatlinesFunction(stack, pascalCase(functionFile), { functionFile, table, description: 'bundle probe' });
      app.synth();
      const resources = Template.fromStack(stack).toJSON().Resources as Record<string, Json>;
      const bundleOf = (file: string) => {
        const [, fn] = Object.entries(resources).find(([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith(pascalCase(file)))!;
        return join(dir, `asset.${String(fn.Properties.Code.S3Key).replace(/\.zip$/, '')}`, 'index.mjs');
      };
      const beside = (file: string, name: string) => existsSync(join(bundleOf(file), '..', name));
      const bundle = bundleOf('get-health');
      assert.ok(existsSync(bundle), `ESM bundle ${bundle}`);
      const code = readFileSync(bundle, 'utf8');
      assert.match(code, /export\s*\{/, 'an ES module');
      assert.doesNotMatch(code, /@smithy\/smithy-client|SmithyClient/, 'the AWS SDK is not bundled');
      // Tracing costs nothing when off: the tracer and the X-Ray SDK sit beside index.mjs and
      // are imported only when tracing is on (lib/adapters/observability.ts).
      assert.doesNotMatch(code, /aws-xray-sdk|AWSXRay|cls-hooked/, 'the X-Ray SDK is not in index.mjs');
      const tracing = join(bundle, '..', 'tracing.mjs');
      assert.ok(existsSync(tracing), `the tracer bundle ${tracing}`);
      assert.match(readFileSync(tracing, 'utf8'), /captureAWSv3Client/, 'tracing.mjs holds the Powertools tracer');
      // The other lazy modules sit beside the bundles that import them, and only there.
      assert.ok(!beside('get-health', 'file-type.mjs') && !beside('get-health', 'mail-transport.mjs'), 'get-health has no file or mail module');
      assert.ok(beside('post-session-message', 'file-type.mjs'), 'post-session-message checks files: file-type.mjs beside it');
      assert.doesNotMatch(
        readFileSync(bundleOf('post-session-message'), 'utf8'),
        /image\/x-icns|audio\/x-musepack/,
        'file-type (its signature table) is not in its index.mjs',
      );
      assert.ok(beside('retry-deliveries', 'mail-transport.mjs'), 'retry-deliveries sends mail: mail-transport.mjs beside it');
      assert.doesNotMatch(readFileSync(bundleOf('retry-deliveries'), 'utf8'), /nodemailer/i, 'nodemailer is not in its index.mjs');
      // Each messenger's adapter sits beside the functions that may send with it, loaded for its channel type only.
      for (const m of ['telegram', 'whatsapp', 'viber', 'instagram']) {
        assert.ok(beside('retry-deliveries', `messenger-${m}.mjs`), `retry-deliveries sends replies: messenger-${m}.mjs beside it`);
        assert.ok(!beside('get-health', `messenger-${m}.mjs`), `get-health has no messenger-${m}.mjs`);
      }
      assert.doesNotMatch(readFileSync(bundleOf('retry-deliveries'), 'utf8'), /setWebhook/, "Telegram's adapter is not in its index.mjs");
      // Powertools' Metrics is loaded by a request, never by a cold start.
      assert.ok(beside('get-health', 'metrics.mjs'), 'an HTTP function records outcomes: metrics.mjs beside it');
      assert.doesNotMatch(code, /CloudWatchMetrics/, "Powertools' Metrics is not in index.mjs");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('stack shape', () => {
  test("every template (the stack and each nested stack) is at most 300 resources, far from CloudFormation's 500", () => {
    assert.ok(resourceCounts.size >= 2, 'the stack and its nested route stack');
    for (const [name, count] of resourceCounts) assert.ok(count <= 400, `${name}: ${count} resources, past 400 of CloudFormation's 500`);
    for (const [name, count] of resourceCounts) assert.ok(count <= 300, `${name}: ${count} resources (at most 300, docs/decisions/stack-shape.md)`);
    console.log(`resources per template: ${[...resourceCounts].map(([n, c]) => `${n} ${c}`).join(', ')}`);
  });

  test("no AWS::IAM::Policy resource beside the roles but CDK's own deployment handler: every grant is inline in its role", () => {
    for (const [id, policy] of ofType('AWS::IAM::Policy')) {
      assert.ok(
        (policy.Properties.Roles as Json[]).every((r) => String(r.Ref).startsWith('CustomCDKBucketDeployment')),
        id,
      );
    }
  });
});

describe('HTTP API', () => {
  test('one route per manifest route, integrated with its own function', () => {
    const apiRoutes = httpRoutes();
    assert.equal(apiRoutes.length, routes.length);
    const ids = functionLogicalIds();
    for (const route of routes) {
      const found = apiRoutes.find(([, r]) => r.Properties.RouteKey === `${route.method} ${route.path}`);
      assert.ok(found, `route ${route.method} ${route.path}`);
      const integrationId = found[1].Properties.Target['Fn::Join'][1][1].Ref as string;
      const uri = resources[integrationId]!.Properties.IntegrationUri;
      assert.deepEqual(uri, { 'Fn::GetAtt': [ids.get(route.function), 'Arn'] }, `${route.method} ${route.path} → ${route.function}`);
    }
  });

  test('the JWT authorizer on every route but health, the OpenAPI document and the (throttled) visitor routes', () => {
    const [[authorizerId, authorizer]] = ofType('AWS::ApiGatewayV2::Authorizer').filter(([, a]) => a.Properties.AuthorizerType === 'JWT') as [[string, Json]];
    assert.equal(authorizer.Properties.AuthorizerType, 'JWT');
    const visitorRoutes = routes.filter((r) => r.visitor);
    assert.ok(visitorRoutes.length >= 4 && visitorRoutes.every((r) => !r.auth && r.path.startsWith('/v1/visitors') && r.throttle), 'visitor routes');
    // Messenger hooks: public, each checks the messenger's own proof (lib/contract/routes/hooks.ts), throttled.
    const hookRoutes = routes.filter((r) => r.raw);
    assert.ok(hookRoutes.length >= 6 && hookRoutes.every((r) => !r.auth && r.path.startsWith('/v1/hooks/') && r.throttle), 'hook routes');
    const publicRoutes = routes.filter((r) => !r.auth && !r.visitor && !r.raw).map((r) => `${r.method} ${r.path}`);
    assert.ok(
      publicRoutes.every((key) => key === 'GET /v1/health' || key === 'GET /v1/openapi.json'),
      `public: ${publicRoutes.join(', ')}`,
    );
    for (const route of routes) {
      const [, r] = httpRoutes().find(([, r]) => r.Properties.RouteKey === `${route.method} ${route.path}`)!;
      if (route.auth) {
        assert.equal(r.Properties.AuthorizationType, 'JWT', `${route.method} ${route.path}`);
        assert.deepEqual(r.Properties.AuthorizerId, { Ref: authorizerId });
      } else {
        assert.equal(r.Properties.AuthorizationType, 'NONE', `${route.method} ${route.path}`);
      }
    }
  });

  test('issuer and audience are parameters, defaulting to a Cognito pool the stack makes', () => {
    template.hasParameter('JwtIssuer', { Type: 'String', Default: '' });
    template.hasParameter('JwtAudience', { Type: 'String', Default: '' });
    template.hasCondition('CreateUserPool', { 'Fn::Equals': [{ Ref: 'JwtIssuer' }, ''] });
    template.hasResource('AWS::Cognito::UserPool', { Condition: 'CreateUserPool' });
    template.hasResource('AWS::Cognito::UserPoolClient', { Condition: 'CreateUserPool' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      JwtConfiguration: {
        Issuer: { 'Fn::If': ['CreateUserPool', Match.anyValue(), { Ref: 'JwtIssuer' }] },
        Audience: [{ 'Fn::If': ['CreateUserPool', Match.anyValue(), { Ref: 'JwtAudience' }] }],
      },
    });
  });

  test('Cognito app client: roles not writable by users, SRP only, OAuth only as the code grant, back to the console and the given callback URLs', () => {
    const clients = ofType('AWS::Cognito::UserPoolClient');
    assert.equal(clients.length, 1);
    const props = clients[0]![1].Properties as Json;
    // No password auth flow: SRP and refresh only.
    assert.deepEqual([...props.ExplicitAuthFlows].sort(), ['ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_USER_SRP_AUTH']);
    assert.equal(props.GenerateSecret, false);
    // Roles live in custom:roles: explicitly readable (the ID token carries it), never writable by the user.
    assert.ok(Array.isArray(props.WriteAttributes), 'WriteAttributes is explicit (the default is every writable attribute)');
    assert.deepEqual(props.WriteAttributes, ['name']);
    assert.ok(props.ReadAttributes.includes('custom:roles'));
    // OAuth: the authorization code grant only (PKCE, public client), no implicit grant, and
    // only when OAuthCallbackUrls is given; no placeholder URL anywhere.
    template.hasParameter('OAuthCallbackUrls', { Type: 'String', Default: '', AllowedPattern: Match.stringLikeRegexp('https://') });
    // With the console in the stack the code grant is always on: the console's URL is a
    // callback, and OAuthCallbackUrls adds other apps' URLs.
    assert.deepEqual(props.AllowedOAuthFlows, ['code']);
    assert.deepEqual(props.AllowedOAuthFlowsUserPoolClient, true);
    const consoleCallback = { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [Match.stringLikeRegexp('^ConsoleCdn'), 'DomainName'] }, '/']] };
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      CallbackURLs: { 'Fn::If': ['OAuthEnabled', { 'Fn::Split': [',', Match.anyValue()] }, [consoleCallback]] },
    });
    assert.doesNotMatch(JSON.stringify(props), /implicit|client_credentials|example\.com|localhost/);
    template.hasCondition('OAuthEnabled', { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'OAuthCallbackUrls' }, ''] }] });
  });

  test('default stage: JSON access logs and default route throttling; CORS only when origins are configured', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('"requestId":"\\$context.requestId"') },
      DefaultRouteSettings: { ThrottlingRateLimit: { Ref: 'ApiThrottleRateLimit' }, ThrottlingBurstLimit: { Ref: 'ApiThrottleBurstLimit' } },
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: {
        'Fn::If': ['CorsEnabled', Match.objectLike({ AllowOrigins: { 'Fn::Split': [',', { Ref: 'CorsAllowedOrigins' }] } }), { Ref: 'AWS::NoValue' }],
      },
    });
  });

  test('outputs: API URL, table name, user pool ids', () => {
    for (const name of ['ApiUrl', 'TableName', 'UserPoolId', 'UserPoolClientId']) template.hasOutput(name, {});
  });
});

describe('IAM', () => {
  test("no statement has a wildcard action (CDK's deploy-time BucketDeployment handler aside: S3 and CloudFront only)", () => {
    const statements: Json[] = [];
    const deployHandler: Json[] = [];
    const isDeployHandler = (roleRefs: Json[]) => roleRefs.some((r) => String(r.Ref).startsWith('CustomCDKBucketDeployment'));
    for (const [, p] of ofType('AWS::IAM::Policy'))
      (isDeployHandler(p.Properties.Roles) ? deployHandler : statements).push(...p.Properties.PolicyDocument.Statement);
    for (const [, r] of ofType('AWS::IAM::Role')) for (const p of r.Properties.Policies ?? []) statements.push(...p.PolicyDocument.Statement);
    assert.ok(statements.length > routes.length, 'found the policies');
    for (const action of statements.flatMap(actionsOf)) assert.doesNotMatch(action, /\*/, action);
    // CDK's grants (s3:GetObject*, s3:List*, …) are its own; acknowledged one by one in infra/aws/console.ts.
    assert.ok(deployHandler.length > 0, 'found the deployment handler policy');
    for (const action of deployHandler.flatMap(actionsOf)) assert.match(action, /^(s3|cloudfront):/, action);
  });

  test('table grants follow the manifest: read-only functions get no write action, none gets no table action', () => {
    const ids = functionLogicalIds();
    const accessByFile = new Map([...functionsOfRoutes(routes)].map(([file, f]) => [file, f.access]));
    for (const s of scheduled) accessByFile.set(`scheduled:${s.function}`, s.access);
    for (const [file, access] of accessByFile) {
      const roleId = resources[ids.get(file)!]!.Properties.Role['Fn::GetAtt'][0] as string;
      const dynamo = roleActions(roleId).filter((a) => a.startsWith('dynamodb:'));
      const writes = dynamo.filter((a) => (WRITE_ACTIONS as readonly string[]).includes(a) || /TransactWrite/.test(a));
      if (access === 'none') assert.deepEqual(dynamo, [], file);
      if (access === 'read') {
        assert.ok(dynamo.includes('dynamodb:GetItem') || dynamo.includes('dynamodb:Query'), `${file} can read`);
        assert.deepEqual(writes, [], `${file} is read-only`);
      }
      if (access === 'write') assert.ok(writes.length > 0, `${file} can write`);
    }
  });

  test('each role holds exactly its grant (infra/grants.ts): the table actions on the table, Query on the named indexes only', () => {
    const [[tableId]] = ofType('AWS::DynamoDB::Table') as [[string, Json]];
    const tableArn = JSON.stringify({ 'Fn::GetAtt': [tableId, 'Arn'] });
    for (const [file, id] of functionLogicalIds()) {
      const grant = grantOf(file.replace(/^\w+:/, ''));
      const roleId = resources[id]!.Properties.Role['Fn::GetAtt'][0] as string;
      const onTable = new Set<string>();
      const onIndex = new Set<string>();
      for (const statement of roleStatements(roleId)) {
        const dynamo = actionsOf(statement).filter(
          (a) =>
            a.startsWith('dynamodb:') &&
            a !== 'dynamodb:ListStreams' &&
            !a.startsWith('dynamodb:GetRecords') &&
            !a.startsWith('dynamodb:GetShardIterator') &&
            a !== 'dynamodb:DescribeStream',
        );
        if (dynamo.length === 0) continue;
        for (const resource of [statement.Resource].flat()) {
          const text = JSON.stringify(resource);
          const index = /\/index\/(gsi\d+)/.exec(text)?.[1];
          if (index) for (const a of dynamo) onIndex.add(`${a}@${index}`);
          else if (text === tableArn) for (const a of dynamo) onTable.add(a);
          else assert.fail(`${file}: ${dynamo.join(', ')} on ${text}`);
        }
      }
      assert.deepEqual([...onTable].sort(), grant.table.map((a) => `dynamodb:${a}`).sort(), `${file}: table actions`);
      assert.deepEqual([...onIndex].sort(), grant.indexes.map((i) => `dynamodb:Query@${i}`).sort(), `${file}: index queries`);
    }
    // The mail functions exist only with the mailDomain context (test/infra/mail-stack.test.ts).
    assert.deepEqual(
      [...new Set([...functionLogicalIds().keys()].map((f) => f.replace(/^\w+:/, '')))].sort(),
      [...functionFiles()].filter((f) => !MAIL_FUNCTIONS.includes(f)).sort(),
    );
  });
});

describe('table', () => {
  test('built from the table definition: keys, indexes, TTL, on-demand, PITR, deletion protection, retained', () => {
    const tables = ofType('AWS::DynamoDB::Table');
    assert.equal(tables.length, 1);
    const [, table] = tables[0]!;
    assert.equal(table.DeletionPolicy, 'Retain');
    assert.equal(table.UpdateReplacePolicy, 'Retain');
    const p = table.Properties;
    assert.equal(p.BillingMode, 'PAY_PER_REQUEST');
    assert.deepEqual(p.PointInTimeRecoverySpecification, { PointInTimeRecoveryEnabled: true });
    assert.equal(p.DeletionProtectionEnabled, true);
    assert.deepEqual(p.TimeToLiveSpecification, { AttributeName: tableDefinition.timeToLiveAttribute, Enabled: true });
    assert.deepEqual(p.KeySchema, [
      { AttributeName: tableDefinition.partitionKey, KeyType: 'HASH' },
      { AttributeName: tableDefinition.sortKey, KeyType: 'RANGE' },
    ]);
    assert.deepEqual(
      (p.GlobalSecondaryIndexes as Json[]).map((i) => [
        i.IndexName,
        i.KeySchema[0].AttributeName,
        i.KeySchema[1].AttributeName,
        i.Projection.ProjectionType,
        i.Projection.NonKeyAttributes ?? [],
      ]),
      tableDefinition.globalSecondaryIndexes.map((i) => [
        i.indexName,
        i.partitionKey,
        i.sortKey,
        i.projection.type,
        i.projection.type === 'INCLUDE' ? [...i.projection.attributes] : [],
      ]),
    );
    // No index copies whole items: each projects keys, or a few attributes that never change.
    assert.ok((p.GlobalSecondaryIndexes as Json[]).every((i) => i.Projection.ProjectionType !== 'ALL'));
  });
});

describe('scheduled functions', () => {
  test('each has a schedule at the AggregationRateMinutes rate, retries, an encrypted SSL-only dead-letter queue and an alarm on it', () => {
    template.hasParameter('AggregationRateMinutes', { Type: 'Number', Default: 5 });
    const schedules = ofType('AWS::Scheduler::Schedule');
    assert.equal(schedules.length, scheduled.length);
    for (const [, s] of schedules) {
      const fixed = scheduled.find((d) => d.everyMinutes !== undefined && s.Properties.Description.includes(d.function));
      assert.deepEqual(
        s.Properties.ScheduleExpression,
        fixed
          ? `rate(${fixed.everyMinutes} minute${fixed.everyMinutes === 1 ? '' : 's'})`
          : { 'Fn::Join': ['', ['rate(', { Ref: 'AggregationRateMinutes' }, ' minutes)']] },
      );
      assert.ok(s.Properties.Target.RetryPolicy.MaximumRetryAttempts > 0);
      const queueId = s.Properties.Target.DeadLetterConfig.Arn['Fn::GetAtt'][0] as string;
      assert.equal(resources[queueId]!.Properties.SqsManagedSseEnabled, true);
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: queueId }],
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
      });
    }
  });
});

describe('events out', () => {
  test('the table streams both images; one consumer maps it with filter criteria, bisect, partial failures, capped retries and an on-failure queue with an alarm', () => {
    const [[, table]] = ofType('AWS::DynamoDB::Table') as [[string, Json]];
    assert.deepEqual(table.Properties.StreamSpecification, { StreamViewType: 'NEW_AND_OLD_IMAGES' });
    // The stream consumer's mappings (the live fan-out has its own, asserted under live push).
    const liveFanOut = functionLogicalIds().get('live:live-fanout');
    const deliveries = functionLogicalIds().get('queue:attempt-deliveries');
    const mappings = ofType('AWS::Lambda::EventSourceMapping').filter(([, m]) => ![liveFanOut, deliveries].includes(m.Properties.FunctionName?.Ref));
    assert.equal(mappings.length, streamFunctions.length);
    const [[, mapping]] = mappings as [[string, Json]];
    const p = mapping.Properties;
    assert.deepEqual(p.EventSourceArn, { 'Fn::GetAtt': [Object.entries(resources).find(([, r]) => r.Type === 'AWS::DynamoDB::Table')![0], 'StreamArn'] });
    assert.equal(p.BisectBatchOnFunctionError, true);
    assert.deepEqual(p.FunctionResponseTypes, ['ReportBatchItemFailures']);
    assert.equal(p.MaximumRetryAttempts, 10);
    // The local poller follows the same mapping (infra/local/stream-mapping.ts).
    assert.equal(p.ParallelizationFactor, STREAM_CONSUMER_MAPPING.ParallelizationFactor);
    assert.equal(p.BatchSize, STREAM_CONSUMER_MAPPING.BatchSize);
    assert.equal(p.StartingPosition, 'TRIM_HORIZON');
    assert.deepEqual(JSON.parse(p.FilterCriteria.Filters[0].Pattern), STREAM_FILTER);
    const queueId = p.DestinationConfig.OnFailure.Destination['Fn::GetAtt'][0] as string;
    assert.equal(resources[queueId]!.Properties.SqsManagedSseEnabled, true);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'IteratorAge', Threshold: 60_000 });
  });

  test('a chatlines EventBridge bus; the consumer may PutEvents to it and nowhere else; the sweeper runs every minute', () => {
    template.hasResourceProperties('AWS::Events::EventBus', { Name: 'chatlines' });
    const consumer = functionLogicalIds().get('stream:stream-consumer')!;
    const fn = resources[consumer]!;
    assert.equal(fn.Properties.Environment.Variables.EVENT_BUS_NAME.Ref, Object.entries(resources).find(([, r]) => r.Type === 'AWS::Events::EventBus')![0]);
    const roleId = fn.Properties.Role['Fn::GetAtt'][0] as string;
    assert.ok(roleActions(roleId).includes('events:PutEvents'));
    for (const [file, id] of functionLogicalIds()) {
      if (id === consumer) continue;
      assert.ok(!roleActions(resources[id]!.Properties.Role['Fn::GetAtt'][0]).includes('events:PutEvents'), `${file} may not put events`);
    }
    const sweeper = ofType('AWS::Scheduler::Schedule').find(([, s]) => s.Properties.Description.includes('retry-deliveries'));
    assert.equal(sweeper?.[1].Properties.ScheduleExpression, 'rate(1 minute)');
  });

  test('deliveries: the consumer may send to an encrypted queue (with a dead-letter queue and an alarm) that feeds the delivery function with partial batch responses', () => {
    const consumer = resources[functionLogicalIds().get('stream:stream-consumer')!]!;
    const worker = functionLogicalIds().get('queue:attempt-deliveries')!;
    const queueId = consumer.Properties.Environment.Variables.DELIVERY_QUEUE_URL.Ref as string;
    const queue = resources[queueId]!;
    assert.equal(queue.Type, 'AWS::SQS::Queue');
    assert.equal(queue.Properties.SqsManagedSseEnabled, true);
    const dlqId = queue.Properties.RedrivePolicy.deadLetterTargetArn['Fn::GetAtt'][0] as string;
    assert.equal(resources[dlqId]!.Properties.SqsManagedSseEnabled, true);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlqId, 'QueueName'] } }],
    });
    const [[, mapping]] = ofType('AWS::Lambda::EventSourceMapping').filter(([, m]) => m.Properties.FunctionName?.Ref === worker) as [[string, Json]];
    assert.deepEqual(mapping.Properties.EventSourceArn, { 'Fn::GetAtt': [queueId, 'Arn'] });
    assert.deepEqual(mapping.Properties.FunctionResponseTypes, ['ReportBatchItemFailures']);
    assert.ok(roleActions(consumer.Properties.Role['Fn::GetAtt'][0]).includes('sqs:SendMessage'));
    assert.ok(!roleActions(resources[worker]!.Properties.Role['Fn::GetAtt'][0]).includes('sqs:SendMessage'), 'the worker only receives');
  });
});

describe('monitoring', () => {
  test('every function has its errors and its throttles in one alarm each, which names it', () => {
    const topic = ofType('AWS::SNS::Topic').find(([id]) => id.includes('AlarmTopic'))![0];
    for (const [file, id] of functionLogicalIds()) {
      for (const metric of ['Errors', 'Throttles']) {
        const alarms = ofType('AWS::CloudWatch::Alarm').filter(([, a]) =>
          (a.Properties.Metrics as Json[] | undefined)?.some(
            (m) => m.MetricStat?.Metric?.MetricName === metric && m.MetricStat.Metric.Dimensions?.[0]?.Value?.Ref === id,
          ),
        );
        assert.equal(alarms.length, 1, `${file} ${metric}`);
        const [, alarm] = alarms[0]!;
        const name = file.replace(/^\w+:/, '');
        assert.ok(alarm.Properties.AlarmDescription.includes(name), `${file} ${metric}: the description names it`);
        const own = (alarm.Properties.Metrics as Json[]).find((m) => m.MetricStat?.Metric?.Dimensions?.[0]?.Value?.Ref === id)!;
        assert.equal(own.Label, name, `${file} ${metric}: its series is labelled with its name`);
        assert.equal(own.MetricStat.Stat, 'Sum');
        assert.equal(alarm.Properties.Threshold, 1);
        assert.deepEqual(alarm.Properties.AlarmActions, [{ Ref: topic }]);
        // A metric math alarm names at most 10 metrics, besides its expression.
        assert.ok((alarm.Properties.Metrics as Json[]).filter((m) => m.MetricStat).length <= FUNCTIONS_PER_ALARM);
        assert.match((alarm.Properties.Metrics as Json[]).find((m) => m.Expression)!.Expression, /^MAX\(\[/);
      }
    }
    const [[, dashboard]] = ofType('AWS::CloudWatch::Dashboard') as [[string, Json]];
    assert.ok(dashboard);
  });

  test('alarms on API 5xx, API p99 latency and DynamoDB throttling, each notifying the alarm topic', () => {
    const topic = ofType('AWS::SNS::Topic').find(([id]) => id.includes('AlarmTopic'))![0];
    const notifies = (a: Json) => JSON.stringify(a.Properties.AlarmActions) === JSON.stringify([{ Ref: topic }]);
    const api = ofType('AWS::ApiGatewayV2::Api').find(([, a]) => a.Properties.ProtocolType === 'HTTP')![0];
    const onApi = (a: Json) =>
      a.Properties.Namespace === 'AWS/ApiGateway' && a.Properties.Dimensions?.some((d: Json) => d.Name === 'ApiId' && d.Value?.Ref === api);
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, a]) => a);
    const fivexx = alarms.filter((a) => onApi(a) && a.Properties.MetricName === '5xx');
    assert.equal(fivexx.length, 1, 'one API 5xx alarm');
    assert.equal(fivexx[0]!.Properties.Statistic, 'Sum');
    assert.ok(notifies(fivexx[0]!));
    const latency = alarms.filter((a) => onApi(a) && a.Properties.MetricName === 'Latency');
    assert.equal(latency.length, 1, 'one API latency alarm');
    assert.equal(latency[0]!.Properties.ExtendedStatistic, 'p99');
    assert.ok(notifies(latency[0]!));
    const [[tableId]] = ofType('AWS::DynamoDB::Table') as [[string, Json]];
    const throttles = alarms.filter((a) =>
      (a.Properties.Metrics as Json[] | undefined)?.some(
        (m) =>
          ['ReadThrottleEvents', 'WriteThrottleEvents'].includes(m.MetricStat?.Metric?.MetricName) &&
          m.MetricStat.Metric.Dimensions?.[0]?.Value?.Ref === tableId,
      ),
    );
    assert.equal(throttles.length, 1, 'one DynamoDB throttling alarm');
    const names = (throttles[0]!.Properties.Metrics as Json[])
      .map((m) => m.MetricStat?.Metric?.MetricName)
      .filter(Boolean)
      .sort();
    assert.deepEqual(names, ['ReadThrottleEvents', 'WriteThrottleEvents']);
    assert.ok(notifies(throttles[0]!));
  });

  test("the dashboard shows API 4xx/5xx, latency, CommandOutcome, and each function's errors and throttles", () => {
    const [[, dashboard]] = ofType('AWS::CloudWatch::Dashboard') as [[string, Json]];
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const needle of ['4xx', '5xx', 'Latency', 'CommandOutcome', '{chatlines,operation,outcome,service}', 'Function errors', 'Function throttles'])
      assert.ok(body.includes(needle), needle);
  });
});

describe('live push (WebSocket API)', () => {
  const wsApi = () => ofType('AWS::ApiGatewayV2::Api').find(([, a]) => a.Properties.ProtocolType === 'WEBSOCKET')!;
  test('a WebSocket API with $connect (Lambda REQUEST authorizer on ?token=), $disconnect and $default', () => {
    const [apiId] = wsApi();
    const wsRoutes = ofType('AWS::ApiGatewayV2::Route').filter(([, r]) => r.Properties.ApiId?.Ref === apiId);
    assert.deepEqual(wsRoutes.map(([, r]) => r.Properties.RouteKey).sort(), ['$connect', '$default', '$disconnect']);
    const [[authorizerId, authorizer]] = ofType('AWS::ApiGatewayV2::Authorizer').filter(([, a]) => a.Properties.AuthorizerType === 'REQUEST') as [
      [string, Json],
    ];
    assert.deepEqual(authorizer.Properties.IdentitySource, ['route.request.querystring.token']);
    const ids = functionLogicalIds();
    assert.ok(JSON.stringify(authorizer.Properties.AuthorizerUri).includes(ids.get('live:live-authorizer')!));
    for (const [, r] of wsRoutes) {
      if (r.Properties.RouteKey === '$connect') {
        assert.equal(r.Properties.AuthorizationType, 'CUSTOM');
        assert.deepEqual(r.Properties.AuthorizerId, { Ref: authorizerId });
      }
    }
  });

  test("the authorizer verifies the HTTP API's issuer and audience; it has no table access", () => {
    const ids = functionLogicalIds();
    const vars = resources[ids.get('live:live-authorizer')!]!.Properties.Environment.Variables;
    const [, jwt] = ofType('AWS::ApiGatewayV2::Authorizer').find(([, a]) => a.Properties.AuthorizerType === 'JWT')!;
    assert.deepEqual(vars.JWT_ISSUER, jwt.Properties.JwtConfiguration.Issuer);
    assert.deepEqual(vars.JWT_AUDIENCE, jwt.Properties.JwtConfiguration.Audience[0]);
    assert.deepEqual(vars.JWT_ISSUER['Fn::If'][2], { Ref: 'JwtIssuer' });
    const roleId = resources[ids.get('live:live-authorizer')!]!.Properties.Role['Fn::GetAtt'][0] as string;
    assert.deepEqual(
      roleActions(roleId).filter((a) => a.startsWith('dynamodb:')),
      [],
    );
  });

  test('the fan-out reads the table stream (filtered, bisecting, partial failures, on-failure queue) and may post to connections', () => {
    const ids = functionLogicalIds();
    const fanOut = ids.get('live:live-fanout')!;
    const [[, mapping]] = ofType('AWS::Lambda::EventSourceMapping').filter(([, m]) => m.Properties.FunctionName?.Ref === fanOut) as [[string, Json]];
    assert.equal(mapping.Properties.BisectBatchOnFunctionError, true);
    assert.deepEqual(mapping.Properties.FunctionResponseTypes, ['ReportBatchItemFailures']);
    assert.equal(mapping.Properties.ParallelizationFactor, 1);
    assert.ok(mapping.Properties.DestinationConfig.OnFailure.Destination);
    assert.match(JSON.stringify(mapping.Properties.FilterCriteria), /session/);
    for (const [file, id] of ids) {
      const roleId = resources[id]!.Properties.Role['Fn::GetAtt'][0] as string;
      const manages = roleStatements(roleId).filter((st) => actionsOf(st).includes('execute-api:ManageConnections'));
      assert.equal(manages.length > 0, ['live:live-fanout', 'live:live-default'].includes(file), `${file} posts to connections`);
      // POST (frames) and DELETE (an expired token's connection) @connections/{id} only: nothing reads (GET) one.
      for (const st of manages) {
        const resources = JSON.stringify(st.Resource);
        assert.match(resources, /\/live\/POST\/@connections\/\*"/, file);
        assert.match(resources, /\/live\/DELETE\/@connections\/\*"/, file);
        assert.doesNotMatch(resources, /\/GET\/|\/\*\/@connections/, file);
      }
    }
  });

  test('stage with throttling; the URL is an output; by default no account-level API Gateway setting and so no access logs', () => {
    const [apiId] = wsApi();
    const [[, stage]] = ofType('AWS::ApiGatewayV2::Stage').filter(([, s]) => s.Properties.ApiId?.Ref === apiId) as [[string, Json]];
    assert.equal(stage.Properties.AccessLogSettings, undefined);
    assert.ok(stage.Properties.DefaultRouteSettings.ThrottlingRateLimit > 0);
    template.hasOutput('LiveUrl', {});
    assert.deepEqual(ofType('AWS::ApiGateway::Account'), [], 'the account setting is opt-in');
  });

  test(`-c ${API_GATEWAY_ACCOUNT_ROLE_CONTEXT}=true: the account's API Gateway logging role (retained), and JSON access logs on the stage; -c ${LIVE_ACCESS_LOGS_CONTEXT}=true: the logs alone`, () => {
    const live = (context: Record<string, unknown>) => {
      const stack = new Stack(new App({ context: { ...context, 'aws:cdk:bundling-stacks': [] } }), 'LiveProbe');
      new LivePush(stack, 'Live', { table: new ChatlinesTable(stack, 'Data'), jwtIssuer: 'https://issuer.example', jwtAudience: 'chatlines' });
      return Template.fromStack(stack).toJSON().Resources as Record<string, Json>;
    };
    const stageOf = (r: Record<string, Json>) => Object.values(r).find((x) => x.Type === 'AWS::ApiGatewayV2::Stage')!;
    const withRole = live({ [API_GATEWAY_ACCOUNT_ROLE_CONTEXT]: true });
    const [accountId, account] = Object.entries(withRole).find(([, r]) => r.Type === 'AWS::ApiGateway::Account')!;
    const roleId = account.Properties.CloudWatchRoleArn['Fn::GetAtt'][0] as string;
    assert.equal(withRole[roleId]!.DeletionPolicy, 'Retain', 'the account setting outlives the stack: so does its role');
    assert.match(stageOf(withRole).Properties.AccessLogSettings.Format, /"connectionId":"\$context.connectionId"/);
    assert.ok([stageOf(withRole).DependsOn].flat().includes(accountId));
    const logsOnly = live({ [LIVE_ACCESS_LOGS_CONTEXT]: 'true' });
    assert.ok(!Object.values(logsOnly).some((r) => r.Type === 'AWS::ApiGateway::Account'));
    assert.match(stageOf(logsOnly).Properties.AccessLogSettings.Format, /"connectionId":"\$context.connectionId"/);
    assert.throws(() => live({ [API_GATEWAY_ACCOUNT_ROLE_CONTEXT]: 'yes' }), /must be true or false/);
  });
});

test('cdk.json sets every feature flag aws-cdk-lib recommends, at the recommended value', () => {
  const recommended = JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', 'aws-cdk-lib', 'recommended-feature-flags.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  const { context } = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  const differing = Object.entries(recommended)
    .filter(([flag, value]) => JSON.stringify(context[flag]) !== JSON.stringify(value))
    .map(([flag]) => flag);
  assert.deepEqual(differing, []);
});

test('cdk.json runs the app entry', () => {
  const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8'));
  assert.match(cdkJson.app, /infra\/aws\/app\.ts$/);
  assert.ok(existsSync(join(REPO_ROOT, 'infra/aws/app.ts')));
});

describe('API limits', () => {
  test("sets the manifest's per-route throttles on the stage, and CORS accepts only explicit origins", () => {
    const stages = template.findResources('AWS::ApiGatewayV2::Stage');
    const settings = Object.values(stages)[0]?.Properties?.RouteSettings as Record<string, { ThrottlingRateLimit: number }>;
    for (const route of routes.filter((r) => r.throttle)) {
      assert.equal(settings[`${route.method} ${route.path}`]?.ThrottlingRateLimit, route.throttle!.rate, `${route.method} ${route.path}`);
    }
    const pattern = new RegExp(template.toJSON().Parameters.CorsAllowedOrigins.AllowedPattern);
    assert.ok(pattern.test('') && pattern.test('https://app.example.com,https://b.example.com'));
    assert.ok(!pattern.test('*') && !pattern.test('https://*.example.com'));
  });
});

describe('console', () => {
  const one = (type: string): [string, Json] => {
    const found = ofType(type);
    assert.ok(found.length >= 1, type);
    return found[0]!;
  };
  const buckets = () => ofType('AWS::S3::Bucket');

  test('assets, logs and files buckets: public access blocked, encrypted, SSL enforced; the assets bucket logs its access', () => {
    assert.equal(buckets().length, 3);
    for (const [id, b] of buckets()) {
      assert.deepEqual(
        b.Properties.PublicAccessBlockConfiguration,
        { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        id,
      );
      assert.ok(b.Properties.BucketEncryption, id);
      const policy = ofType('AWS::S3::BucketPolicy').find(([, p]) => p.Properties.Bucket.Ref === id);
      assert.ok(policy, `${id} has a bucket policy`);
      const statements = policy[1].Properties.PolicyDocument.Statement as Json[];
      assert.ok(
        statements.some((st) => st.Effect === 'Deny' && st.Condition?.Bool?.['aws:SecureTransport'] === 'false'),
        `${id} enforces SSL`,
      );
    }
    const assets = buckets().find(([id]) => id.startsWith('ConsoleAssets'))!;
    assert.ok(assets[1].Properties.LoggingConfiguration?.DestinationBucketName, 'server access logs');
  });

  test('CloudFront: origin access control, index.html at the root, HTTPS, security headers, /v1/* to the API uncached, logging', () => {
    const [, oac] = one('AWS::CloudFront::OriginAccessControl');
    assert.equal(oac.Properties.OriginAccessControlConfig.SigningBehavior, 'always');
    const [, dist] = one('AWS::CloudFront::Distribution');
    const config = dist.Properties.DistributionConfig;
    assert.equal(config.DefaultRootObject, 'index.html');
    assert.equal(config.DefaultCacheBehavior.ViewerProtocolPolicy, 'redirect-to-https');
    assert.ok(config.DefaultCacheBehavior.ResponseHeadersPolicyId, 'security headers on the pages');
    assert.ok(config.Logging?.Bucket, 'standard logging');
    const s3Origin = (config.Origins as Json[]).find((o) => o.S3OriginConfig);
    assert.ok(s3Origin?.OriginAccessControlId, 'S3 origin through OAC');
    const api = (config.CacheBehaviors as Json[]).find((b) => b.PathPattern === '/v1/*')!;
    assert.ok(api, 'a /v1/* behavior');
    assert.equal(api.CachePolicyId, '4135ea2d-6df8-44a3-9df3-4b5a84be39ad', 'CachingDisabled');
    assert.equal(api.ViewerProtocolPolicy, 'https-only');
    assert.ok((api.AllowedMethods as string[]).includes('POST'));
    const widget = (config.CacheBehaviors as Json[]).find((b) => b.PathPattern === '/widget.js');
    assert.ok(widget?.ResponseHeadersPolicyId, 'widget.js has its own (cross-origin) headers');
    const configBehavior = (config.CacheBehaviors as Json[]).find((b) => b.PathPattern === '/console/config.json');
    assert.deepEqual(configBehavior?.ResponseHeadersPolicyId, widget.ResponseHeadersPolicyId, 'config.json too (the widget reads it)');
    const policies = ofType('AWS::CloudFront::ResponseHeadersPolicy').map(([, p]) => p.Properties.ResponseHeadersPolicyConfig);
    const pages = policies.find((p) => p.SecurityHeadersConfig?.ContentSecurityPolicy)!;
    // The CSP names the region's S3 endpoints (files shown and uploaded): a deploy-time join.
    assert.match(
      JSON.stringify(pages.SecurityHeadersConfig.ContentSecurityPolicy.ContentSecurityPolicy),
      /default-src 'self'.*https:\/\/\*\.s3\..*frame-ancestors 'none'/,
    );
    assert.ok(pages.SecurityHeadersConfig.StrictTransportSecurity);
    assert.equal(pages.SecurityHeadersConfig.FrameOptions.FrameOption, 'DENY');
    // Only CloudFront (this distribution) may read the bucket.
    const assetsId = buckets().find(([id]) => id.startsWith('ConsoleAssets'))![0];
    const policy = ofType('AWS::S3::BucketPolicy').find(([, p]) => p.Properties.Bucket.Ref === assetsId)![1];
    const read = (policy.Properties.PolicyDocument.Statement as Json[]).find((st) => st.Effect === 'Allow')!;
    assert.deepEqual(read.Principal, { Service: 'cloudfront.amazonaws.com' });
    assert.ok(read.Condition.StringEquals['AWS:SourceArn'], 'scoped to the distribution');
  });

  test('the built console and a config.json with the API URL and the hosted UI are deployed, the distribution invalidated', () => {
    const [, deployment] = one('Custom::CDKBucketDeployment');
    const p = deployment.Properties;
    assert.equal(p.SourceBucketNames.length, 2, 'the assets zip and the config.json');
    assert.equal(p.DistributionPaths.includes('/console/config.json'), true);
    assert.ok(p.DistributionId, 'invalidates the distribution');
    const markers = JSON.stringify(p.SourceMarkers ?? p);
    assert.match(markers, /Cdn|DomainName/, 'config.json carries the distribution URL (deploy-time token)');
    template.hasOutput('ConsoleUrl', {});
  });

  test('Cognito: the app client runs the code flow back to the console; the hosted UI domain exists with the pool', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      AllowedOAuthFlows: ['code'],
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthScopes: Match.arrayWith(['openid']),
    });
    template.hasResource('AWS::Cognito::UserPoolDomain', { Condition: 'CreateUserPool' });
  });

  test('the visitor-token secret: generated, readable by the visitor functions only', () => {
    const [secretId] = one('AWS::SecretsManager::Secret');
    const ids = functionLogicalIds();
    // The visitor routes, and the live authorizer (it verifies visitor tokens on the socket).
    const visitorFiles = new Set([...routes.filter((r) => r.visitor).map((r) => r.function), 'live:live-authorizer']);
    for (const [file, id] of ids) {
      const role = resources[id]!.Properties.Role['Fn::GetAtt'][0] as string;
      const reads = roleActions(role).includes('secretsmanager:GetSecretValue');
      assert.ok(!roleActions(role).includes('secretsmanager:DescribeSecret'), `${file}: no DescribeSecret (unused)`);
      assert.equal(reads, visitorFiles.has(file.replace(/^scheduled:/, '')) && !file.startsWith('scheduled:'), `${file} reads the secret: ${reads}`);
      if (reads) assert.deepEqual(resources[id]!.Properties.Environment.Variables.VISITOR_SECRET_ARN, { Ref: secretId });
    }
  });
});

describe('files', () => {
  test('one bucket: public access blocked, SSE, TLS only, lifecycle for abandoned uploads, CORS for the console and the API origins only', () => {
    const [[id, bucket]] = ofType('AWS::S3::Bucket').filter(([key]) => key.startsWith('Files')) as [[string, Json]];
    const p = bucket.Properties;
    assert.deepEqual(p.PublicAccessBlockConfiguration, { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    assert.equal(p.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm, 'AES256');
    const rules = p.LifecycleConfiguration.Rules as Json[];
    assert.ok(rules.some((r) => r.AbortIncompleteMultipartUpload?.DaysAfterInitiation === 1));
    assert.ok(rules.some((r) => r.ExpirationInDays === 2 && JSON.stringify(r.TagFilters).includes('chatlines-state')));
    const cors = JSON.stringify(p.CorsConfiguration);
    assert.doesNotMatch(cors, /"\*"/, 'no wildcard origin');
    assert.match(cors, /CorsAllowedOrigins/);
    assert.match(cors, /ConsoleCdn/);
    const policy = ofType('AWS::S3::BucketPolicy').find(([, b]) => b.Properties.Bucket.Ref === id)![1];
    assert.ok(
      (policy.Properties.PolicyDocument.Statement as Json[]).some((st) => st.Effect === 'Deny' && st.Condition?.Bool?.['aws:SecureTransport'] === 'false'),
    );
    assert.equal(ofType('AWS::GuardDuty::MalwareProtectionPlan').length, 0, 'the malware scan is off by default');
  });

  test('each function gets exactly the S3 actions of its grant, on files/* only', () => {
    for (const [file, fnId] of functionLogicalIds()) {
      const roleId = resources[fnId]!.Properties.Role['Fn::GetAtt'][0] as string;
      const s3 = roleStatements(roleId).filter((st) => actionsOf(st).some((a) => a.startsWith('s3:')));
      const expected = (grantOf(file.replace(/^\w+:/, '')).files ?? []).map((a) => `s3:${a}`).sort();
      assert.deepEqual(s3.flatMap(actionsOf).sort(), expected, file);
      for (const st of s3) assert.match(JSON.stringify(st.Resource), /\/files\/\*"/, file);
    }
  });
});

describe('files: the malware scan', () => {
  test('-c filesMalwareScan=true: a GuardDuty Malware Protection plan on files/, the checking functions told, and no unacknowledged finding', () => {
    const dir = mkdtempSync(join(tmpdir(), 'chatlines-scan-'));
    try {
      const context = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')).context as Record<string, unknown>;
      const { app, stack } = buildApp({}, new App({ outdir: dir, context: { ...context, filesMalwareScan: 'true', 'aws:cdk:bundling-stacks': [] } }));
      app.synth();
      const scanned = Template.fromStack(stack).toJSON().Resources as Record<string, Json>;
      const plans = Object.values(scanned).filter((r) => r.Type === 'AWS::GuardDuty::MalwareProtectionPlan');
      assert.equal(plans.length, 1);
      assert.deepEqual(plans[0]!.Properties.ProtectedResource.S3Bucket.ObjectPrefixes, ['files/']);
      assert.equal(plans[0]!.Properties.Actions.Tagging.Status, 'ENABLED');
      const told = Object.values(scanned).filter(
        (r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment?.Variables?.FILES_MALWARE_SCAN === 'true',
      );
      assert.ok(told.length >= 2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
