/**
 * A poison record in a stream batch, through the event source mapping's documented semantics
 * (infra/local/stream-mapping.ts, the local poller's and the offline harness's) and the real
 * stream consumer: a batch of five real stream records (five new sessions, read off DynamoDB
 * Local's stream) whose third fails every time — a sink that throws for its session stands in
 * for a record the code cannot handle. The first two take effect once, the third alone reaches
 * the on-failure destination, the last two are retried and take effect once. And a consumer with
 * no delivery queue fails the records that make deliveries instead of losing them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand, type _Record as StreamRecord } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord } from 'aws-lambda';
import { handler as streamHandler } from '../../functions/stream/stream-consumer.ts';
import { localClient } from '../../infra/local/dynamodb.ts';
import { type DeliveryWorker, startDeliveryWorker } from '../../infra/local/events.ts';
import { listShards, passesFilter, toLambdaRecord } from '../../infra/local/stream.ts';
import { runMappingBatch, STREAM_CONSUMER_MAPPING, type StreamFailureMessage } from '../../infra/local/stream-mapping.ts';
import { inProcessBus } from '../../lib/adapters/bus.ts';
import { registerSink } from '../../lib/app/events/consumer.ts';
import { useLocalDeliveryQueue } from '../../lib/app/webhooks/deliveries.ts';
import type { ChatlinesEvent } from '../../lib/contract/events.ts';
import { type World, world } from '../support/fixtures.ts';
import { startTestHost, type TestHost } from '../support/host.ts';
import { type Receiver, startReceiver } from '../support/receiver.ts';

let host: TestHost;
let w: World;
let receiver: Receiver;
let worker: DeliveryWorker;

before(async () => {
  // No poller: the test hands the batch to the mapping itself.
  host = await startTestHost({ events: false });
  w = await world(host);
  receiver = await startReceiver();
  worker = startDeliveryWorker();
  useLocalDeliveryQueue(worker);
});
after(async () => {
  await worker.stop();
  await receiver.close();
  await host.close();
});

/** Every record of the table's stream so far that the mapping's filter lets through, in order. */
async function streamRecords(): Promise<{ records: DynamoDBRecord[]; streamArn: string; shardId: string }> {
  const ddb = localClient(host.endpoint);
  const streams = new DynamoDBStreamsClient({ endpoint: host.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    const streamArn = (await ddb.send(new DescribeTableCommand({ TableName: host.tableName }))).Table!.LatestStreamArn!;
    const shards = await listShards(streams, streamArn);
    const out: StreamRecord[] = [];
    for (const shard of shards) {
      let iterator = (await streams.send(new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' })))
        .ShardIterator;
      while (iterator) {
        const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
        out.push(...(page.Records ?? []));
        if ((page.Records ?? []).length === 0) break;
        iterator = page.NextShardIterator;
      }
    }
    return { records: out.filter(passesFilter).map((r) => toLambdaRecord(r, streamArn)), streamArn, shardId: shards[0]!.ShardId! };
  } finally {
    streams.destroy();
    ddb.destroy();
  }
}

describe('a poison record in a batch of five', () => {
  test('the first two take effect once, the third alone reaches the failure destination, the last two are retried and take effect once', async () => {
    const hook = await host.call('POST', '/v1/webhooks', { token: w.admin, body: { url: receiver.url, events: ['session.created'], line: w.line.__id } });
    assert.equal(hook.status, 201, JSON.stringify(hook.body));
    receiver.secret = hook.body.secret;

    const sessions: string[] = [];
    for (let i = 0; i < 5; i++) sessions.push((await w.openSession(`poison-${i}`)).session.__id);
    const poison = sessions[2]!;
    const { records: all, streamArn, shardId } = await streamRecords();
    const records = sessions.map((id) => {
      const found = all.filter((r) => r.eventName === 'INSERT' && r.dynamodb?.NewImage?.entity?.S === 'session' && r.dynamodb?.NewImage?.__id?.S === id);
      assert.equal(found.length, 1, `one INSERT record of session ${id}`);
      return found[0]!;
    });

    // The poison: a reaction that fails for the third record's session, every time.
    const handled = new Map<string, number>();
    registerSink({
      name: 'poison-test',
      async handle(events: readonly ChatlinesEvent[]) {
        const mine = events.filter((e) => e.session && sessions.includes(e.session));
        if (mine.some((e) => e.session === poison)) throw new Error('this record cannot be handled');
        for (const e of mine) if (e.type === 'session.created') handled.set(e.session!, (handled.get(e.session!) ?? 0) + 1);
      },
    });

    const destination: StreamFailureMessage[] = [];
    const invoked: string[][] = [];
    const report = await runMappingBatch(records, {
      handler: async (event) => {
        invoked.push(event.Records.map((r) => r.dynamodb!.NewImage!.__id!.S!));
        return streamHandler(event);
      },
      config: { ...STREAM_CONSUMER_MAPPING, MaximumRetryAttempts: 2 },
      onFailure: async (message) => void destination.push(message),
      streamArn,
      shardId,
    });

    // The third alone reached the destination, after its retries.
    assert.equal(destination.length, 1, JSON.stringify(destination));
    const info = destination[0]!.DDBStreamBatchInfo;
    assert.equal(info.batchSize, 1);
    assert.equal(info.startSequenceNumber, records[2]!.dynamodb!.SequenceNumber);
    assert.equal(info.endSequenceNumber, records[2]!.dynamodb!.SequenceNumber);
    assert.equal(destination[0]!.requestContext.condition, 'RetryAttemptsExhausted');
    assert.equal(report.discarded, 1);

    // The first two were handed over once: no retry included them.
    const runs = (id: string) => invoked.filter((batch) => batch.includes(id)).length;
    assert.equal(runs(sessions[0]!), 1);
    assert.equal(runs(sessions[1]!), 1);
    // The last two were retried with the poison record before it was isolated.
    assert.ok(runs(sessions[3]!) > 1, `the fourth was retried: ${JSON.stringify(invoked)}`);
    assert.ok(runs(sessions[4]!) > 1, `the fifth was retried: ${JSON.stringify(invoked)}`);
    assert.ok(
      invoked.some((batch) => batch.length === 1 && batch[0] === poison),
      'the poison record was isolated',
    );

    // Effects: on the bus the first two once, the last two at least once (receivers drop repeats by id).
    const published = (id: string) => inProcessBus.recent.filter((e) => e.session === id && e.type === 'session.created');
    assert.equal(published(sessions[0]!).length, 1);
    assert.equal(published(sessions[1]!).length, 1);
    for (const id of [sessions[3]!, sessions[4]!]) {
      assert.ok(published(id).length >= 1);
      assert.equal(new Set(published(id).map((e) => e.id)).size, 1);
    }
    // The reaction took effect for all but the poison record.
    for (const id of [sessions[0]!, sessions[1]!, sessions[3]!, sessions[4]!]) assert.ok((handled.get(id) ?? 0) >= 1, `handled ${id}`);
    assert.equal(handled.get(poison), undefined);

    // Webhook deliveries: exactly one request per event of the four good records.
    const good = [sessions[0]!, sessions[1]!, sessions[3]!, sessions[4]!];
    await receiver.waitFor((got) => good.every((id) => got.some((x) => x.event?.session === id)), 10_000, 'the four deliveries');
    await worker.idle();
    for (const id of good) {
      assert.equal(receiver.received.filter((x) => x.event?.session === id).length, 1, `one delivery of ${id}`);
    }
    assert.ok(receiver.received.every((x) => x.verified));
  });

  test('without a delivery queue the records that make deliveries fail, and none is lost: with the queue back each is delivered once', async () => {
    // The subscription of the test above (session.created on this line) still listens.
    const sessions = [(await w.openSession('no-queue-0')).session.__id, (await w.openSession('no-queue-1')).session.__id];
    const { records: all } = await streamRecords();
    const records = sessions.map(
      (id) => all.find((r) => r.eventName === 'INSERT' && r.dynamodb?.NewImage?.entity?.S === 'session' && r.dynamodb?.NewImage?.__id?.S === id)!,
    );
    useLocalDeliveryQueue(undefined);
    try {
      // Both records fail (each makes a delivery); the first among them: the handler throws, so the mapping retries the batch.
      await assert.rejects(streamHandler({ Records: records }), /2 of 2 records failed/);
    } finally {
      useLocalDeliveryQueue(worker);
    }
    await worker.idle();
    assert.equal(receiver.received.filter((x) => sessions.includes(x.event?.session ?? '')).length, 0, 'nothing was delivered without a queue');
    const again = await streamHandler({ Records: records });
    assert.deepEqual(again.batchItemFailures, []);
    await receiver.waitFor((got) => sessions.every((id) => got.some((x) => x.event?.session === id)), 10_000, 'both deliveries');
    await worker.idle();
    for (const id of sessions) assert.equal(receiver.received.filter((x) => x.event?.session === id).length, 1, `one delivery of ${id}`);
  });
});
