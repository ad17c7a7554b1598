/**
 * The pure accounting of the busiest-partition simulation (bench/partitions.ts):
 * which partition of the table or of an index each write and read lands on, and how many
 * capacity units it costs there, by DynamoDB's published rules. No I/O: item images and key
 * conditions in, (target, partition, units) out. The key design is not known here: it is read
 * from the table definition (createTableInput) and from the items themselves.
 *
 * Rules (DynamoDB developer guide, "Item sizes and formats", "Provisioned throughput
 * considerations for global secondary indexes", "Capacity management for transactions"):
 * - item size: per attribute its name's UTF-8 bytes + its value: a string its UTF-8 bytes, a
 *   number 1 + 1 per two significant digits, binary its bytes, a boolean or null 1, a list or a
 *   map 3 + 1 per element + the elements (a map's elements with their names), a set its elements;
 * - a write: ceil(max(size before, size after) / 1 KB) units, at least 1, on the table partition
 *   of its `pk`; inside TransactWriteItems twice that (prepare + commit), index writes included
 *   (DynamoDB Local reports it so); a ConditionCheck in a transaction as a write of the item;
 * - each global secondary index: no key before nor after → nothing; the same key → with
 *   KEYS_ONLY nothing, with INCLUDE one write of the projected entry if a projected attribute
 *   changed, with ALL one write of the entry if anything changed; another key → a delete of the
 *   old entry on the old partition and a put of the new one on the new partition; a key only
 *   after (before) → one put (delete). An index entry's size is that of its projected attributes:
 *   the table and index keys, plus the included ones (INCLUDE) or every attribute (ALL);
 * - a write that changes nothing (the same item put again, a delete of no item, a condition that
 *   failed) still costs its table write, and no index write;
 * - a read: ceil(size / 4 KB) units per item, at least 1, half for an eventually consistent read.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';

export type Image = Record<string, AttributeValue>;

// ------------------------------------------------------------------------------------------
// Sizes and units

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

/** The size of a number as DynamoDB stores it: 1 byte + 1 per two significant digits. */
export function numberSize(text: string): number {
  const mantissa = text
    .trim()
    .replace(/^[-+]/, '')
    .replace(/[eE][-+]?\d+$/, '');
  const digits = mantissa.replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return 1 + Math.ceil(Math.max(1, digits.length) / 2);
}

/** The size of one attribute value (without its name). */
export function valueSize(v: AttributeValue): number {
  if (v.S !== undefined) return utf8(v.S);
  if (v.N !== undefined) return numberSize(v.N);
  if (v.B !== undefined) return v.B.length;
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.SS !== undefined) return v.SS.reduce((n, s) => n + utf8(s), 0);
  if (v.NS !== undefined) return v.NS.reduce((n, s) => n + numberSize(s), 0);
  if (v.BS !== undefined) return v.BS.reduce((n, b) => n + b.length, 0);
  if (v.L !== undefined) return 3 + v.L.reduce((n, e) => n + 1 + valueSize(e), 0);
  if (v.M !== undefined) return 3 + Object.entries(v.M).reduce((n, [k, e]) => n + 1 + utf8(k) + valueSize(e), 0);
  return 0;
}

/** The size of an item (0 for no item). */
export function itemSize(image: Image | undefined): number {
  if (!image) return 0;
  let n = 0;
  for (const [name, value] of Object.entries(image)) n += utf8(name) + valueSize(value);
  return n;
}

/** Write units of `bytes`: per started KB, at least 1. */
export const writeUnits = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));
/** Read units of one item of `bytes`: per started 4 KB, at least 1; half when eventually consistent. */
export const readUnits = (bytes: number, consistent: boolean) => Math.max(1, Math.ceil(bytes / 4096)) * (consistent ? 1 : 0.5);

/** A plain item (as the document client takes it) as DynamoDB attribute values. */
export const toImage = (item: Record<string, unknown>): Image => marshall(item, { removeUndefinedValues: true, convertClassInstanceToMap: false }) as Image;

/** A stable text of an image (map keys and set members sorted), to compare two images. */
export function imageText(image: Image | undefined): string {
  if (!image) return '';
  const canon = (v: unknown): unknown => {
    if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
    if (Array.isArray(v)) return v.map(canon);
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(o).sort()) {
        const x = canon(o[k]);
        out[k] = (k === 'SS' || k === 'NS' || k === 'BS') && Array.isArray(x) ? [...(x as string[])].sort() : x;
      }
      return out;
    }
    return v;
  };
  return JSON.stringify(canon(image));
}

