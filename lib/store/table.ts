/**
 * The one table definition of chatlines. The CDK stack (infra/aws) and the local host
 * (infra/local) both build their table from this object; nothing else names an attribute
 * or an index. No AWS imports here so the stack can read it cheaply.
 */

export interface IndexDefinition {
  readonly indexName: string;
  readonly partitionKey: string;
  readonly sortKey: string;
}

export const tableDefinition = {
  /** Logical name; the physical name comes from TABLE_NAME (set by the stack or the host). */
  logicalName: 'ChatlinesTable',
  partitionKey: 'pk',
  sortKey: 'sk',
  /**
   * The change stream: the table is the outbox of chatlines' events (lib/events/outbox.ts).
   * Both images, so the consumer sees a session before and after each change.
   */
  streamViewType: 'NEW_AND_OLD_IMAGES',
  /** Items with this epoch-seconds attribute expire (idempotency records). */
  timeToLiveAttribute: 'expiresAt',
  /** Global secondary indexes, all projecting every attribute. See keys.ts for their use. */
  globalSecondaryIndexes: [
    { indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
    { indexName: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
    { indexName: 'gsi3', partitionKey: 'gsi3pk', sortKey: 'gsi3sk' },
    { indexName: 'gsi4', partitionKey: 'gsi4pk', sortKey: 'gsi4sk' },
    { indexName: 'gsi5', partitionKey: 'gsi5pk', sortKey: 'gsi5sk' },
  ] as const satisfies readonly IndexDefinition[],
} as const;

export type IndexName = (typeof tableDefinition.globalSecondaryIndexes)[number]['indexName'];

/** The key attribute names of the table (`'table'`) or of an index. */
export function keyAttributesOf(index: IndexName | 'table'): { pk: string; sk: string } {
  if (index === 'table') return { pk: tableDefinition.partitionKey, sk: tableDefinition.sortKey };
  const def = tableDefinition.globalSecondaryIndexes.find((i) => i.indexName === index)!;
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
      Projection: { ProjectionType: 'ALL' as const },
    })),
  };
}
