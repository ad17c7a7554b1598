/**
 * The pure parts of the verify:aws harness (infra/verify): EventBridge patterns (also the
 * stream mappings' filter criteria), API Gateway's claim flattening, ARN globbing, the stream
 * batch semantics (a poison record ends alone at the on-failure destination), the reading
 * of a template (no synth needed), the management API's calls authorized per method
 * (DeleteConnection needs its own grant), and the S3 and KMS stand-ins through the real SDK.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ApiGatewayManagementApiClient, DeleteConnectionCommand, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { DeleteObjectCommand, GetObjectCommand, GetObjectTaggingCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { DynamoDBRecord } from 'aws-lambda';
import WebSocket from 'ws';
import { runMappingBatch, type StreamFailureMessage } from '../../infra/local/stream-mapping.ts';
import { matchesPattern } from '../../infra/verify/event-pattern.ts';
import { Gateway } from '../../infra/verify/gateway.ts';
import { flattenClaims } from '../../infra/verify/http-api.ts';
import { Authorizer } from '../../infra/verify/iam.ts';
import type { LambdaRunner } from '../../infra/verify/lambda-runner.ts';
import { ACCOUNT, globMatch, type PolicyDocument, REGION, ResolvedTemplate, withoutDeleteConnection } from '../../infra/verify/template.ts';
import { WebSocketStandIn } from '../../infra/verify/websocket.ts';
import { STREAM_FILTER } from '../../lib/adapters/dynamodb/stream.ts';

describe('event patterns', () => {
  it('match exact values, prefixes, anything-but, exists and numeric ranges', () => {
    const event = { source: 'chatlines', 'detail-type': 'session.created', detail: { sequence: 3, tags: ['a', 'b'] } };
    assert.ok(matchesPattern({ source: ['chatlines'] }, event));
    assert.ok(matchesPattern({ 'detail-type': [{ prefix: 'session.' }] }, event));
    assert.ok(!matchesPattern({ 'detail-type': [{ 'anything-but': ['session.created'] }] }, event));
    assert.ok(matchesPattern({ detail: { sequence: [{ numeric: ['>', 1, '<=', 3] }] } }, event));
    assert.ok(matchesPattern({ detail: { tags: ['b'] } }, event));
    assert.ok(matchesPattern({ detail: { missing: [{ exists: false }] } }, event));
    assert.ok(!matchesPattern({ detail: { missing: ['x'] } }, event));
    assert.ok(matchesPattern({ $or: [{ source: ['other'] }, { source: ['chatlines'] }] }, event));
  });

  it("apply the stream mappings' filter to the Lambda record shape", () => {
    const record = (entity: string) => ({ dynamodb: { NewImage: { entity: { S: entity } } } });
    assert.ok(matchesPattern(STREAM_FILTER as never, record('session')));
    assert.ok(!matchesPattern(STREAM_FILTER as never, record('message')));
    assert.ok(!matchesPattern(STREAM_FILTER as never, { dynamodb: { Keys: {} } }));
  });
});

describe('API Gateway stand-ins', () => {
  it('flatten JWT claims to strings as the HTTP API does', () => {
    assert.deepEqual(flattenClaims({ sub: 'a', roles: ['admin', 'operator'], exp: 5, nested: { x: 1 } }), {
      sub: 'a',
      roles: '[admin operator]',
      exp: '5',
      nested: '{"x":1}',
    });
  });

  it('match source ARNs as Lambda permissions do', () => {
    assert.ok(globMatch('arn:aws:execute-api:us-east-1:1:api/*/*/v1/lines/{id}', 'arn:aws:execute-api:us-east-1:1:api/$default/GET/v1/lines/{id}'));
    assert.ok(!globMatch('arn:aws:execute-api:us-east-1:1:api/*/*/v1/lines', 'arn:aws:execute-api:us-east-1:1:api/$default/GET/v1/lines/{id}'));
  });
});