// ------------------------------------------------------------------------------------------
// The table's shape

export type Projection = { type: 'ALL' } | { type: 'KEYS_ONLY' } | { type: 'INCLUDE'; attributes: readonly string[] };
export interface IndexSpec {
  name: string;
  pk: string;
  sk: string | undefined;
  projection: Projection;
}
export interface TableSpec {
  pk: string;
  sk: string | undefined;
  indexes: IndexSpec[];
}

interface KeySchemaLike {
  AttributeName?: string;
  KeyType?: string;
}
interface CreateTableLike {
  KeySchema?: readonly KeySchemaLike[];
  GlobalSecondaryIndexes?: readonly {
    IndexName?: string;
    KeySchema?: readonly KeySchemaLike[];
    Projection?: { ProjectionType?: string; NonKeyAttributes?: readonly string[] };
  }[];
}

const keyOfType = (schema: readonly KeySchemaLike[] | undefined, type: 'HASH' | 'RANGE') => schema?.find((k) => k.KeyType === type)?.AttributeName;

/**
 * The table's keys, indexes and projections from a CreateTable input (lib/adapters/dynamodb/table.ts's
 * createTableInput, which is what the local host and the stack create): whatever key design and
 * projections the code defines, the simulation uses. A missing projection is ALL.
 */
export function tableSpecOf(input: CreateTableLike): TableSpec {
  return {
    pk: keyOfType(input.KeySchema, 'HASH') ?? 'pk',
    sk: keyOfType(input.KeySchema, 'RANGE'),
    indexes: (input.GlobalSecondaryIndexes ?? []).map((g) => {
      const type = g.Projection?.ProjectionType ?? 'ALL';
      const projection: Projection =
        type === 'KEYS_ONLY' ? { type } : type === 'INCLUDE' ? { type, attributes: [...(g.Projection?.NonKeyAttributes ?? [])] } : { type: 'ALL' };
      return { name: g.IndexName ?? '?', pk: keyOfType(g.KeySchema, 'HASH') ?? '?', sk: keyOfType(g.KeySchema, 'RANGE'), projection };
    }),
  };
}

/**
 * An index's projection as the table definition may name it (`projection: { type: 'KEYS_ONLY' }`,
 * `{ type: 'INCLUDE', attributes: [...] }`, or DynamoDB's own `ProjectionType` / `NonKeyAttributes`);
 * undefined when it names none.
 */
export function projectionOf(field: unknown): Projection | undefined {
  if (!field || typeof field !== 'object') return undefined;
  const f = field as Record<string, unknown>;
  const type = String(f.type ?? f.ProjectionType ?? '').toUpperCase();
  if (type === 'ALL' || type === 'KEYS_ONLY') return { type };
  if (type === 'INCLUDE') {
    const attributes = f.attributes ?? f.nonKeyAttributes ?? f.NonKeyAttributes;
    return { type, attributes: Array.isArray(attributes) ? attributes.map(String) : [] };
  }
  return undefined;
}

/**
 * {@link tableSpecOf} with each index's projection taken from the table definition where it
 * names one (lib/adapters/dynamodb/table.ts's per-index `projection`), else from the CreateTable input.
 */
export function withDefinedProjections(spec: TableSpec, definitions: readonly { indexName: string }[]): TableSpec {
  return {
    ...spec,
    indexes: spec.indexes.map((index) => {
      const defined = projectionOf((definitions.find((d) => d.indexName === index.name) as { projection?: unknown } | undefined)?.projection);
      return defined ? { ...index, projection: defined } : index;
    }),
  };
}

// ------------------------------------------------------------------------------------------
// Writes

/** Units spent on one partition: `target` is `table` or an index name. */
export interface PartitionUnits {
  target: string;
  partition: string;
  units: number;
}

/** One change of one item, as the table's stream shows it. */
export interface ItemChange {
  old: Image | undefined;
  new: Image | undefined;
  /** Written inside TransactWriteItems (twice the units). */
  transactional: boolean;
}

const stringOf = (v: AttributeValue | undefined) => v?.S ?? v?.N ?? (v?.B ? Buffer.from(v.B).toString('base64') : undefined);

/** The index key of an image (undefined when the item is not in the index). */
function indexKey(image: Image | undefined, index: IndexSpec): { pk: string; sk: string } | undefined {
  if (!image) return undefined;
  const pk = stringOf(image[index.pk]);
  const sk = index.sk ? stringOf(image[index.sk]) : '';
  if (pk === undefined || sk === undefined) return undefined;
  return { pk, sk };
}

