/**
 * The one table definition of chatlines. The CDK stack (infra/aws) and the local host
 * (infra/local) both build their table from this object; nothing else names an attribute
 * or an index. No AWS imports here so the stack can read it cheaply.
 */

/**
 * What an index copies of each item besides the keys (the table's and its own). An index is
 * written only when an item gains, loses or moves its index keys, or changes a projected
 * attribute: with `KEYS_ONLY` (or `INCLUDE` of attributes that never change) an update that
 * leaves the index keys alone costs the index nothing, where `ALL` rewrote the whole item into
 * every index it was in. Readers of a `KEYS_ONLY` index fetch the items themselves
 * (lib/adapters/dynamodb/db.ts `queryPage`: one BatchGetItem per page).
 */
export type Projection = { readonly type: 'KEYS_ONLY' } | { readonly type: 'INCLUDE'; readonly attributes: readonly string[] };

export interface IndexDefinition {
  readonly indexName: string;
  readonly partitionKey: string;
  readonly sortKey: string;
  readonly projection: Projection;
}

const KEYS_ONLY = { type: 'KEYS_ONLY' } as const;

export const tableDefinition = {
  /** Logical name; the physical name comes from TABLE_NAME (set by the stack or the host). */
  logicalName: 'ChatlinesTable',
  partitionKey: 'pk',
  sortKey: 'sk',
  /**
   * The change stream: the table is the outbox of chatlines' events (lib/domain/events/outbox.ts).
   * Both images, so the consumer sees a session before and after each change.
   */
  streamViewType: 'NEW_AND_OLD_IMAGES',
  /** Items with this epoch-seconds attribute expire (idempotency records). */
  timeToLiveAttribute: 'expiresAt',
  /**
   * Global secondary indexes (see keys.ts for their access patterns). Keys only, except the
   * change index, which carries the three attributes a metrics run needs to plan its reads —
   * set when a session is created and never changed, so they cost nothing on later updates.
   */
  globalSecondaryIndexes: [
    { indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk', projection: KEYS_ONLY },
    { indexName: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk', projection: KEYS_ONLY },
    { indexName: 'gsi3', partitionKey: 'gsi3pk', sortKey: 'gsi3sk', projection: KEYS_ONLY },
    { indexName: 'gsi4', partitionKey: 'gsi4pk', sortKey: 'gsi4sk', projection: KEYS_ONLY },
    { indexName: 'gsi5', partitionKey: 'gsi5pk', sortKey: 'gsi5sk', projection: { type: 'INCLUDE', attributes: ['__id', '_line', '_channel'] } },
    { indexName: 'gsi6', partitionKey: 'gsi6pk', sortKey: 'gsi6sk', projection: KEYS_ONLY },
    { indexName: 'gsi7', partitionKey: 'gsi7pk', sortKey: 'gsi7sk', projection: KEYS_ONLY },
  ] as const satisfies readonly IndexDefinition[],
} as const;

export type IndexName = (typeof tableDefinition.globalSecondaryIndexes)[number]['indexName'];

/** The definition of one index. */
export function indexDefinition(index: IndexName): IndexDefinition {
  return tableDefinition.globalSecondaryIndexes.find((i) => i.indexName === index)!;
}

/** True when a Query on this index returns keys only, so its readers fetch the items. */
export const indexHoldsKeysOnly = (index: string): boolean =>
  tableDefinition.globalSecondaryIndexes.find((i) => i.indexName === index)?.projection.type === 'KEYS_ONLY';

/** The key attribute names of the table (`'table'`) or of an index. */
export function keyAttributesOf(index: IndexName | 'table'): { pk: string; sk: string } {
  if (index === 'table') return { pk: tableDefinition.partitionKey, sk: tableDefinition.sortKey };
  const def = indexDefinition(index);
  return { pk: def.partitionKey, sk: def.sortKey };
}

/** Every key attribute (table and indexes) is a string. */
export function keyAttributeNames(): string[] {
  const names: string[] = [tableDefinition.partitionKey, tableDefinition.sortKey];
  for (const index of tableDefinition.globalSecondaryIndexes) names.push(index.partitionKey, index.sortKey);
  return names;
}

/**
 * The table as a DynamoDB CreateTable input (plain object, no SDK types), used by the local
 * host and the tests. On-demand billing, like the stack.
 */
export function createTableInput(tableName: string) {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    StreamSpecification: { StreamEnabled: true, StreamViewType: tableDefinition.streamViewType },
    AttributeDefinitions: keyAttributeNames().map((AttributeName) => ({ AttributeName, AttributeType: 'S' as const })),
    KeySchema: [
      { AttributeName: tableDefinition.partitionKey, KeyType: 'HASH' as const },
      { AttributeName: tableDefinition.sortKey, KeyType: 'RANGE' as const },
    ],
    GlobalSecondaryIndexes: tableDefinition.globalSecondaryIndexes.map((index) => ({
      IndexName: index.indexName,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' as const },
        { AttributeName: index.sortKey, KeyType: 'RANGE' as const },
      ],
      Projection:
        index.projection.type === 'INCLUDE'
          ? { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...index.projection.attributes] }
          : { ProjectionType: 'KEYS_ONLY' as const },
    })),
  };
}