describe('stream batch semantics', () => {
  const records = Array.from(
    { length: 5 },
    (_, i): DynamoDBRecord => ({ eventID: String(i), dynamodb: { SequenceNumber: String(100 + i), ApproximateCreationDateTime: Date.now() / 1000 } }),
  );

  it('isolate a poison record: the first two take effect once, the third alone is discarded, the last two are retried', async () => {
    const taken = new Map<string, number>();
    const discarded: StreamFailureMessage[] = [];
    const report = await runMappingBatch(records, {
      // Reports exactly the records that failed (the third always does), the others take effect.
      handler: async ({ Records }) => {
        const failures = Records.filter((r) => r.dynamodb?.SequenceNumber === '102').map((r) => ({ itemIdentifier: r.dynamodb!.SequenceNumber! }));
        for (const r of Records) {
          if (r.dynamodb?.SequenceNumber === '102') break;
          taken.set(r.dynamodb!.SequenceNumber!, (taken.get(r.dynamodb!.SequenceNumber!) ?? 0) + 1);
        }
        if (Records[0]?.dynamodb?.SequenceNumber === '102' && Records.length > 1) throw new Error('the first record failed');
        return { batchItemFailures: failures };
      },
      config: { BatchSize: 5, BisectBatchOnFunctionError: true, ReportBatchItemFailures: true, MaximumRetryAttempts: 2, MaximumRecordAgeInSeconds: -1 },
      onFailure: async (m) => {
        discarded.push(m);
      },
      streamArn: 'arn:stream',
      shardId: 'shard-1',
    });
    assert.deepEqual(Object.fromEntries(taken), { '100': 1, '101': 1, '103': 1, '104': 1 });
    assert.equal(discarded.length, 1);
    assert.equal(discarded[0]!.DDBStreamBatchInfo.startSequenceNumber, '102');
    assert.equal(discarded[0]!.DDBStreamBatchInfo.batchSize, 1);
    assert.equal(discarded[0]!.requestContext.condition, 'RetryAttemptsExhausted');
    assert.equal(report.discarded, 1);
  });

  it('read an unknown identifier as a failure of the whole batch', async () => {
    let calls = 0;
    const discarded: StreamFailureMessage[] = [];
    await runMappingBatch(records.slice(0, 1), {
      handler: async () => {
        calls++;
        return { batchItemFailures: [{ itemIdentifier: 'not-in-batch' }] };
      },
      config: { BatchSize: 5, BisectBatchOnFunctionError: false, ReportBatchItemFailures: true, MaximumRetryAttempts: 1, MaximumRecordAgeInSeconds: -1 },
      onFailure: async (m) => {
        discarded.push(m);
      },
      streamArn: 'arn:stream',
      shardId: 'shard-1',
    });
    assert.equal(calls, 2);
    assert.equal(discarded.length, 1);
  });
});