/** The attributes of an image that an index entry holds. */
export function projected(image: Image, table: TableSpec, index: IndexSpec): Image {
  if (index.projection.type === 'ALL') return image;
  const names = new Set([table.pk, table.sk, index.pk, index.sk].filter((n): n is string => !!n));
  if (index.projection.type === 'INCLUDE') for (const a of index.projection.attributes) names.add(a);
  const out: Image = {};
  for (const n of names) if (image[n] !== undefined) out[n] = image[n]!;
  return out;
}

const tablePartition = (change: { old: Image | undefined; new: Image | undefined }, table: TableSpec) =>
  stringOf((change.new ?? change.old)?.[table.pk]) ?? '?';

/** Where one item change writes and how much: the table partition, then each index's. */
export function changeWrites(change: ItemChange, table: TableSpec): PartitionUnits[] {
  const factor = change.transactional ? 2 : 1;
  const out: PartitionUnits[] = [
    { target: 'table', partition: tablePartition(change, table), units: factor * writeUnits(Math.max(itemSize(change.old), itemSize(change.new))) },
  ];
  for (const index of table.indexes) {
    const before = indexKey(change.old, index);
    const after = indexKey(change.new, index);
    const entry = (image: Image) => projected(image, table, index);
    if (before && after && before.pk === after.pk && before.sk === after.sk) {
      if (index.projection.type === 'KEYS_ONLY') continue;
      const oldEntry = entry(change.old!);
      const newEntry = entry(change.new!);
      if (imageText(oldEntry) === imageText(newEntry)) continue;
      out.push({ target: index.name, partition: after.pk, units: factor * writeUnits(Math.max(itemSize(oldEntry), itemSize(newEntry))) });
      continue;
    }
    if (before) out.push({ target: index.name, partition: before.pk, units: factor * writeUnits(itemSize(entry(change.old!))) });
    if (after) out.push({ target: index.name, partition: after.pk, units: factor * writeUnits(itemSize(entry(change.new!))) });
  }
  return out;
}

/** A write that changed nothing (same item again, no item to delete, failed condition, ConditionCheck): its table write only. */
export function unchangedWrite(pk: string, current: Image | undefined, transactional: boolean): PartitionUnits[] {
  return [{ target: 'table', partition: pk, units: (transactional ? 2 : 1) * writeUnits(itemSize(current)) }];
}

/** One item write a DynamoDB call made (a call may make several: transactions, batches). */
export interface WriteOp {
  /** The call it belongs to (to compare with the units DynamoDB reported for the call). */
  call: number;
  phase: string;
  key: { pk: string; sk: string };
  kind: 'put' | 'update' | 'delete' | 'check';
  transactional: boolean;
  /** Nothing was written: its condition failed or its transaction was cancelled. */
  failed: boolean;
  /** The item after the write when the call says (a Put's item, an UpdateItem's ALL_NEW answer). */
  after?: Image;
}

/** One record of the table's stream. */
export interface StreamChange {
  key: { pk: string; sk: string };
  old: Image | undefined;
  new: Image | undefined;
  /** When it was read (for records no observed call explains). */
  phase: string;
}

export interface AccountedWrite {
  phase: string;
  call: number | undefined;
  /** `change` (a stream record), `unchanged` (a write without a record). */
  kind: 'change' | 'unchanged';
  writes: PartitionUnits[];
}

const keyText = (k: { pk: string; sk: string }) => `${k.pk}\u0000${k.sk}`;

/**
 * Pairs the item writes the calls made with the changes the stream recorded, per item and in
 * order: the stream gives each change's images (so its index keys before and after), the calls
 * say which were transactional and which wrote without changing anything (no stream record).
 */
