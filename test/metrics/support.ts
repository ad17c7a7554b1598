/**
 * Test-only helpers for the metrics tests: a full-table Scan (allowed in tests, never in
 * request code) to compute every figure by brute force from the raw messages, and to read
 * every rollup item as it is stored.
 */
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { readMessage } from '../../lib/adapters/dynamodb/items.ts';
import type { Message } from '../../lib/contract/schemas.ts';
import { addCells, type Cells, contributionCells, diffCells, sessionFigures } from '../../lib/domain/metrics/definitions.ts';

async function scanAll(endpoint: string, table: string): Promise<Record<string, unknown>[]> {
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const out: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: table, ConsistentRead: true, ...(start ? { ExclusiveStartKey: start as never } : {}) }));
    for (const item of page.Items ?? []) out.push(unmarshall(item));
    start = page.LastEvaluatedKey;
  } while (start);
  client.destroy();
  return out;
}

/** Drops zero fields and empty cells, so "never touched" and "back to zero" compare equal. */
export function normalize(cells: Cells): Cells {
  const out: Cells = {};
  for (const id of Object.keys(cells).sort()) {
    const fields = Object.fromEntries(
      Object.entries(cells[id]!)
        .filter(([, v]) => v !== 0)
        .sort(([a], [b]) => a.localeCompare(b)),
    );
    if (Object.keys(fields).length > 0) out[id] = fields;
  }
  return out;
}

/** Every figure of every session, computed from scratch from the raw messages. */
export async function bruteForce(endpoint: string, table: string): Promise<Cells> {
  const items = await scanAll(endpoint, table);
  const sessions = items.filter((i) => i.entity === 'session');
  const messages = new Map<string, Message[]>();
  for (const item of items.filter((i) => i.entity === 'message').sort((a, b) => String(a.sk).localeCompare(String(b.sk)))) {
    const m = readMessage(item);
    messages.set(m.session, [...(messages.get(m.session) ?? []), m]);
  }
  const total: Cells = {};
  for (const s of sessions) {
    const figures = sessionFigures(messages.get(String(s.__id)) ?? []);
    addCells(total, contributionCells({ line: String(s._line), channel: String(s._channel) }, figures));
  }
  return normalize(total);
}

/** Every rollup as stored, in the same cell shape. */
export async function storedRollups(endpoint: string, table: string): Promise<Cells> {
  const items = await scanAll(endpoint, table);
  const cells: Cells = {};
  for (const item of items.filter((i) => i.entity === 'metricRollup')) {
    const [, line, dimension] = /^METRIC#([^#]+)#(.+)$/.exec(String(item.pk)) ?? [];
    const fields: Record<string, number> = {};
    for (const [k, v] of Object.entries(item)) if (typeof v === 'number') fields[k] = v;
    cells[`${line}|${dimension}|${String(item.sk)}`] = fields;
  }
  return normalize(cells);
}

/** Fails with the first few differing cells (a readable message instead of two huge objects). */
export function assertSameFigures(actual: Cells, expected: Cells, message = 'rollups differ from brute force'): void {
  const diff = diffCells(expected, actual);
  const ids = Object.keys(diff);
  if (ids.length === 0) return;
  const sample = ids.slice(0, 6).map((id) => `${id}: stored−expected ${JSON.stringify(diff[id])}; expected ${JSON.stringify(expected[id] ?? {})}`);
  throw new Error(`${message}: ${ids.length} cells differ\n  ${sample.join('\n  ')}`);
}