describe('the template, resolved', () => {
  // A small template in the shapes CDK writes: a role with its grants inline, one with a separate
  // AWS::IAM::Policy, an HTTP route behind a JWT authorizer on a conditional issuer, stream and
  // SQS mappings, a schedule and a Lambda permission.
  const fnArn = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
  const template = {
    Parameters: { JwtIssuer: { Type: 'String', Default: '' }, Rate: { Type: 'Number', Default: 5 } },
    Conditions: { CreateUserPool: { 'Fn::Equals': [{ Ref: 'JwtIssuer' }, ''] } },
    Resources: {
      Table: { Type: 'AWS::DynamoDB::Table', Properties: {} },
      Pool: { Type: 'AWS::Cognito::UserPool', Condition: 'CreateUserPool', Properties: {} },
      PoolClient: { Type: 'AWS::Cognito::UserPoolClient', Condition: 'CreateUserPool', Properties: {} },
      Queue: { Type: 'AWS::SQS::Queue', Properties: { VisibilityTimeout: 180, RedrivePolicy: { deadLetterTargetArn: fnArn('Dlq'), maxReceiveCount: 5 } } },
      Dlq: { Type: 'AWS::SQS::Queue', Properties: {} },
      InlineRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          AssumeRolePolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 'lambda.amazonaws.com' } }] },
          Policies: [{ PolicyName: 'grants', PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: fnArn('Table') }] } }],
        },
      },
      SplitRole: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: { Statement: [] } } },
      SplitPolicy: {
        Type: 'AWS::IAM::Policy',
        Properties: {
          Roles: [{ Ref: 'SplitRole' }],
          PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'dynamodb:GetRecords', Resource: { 'Fn::GetAtt': ['Table', 'StreamArn'] } }] },
        },
      },
      Reader: {
        Type: 'AWS::Lambda::Function',
        Properties: {
          Runtime: 'nodejs24.x',
          Handler: 'index.handler',
          Role: fnArn('InlineRole'),
          Environment: {
            Variables: {
              TABLE_NAME: { Ref: 'Table' },
              ISSUER: { 'Fn::If': ['CreateUserPool', { 'Fn::GetAtt': ['Pool', 'ProviderURL'] }, { Ref: 'JwtIssuer' }] },
            },
          },
          Tags: [{ Key: 'chatlines:function', Value: 'reader' }],
        },
        Metadata: { 'aws:asset:path': 'asset.reader' },
      },
      Consumer: {
        Type: 'AWS::Lambda::Function',
        Properties: { Runtime: 'nodejs24.x', Role: fnArn('SplitRole') },
        Metadata: { 'aws:asset:path': 'asset.consumer' },
      },
      Api: { Type: 'AWS::ApiGatewayV2::Api', Properties: { ProtocolType: 'HTTP' } },
      Authorizer: {
        Type: 'AWS::ApiGatewayV2::Authorizer',
        Properties: {
          ApiId: { Ref: 'Api' },
          AuthorizerType: 'JWT',
          IdentitySource: ['$request.header.Authorization'],
          JwtConfiguration: { Audience: [{ Ref: 'PoolClient' }], Issuer: { 'Fn::GetAtt': ['Pool', 'ProviderURL'] } },
        },
      },
      Integration: {
        Type: 'AWS::ApiGatewayV2::Integration',
        Properties: { ApiId: { Ref: 'Api' }, IntegrationUri: fnArn('Reader'), PayloadFormatVersion: '2.0' },
      },
      Route: {
        Type: 'AWS::ApiGatewayV2::Route',
        Properties: {
          ApiId: { Ref: 'Api' },
          RouteKey: 'GET /v1/things/{id}',
          AuthorizationType: 'JWT',
          AuthorizerId: { Ref: 'Authorizer' },
          Target: { 'Fn::Join': ['', ['integrations/', { Ref: 'Integration' }]] },
        },
      },
      Permission: {
        Type: 'AWS::Lambda::Permission',
        Properties: {
          Action: 'lambda:InvokeFunction',
          FunctionName: fnArn('Reader'),
          Principal: 'apigateway.amazonaws.com',
          SourceArn: {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':execute-api:',
                { Ref: 'AWS::Region' },
                ':',
                { Ref: 'AWS::AccountId' },
                ':',
                { Ref: 'Api' },
                '/*/*/v1/things/{id}',
              ],
            ],
          },
        },
      },
      StreamMapping: {
        Type: 'AWS::Lambda::EventSourceMapping',
        Properties: {
          FunctionName: { Ref: 'Consumer' },
          EventSourceArn: { 'Fn::GetAtt': ['Table', 'StreamArn'] },
          BatchSize: 100,
          BisectBatchOnFunctionError: true,
          FunctionResponseTypes: ['ReportBatchItemFailures'],
          FilterCriteria: { Filters: [{ Pattern: '{"dynamodb":{"NewImage":{"entity":{"S":["session"]}}}}' }] },
          MaximumRetryAttempts: 10,
          StartingPosition: 'TRIM_HORIZON',
        },
      },
      QueueMapping: { Type: 'AWS::Lambda::EventSourceMapping', Properties: { FunctionName: { Ref: 'Reader' }, EventSourceArn: fnArn('Queue'), BatchSize: 10 } },
      Schedule: {
        Type: 'AWS::Scheduler::Schedule',
        Properties: {
          ScheduleExpression: { 'Fn::Join': ['', ['rate(', { Ref: 'Rate' }, ' minutes)']] },
          Target: { Arn: fnArn('Consumer'), RoleArn: fnArn('SplitRole') },
        },
      },
    },
  };

  it('reads functions, grants, routes, mappings and schedules with local stand-ins', () => {
    const dir = mkdtempSync(join(tmpdir(), 'verify-template-'));
    writeFileSync(join(dir, 'Stack.template.json'), JSON.stringify(template));
    const t = new ResolvedTemplate(dir, 'Stack', { tableName: 'local-table', streamLabel: 'label', gatewayUrl: 'http://127.0.0.1:1' });
    const reader = t.functions.get('Reader')!;
    assert.equal(reader.name, 'reader');
    assert.equal(reader.environment.TABLE_NAME, 'local-table');
    assert.match(reader.environment.ISSUER!, /^http:\/\/127\.0\.0\.1:1\/idp\//);
    assert.deepEqual(reader.policies[0]!.Statement, [
      { Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/local-table` },
    ]);
    assert.deepEqual(t.functions.get('Consumer')!.policies[0]!.Statement, [
      { Effect: 'Allow', Action: 'dynamodb:GetRecords', Resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/local-table/stream/label` },
    ]);
    assert.ok(t.trusts(reader.roleArn, 'lambda.amazonaws.com'));
    assert.ok(!t.trusts(t.functions.get('Consumer')!.roleArn, 'lambda.amazonaws.com'));

    const [route] = t.httpRoutes;
    assert.equal(route!.functionId, 'Reader');
    assert.equal(route!.jwt!.issuer, reader.environment.ISSUER);
    assert.ok(t.mayInvoke('Reader', 'apigateway.amazonaws.com', `arn:aws:execute-api:${REGION}:${ACCOUNT}:${route!.apiId}/$default/GET/v1/things/{id}`));
    assert.ok(!t.mayInvoke('Consumer', 'apigateway.amazonaws.com', `arn:aws:execute-api:${REGION}:${ACCOUNT}:${route!.apiId}/$default/GET/v1/things/{id}`));

    assert.equal(t.streamMappings.length, 1);
    assert.equal(t.streamMappings[0]!.functionId, 'Consumer');
    assert.ok(t.streamMappings[0]!.reportBatchItemFailures && t.streamMappings[0]!.bisectBatchOnFunctionError);
    assert.deepEqual(
      t.queueMappings.map((q) => [q.functionId, q.visibilityTimeoutSeconds, q.redrive?.maxReceiveCount]),
      [['Reader', 180, 5]],
    );
    assert.deepEqual(
      t.schedules.map((s) => [s.functionId, s.expression]),
      [['Consumer', 'rate(5 minutes)']],
    );
  });

  it('reads routes, integrations and permissions from nested stacks with the parameters the parent passes', () => {
    // The parent keeps the API, the authorizer and the functions; one nested stack (found by its
    // asset path) holds the JWT route, another (found only by its TemplateURL's asset hash) a
    // public route; each gets the API id, the authorizer id and the function ARN as parameters.
    const { Integration: _i, Route: _r, Permission: _p, ...parentResources } = template.Resources;
    const param = (name: string) => ({ Ref: name });
    const nested = (routeKey: string, authorized: boolean) => ({
      Parameters: { ApiRef: { Type: 'String' }, AuthorizerRef: { Type: 'String' }, FunctionArn: { Type: 'String' } },
      Resources: {
        RouteIntegration: {
          Type: 'AWS::ApiGatewayV2::Integration',
          Properties: { ApiId: param('ApiRef'), IntegrationUri: param('FunctionArn'), PayloadFormatVersion: '2.0' },
        },
        Route: {
          Type: 'AWS::ApiGatewayV2::Route',
          Properties: {
            ApiId: param('ApiRef'),
            RouteKey: routeKey,
            AuthorizationType: authorized ? 'JWT' : 'NONE',
            ...(authorized ? { AuthorizerId: param('AuthorizerRef') } : {}),
            Target: { 'Fn::Join': ['', ['integrations/', { Ref: 'RouteIntegration' }]] },
          },
        },
        RoutePermission: {
          Type: 'AWS::Lambda::Permission',
          Properties: {
            Action: 'lambda:InvokeFunction',
            FunctionName: param('FunctionArn'),
            Principal: 'apigateway.amazonaws.com',
            SourceArn: {
              'Fn::Join': ['', ['arn:aws:execute-api:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':', param('ApiRef'), '/*/*/v1/*']],
            },
          },
        },
      },
    });
    const parameters = (fn: string) => ({ ApiRef: { Ref: 'Api' }, AuthorizerRef: { Ref: 'Authorizer' }, FunctionArn: fnArn(fn) });
    const parent = {
      ...template,
      Resources: {
        ...parentResources,
        PrivateRoutes: {
          Type: 'AWS::CloudFormation::Stack',
          Properties: { TemplateURL: 'https://s3.example/bucket/aaaa.json', Parameters: parameters('Reader') },
          Metadata: { 'aws:asset:path': 'StackPrivate.nested.template.json' },
        },
        PublicRoutes: {
          Type: 'AWS::CloudFormation::Stack',
          Properties: {
            TemplateURL: { 'Fn::Join': ['', ['https://s3.', { Ref: 'AWS::Region' }, '.amazonaws.com/bucket/bbbb.json']] },
            Parameters: parameters('Consumer'),
          },
        },
      },
    };
    const dir = mkdtempSync(join(tmpdir(), 'verify-nested-'));
    writeFileSync(join(dir, 'Stack.template.json'), JSON.stringify(parent));
    writeFileSync(join(dir, 'StackPrivate.nested.template.json'), JSON.stringify(nested('GET /v1/things/{id}', true)));
    writeFileSync(join(dir, 'StackPublic.nested.template.json'), JSON.stringify(nested('GET /v1/public', false)));
    writeFileSync(join(dir, 'Stack.assets.json'), JSON.stringify({ files: { bbbb: { source: { path: 'StackPublic.nested.template.json' } } } }));
    const t = new ResolvedTemplate(dir, 'Stack', { tableName: 'local-table', streamLabel: 'label', gatewayUrl: 'http://127.0.0.1:1' });

    assert.equal(t.stacks.length, 3);
    const reader = t.functions.get('Reader')!;
    assert.deepEqual(reader.policies[0]!.Statement, [
      { Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/local-table` },
    ]);
    const routes = new Map(t.httpRoutes.map((r) => [r.routeKey, r]));
    const thing = routes.get('GET /v1/things/{id}')!;
    assert.equal(thing.functionId, 'Reader');
    assert.equal(thing.authorization, 'JWT');
    assert.equal(thing.jwt!.issuer, reader.environment.ISSUER);
    const open = routes.get('GET /v1/public')!;
    assert.equal(open.functionId, 'Consumer');
    assert.equal(open.jwt, undefined);
    assert.equal(open.apiId, thing.apiId);
    const source = (path: string) => `arn:aws:execute-api:${REGION}:${ACCOUNT}:${thing.apiId}/$default/GET${path}`;
    assert.ok(t.mayInvoke('Reader', 'apigateway.amazonaws.com', source('/v1/things/{id}')));
    assert.ok(t.mayInvoke('Consumer', 'apigateway.amazonaws.com', source('/v1/public')));
    assert.ok(!t.mayInvoke('Reader', 'apigateway.amazonaws.com', `arn:aws:execute-api:${REGION}:${ACCOUNT}:other/$default/GET/v1/public`));
  });
});

describe('the management API through the gateway', () => {
  // The live functions' grant as infra/aws/live.ts writes it, resolved: ManageConnections on
  // POST (post frames) and DELETE (close an expired token's socket) of the stage's connections.
  const stage = 'live';
  const connections = (apiId: string, method: string) => `arn:aws:execute-api:${REGION}:${ACCOUNT}:${apiId}/${stage}/${method}/@connections/*`;
  const grants = (apiId: string): PolicyDocument[] => [
    {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'execute-api:ManageConnections', Resource: [connections(apiId, 'POST'), connections(apiId, 'DELETE')] }],
    },
  ];

  /** A gateway whose one principal (`LiveFanout`) has `policies`, before the WebSocket stand-in (no routes: any upgrade is accepted). */
  async function start(policies: (apiId: string) => PolicyDocument[]) {
    const authorizer = new Authorizer();
    const gateway = new Gateway({ dynamoEndpoint: 'http://127.0.0.1:1', authorizer, jwks: { keys: [] } });
    await gateway.start();
    const webSocket = new WebSocketStandIn([], {} as LambdaRunner, stage);
    const url = await webSocket.start();
    gateway.connections = webSocket;
    gateway.principals.set('LiveFanout', { id: 'LiveFanout', roleArn: `arn:aws:iam::${ACCOUNT}:role/live-fanout`, policies: policies(webSocket.apiId) });
    const socket = new WebSocket(url);
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const [id] = webSocket.connections.keys();
    const client = new ApiGatewayManagementApiClient({
      endpoint: `${gateway.url}/@api/${webSocket.apiId}/${stage}`,
      region: REGION,
      credentials: { accessKeyId: 'LiveFanout', secretAccessKey: 'x' },
      maxAttempts: 1,
    });
    const stop = async () => {
      client.destroy();
      socket.terminate();
      await webSocket.stop();
      await gateway.stop();
    };
    return { authorizer, webSocket, socket, closed, id: id!, client, stop };
  }

  it('close the emulated socket on DeleteConnection, authorized on the DELETE method of the connection', async () => {
    const t = await start(grants);
    try {
      await t.client.send(new PostToConnectionCommand({ ConnectionId: t.id, Data: new TextEncoder().encode('{"type":"pong"}') }));
      await t.client.send(new DeleteConnectionCommand({ ConnectionId: t.id }));
      assert.equal(await t.closed, 1000);
      assert.deepEqual(
        t.authorizer.calls.map((c) => [c.action, c.resource, c.detail, c.decision.allowed]),
        [
          [
            'execute-api:ManageConnections',
            `arn:aws:execute-api:${REGION}:${ACCOUNT}:${t.webSocket.apiId}/${stage}/POST/@connections/${t.id}`,
            'PostToConnection',
            true,
          ],
          [
            'execute-api:ManageConnections',
            `arn:aws:execute-api:${REGION}:${ACCOUNT}:${t.webSocket.apiId}/${stage}/DELETE/@connections/${t.id}`,
            'DeleteConnection',
            true,
          ],
        ],
      );
      // Gone after: a second close answers 410, as API Gateway does.
      await assert.rejects(t.client.send(new DeleteConnectionCommand({ ConnectionId: t.id })), (e: { $metadata?: { httpStatusCode?: number } }) => {
        assert.equal(e.$metadata?.httpStatusCode, 410);
        return true;
      });
    } finally {
      await t.stop();
    }
  });

  it('deny DeleteConnection to a role that may only post (the grant before it was fixed): the socket stays open', async () => {
    const t = await start((apiId) => withoutDeleteConnection(grants(apiId)));
    try {
      await t.client.send(new PostToConnectionCommand({ ConnectionId: t.id, Data: new TextEncoder().encode('{"type":"pong"}') }));
      await assert.rejects(t.client.send(new DeleteConnectionCommand({ ConnectionId: t.id })), (e: { $metadata?: { httpStatusCode?: number } }) => {
        assert.equal(e.$metadata?.httpStatusCode, 403);
        return true;
      });
      assert.deepEqual(
        t.authorizer.denied.map((c) => [c.resource, c.detail, c.decision.result]),
        [[`arn:aws:execute-api:${REGION}:${ACCOUNT}:${t.webSocket.apiId}/${stage}/DELETE/@connections/${t.id}`, 'DeleteConnection', 'ImplicitlyDenied']],
      );
      assert.ok(t.webSocket.exists(t.webSocket.apiId, stage, t.id), 'the connection is still open');
      assert.equal(t.socket.readyState, WebSocket.OPEN);
    } finally {
      await t.stop();
    }
  });
});

describe('S3 and KMS through the gateway', () => {
  const bucket = 'filesbucket';
  const keyArn = `arn:aws:kms:${REGION}:${ACCOUNT}:key/CredentialsKey`;
  // A file function's grant as infra/grants.ts writes it (sign an upload, read, check the tags), and the key's.
  const policies: PolicyDocument[] = [
    {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: ['s3:PutObject', 's3:PutObjectTagging', 's3:GetObject', 's3:GetObjectTagging'], Resource: `arn:aws:s3:::${bucket}/files/*` },
        { Effect: 'Allow', Action: ['kms:Encrypt', 'kms:Decrypt'], Resource: keyArn },
      ],
    },
  ];
  // CDK's default key policy: the account's IAM policies may grant the key.
  const keyPolicy: PolicyDocument = {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }] as PolicyDocument['Statement'],
  };

  async function start() {
    const authorizer = new Authorizer();
    const gateway = new Gateway({ dynamoEndpoint: 'http://127.0.0.1:1', authorizer, jwks: { keys: [] } });
    await gateway.start();
    gateway.template = { keyPolicies: () => new Map([[keyArn, keyPolicy]]) } as unknown as ResolvedTemplate;
    gateway.principals.set('FilesFunction', { id: 'FilesFunction', roleArn: `arn:aws:iam::${ACCOUNT}:role/files`, policies });
    // As in Lambda: only the endpoint is given (no path-style option), the SDK picks path-style for an IP address.
    const config = { endpoint: gateway.url, region: REGION, credentials: { accessKeyId: 'FilesFunction', secretAccessKey: 'x' }, maxAttempts: 1 };
    const s3 = new S3Client({ ...config, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
    const kms = new KMSClient(config);
    const stop = async () => {
      s3.destroy();
      kms.destroy();
      await gateway.stop();
    };
    return { authorizer, gateway, s3, stop, kms };
  }

  it('take a pre-signed PUT as the signing role, then answer head, a ranged GET and the tags; refuse what the role lacks and an expired URL', async () => {
    const t = await start();
    try {
      const bytes = new TextEncoder().encode('hello, file');
      const put = new PutObjectCommand({
        Bucket: bucket,
        Key: 'files/a',
        ContentType: 'text/plain',
        ContentLength: bytes.length,
        Tagging: 'chatlines-state=pending',
      });
      const url = await getSignedUrl(t.s3, put, {
        expiresIn: 60,
        signableHeaders: new Set(['content-type', 'content-length', 'x-amz-tagging']),
        unhoistableHeaders: new Set(['x-amz-tagging']),
      });
      assert.ok(url.startsWith(`${t.gateway.url}/${bucket}/files/a?`), url);
      const uploaded = await fetch(url, { method: 'PUT', headers: { 'content-type': 'text/plain', 'x-amz-tagging': 'chatlines-state=pending' }, body: bytes });
      assert.equal(uploaded.status, 200);

      const head = await t.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'files/a' }));
      assert.deepEqual([head.ContentLength, head.ContentType], [bytes.length, 'text/plain']);
      const first = await t.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'files/a', Range: 'bytes=0-4' }));
      assert.equal(await first.Body!.transformToString(), 'hello');
      assert.equal(first.ContentRange, `bytes 0-4/${bytes.length}`);
      const tags = await t.s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: 'files/a' }));
      assert.deepEqual(tags.TagSet, [{ Key: 'chatlines-state', Value: 'pending' }]);
      await assert.rejects(t.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'files/missing' })), (e: { name?: string }) => e.name === 'NotFound');

      // Not granted: DeleteObject, and any key outside files/.
      await assert.rejects(t.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'files/a' })), (e: { name?: string }) => e.name === 'AccessDenied');
      await assert.rejects(t.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'other/a' })), (e: { name?: string }) => e.name === 'AccessDenied');
      assert.deepEqual(
        t.authorizer.denied.map((c) => [c.action, c.resource]),
        [
          ['s3:DeleteObject', `arn:aws:s3:::${bucket}/files/a`],
          ['s3:GetObject', `arn:aws:s3:::${bucket}/other/a`],
        ],
      );
      // An expired pre-signed URL: 403 before anything is read.
      const expired = new URL(await getSignedUrl(t.s3, new GetObjectCommand({ Bucket: bucket, Key: 'files/a' }), { expiresIn: 1 }));
      expired.searchParams.set('X-Amz-Date', '20200101T000000Z');
      assert.equal((await fetch(expired)).status, 403);
    } finally {
      await t.stop();
    }
  });

  it('wrap and unwrap under the key with its encryption context, authorized with the key policy', async () => {
    const t = await start();
    try {
      const plaintext = new Uint8Array(32).fill(7);
      const sealed = await t.kms.send(new EncryptCommand({ KeyId: keyArn, Plaintext: plaintext, EncryptionContext: { chatlines: 'c1' } }));
      const opened = await t.kms.send(new DecryptCommand({ KeyId: keyArn, CiphertextBlob: sealed.CiphertextBlob, EncryptionContext: { chatlines: 'c1' } }));
      assert.deepEqual(opened.Plaintext, plaintext);
      await assert.rejects(
        t.kms.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob, EncryptionContext: { chatlines: 'c2' } })),
        (e: { name?: string }) => e.name === 'InvalidCiphertextException',
      );
      // A key whose policy the template does not hold: KMS grants nothing by IAM policies alone.
      const other = `arn:aws:kms:${REGION}:${ACCOUNT}:key/Other`;
      await assert.rejects(
        t.kms.send(new EncryptCommand({ KeyId: other, Plaintext: plaintext })),
        (e: { name?: string }) => e.name === 'AccessDeniedException',
      );
      assert.deepEqual(
        t.authorizer.calls.map((c) => [c.action, c.resource, c.decision.allowed]),
        [
          ['kms:Encrypt', keyArn, true],
          ['kms:Decrypt', keyArn, true],
          ['kms:Decrypt', keyArn, true],
          ['kms:Encrypt', other, false],
        ],
      );
    } finally {
      await t.stop();
    }
  });
});
