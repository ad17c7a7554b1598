/**
 * Load: sockets on the local host receive a burst of events, none lost, none doubled, each in
 * sequence order (100 sockets × 200 events; 500 × 1,000 under CHATLINES_SOAK=1). The burst is 100 commits of session items with ten outbox entries each
 * (the stream, the poller, the consumer, the log and the push are the real ones); making 1,000
 * events through HTTP commands would measure DynamoDB Local's transactions instead.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import WebSocket from 'ws';
import { type World, world } from '../support/fixtures.ts';
import { startTestHost, type TestHost } from '../support/host.ts';
import { roundTrip } from '../support/live.ts';
import { soak } from '../support/soak.ts';

let host: TestHost;
let w: World;
before(async () => {
  host = await startTestHost({ events: true });
  w = await world(host, { channelType: 'telegramBot' });
});
after(async () => {
  await host.close();
});

const SOCKETS = soak(100, 500);
const SESSIONS = 10;
const WRITES = soak(2, 10);
const PER_WRITE = 10; // 10 sessions × 2 commits (soak: 10) × 10 outbox entries = 200 events (soak: 1,000)

/**
 * A minimal socket: counts event frames and keeps their ids (the id is the first key of an
 * event's JSON), without parsing 500 × 1,000 frames.
 */
function counter(url: string, token: string) {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/v1/live?token=${token}`);
  const ids: string[] = [];
  let ready = false;
  ws.on('message', (data) => {
    const text = data.toString();
    if (text.startsWith('{"id":')) ids.push(text.slice(7, text.indexOf('"', 7)));
    else if (text.includes('"ready"')) ready = true;
  });
  return {
    ids,
    ws,
    opened: new Promise<void>((resolve, reject) => {
      ws.once('error', reject);
      const wait = () => (ready ? resolve() : setTimeout(wait, 10));
      ws.once('open', wait);
    }),
  };
}

test(`${SOCKETS} sockets receive a burst of ${SESSIONS * WRITES * PER_WRITE} events with none lost`, { timeout: 120_000 }, async () => {
  const total = SESSIONS * WRITES * PER_WRITE;
  const lead = await host.token({ sub: 'lead', roles: ['supervisor'], groups: ['leads'] });
  // The sessions first (over HTTP), then the sockets: the burst is all they receive.
  const sessions = await Promise.all(Array.from({ length: SESSIONS }, (_, i) => w.openSession(`burst-${i}`, 'hi')));
  await host.events!.poller.drain();
  const t0 = Date.now();
  const sockets: ReturnType<typeof counter>[] = [];
  for (let i = 0; i < SOCKETS; i += 100) {
    const batch = Array.from({ length: Math.min(100, SOCKETS - i) }, (_, j) => counter(host.url, (i + j) % 2 ? lead : w.admin));
    await Promise.all(batch.map((s) => s.opened));
    sockets.push(...batch);
  }
  assert.equal(host.liveSockets(), SOCKETS);
  const opened = Date.now() - t0;

  // The burst: commits of session items whose outbox holds ten events each (what a command
  // writes, ten times over), through the real stream.
  const ddb = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: host.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  );
  const started = Date.now();
  await Promise.all(
    sessions.map(async ({ session }) => {
      const { Item } = await ddb.send(new GetCommand({ TableName: host.tableName, Key: { pk: `SESSION#${session.__id}`, sk: '#META' } }));
      let seq = Number(Item!.evSeq);
      for (let k = 0; k < WRITES; k++) {
        const at = new Date().toISOString();
        const evOut = Array.from({ length: PER_WRITE }, () => ({ t: 'session.updated', at, by: 'burst' }));
        seq += PER_WRITE;
        await ddb.send(new PutCommand({ TableName: host.tableName, Item: { ...Item, evSeq: seq, evOut } }));
      }
    }),
  );
  const written = Date.now();
  await waitUntil(() => sockets.every((s) => s.ids.length >= total), 90_000).catch(() => undefined);
  const delivered = Date.now();
  // Every record handed to the push, then a ping answered on each socket: whatever the server
  // sent (a doubled event too) has arrived before the counts are read.
  await host.events!.poller.drain();
  await Promise.all(sockets.map((s) => roundTrip(s.ws)));
  ddb.destroy();

  const wrong = sockets.filter((s) => s.ids.length !== total || new Set(s.ids).size !== total);
  assert.equal(
    wrong.length,
    0,
    `sockets without exactly ${total} distinct events: ${wrong
      .slice(0, 5)
      .map((s) => s.ids.length)
      .join(', ')}`,
  );
  // In sequence order per session on every socket.
  for (const s of sockets) {
    const last = new Map<string, number>();
    for (const id of s.ids) {
      const dot = id.lastIndexOf('.');
      const session = id.slice(0, dot);
      const n = Number(id.slice(dot + 1));
      assert.ok(n > (last.get(session) ?? 0));
      last.set(session, n);
    }
  }
  console.log(
    `  burst: ${SOCKETS} sockets opened in ${opened} ms; ${total} events committed in ${written - started} ms; on all ${SOCKETS} sockets ${delivered - written} ms later`,
  );
  for (const s of sockets) s.ws.terminate();
});

async function waitUntil(condition: () => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
