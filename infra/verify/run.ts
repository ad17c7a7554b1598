/**
 * `npm run verify:aws`: the AWS shape proven without an account. Synthesizes the app (real
 * esbuild bundles into cdk.out), then runs those bundles with the template's environment and
 * wiring against a local gateway (DynamoDB Local behind it; EventBridge, Secrets Manager and
 * the WebSocket management API emulated) that authorizes every call against the calling
 * function's template policy, drives the shared scenario through the template's HTTP and
 * WebSocket routes, the stream mappings and the schedules, and reports: calls made, calls
 * denied (must be 0), functions covered (must be all), and a negative control (a call under a
 * role without the grant must be denied). Exits non-zero when any of these fails.
 *
 * Flags: `--no-synth` reuses cdk.out (iterating on the harness), `--cdk-out <dir>`,
 * `--verbose` prints every function's log lines, `--warm <n>` keeps at most n environments warm,
 * `--deny-delete-connection` strips the roles' DeleteConnection grant (ManageConnections on
 * `DELETE @connections/*`) to show the check bites: the run must then fail.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { DescribeTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { startFakeTelegram } from '../../test/support/fakes/telegram.ts';
import { MAIL_FUNCTIONS } from '../aws/mail.ts';
import { functionFiles } from '../grants.ts';
import { ensureTable, startDynamoDbLocal } from '../local/dynamodb.ts';
import { Gateway } from './gateway.ts';
import { HttpApiStandIn } from './http-api.ts';
import { Authorizer } from './iam.ts';
import { LambdaRunner } from './lambda-runner.ts';
import { listenLoopback } from './loopback.ts';
import { QueueMapping } from './queue-mapping.ts';
import { runScenario, type ScenarioClaims } from './scenario.ts';
import { type MappingRunner, StreamMapping } from './stream-mapping.ts';
import { type PolicyDocument, REGION, ResolvedTemplate, withoutDeleteConnection } from './template.ts';
import { WebSocketStandIn } from './websocket.ts';

const STACK = 'Chatlines';
const REPO_ROOT = join(import.meta.dirname, '..', '..');
const RECEIVER_HOST = 'receiver.chatlines-verify.example';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const option = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

function synth(cdkOut: string): void {
  const started = Date.now();
  console.log('verify: cdk synth (bundling every function with esbuild)…');
  const bin = join(REPO_ROOT, 'node_modules', '.bin');
  const out = spawnSync(join(bin, 'cdk'), ['synth', '--quiet', '--output', cdkOut], {
    cwd: REPO_ROOT,
    // The app runs under `node` from the PATH: the project's Node 24 first, as under `npm run`.
    env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (out.status !== 0) {
    console.error(`${out.stdout}\n${out.stderr}`);
    throw new Error(`cdk synth failed (${out.status})`);
  }
  console.log(`verify: synthesized in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

async function main(): Promise<number> {
  const cdkOut = option('--cdk-out') ?? join(REPO_ROOT, 'cdk.out');
  const templateFile = join(cdkOut, `${STACK}.template.json`);
  if (!flag('--no-synth') || !existsSync(templateFile)) synth(cdkOut);
  else console.log(`verify: reusing ${templateFile} (synthesized ${statSync(templateFile).mtime.toISOString()})`);
  const verbose = flag('--verbose');
  const logDir = join(REPO_ROOT, '.chatlines', 'verify');
  mkdirSync(logDir, { recursive: true });
  const logs: string[] = [];

  const dynamo = await startDynamoDbLocal();
  const tableName = `verify-${randomUUID()}`;
  await ensureTable(dynamo.endpoint, tableName);
  const local = new DynamoDBClient({ endpoint: dynamo.endpoint, region: REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const streamLabel = (await local.send(new DescribeTableCommand({ TableName: tableName }))).Table?.LatestStreamLabel ?? 'stream';
  local.destroy();

  // The stand-in user pool's signing key (RS256, as Cognito signs).
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = 'verify-key';
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }] };

  const authorizer = new Authorizer();
  const gateway = new Gateway({ dynamoEndpoint: dynamo.endpoint, authorizer, jwks });
  const gatewayUrl = await gateway.start();
  const template = new ResolvedTemplate(cdkOut, STACK, { tableName, streamLabel, gatewayUrl });
  gateway.template = template;
  const functions = [...template.functions.values()];
  const runnable = functions.filter((f) => f.runtime.startsWith('nodejs'));
  const notRunnable = functions.filter((f) => !f.runtime.startsWith('nodejs'));
  const policiesOf = (policies: PolicyDocument[]) => (flag('--deny-delete-connection') ? withoutDeleteConnection(policies) : policies);
  for (const f of functions) gateway.principals.set(f.logicalId, { id: f.logicalId, roleArn: f.roleArn, policies: policiesOf(f.policies) });
  for (const arn of template.secretArns()) gateway.secrets.set(arn, randomBytes(48).toString('base64url'));

  // Webhook deliveries reach this receiver (the functions resolve its name through the stand-in DNS).
  const received: { path: string; headers: Record<string, unknown> }[] = [];
  const receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received.push({ path: req.url ?? '/', headers: req.headers });
      res.writeHead(204);
      res.end();
    });
  });
  const receiverUrl = `http://127.0.0.1:${await listenLoopback(receiver)}`;
  // The Telegram Bot API the native channel steps reach (the functions resolve api.telegram.org to it).
  const telegram = await startFakeTelegram();

  const runner = new LambdaRunner({
    template,
    gatewayUrl,
    authorizer,
    maxWarm: Number(option('--warm') ?? 10),
    hosts: {
      [RECEIVER_HOST]: receiverUrl,
      'api.telegram.org': telegram.url,
      // The management API's calls (`https://<api>.execute-api.<region>.amazonaws.com/<stage>/@connections/…`).
      ...Object.fromEntries(template.apiHosts().map((host) => [host, `${gatewayUrl}/@api/${host.split('.')[0]}`])),
      // SQS clients may send to the queue URL's own host.
      [`sqs.${REGION}.amazonaws.com`]: gatewayUrl,
    },
    onLog: (fn, line) => {
      logs.push(`${fn} ${line}`);
      if (verbose) console.log(`  [${fn}] ${line}`);
    },
  });

  const jwtRoute = template.httpRoutes.find((r) => r.jwt);
  if (!jwtRoute?.jwt) throw new Error('the template has no JWT-authorized route');
  const { issuer, audience } = jwtRoute.jwt;
  const httpApi = new HttpApiStandIn({ routes: template.httpRoutes, runner, jwks });
  const apiUrl = await httpApi.start();
  const wsApiId = template.webSocketRoutes[0]?.apiId;
  const webSocket = wsApiId
    ? new WebSocketStandIn(
        template.webSocketRoutes.filter((r) => r.apiId === wsApiId),
        runner,
        template.stagesOf(wsApiId)[0] ?? 'live',
      )
    : undefined;
  const wsUrl = webSocket ? await webSocket.start() : undefined;
  if (webSocket) gateway.connections = webSocket;

  const mappings: MappingRunner[] = template.streamMappings.map(
    (spec) => new StreamMapping({ spec, template, runner, authorizer, gatewayUrl, tableName, dynamoEndpoint: dynamo.endpoint }),
  );
  for (const m of mappings) await m.start();
  const queueMappings = template.queueMappings.map((spec) => new QueueMapping({ spec, template, runner, authorizer, gateway }));
  for (const m of queueMappings) await m.start();

  const token = (claims: ScenarioClaims, lifetimeSeconds?: number) => {
    const { sub, ...rest } = claims;
    return new SignJWT({ ...rest, token_use: 'id' })
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .setSubject(sub)
      .setIssuer(issuer)
      .setAudience(audience[0]!)
      .setIssuedAt()
      .setExpirationTime(lifetimeSeconds ? `${lifetimeSeconds}s` : '1h')
      .sign(privateKey);
  };
  const settle = async () => {
    for (let round = 0; round < 2; round++) {
      await webSocket?.settle();
      for (const m of mappings) await m.drain();
      for (const m of queueMappings) await m.drain();
    }
  };
  const scheduled = new Set<string>();
  const runSchedules = async () => {
    for (const s of template.schedules) {
      const event =
        s.kind === 'scheduler'
          ? s.input
            ? (JSON.parse(s.input) as unknown)
            : {}
          : {
              version: '0',
              id: randomUUID(),
              'detail-type': 'Scheduled Event',
              source: 'aws.events',
              time: new Date().toISOString(),
              region: REGION,
              resources: [template.arnOf(s.logicalId)],
              detail: {},
            };
      const outcome = await runner.invoke(
        s.functionId,
        event,
        s.roleArn
          ? { principal: 'scheduler.amazonaws.com', roleArn: s.roleArn }
          : { principal: 'events.amazonaws.com', sourceArn: template.arnOf(s.logicalId) },
      );
      if (outcome.ok) scheduled.add(s.logicalId);
    }
  };

  const started = Date.now();
  let exitCode = 0;
  try {
    const result = await runScenario({
      baseUrl: apiUrl,
      token,
      liveUrl: (t) => `${wsUrl}?token=${encodeURIComponent(t)}`,
      settle,
      runSchedules,
      webhookUrl: `https://${RECEIVER_HOST}/hooks/chatlines`,
      telegram,
    });
    await settle();

    // The negative control: a real call through the gateway under a role without the grant.
    const control = functions.find((f) => !f.policies.some((p) => JSON.stringify(p).includes('dynamodb:PutItem')));
    const deniedBefore = authorizer.denied.length;
    let controlDenied = false;
    let controlText = 'no function without dynamodb:PutItem';
    if (control) {
      const client = new DynamoDBClient({
        endpoint: gatewayUrl,
        region: REGION,
        credentials: { accessKeyId: control.logicalId, secretAccessKey: 'x' },
        maxAttempts: 1,
      });
      try {
        await client.send(new PutItemCommand({ TableName: tableName, Item: { pk: { S: 'VERIFY#CONTROL' }, sk: { S: 'x' } } }));
        controlText = `${control.name}: dynamodb:PutItem was ALLOWED`;
      } catch (error) {
        controlDenied = (error as { name?: string }).name === 'AccessDeniedException';
        controlText = `${control.name} (${control.logicalId}): dynamodb:PutItem on the table → ${(error as { name?: string }).name}`;
      }
      client.destroy();
    }
    const calls = authorizer.calls.slice(0, deniedBefore === authorizer.denied.length ? authorizer.calls.length : authorizer.calls.length - 1);
    const denied = calls.filter((c) => !c.decision.allowed);

    // --- report -------------------------------------------------------------------------
    const line = (s = '') => console.log(s);
    line();
    line(
      `verify:aws — ${template.functions.size} functions, ${template.httpRoutes.length} HTTP routes, ${template.webSocketRoutes.length} WebSocket routes, ${template.streamMappings.length} stream mappings, ${template.queueMappings.length} queue mappings, ${template.schedules.length} schedules (${((Date.now() - started) / 1000).toFixed(1)} s)`,
    );
    line();
    const byAction = new Map<string, number>();
    for (const c of calls)
      byAction.set(
        `${c.principal === 'apigateway.amazonaws.com' ? 'apigateway → ' : ''}${c.action}`,
        (byAction.get(`${c.principal === 'apigateway.amazonaws.com' ? 'apigateway → ' : ''}${c.action}`) ?? 0) + 1,
      );
    line(`Calls made (authorized by the IAM simulator): ${calls.length}`);
    for (const [action, n] of [...byAction].sort()) line(`  ${action.padEnd(44)} ${n}`);
    line();
    line(`Calls denied: ${denied.length}`);
    const deniedKeys = new Map<string, number>();
    for (const d of denied) {
      const spec = template.functions.get(d.principal);
      const key = `${spec?.name ?? d.principal}: ${d.action} on ${d.resource}${d.detail ? ` (${d.detail})` : ''} → ${d.decision.result}`;
      deniedKeys.set(key, (deniedKeys.get(key) ?? 0) + 1);
    }
    for (const [key, n] of deniedKeys) line(`  DENIED ${key}${n > 1 ? ` ×${n}` : ''}`);
    if (gateway.unemulated.length) {
      line(`Calls the gateway does not emulate: ${gateway.unemulated.length}`);
      for (const u of gateway.unemulated) line(`  ${u.principal}: ${u.service} ${u.operation}`);
    }
    line();
    const covered = runnable.filter((f) => (runner.invocations.get(f.logicalId) ?? 0) > 0);
    const uncovered = runnable.filter((f) => !covered.includes(f));
    line(`Functions covered: ${covered.length}/${runnable.length}`);
    for (const f of uncovered) line(`  NOT INVOKED ${f.name} (${f.logicalId})`);
    for (const f of notRunnable) line(`  not applicable: ${f.logicalId} (${f.runtime}: a CloudFormation custom resource handler, runs only during deployment)`);
    // Functions infra/grants.ts defines that this synth did not make: the mail functions exist
    // only with `-c mailDomain=…` (infra/aws/mail.ts); any other absence is a finding.
    const synthesized = new Set(functions.map((f) => f.name));
    const absent = functionFiles().filter((name) => !synthesized.has(name));
    const notSynthesized = absent.filter((name) => MAIL_FUNCTIONS.includes(name));
    const missing = absent.filter((name) => !MAIL_FUNCTIONS.includes(name));
    if (notSynthesized.length) line(`  not in this synth: ${notSynthesized.join(', ')} (made only with -c mailDomain=…)`);
    for (const name of missing) line(`  MISSING FROM THE TEMPLATE ${name} (infra/grants.ts defines it)`);
    const failures = new Map<string, number>();
    // A Lambda REQUEST authorizer refuses a token by throwing `Unauthorized`: a refusal, not a failure.
    const authorizerFunctions = new Set(template.webSocketRoutes.flatMap((r) => (r.authorizer ? [r.authorizer.functionId] : [])));
    const isRefusal = (f: { functionId: string; error: string }) => authorizerFunctions.has(f.functionId) && /: Unauthorized$/.test(f.error);
    const refusals = runner.failures.filter(isRefusal).length;
    if (refusals) line(`Authorizer refusals (a bad token): ${refusals}`);
    for (const f of runner.failures.filter((x) => !isRefusal(x))) {
      const key = `${template.functions.get(f.functionId)?.name ?? f.functionId}: ${f.error.slice(0, 200)}`;
      failures.set(key, (failures.get(key) ?? 0) + 1);
    }
    if (failures.size) {
      line(`Function errors: ${runner.failures.length - refusals}`);
      for (const [key, n] of failures) line(`  ${key}${n > 1 ? ` ×${n}` : ''}`);
    }
    line();
    line(`Scenario: ${result.steps.length - result.failed.length}/${result.steps.length} steps answered as expected`);
    for (const s of result.failed) line(`  FAILED ${s.step}: ${s.method} ${s.path} → ${s.status} (expected ${s.expected.join('/')}) ${s.detail ?? ''}`);
    for (const m of mappings) {
      const st = m.stats;
      line(
        `Stream mapping ${template.functions.get(m.spec.functionId)?.name}: ${st.records} records taken in ${st.batches} invocations, ${st.filteredOut} filtered out, ${st.onFailure.length} batches to the on-failure destination`,
      );
    }
    for (const m of queueMappings) {
      const st = m.stats;
      line(
        `Queue mapping ${template.functions.get(m.spec.functionId)?.name}: ${st.invocations} invocations, ${st.deleted} messages taken, ${st.deadLettered} moved to the dead-letter queue`,
      );
    }
    line(`Schedules run: ${scheduled.size}/${template.schedules.length}`);
    line(`EventBridge: ${gateway.published.length} events put (${gateway.published.filter((p) => p.rules.length).length} matched a rule of the template)`);
    line(
      `Live: ${result.liveFrames.length} frames on the operator's socket; ${[...(webSocket?.posted.values() ?? [])].reduce((n, p) => n + p.length, 0)} PostToConnection calls delivered`,
    );
    // Sockets whose token expired: the fan-out and `$default` close them with DeleteConnection.
    const closers = new Map<string, number>();
    for (const c of calls)
      if (c.detail === 'DeleteConnection' && c.decision.allowed) {
        const name = template.functions.get(c.principal)?.name ?? c.principal;
        closers.set(name, (closers.get(name) ?? 0) + 1);
      }
    line(
      `Live, expired tokens: ${result.expired.map((e) => `met by ${e.met === 'event' ? 'an event' : 'a ping'} → ${e.closeCode === undefined ? 'NOT CLOSED' : `closed (${e.closeCode})`}`).join(', ') || 'none'}; DeleteConnection by ${[...closers].map(([n, k]) => `${n} ×${k}`).join(', ') || 'no function'}`,
    );
    // Every function that posts to connections closes one in the scenario (an expired token's).
    const posters = new Set(
      calls.filter((c) => c.detail === 'PostToConnection' && c.decision.allowed).map((c) => template.functions.get(c.principal)?.name ?? c.principal),
    );
    const notClosing = [...posters].filter((n) => !closers.has(n));
    line(`Webhook deliveries received: ${received.length}`);
    line();
    line(`Negative control: ${controlText}: ${controlDenied ? 'denied (as it must be)' : 'NOT DENIED'}`);
    line();
    // What each function used, against what its role grants (least privilege, as far as the scenario reaches).
    const used = new Map<string, Map<string, Set<string>>>();
    for (const c of calls) {
      if (!template.functions.has(c.principal) || !c.decision.allowed) continue;
      const byAction = used.get(c.principal) ?? new Map<string, Set<string>>();
      const resources = byAction.get(c.action) ?? new Set<string>();
      resources.add(c.resource.replace(/@connections\/.+$/, '@connections/*').replace(/log-stream:.+$/, 'log-stream:*'));
      byAction.set(c.action, resources);
      used.set(c.principal, byAction);
    }
    const trace: Record<string, { function: string; used: Record<string, string[]>; grantedButUnused: string[] }> = {};
    const unusedLines: string[] = [];
    for (const f of runnable) {
      const granted = new Set<string>();
      const queryable = new Set<string>();
      for (const policy of f.policies) {
        for (const statement of policy.Statement as { Effect: string; Action: string | string[]; Resource?: string | string[] }[]) {
          if (statement.Effect !== 'Allow') continue;
          const actions = [statement.Action].flat();
          for (const a of actions) if (!a.includes('*')) granted.add(a);
          if (actions.includes('dynamodb:Query')) for (const r of [statement.Resource ?? []].flat()) if (r.includes('/index/')) queryable.add(r);
        }
      }
      const usedActions = used.get(f.logicalId) ?? new Map<string, Set<string>>();
      const queried = usedActions.get('dynamodb:Query') ?? new Set<string>();
      const unusedIndexes = [...queryable]
        .filter((r) => !queried.has(r))
        .map((r) => r.split('/index/')[1]!)
        .sort();
      const unused = [
        ...[...granted].filter((a) => !usedActions.has(a)).sort(),
        ...(unusedIndexes.length ? [`Query on indexes ${unusedIndexes.join(' ')}`] : []),
      ];
      trace[f.logicalId] = { function: f.name, used: Object.fromEntries([...usedActions].map(([a, r]) => [a, [...r].sort()])), grantedButUnused: unused };
      if (unused.length) unusedLines.push(`  ${f.name}: ${unused.join(', ')}`);
    }
    writeFileSync(join(logDir, 'calls.json'), `${JSON.stringify(trace, null, 2)}\n`);
    line(`Granted but not used by this scenario (${unusedLines.length} functions; every call per function in ${join(logDir, 'calls.json')}):`);
    for (const l of unusedLines) line(l);
    line();
    writeFileSync(join(logDir, 'functions.log'), `${logs.join('\n')}\n`);
    line(`Function logs: ${join(logDir, 'functions.log')}`);

    const problems: string[] = [];
    if (denied.length > 0) problems.push(`${denied.length} calls denied`);
    if (uncovered.length > 0) problems.push(`${uncovered.length} functions not invoked`);
    if (missing.length > 0) problems.push(`${missing.length} functions of infra/grants.ts missing from the template`);
    if (!controlDenied) problems.push('the negative control was not denied');
    if (result.failed.length > 0) problems.push(`${result.failed.length} scenario steps answered otherwise`);
    if (gateway.unemulated.length > 0) problems.push(`${gateway.unemulated.length} calls to services the gateway does not emulate`);
    if (scheduled.size < template.schedules.length) problems.push('a scheduled run failed');
    if (received.length === 0) problems.push('no webhook delivery reached the receiver');
    if (notClosing.length > 0) problems.push(`no DeleteConnection allowed for ${notClosing.join(', ')} (an expired token's socket stays open)`);
    if (problems.length) {
      line(`verify:aws FAILED: ${problems.join('; ')}`);
      exitCode = 1;
    } else {
      line('verify:aws passed');
    }
  } finally {
    for (const m of mappings) await m.stop();
    for (const m of queueMappings) await m.stop();
    await webSocket?.stop();
    await httpApi.stop();
    await runner.stop();
    await gateway.stop();
    receiver.close();
    await telegram.close();
    await dynamo.stop();
  }
  return exitCode;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`verify:aws: ${(error as Error).stack ?? String(error)}`);
    process.exit(2);
  },
);
