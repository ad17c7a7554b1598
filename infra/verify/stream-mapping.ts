/**
 * A DynamoDB stream event source mapping as the template configures it: it reads the table's
 * stream from its starting position, drops records its filter criteria do not match before
 * batching, cuts batches of at most `BatchSize` and runs each through the mapping's documented
 * semantics (infra/local/stream-mapping.ts, the local poller's too: partial batch responses, bisection, retries, maximum record age,
 * the on-failure destination). Like Lambda, it reads the stream and writes to the destination
 * with the function's execution role: its stream calls go through the gateway and are
 * authorized, and so is the destination's `sqs:SendMessage`.
 */
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type _Record, DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse } from 'aws-lambda';
import { toLambdaRecord } from '../local/stream.ts';
import { runMappingBatch, type StreamFailureMessage } from '../local/stream-mapping.ts';
import { matchesPattern } from './event-pattern.ts';
import type { Authorizer } from './iam.ts';
import type { LambdaRunner } from './lambda-runner.ts';
import { REGION, type ResolvedTemplate, type StreamMappingSpec } from './template.ts';

export interface MappingRunner {
  readonly spec: StreamMappingSpec;
  start(): Promise<void>;
  /** Resolves when every record written before the call has been handled (or sent to the destination). */
  drain(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
  readonly stats: MappingStats;
}

export interface MappingStats {
  batches: number;
  records: number;
  filteredOut: number;
  /** Messages the on-failure destination received (metadata only, as Lambda sends them). */
  onFailure: StreamFailureMessage[];
}

export interface MappingOptions {
  spec: StreamMappingSpec;
  template: ResolvedTemplate;
  runner: LambdaRunner;
  authorizer: Authorizer;
  gatewayUrl: string;
  /** The table's name in DynamoDB Local. */
  tableName: string;
  /** DynamoDB Local itself (describing the table is the harness's business, not the function's). */
  dynamoEndpoint: string;
  pollMs?: number;
  /** Safety cap for mappings with infinite retries (-1). */
  retryCap?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class StreamMapping implements MappingRunner {
  readonly stats: MappingStats = { batches: 0, records: 0, filteredOut: 0, onFailure: [] };
  private readonly streams: DynamoDBStreamsClient;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private idleRounds = 0;
  private localStreamArn = '';
  private readonly iterators = new Map<string, string | undefined>();

  constructor(private readonly options: MappingOptions) {
    this.streams = new DynamoDBStreamsClient({
      endpoint: options.gatewayUrl,
      region: REGION,
      credentials: { accessKeyId: options.spec.functionId, secretAccessKey: 'verify' },
      maxAttempts: 1,
    });
  }

  get spec(): StreamMappingSpec {
    return this.options.spec;
  }

  async start(): Promise<void> {
    // The table's stream in DynamoDB Local (reading the table is the harness's, not the function's).
    const local = new DynamoDBClient({
      endpoint: this.options.dynamoEndpoint,
      region: REGION,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const { Table } = await local.send(new DescribeTableCommand({ TableName: this.options.tableName }));
    local.destroy();
    this.localStreamArn = Table?.LatestStreamArn ?? '';
    if (!this.localStreamArn) throw new Error(`the table ${this.options.tableName} has no stream`);
    const shards = (await this.streams.send(new DescribeStreamCommand({ StreamArn: this.localStreamArn }))).StreamDescription?.Shards ?? [];
    for (const shard of shards) {
      const type = this.spec.startingPosition === 'TRIM_HORIZON' ? 'TRIM_HORIZON' : 'LATEST';
      const out = await this.streams.send(new GetShardIteratorCommand({ StreamArn: this.localStreamArn, ShardId: shard.ShardId!, ShardIteratorType: type }));
      this.iterators.set(shard.ShardId!, out.ShardIterator);
    }
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let got = 0;
      try {
        await this.discoverShards();
        for (const [shardId, iterator] of this.iterators) {
          if (!iterator || this.stopped) continue;
          const out = await this.streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: Math.min(1000, this.spec.batchSize) }));
          this.iterators.set(shardId, out.NextShardIterator);
          const records = out.Records ?? [];
          got += records.length;
          if (records.length) await this.handle(shardId, records);
        }
      } catch (error) {
        if (!this.stopped) console.error(`verify: mapping ${this.spec.logicalId}: ${(error as Error).message}`);
      }
      if (got === 0) {
        this.idleRounds++;
        await sleep(this.options.pollMs ?? 100);
      }
    }
  }

