/**
 * Faults: DynamoDB Local is stopped in the middle of a burst of writes. Every request must end
 * (no hang past the handler timeout), refusals must be 503 with Retry-After, and after a
 * restart every session that was written is whole: its open-session guard, its client, its
 * creation history and first message — never half a transaction.
 * This file starts its own DynamoDB Local (with a data directory, so a restart keeps data).
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { ensureTable, type RunningDynamoDb, startDynamoDbLocal } from '../../infra/local/dynamodb.ts';
import { configureLocalEnvironment } from '../../infra/local/env.ts';
import { HANDLER_TIMEOUT_MS, type RunningHost, startHost } from '../../infra/local/host.ts';
import { loadOrCreateDevKey, signToken } from '../../infra/local/jwt.ts';
import { resetClient } from '../../lib/adapters/dynamodb/db.ts';
import { logger } from '../../lib/adapters/observability.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'chatlines-fault-'));
let dynamo: RunningDynamoDb;
let host: RunningHost;
let port: number;
const TABLE = 'fault-table';

before(async () => {
  dynamo = await startDynamoDbLocal({ dataDir });
  port = Number(new URL(dynamo.endpoint).port);
  await ensureTable(dynamo.endpoint, TABLE);
  configureLocalEnvironment(TABLE, dynamo.endpoint);
  logger.setLogLevel('SILENT');
  resetClient();
  // This host's secrets beside its data (not the working directory's .chatlines/).
  process.env.VISITOR_SECRET_FILE ??= join(dataDir, 'visitor-secret');
  process.env.CREDENTIALS_KEY_FILE ??= join(dataDir, 'credentials-key');
  host = await startHost({ port: 0, key: await loadOrCreateDevKey(join(dataDir, 'key.json')) });
});
after(async () => {
  await host?.close();
  await dynamo?.stop();
});

async function post(path: string, token: string, body: unknown) {
  const started = Date.now();
  const res = await fetch(`${host.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as any, ms: Date.now() - started };
}

it('answers 503 with Retry-After while DynamoDB is down, hangs never, and leaves whole sessions', async () => {
  const key = await loadOrCreateDevKey(join(dataDir, 'key.json'));
  const admin = await signToken(key, { sub: 'admin', roles: ['admin'] });
  const line = await post('/v1/lines', admin, { __name: 'Faults', _operatorGroups: ['support'] });
  assert.equal(line.status, 201);
  const channel = await post('/v1/channels', admin, { _line: line.body.__id, _type: 'telegram', __name: 'tg' });
  assert.equal(channel.status, 201);
  const integration = await signToken(key, { sub: 'int', roles: ['integration'], channels: [channel.body.__id] });

  // A burst of first messages from 60 clients; DynamoDB Local is stopped part way through.
  const burst = Array.from({ length: 60 }, (_, i) =>
    (async () => {
      await new Promise((r) => setTimeout(r, i * 10));
      return post(`/v1/channels/${channel.body.__id}/inbound`, integration, { account: `client-${i}`, body: `hello ${i}` });
    })(),
  );
  await new Promise((r) => setTimeout(r, 250));
  await dynamo.stop();
  const results = await Promise.all(burst);

  const statuses = new Set(results.map((r) => r.status));
  for (const r of results) {
    assert.ok([201, 503].includes(r.status), `unexpected status ${r.status}: ${JSON.stringify(r.body)}`);
    assert.ok(r.ms < HANDLER_TIMEOUT_MS + 1_000, `a request took ${r.ms} ms`);
    if (r.status === 503) {
      assert.ok(r.retryAfter, '503 carries Retry-After');
      assert.equal(r.body.status, 503);
      assert.doesNotMatch(JSON.stringify(r.body), /at .*\.ts:\d+/, 'no stack trace');
    }
  }
  assert.ok(statuses.has(503), 'some requests met the stopped database');

  // Restart on the same port with the same data, and check every session is whole.
  dynamo = await startDynamoDbLocal({ dataDir, port });
  resetClient();
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } }),
  );
  const items: Record<string, unknown>[] = [];
  let start: Record<string, never> | undefined;
  do {
    const out = await client.send(new ScanCommand({ TableName: TABLE, ...(start ? { ExclusiveStartKey: start } : {}) }));
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey as Record<string, never> | undefined;
  } while (start);
  const sessions = items.filter((i) => i.entity === 'session');
  const acknowledged = results.filter((r) => r.status === 201).map((r) => r.body.session.__id as string);
  for (const id of acknowledged)
    assert.ok(
      sessions.some((s) => s.__id === id),
      `acknowledged session ${id} was lost`,
    );
  for (const s of sessions) {
    const clientId = (s._clients as string[])[0];
    assert.ok(
      items.some((i) => i.entity === 'client' && i.__id === clientId),
      'session without its client',
    );
    assert.ok(
      items.some((i) => i.pk === `OPEN#${s._channel}#${clientId}` && i.sessionId === s.__id),
      'session without its guard',
    );
    const messages = await client.send(
      new QueryCommand({
        TableName: TABLE,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :m)',
        ExpressionAttributeValues: { ':pk': `SESSION#${s.__id}`, ':m': 'MSG#' },
      }),
    );
    const kinds = (messages.Items ?? []).map((m) => m.author as string);
    assert.deepEqual(kinds.sort(), ['client', 'system'], 'session without its history and first message');
  }
  // Guards never point at a session that does not exist.
  for (const g of items.filter((i) => String(i.pk).startsWith('OPEN#'))) {
    assert.ok(
      sessions.some((s) => s.__id === g.sessionId),
      'guard without its session',
    );
  }
  client.destroy();

  // And the API works again.
  const again = await post(`/v1/channels/${channel.body.__id}/inbound`, integration, { account: 'after-restart', body: 'back' });
  assert.equal(again.status, 201);
});
