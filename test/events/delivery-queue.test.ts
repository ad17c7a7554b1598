/**
 * The delivery queue's two ends without an account: the consumer's side (SendMessageBatch of
 * new deliveries — a target and its event each — lib/adapters/aws/queue.ts) against a local stand-in for SQS's JSON API
 * that refuses an entry once, and the delivery function (functions/queue/attempt-deliveries.ts)
 * given an SQS batch with a good message and a malformed one: it attempts the good one and
 * reports only the malformed one (partial batch response).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { handler as attemptDeliveries } from '../../functions/queue/attempt-deliveries.ts';
import { SqsDeliveryQueue } from '../../lib/adapters/aws/queue.ts';
import { type DeliveryMessage, fifoMessage } from '../../lib/app/webhooks/deliveries.ts';
import type { ChatlinesEvent } from '../../lib/contract/events.ts';
import { type World, world } from '../support/fixtures.ts';
import { startTestHost, type TestHost } from '../support/host.ts';
import { type Receiver, startReceiver } from '../support/receiver.ts';

let host: TestHost;
let w: World;
let receiver: Receiver;
let sqs: Server;
/** SendMessageBatch calls the stand-in received: their entries' bodies. */
const calls: string[][] = [];
let refuseOnce = true;
/** Each entry's message group and deduplication id. */
const fifo: [string?, string?][] = [];

before(async () => {
  host = await startTestHost({ events: false });
  w = await world(host);
  receiver = await startReceiver();
  sqs = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      assert.equal(req.headers['x-amz-target'], 'AmazonSQS.SendMessageBatch');
      const input = JSON.parse(Buffer.concat(chunks).toString()) as {
        Entries: { Id: string; MessageBody: string; MessageGroupId?: string; MessageDeduplicationId?: string }[];
      };
      calls.push(input.Entries.map((e) => e.MessageBody));
      fifo.push(...input.Entries.map((e) => [e.MessageGroupId, e.MessageDeduplicationId] as [string?, string?]));
      const refused = refuseOnce ? input.Entries.slice(-1) : [];
      refuseOnce = false;
      const out = {
        Successful: input.Entries.filter((e) => !refused.includes(e)).map((e) => ({
          Id: e.Id,
          MessageId: `m-${e.Id}`,
          MD5OfMessageBody: createHash('md5').update(e.MessageBody).digest('hex'),
        })),
        Failed: refused.map((e) => ({ Id: e.Id, SenderFault: false, Code: 'InternalError', Message: 'try again' })),
      };
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify(out));
    });
  });
  await new Promise<void>((r) => sqs.listen(0, '127.0.0.1', () => r()));
  process.env.AWS_ENDPOINT_URL_SQS = `http://127.0.0.1:${(sqs.address() as { port: number }).port}`;
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID = 'local';
  process.env.AWS_SECRET_ACCESS_KEY = 'local';
});
after(async () => {
  sqs.close();
  await receiver.close();
  await host.close();
});

const event = (n: number): ChatlinesEvent => ({
  id: `queue-test.${n}`,
  type: 'session.created',
  time: new Date().toISOString(),
  line: w.line.__id,
  channel: w.channel.__id,
  session: 'queue-test',
  sequence: n,
  data: {},
});

describe('the delivery queue', () => {
  test('SendMessageBatch ten at a time; an entry SQS refuses is sent once more, the rest are not repeated', async () => {
    const messages: DeliveryMessage[] = Array.from({ length: 12 }, (_, i) => ({ target: { kind: 'webhook', id: 'x' }, event: event(100 + i) }));
    await new SqsDeliveryQueue(`${process.env.AWS_ENDPOINT_URL_SQS}/000000000000/deliveries.fifo`).enqueue(messages.map(fifoMessage));
    // The two batches go out side by side; the first to arrive has its last entry refused.
    assert.deepEqual(
      calls
        .slice(0, 2)
        .map((c) => c.length)
        .sort((a, b) => a - b),
      [2, 10],
    );
    assert.equal(calls.length, 3);
    assert.deepEqual(calls[2], [calls[0]!.at(-1)], 'then the refused entry alone');
    const sent = calls.flat().map((b) => JSON.parse(b) as DeliveryMessage);
    assert.equal(sent.length, 13);
    assert.deepEqual(new Set(sent.map((s) => s.event.id)).size, 12);
    assert.ok(
      sent.every((s) => s.target.kind === 'webhook' && s.target.id === 'x'),
      'each message carries its target and its event',
    );
  });

  test('the delivery function attempts each message; only a malformed one is reported failed', async () => {
    const hook = await host.call('POST', '/v1/webhooks', { token: w.admin, body: { url: receiver.url, events: ['session.*'], line: w.line.__id } });
    assert.equal(hook.status, 201);
    receiver.secret = hook.body.secret;
    const message: DeliveryMessage = { target: { kind: 'webhook', id: hook.body.__id }, event: event(1) };
    const out = await attemptDeliveries({
      Records: [
        { messageId: 'good', body: JSON.stringify(message) },
        { messageId: 'bad', body: '{"pk": 1}' },
        { messageId: 'again', body: JSON.stringify(message) },
      ],
    } as never);
    assert.deepEqual(out, { batchItemFailures: [{ itemIdentifier: 'bad' }] });
    // The same message again later (SQS delivers at least once): recorded, so not sent again.
    assert.deepEqual(await attemptDeliveries({ Records: [{ messageId: 'later', body: JSON.stringify(message) }] } as never), { batchItemFailures: [] });
    assert.equal(receiver.received.filter((x) => x.id === 'queue-test.1').length, 1, 'a message repeated does not send again');
    assert.ok(receiver.received[0]!.verified);
    const list = await host.call('GET', `/v1/webhooks/${hook.body.__id}/deliveries`, { token: w.admin });
    assert.deepEqual(
      list.body.items.map((d: { eventId: string; status: string; attempts: number }) => [d.eventId, d.status, d.attempts]),
      [['queue-test.1', 'delivered', 1]],
    );
  });
});