  private lastDiscovery = 0;

  /** New shards, looked for every few seconds (as Lambda's poller does, not on every poll). */
  private async discoverShards(): Promise<void> {
    if (Date.now() - this.lastDiscovery < 2_000) return;
    this.lastDiscovery = Date.now();
    const shards = (await this.streams.send(new DescribeStreamCommand({ StreamArn: this.localStreamArn }))).StreamDescription?.Shards ?? [];
    for (const shard of shards) {
      if (this.iterators.has(shard.ShardId!)) continue;
      // A shard that appeared after the start is read from its beginning.
      const out = await this.streams.send(
        new GetShardIteratorCommand({ StreamArn: this.localStreamArn, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }),
      );
      this.iterators.set(shard.ShardId!, out.ShardIterator);
    }
  }

  private async handle(shardId: string, records: _Record[]): Promise<void> {
    const streamArn = this.spec.eventSourceArn;
    const converted = records.map((r) => toLambdaRecord(r, streamArn));
    const wanted = this.spec.filters.length === 0 ? converted : converted.filter((r) => this.spec.filters.some((f) => matchesPattern(f, r)));
    this.stats.filteredOut += converted.length - wanted.length;
    const fn = this.options.template.functions.get(this.spec.functionId)!;
    for (let i = 0; i < wanted.length; i += this.spec.batchSize) {
      const batch = wanted.slice(i, i + this.spec.batchSize);
      const report = await runMappingBatch(batch, {
        handler: async (event) => {
          const outcome = await this.options.runner.invoke(this.spec.functionId, event, { principal: 'lambda.amazonaws.com' });
          if (!outcome.ok) throw new Error(`${outcome.error.errorType}: ${outcome.error.errorMessage}`);
          return outcome.result as DynamoDBBatchResponse | null;
        },
        config: {
          BatchSize: this.spec.batchSize,
          BisectBatchOnFunctionError: this.spec.bisectBatchOnFunctionError,
          ReportBatchItemFailures: this.spec.reportBatchItemFailures,
          MaximumRetryAttempts: this.spec.maximumRetryAttempts,
          MaximumRecordAgeInSeconds: this.spec.maximumRecordAgeSeconds,
        },
        onFailure: async (message) => {
          // Lambda sends to the destination with the function's execution role.
          const destination = this.spec.onFailureArn;
          if (destination) {
            const action = destination.startsWith('arn:aws:sqs') ? 'sqs:SendMessage' : 'sns:Publish';
            await this.options.authorizer.authorize(fn.logicalId, fn.roleArn, fn.policies, action, destination, 'on-failure destination');
          }
          this.stats.onFailure.push(message);
        },
        streamArn,
        shardId,
        functionArn: fn.arn,
        retryDelayMs: (retry) => Math.min(500, 10 * 2 ** retry),
        retryCap: this.options.retryCap ?? 20,
      });
      this.stats.batches += report.invocations;
      this.stats.records += batch.length - report.discarded;
    }
  }

  async drain(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const start = this.idleRounds;
    while (this.idleRounds < start + 2) {
      if (Date.now() > deadline) throw new Error(`mapping ${this.spec.logicalId} did not drain within ${timeoutMs} ms`);
      await sleep(25);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    this.streams.destroy();
  }
}
