/**
 * The chatlines table in AWS, built from the one table definition in `lib/adapters/dynamodb/table.ts`
 * (the same object the local host creates its DynamoDB Local table from), plus the IAM
 * statements that the route manifest's `access` levels translate to.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, StreamViewType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { tableDefinition } from '../../lib/adapters/dynamodb/table.ts';
import type { TableAccess } from '../../lib/contract/routes.ts';

/**
 * Read actions. No stream actions (only the stream consumer's event source mapping reads the stream) and no Scan: every read in a
 * request path goes through a key or an index (search's fallback is a sweep of the
 * collection's own index partitions), so no function may Scan the table.
 */
export const READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem'] as const;

/** Write actions; TransactWriteItems is authorised per contained Put/Update/Delete/ConditionCheck. */
export const WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'] as const;

/**
 * The single table: on-demand, point-in-time recovery, deletion protection, retained when
 * the stack goes, TTL on the attribute the definition names.
 */
export class ChatlinesTable extends Construct {
  readonly table: Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const string = (name: string) => ({ name, type: AttributeType.STRING });
    this.table = new Table(this, 'Table', {
      partitionKey: string(tableDefinition.partitionKey),
      sortKey: string(tableDefinition.sortKey),
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      timeToLiveAttribute: tableDefinition.timeToLiveAttribute,
      stream: StreamViewType[tableDefinition.streamViewType],
    });
    for (const index of tableDefinition.globalSecondaryIndexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: string(index.partitionKey),
        sortKey: string(index.sortKey),
        ...(index.projection.type === 'INCLUDE'
          ? { projectionType: ProjectionType.INCLUDE, nonKeyAttributes: [...index.projection.attributes] }
          : { projectionType: ProjectionType.KEYS_ONLY }),
      });
    }
  }

  /**
   * The statements for one access level, on the table and on each named index (no `index/*`
   * wildcard: the index names come from the table definition). `none` → no statement.
   */
  statements(access: TableAccess): PolicyStatement[] {
    if (access === 'none') return [];
    const indexArns = tableDefinition.globalSecondaryIndexes.map((index) => `${this.table.tableArn}/index/${index.indexName}`);
    const statements = [new PolicyStatement({ actions: [...READ_ACTIONS], resources: [this.table.tableArn, ...indexArns] })];
    if (access === 'write') statements.push(new PolicyStatement({ actions: [...WRITE_ACTIONS], resources: [this.table.tableArn] }));
    return statements;
  }
}
