/**
 * The chatlines table in AWS, built from the one table definition in `lib/adapters/dynamodb/table.ts`
 * (the same object the local host creates its DynamoDB Local table from), plus the IAM
 * statements each function's grant (infra/grants.ts) translates to.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, StreamViewType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { tableDefinition } from '../../lib/adapters/dynamodb/table.ts';
import type { FunctionGrant } from '../grants.ts';

/** The write actions a grant may hold (infra/grants.ts); TransactWriteItems is authorised per contained Put/Update/Delete. */
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
   * The statements of one function's grant (infra/grants.ts): its actions on the table, and
   * `dynamodb:Query` on exactly the indexes it queries (named, never `index/*`). No grant → none.
   */
  statements(grant: FunctionGrant): PolicyStatement[] {
    const statements: PolicyStatement[] = [];
    if (grant.table.length > 0) {
      statements.push(new PolicyStatement({ actions: grant.table.map((a) => `dynamodb:${a}`), resources: [this.table.tableArn] }));
    }
    if (grant.indexes.length > 0) {
      statements.push(new PolicyStatement({ actions: ['dynamodb:Query'], resources: grant.indexes.map((index) => `${this.table.tableArn}/index/${index}`) }));
    }
    return statements;
  }
}
