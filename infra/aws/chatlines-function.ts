/**
 * The one construct that owns every chatlines Lambda's defaults: runtime, architecture,
 * bundling (the local esbuild, never Docker), its own log group with retention, tracing,
 * environment, an execution role with exactly the grant infra/grants.ts names for the function
 * (all in the role itself: no separate policy resource).
 */

import { join } from 'node:path';
import { AssetHashType, DockerImage, Duration, Tags } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Code, Function as LambdaFunction, LoggingFormat, Runtime, SystemLogLevel, Tracing } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { grantOf } from '../grants.ts';
import { copyBundle } from './bundling.ts';
import { acknowledge } from './nag.ts';
import { InlinePolicyRole } from './role.ts';
import type { ChatlinesTable } from './table.ts';

/**
 * The deployment's `lineShards` (cdk.json context or `cdk deploy -c lineShards=4`; default 1):
 * how many shards a line's hot partitions have. It may only grow between deployments.
 */
export function lineShardsContext(scope: Construct): number {
  const raw = scope.node.tryGetContext('lineShards') ?? 1;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new Error(`context lineShards must be an integer from 1 to 64, not ${JSON.stringify(raw)}`);
  return n;
}

/** The repository root: `functions/`, `package-lock.json` and `tsconfig.json` live there. */
export const REPO_ROOT = join(import.meta.dirname, '..', '..');

/** Every function carries this tag with its function file name; CDK's own helpers don't. */
export const FUNCTION_TAG = 'chatlines:function';

/** The runtime: the newest Node.js Lambda runtime aws-cdk-lib knows (cdk-nag L1 wants the latest). */
export const RUNTIME = Runtime.NODEJS_24_X;

export interface ChatlinesFunctionProps {
  /** The function file's name (`functions/<trigger>/<name>.ts`, infra/functions.ts); it exports `handler`. */
  readonly functionFile: string;
  /** The table; the function's actions on it and its indexes come from its grant (infra/grants.ts). */
  readonly table: ChatlinesTable;
  readonly description: string;
  readonly timeout?: Duration;
  readonly memorySize?: number;
  readonly logRetention?: RetentionDays;
  /**
   * Asynchronous invocations (a schedule) fail into this queue after Lambda's own retries.
   * Without it the function is only ever invoked synchronously (by the HTTP API).
   */
  readonly asyncFailureQueue?: IQueue;
  /** Extra environment variables (the table's name and Powertools settings are always set). */
  readonly environment?: Record<string, string>;
}

/** `get-session` → `GetSession`: construct ids and readable logical ids. */
export function pascalCase(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');
}

/** A chatlines Lambda from `functions/<trigger>/<functionFile>.ts` with the project's defaults. */
export class ChatlinesFunction extends Construct {
  readonly function: LambdaFunction;
  readonly logGroup: LogGroup;
  readonly role: InlinePolicyRole;
  /** The function file it runs (infra/functions.ts). */
  readonly functionFile: string;

  constructor(scope: Construct, id: string, props: ChatlinesFunctionProps) {
    super(scope, id);
    this.functionFile = props.functionFile;
    const table: Table = props.table.table;

    this.logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention ?? RetentionDays.ONE_MONTH });

    // An explicit role instead of AWSLambdaBasicExecutionRole: log writes only to this
    // function's own log group, table actions only as its grant says.
    this.role = new InlinePolicyRole(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `chatlines ${props.functionFile}: logs, traces and its table grant (infra/grants.ts)`,
    });
    this.role.addToPolicy(new PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [this.logGroup.logGroupArn] }));
    for (const statement of props.table.statements(grantOf(props.functionFile))) this.role.addToPolicy(statement);

    this.function = new LambdaFunction(this, 'Function', {
      // The bundle (infra/aws/bundling.ts): index.mjs with its lazy modules beside it, made
      // locally (never in Docker) once per synthesis; the asset's hash is the bundle's.
      code: Code.fromAsset(REPO_ROOT, {
        assetHashType: AssetHashType.OUTPUT,
        bundling: {
          // CDK caches staged assets by source path and bundling options, which would be the same
          // for every function (the local bundler is a closure): the function's name tells them apart.
          environment: { CHATLINES_FUNCTION: props.functionFile },
          // Required by CDK's type, never pulled: the local bundler always answers (or throws).
          image: DockerImage.fromRegistry('chatlines-bundles-locally'),
          local: {
            tryBundle: (outputDir) => {
              copyBundle(props.functionFile, outputDir);
              return true;
            },
          },
        },
      }),
      handler: 'index.handler',
      description: props.description,
      runtime: RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      systemLogLevelV2: SystemLogLevel.WARN,
      tracing: Tracing.ACTIVE,
      ...(props.asyncFailureQueue ? { onFailure: new SqsDestination(props.asyncFailureQueue), retryAttempts: 2 } : {}),
      environment: {
        TABLE_NAME: table.tableName,
        // Shards of a line's hot partitions (lib/adapters/dynamodb/keys.ts): every function must agree.
        LINE_SHARDS: String(lineShardsContext(this)),
        POWERTOOLS_SERVICE_NAME: 'chatlines',
        POWERTOOLS_METRICS_NAMESPACE: 'chatlines',
        ...props.environment,
      },
    });
    Tags.of(this.function).add(FUNCTION_TAG, props.functionFile);

    acknowledge(
      this.function,
      'Serverless-LambdaDLQ',
      props.asyncFailureQueue
        ? 'Asynchronous failures go to the on-failure destination (an SQS queue), which supersedes a dead-letter queue.'
        : 'API Gateway invokes this function synchronously and returns its failure to the caller; a DLQ only catches asynchronous invocations.',
    );
    // Active tracing adds xray:PutTraceSegments/PutTelemetryRecords on `*` to the role.
    acknowledge(
      this.role,
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray trace writes support no resource-level permissions, so their statement must name Resource *.',
    );
    acknowledge(
      this.role,
      'Serverless-LambdaStarPermissions',
      "The role's one statement on Resource * is X-Ray's trace writes (and, for a stream consumer, dynamodb:ListStreams), which support no resource-level permissions; every other statement names its resources.",
    );
  }
}
