/**
 * A DynamoDB stream event source mapping as the template configures it, with the semantics AWS
 * documents: filter criteria drop non-matching records before batching; batches of at most
 * `BatchSize`; with `ReportBatchItemFailures` the batch is checkpointed before the lowest
 * reported sequence number and retried from there (an unknown or empty identifier fails the
 * whole batch); a function error fails the whole batch; `BisectBatchOnFunctionError` splits a
 * failing batch in two; a record that used up `MaximumRetryAttempts` or outlived
 * `MaximumRecordAgeInSeconds` goes (as invocation metadata) to the on-failure destination and the
 * shard moves on. The mapping reads the stream and writes to the destination with the
 * function's execution role, as Lambda does: its stream calls go through the gateway and are
 * authorized, and so is the destination's `sqs:SendMessage`.
 *
 * Kept behind {@link MappingRunner} so a shared implementation of these semantics can replace it.
 */
import { randomUUID } from 'node:crypto';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type _Record, DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord } from 'aws-lambda';
import { matchesPattern } from './event-pattern.ts';
import type { Authorizer } from './iam.ts';
import type { InvokeResult, LambdaRunner } from './lambda-runner.ts';
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
  retries: number;
  bisections: number;
  /** Messages the on-failure destination received. */
  onFailure: object[];
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

function toLambdaRecord(r: _Record, streamArn: string): DynamoDBRecord {
  const d = r.dynamodb ?? {};
  return {
    eventID: r.eventID,
    eventName: r.eventName as DynamoDBRecord['eventName'],
    eventVersion: r.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: REGION,
    eventSourceARN: streamArn,
    dynamodb: {
      ...(d.ApproximateCreationDateTime ? { ApproximateCreationDateTime: Math.floor(new Date(d.ApproximateCreationDateTime).getTime() / 1000) } : {}),
      Keys: d.Keys as never,
      ...(d.NewImage ? { NewImage: d.NewImage as never } : {}),
      ...(d.OldImage ? { OldImage: d.OldImage as never } : {}),
      SequenceNumber: d.SequenceNumber,
      SizeBytes: d.SizeBytes,
      StreamViewType: d.StreamViewType as never,
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class StreamMapping implements MappingRunner {
  readonly stats: MappingStats = { batches: 0, records: 0, filteredOut: 0, retries: 0, bisections: 0, onFailure: [] };
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
    for (let i = 0; i < wanted.length; i += this.spec.batchSize) {
      await this.process(shardId, wanted.slice(i, i + this.spec.batchSize), new Map());
    }
  }

  /** Processes one batch until every record took effect or went to the destination. */
  private async process(shardId: string, batch: DynamoDBRecord[], attempts: Map<string, number>): Promise<void> {
    let remaining = batch;
    while (remaining.length > 0 && !this.stopped) {
      const now = Date.now() / 1000;
      const maxAge = this.spec.maximumRecordAgeSeconds;
      const expired = maxAge > 0 ? remaining.filter((r) => now - (r.dynamodb?.ApproximateCreationDateTime ?? now) > maxAge) : [];
      if (expired.length > 0) {
        await this.sendToDestination(shardId, expired, 'RecordAgeExceeded', attempts, undefined);
        remaining = remaining.filter((r) => !expired.includes(r));
        continue;
      }
      this.stats.batches++;
      const outcome = await this.options.runner.invoke(this.spec.functionId, { Records: remaining }, { principal: 'lambda.amazonaws.com' });
      const failedAt = this.failedIndex(remaining, outcome);
      if (failedAt === -1) {
        this.stats.records += remaining.length;
        return;
      }
      // The records before the first failure took effect (the checkpoint moves past them).
      this.stats.records += failedAt;
      remaining = remaining.slice(failedAt);
      const first = remaining[0]!.dynamodb!.SequenceNumber!;
      const tries = (attempts.get(first) ?? 0) + 1;
      for (const r of remaining) attempts.set(r.dynamodb!.SequenceNumber!, Math.max(attempts.get(r.dynamodb!.SequenceNumber!) ?? 0, tries));
      const limit = this.spec.maximumRetryAttempts < 0 ? (this.options.retryCap ?? 20) : this.spec.maximumRetryAttempts;
      if (this.spec.bisectBatchOnFunctionError && remaining.length > 1) {
        this.stats.bisections++;
        const half = Math.ceil(remaining.length / 2);
        await this.process(shardId, remaining.slice(0, half), attempts);
        await this.process(shardId, remaining.slice(half), attempts);
        return;
      }
      if (tries > limit) {
        await this.sendToDestination(shardId, remaining, 'RetryAttemptsExhausted', attempts, outcome);
        return;
      }
      this.stats.retries++;
      await sleep(Math.min(500, 10 * 2 ** tries));
    }
  }

  /** Index of the first record to retry, or -1 when the batch succeeded. */
  private failedIndex(batch: DynamoDBRecord[], outcome: InvokeResult): number {
    if (!outcome.ok) return 0;
    if (!this.spec.reportBatchItemFailures) return -1;
    const failures = (outcome.result as { batchItemFailures?: { itemIdentifier?: unknown }[] } | null)?.batchItemFailures ?? [];
    if (failures.length === 0) return -1;
    let lowest = Number.POSITIVE_INFINITY;
    for (const failure of failures) {
      const index = batch.findIndex((r) => r.dynamodb?.SequenceNumber === failure.itemIdentifier);
      // An identifier that is empty or not in the batch fails the whole batch.
      if (index === -1) return 0;
      lowest = Math.min(lowest, index);
    }
    return lowest;
  }

  private async sendToDestination(
    shardId: string,
    records: DynamoDBRecord[],
    condition: string,
    attempts: Map<string, number>,
    outcome: InvokeResult | undefined,
  ) {
    const destination = this.spec.onFailureArn;
    const spec = this.options.template.functions.get(this.spec.functionId)!;
    const message = {
      requestContext: {
        requestId: randomUUID(),
        functionArn: spec.arn,
        condition,
        approximateInvokeCount: (attempts.get(records[0]!.dynamodb!.SequenceNumber!) ?? 0) + 1,
      },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: outcome && !outcome.ok ? 'Unhandled' : '' },
      version: '1.0',
      timestamp: new Date().toISOString(),
      DDBStreamBatchInfo: {
        shardId,
        startSequenceNumber: records[0]!.dynamodb!.SequenceNumber,
        endSequenceNumber: records.at(-1)!.dynamodb!.SequenceNumber,
        batchSize: records.length,
        streamArn: this.spec.eventSourceArn,
      },
    };
    if (destination) {
      await this.options.authorizer.authorize(
        spec.logicalId,
        spec.roleArn,
        spec.policies,
        destination.startsWith('arn:aws:sqs') ? 'sqs:SendMessage' : 'sns:Publish',
        destination,
        'on-failure destination',
      );
    }
    this.stats.onFailure.push(message);
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