export function accountWrites(ops: readonly WriteOp[], records: readonly StreamChange[], table: TableSpec): AccountedWrite[] {
  const opsByKey = new Map<string, WriteOp[]>();
  for (const op of ops) {
    const k = keyText(op.key);
    const list = opsByKey.get(k);
    if (list) list.push(op);
    else opsByKey.set(k, [op]);
  }
  const recordsByKey = new Map<string, StreamChange[]>();
  for (const r of records) {
    const k = keyText(r.key);
    const list = recordsByKey.get(k);
    if (list) list.push(r);
    else recordsByKey.set(k, [r]);
  }
  const out: AccountedWrite[] = [];
  for (const k of new Set([...opsByKey.keys(), ...recordsByKey.keys()])) {
    const itemOps = opsByKey.get(k) ?? [];
    const itemRecords = recordsByKey.get(k) ?? [];
    let next = 0;
    // The item before the first write: what the first change found.
    let current = itemRecords[0]?.old;
    for (const op of itemOps) {
      const record = itemRecords[next];
      let changed: boolean;
      if (op.failed || op.kind === 'check' || !record) changed = false;
      else if (op.kind === 'delete') changed = current !== undefined;
      else if (op.after) changed = imageText(op.after) !== imageText(current);
      else changed = true;
      if (changed && record) {
        out.push({
          phase: op.phase,
          call: op.call,
          kind: 'change',
          writes: changeWrites({ old: record.old, new: record.new, transactional: op.transactional }, table),
        });
        current = record.new;
        next++;
      } else {
        out.push({ phase: op.phase, call: op.call, kind: 'unchanged', writes: unchangedWrite(op.key.pk, current, op.transactional) });
      }
    }
    for (; next < itemRecords.length; next++) {
      const r = itemRecords[next]!;
      out.push({ phase: r.phase, call: undefined, kind: 'change', writes: changeWrites({ old: r.old, new: r.new, transactional: false }, table) });
    }
  }
  return out;
}

/**
 * What DynamoDB Local reports for one TransactWriteItems (for comparing the model with Local
 * only): it adds up the *distinct* per-item figures — items whose units on the table and each
 * index are identical count once (three 1 KB puts report 2 where DynamoDB bills 6). `items`: each
 * item's writes, in the transaction's order.
 */
export function localTransactionUnits(items: readonly (readonly PartitionUnits[])[]): number {
  const seen = new Set<string>();
  let total = 0;
  for (const writes of items) {
    const byTarget = new Map<string, number>();
    for (const w of writes) byTarget.set(w.target, (byTarget.get(w.target) ?? 0) + w.units);
    const signature = JSON.stringify([...byTarget].sort((a, b) => a[0].localeCompare(b[0])));
    if (seen.has(signature)) continue;
    seen.add(signature);
    for (const units of byTarget.values()) total += units;
  }
  return total;
}

// ------------------------------------------------------------------------------------------
// Reads

/**
 * The partition a Query reads: its index (or the table) and the value its key condition binds
 * to that index's partition key (`<name> = :value`, the name possibly an `#alias`).
 */
