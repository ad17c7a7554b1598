/**
 * Runs the real bundles from cdk.out as Lambda would: one worker thread per function (its
 * execution environment) with the function's environment from the template plus what the Lambda
 * runtime sets (region, function name, log group, trace id), credentials whose access key id is
 * the function's logical id (so the gateway knows who calls), and `AWS_ENDPOINT_URL` at the
 * gateway. One invocation at a time per environment; the function's timeout ends the
 * environment. At most `maxWarm` environments stay warm; the least recently used goes first.
 * The runtime's own calls with the execution role (log writes, trace segments) are authorized
 * at each cold start, and each invocation is checked against the function's resource policy
 * (the template's `AWS::Lambda::Permission`s) when a service invokes it.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Authorizer } from './iam.ts';
import { ACCOUNT, type FunctionSpec, REGION, type ResolvedTemplate } from './template.ts';

export interface InvokeSource {
  /** The service principal that invokes (`apigateway.amazonaws.com`, `scheduler.amazonaws.com`…). */
  principal: string;
  /** The ARN the permission's SourceArn must match. */
  sourceArn?: string;
  /** The role the service assumes to invoke (EventBridge Scheduler): authorized instead of a permission. */
  roleArn?: string;
}

export type InvokeResult =
  | { ok: true; result: unknown; ms: number }
  | { ok: false; error: { errorType: string; errorMessage: string; stackTrace?: string[] }; ms: number };

interface Environment {
  worker: Worker;
  queue: Promise<unknown>;
  lastUsed: number;
  busy: number;
  pending: Map<number, (message: { result?: unknown; error?: InvokeResult extends { ok: false; error: infer E } ? E : never }) => void>;
}

export interface RunnerOptions {
  template: ResolvedTemplate;
  gatewayUrl: string;
  authorizer: Authorizer;
  maxWarm?: number;
  /** Host names whose HTTPS calls reach a local receiver (name → `http://127.0.0.1:<port>`). */
  hosts?: Record<string, string>;
  /** Each function's log lines (stdout and stderr of its environment). */
  onLog?: (functionId: string, line: string) => void;
}

export class LambdaRunner {
  readonly invocations = new Map<string, number>();
  readonly failures: { functionId: string; error: string }[] = [];
  readonly coldStarts = new Map<string, number>();
  private readonly environments = new Map<string, Environment>();
  private sequence = 0;

  constructor(private readonly options: RunnerOptions) {}