export function queryPartition(
  input: {
    IndexName?: string;
    KeyConditionExpression?: string;
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues?: Record<string, unknown>;
  },
  table: TableSpec,
): { target: string; partition: string } | undefined {
  const target = input.IndexName ?? 'table';
  const pkName = input.IndexName ? table.indexes.find((i) => i.name === input.IndexName)?.pk : table.pk;
  if (!pkName || !input.KeyConditionExpression) return undefined;
  const resolve = (token: string) => (token.startsWith('#') ? (input.ExpressionAttributeNames?.[token] ?? token) : token);
  for (const clause of input.KeyConditionExpression.split(/\s+AND\s+/i)) {
    const m = /^\s*\(?\s*([#\w.:-]+)\s*=\s*([#\w.:-]+)\s*\)?\s*$/.exec(clause);
    if (!m) continue;
    const [left, right] = [m[1]!, m[2]!];
    const [name, placeholder] = right.startsWith(':') ? [left, right] : [right, left];
    if (!placeholder.startsWith(':') || resolve(name) !== pkName) continue;
    const value = input.ExpressionAttributeValues?.[placeholder];
    const text = typeof value === 'string' ? value : typeof value === 'number' ? String(value) : stringOf(value as AttributeValue | undefined);
    if (text !== undefined) return { target, partition: text };
  }
  return undefined;
}

/**
 * The units of one GetItem or one Query page: what DynamoDB Local reported, but at least a read's
 * minimum — DynamoDB charges an empty Query or a GetItem that finds nothing 1 unit (0.5 when
 * eventually consistent); Local reports 0.
 */
export const singleRead = (reported: number | undefined, consistent: boolean) => Math.max(reported ?? 0, consistent ? 1 : 0.5);

/**
 * The read units of a BatchGetItem per key's partition: each item's own units (its size, or
 * the minimum for an item not found), scaled up if DynamoDB reported more in all.
 */
export function batchGetReads(
  keys: readonly { pk: string; sk: string }[],
  found: readonly Image[],
  consistent: boolean,
  reported: number | undefined,
  table: TableSpec,
): PartitionUnits[] {
  const sizes = new Map(
    found.map((image) => [keyText({ pk: stringOf(image[table.pk]) ?? '', sk: table.sk ? (stringOf(image[table.sk]) ?? '') : '' }), itemSize(image)]),
  );
  const own = keys.map((k) => ({ pk: k.pk, units: readUnits(sizes.get(keyText(k)) ?? 0, consistent) }));
  const total = own.reduce((n, x) => n + x.units, 0);
  const scale = reported !== undefined && total > 0 && reported > total ? reported / total : 1;
  return own.map((x) => ({ target: 'table', partition: x.pk, units: x.units * scale }));
}

// ------------------------------------------------------------------------------------------
// Partition names and the rate model

/**
 * A partition's name with its time bucket replaced (`<time>`, `<minute>`, `<hour>`, `<day>`,
 * `<week>`, `<month>`), so that one hot partition is one row whichever buckets a run straddles.
 * Ids stay: each session's own partitions stay distinct.
 */
export function normalizePartition(name: string): string {
  return name
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z?/g, '<time>')
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/g, '<minute>')
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}/g, '<hour>')
    .replace(/\d{4}-\d{2}-\d{2}/g, '<day>')
    .replace(/\d{4}-W\d{2}/g, '<week>')
    .replace(/(^|[#:])\d{4}-\d{2}(?=$|[#:])/g, '$1<month>');
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const MESSAGE_ID = /\d{13}-\d{4}-[0-9a-f]{8}/g;

/**
 * Who shares a partition: `line` — every session of the line (its load grows with the rate of
 * new sessions); `operator` — the sessions of one operator; `entity` — one session, client,
 * message, event or delivery (a partition of its own).
 */
export type PartitionKind = 'line' | 'operator' | 'entity';

/**
 * The access pattern of a normalized partition: the bench's own ids named (`<line>`,
 * `<channel>`, `<operator>`, `<webhook>`…), any other id `<id>` (UUIDs), `<msg>` (message ids)
 * or `<n>` (other long numbers); and who shares it.
 */
export function partitionPattern(normalized: string, known: Readonly<Record<string, string>>): { pattern: string; kind: PartitionKind } {
  let pattern = normalized;
  for (const [id, label] of Object.entries(known).sort((a, b) => b[0].length - a[0].length)) pattern = pattern.split(id).join(`<${label}>`);
  pattern = pattern
    .replace(UUID, '<id>')
    .replace(MESSAGE_ID, '<msg>')
    .replace(/<id>\.\d+/g, '<id>.<seq>')
    .replace(/\d{6,}/g, '<n>')
    .replace(/[0-9a-f]{16,}/gi, '<n>');
  const kind: PartitionKind = /<(id|msg|n)>/.test(pattern) ? 'entity' : pattern.includes('<operator>') ? 'operator' : 'line';
  return { pattern, kind };
}

/**
 * A line partition that is one shard of a key spread by a hash (`…#<n>`, e.g. `CHANGES#<hour>#2`):
 * the key's pattern with `#<shard>`. At 1,000 new sessions/s a hash spreads the sessions evenly,
 * so the shards are read as one key's load divided among them (a small sample is uneven).
 */
export function shardOf(pattern: string): { group: string; shard: number } | undefined {
  const m = /^(.*)#(\d{1,4})$/.exec(pattern);
  return m ? { group: `${m[1]}#<shard>`, shard: Number(m[2]) } : undefined;
}

/** The load the simulation asks about, and DynamoDB's per-partition limits (table and each index alike). */
export const MODEL = {
  newSessionsPerSecond: 1_000,
  writeLimit: 1_000,
  readLimit: 3_000,
  /** An operator takes a new session at most this often (far above a person's pace). */
  operatorSessionsPerSecond: 1,
} as const;

/**
 * Units per second on one partition at {@link MODEL}'s load, from the units it got in a run of
 * `sessions` sessions: a line partition carries every new session (units per session × rate);
 * an operator's carries that operator's sessions (units per session of theirs × at most one a
 * second); a session's own partition carries one life (its units, as if spent within a second:
 * an upper bound).
 */
export function unitsPerSecond(kind: PartitionKind, units: number, sessions: number, operatorSessions: number): number {
  if (kind === 'line') return (units / sessions) * MODEL.newSessionsPerSecond;
  if (kind === 'operator') return (units / Math.max(1, operatorSessions)) * MODEL.operatorSessionsPerSecond;
  return units;
}