  private environmentOf(spec: FunctionSpec): Record<string, string> {
    const stream = `2026/01/01/[$LATEST]${randomBytes(16).toString('hex')}`;
    return {
      ...spec.environment,
      AWS_REGION: REGION,
      AWS_DEFAULT_REGION: REGION,
      AWS_ACCESS_KEY_ID: spec.logicalId,
      AWS_SECRET_ACCESS_KEY: 'verify-secret-access-key',
      AWS_SESSION_TOKEN: `verify-session-${spec.logicalId}`,
      AWS_ENDPOINT_URL: this.options.gatewayUrl,
      AWS_LAMBDA_FUNCTION_NAME: spec.logicalId,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memoryMb),
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_LOG_GROUP_NAME: spec.logGroupName,
      AWS_LAMBDA_LOG_STREAM_NAME: stream,
      AWS_LAMBDA_LOG_FORMAT: 'JSON',
      AWS_LAMBDA_LOG_LEVEL: 'INFO',
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_EXECUTION_ENV: `AWS_Lambda_${spec.runtime}`,
      AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1:2000',
      AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
      LAMBDA_TASK_ROOT: spec.assetDir,
      TZ: 'UTC',
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
    };
  }

  private async coldStart(spec: FunctionSpec): Promise<Environment> {
    this.coldStarts.set(spec.logicalId, (this.coldStarts.get(spec.logicalId) ?? 0) + 1);
    await this.evict();
    const env = this.environmentOf(spec);
    // Lambda assumes the execution role: its trust policy must name lambda.amazonaws.com.
    const trusted = this.options.template.trusts(spec.roleArn, 'lambda.amazonaws.com');
    this.options.authorizer.calls.push({
      principal: 'lambda.amazonaws.com',
      action: 'sts:AssumeRole',
      resource: spec.roleArn,
      detail: 'execution role trust policy',
      decision: { allowed: trusted, result: trusted ? 'Allowed (trust policy)' : 'ImplicitlyDenied (the trust policy does not name lambda.amazonaws.com)' },
    });
    // The runtime writes the function's logs and traces with its execution role.
    const streamArn = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${spec.logGroupName}:log-stream:${env.AWS_LAMBDA_LOG_STREAM_NAME}`;
    const runtimeCalls: [string, string][] = [
      ['logs:CreateLogStream', streamArn],
      ['logs:PutLogEvents', streamArn],
    ];
    if (spec.tracing) runtimeCalls.push(['xray:PutTraceSegments', '*'], ['xray:PutTelemetryRecords', '*']);
    for (const [action, resource] of runtimeCalls) {
      await this.options.authorizer.authorize(spec.logicalId, spec.roleArn, spec.policies, action, resource, 'Lambda runtime');
    }
    const worker = new Worker(new URL('./lambda-worker.mjs', import.meta.url), {
      env,
      execArgv: [],
      workerData: { assetDir: spec.assetDir, handler: spec.handler, hosts: this.options.hosts ?? {} },
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: Math.max(128, spec.memoryMb) },
    });
    const environment: Environment = { worker, queue: Promise.resolve(), lastUsed: Date.now(), busy: 0, pending: new Map() };
    const log = (chunk: Buffer) => {
      for (const line of String(chunk).split('\n')) if (line.trim()) this.options.onLog?.(spec.logicalId, line);
    };
    worker.stdout.on('data', log);
    worker.stderr.on('data', log);
    let ready: (value: unknown) => void = () => undefined;
    const initialized = new Promise((resolve) => (ready = resolve));
    worker.on('message', (message: { id: number; result?: unknown; error?: never; ready?: true; initError?: unknown }) => {
      if (message.ready) {
        ready(message.initError);
        return;
      }
      environment.pending.get(message.id)?.(message);
      environment.pending.delete(message.id);
    });
    const fail = (error: Error) => {
      for (const resolve of environment.pending.values()) resolve({ error: { errorType: 'Runtime.ExitError', errorMessage: error.message } as never });
      environment.pending.clear();
      if (this.environments.get(spec.logicalId) === environment) this.environments.delete(spec.logicalId);
    };
    worker.on('error', (error) => {
      ready(undefined);
      fail(error);
    });
    worker.on('exit', (code) => {
      ready(undefined);
      fail(new Error(`the environment exited (${code})`));
    });
    this.environments.set(spec.logicalId, environment);
    // Lambda gives the init phase its own 10 s; a loaded CI machine gets more here, so a slow
    // import never counts against the invocation's timeout.
    const initTimer = setTimeout(() => ready(undefined), 60_000);
    const initError = await initialized;
    clearTimeout(initTimer);
    if (initError) this.failures.push({ functionId: spec.logicalId, error: `init: ${JSON.stringify(initError)}` });
    return environment;
  }

  private async evict(): Promise<void> {
    const max = this.options.maxWarm ?? 8;
    const idle = [...this.environments.entries()].filter(([, e]) => e.busy === 0).sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    while (this.environments.size >= max && idle.length > 0) {
      const [id, environment] = idle.shift()!;
      this.environments.delete(id);
      await environment.worker.terminate();
    }
  }

  private readonly starting = new Map<string, Promise<Environment>>();

  /** The warm environment, or one cold start shared by the invocations that arrive during it. */
  private environmentFor(spec: FunctionSpec): Promise<Environment> {
    const warm = this.environments.get(spec.logicalId);
    if (warm) return Promise.resolve(warm);
    let starting = this.starting.get(spec.logicalId);
    if (!starting) {
      starting = this.coldStart(spec).finally(() => this.starting.delete(spec.logicalId));
      this.starting.set(spec.logicalId, starting);
    }
    return starting;
  }

  /** Invokes a function by its logical id with `event`, as `source` would. */
  async invoke(functionId: string, event: unknown, source: InvokeSource): Promise<InvokeResult> {
    const spec = this.options.template.functions.get(functionId);
    if (!spec) throw new Error(`no function ${functionId} in the template`);
    await this.checkInvokePermission(spec, source);
    this.invocations.set(functionId, (this.invocations.get(functionId) ?? 0) + 1);
    const environment = await this.environmentFor(spec);
    environment.busy++;
    const run = environment.queue.then(() => this.send(spec, environment, event));
    environment.queue = run.catch(() => undefined);
    try {
      const outcome = await run;
      if (!outcome.ok) this.failures.push({ functionId, error: `${outcome.error.errorType}: ${outcome.error.errorMessage}` });
      return outcome;
    } finally {
      environment.busy--;
      environment.lastUsed = Date.now();
    }
  }

  private async checkInvokePermission(spec: FunctionSpec, source: InvokeSource): Promise<void> {
    const authorizer = this.options.authorizer;
    if (source.roleArn) {
      const trusted = this.options.template.trusts(source.roleArn, source.principal);
      authorizer.calls.push({
        principal: source.principal,
        action: 'sts:AssumeRole',
        resource: source.roleArn,
        detail: 'invoking role trust policy',
        decision: { allowed: trusted, result: trusted ? 'Allowed (trust policy)' : `ImplicitlyDenied (the trust policy does not name ${source.principal})` },
      });
      const policies = this.options.template.rolePolicies.get(source.roleArn) ?? [];
      await authorizer.authorize(
        `${source.principal} (${source.roleArn.split('/').pop()})`,
        source.roleArn,
        policies,
        'lambda:InvokeFunction',
        spec.arn,
        'invoke',
      );
      return;
    }
    if (!source.sourceArn) return; // the harness itself (a stream mapping polls with the function's own role)
    const allowed = this.options.template.mayInvoke(spec.logicalId, source.principal, source.sourceArn);
    authorizer.calls.push({
      principal: source.principal,
      action: 'lambda:InvokeFunction',
      resource: spec.arn,
      detail: `resource policy, source ${source.sourceArn}`,
      decision: { allowed, result: allowed ? 'Allowed (resource policy)' : 'ImplicitlyDenied (no AWS::Lambda::Permission matches)' },
    });
  }

  private send(spec: FunctionSpec, environment: Environment, event: unknown): Promise<InvokeResult> {
    const id = ++this.sequence;
    const started = Date.now();
    const deadline = started + spec.timeoutSeconds * 1000;
    const requestId = randomUUID();
    const traceId = `Root=1-${Math.floor(started / 1000).toString(16)}-${randomBytes(12).toString('hex')};Parent=${randomBytes(8).toString('hex')};Sampled=0`;
    return new Promise<InvokeResult>((resolve) => {
      const timer = setTimeout(() => {
        environment.pending.delete(id);
        // Lambda ends an environment whose invocation timed out.
        if (this.environments.get(spec.logicalId) === environment) this.environments.delete(spec.logicalId);
        void environment.worker.terminate();
        resolve({
          ok: false,
          error: { errorType: 'Sandbox.Timedout', errorMessage: `Task timed out after ${spec.timeoutSeconds}.00 seconds` },
          ms: Date.now() - started,
        });
      }, spec.timeoutSeconds * 1000);
      environment.pending.set(id, (message) => {
        clearTimeout(timer);
        const ms = Date.now() - started;
        resolve(message.error ? { ok: false, error: message.error, ms } : { ok: true, result: message.result, ms });
      });
      environment.worker.postMessage({
        id,
        event,
        traceId,
        deadline,
        context: {
          functionName: spec.logicalId,
          functionVersion: '$LATEST',
          invokedFunctionArn: spec.arn,
          memoryLimitInMB: String(spec.memoryMb),
          awsRequestId: requestId,
          logGroupName: spec.logGroupName,
          logStreamName: 'verify',
        },
      });
    });
  }

  async stop(): Promise<void> {
    const all = [...this.environments.values()];
    this.environments.clear();
    await Promise.all(all.map((e) => e.worker.terminate()));
  }
}

export const workerFile = join(import.meta.dirname, 'lambda-worker.mjs');
