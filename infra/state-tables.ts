import { AttributeType, BillingMode, ProjectionType, Table, type TableProps } from 'aws-cdk-lib/aws-dynamodb';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

const COMMON: Partial<TableProps> = {
  billingMode: BillingMode.PAY_PER_REQUEST,
  pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
};

/**
 * floe's state on DynamoDB: the table config, the runtime metadata (watermarks, leases), the run
 * history, and Powertools' idempotency records. Tables are retained when the stack is deleted.
 */
export class StateTables extends Construct {
  /** Table config items, one per `source/table` (`key`). */
  readonly tableConfig: Table;
  /** Committed watermark and lease per table (`key`). */
  readonly runtime: Table;
  /** Run history (`runId`), found by Glue job run id and by table. */
  readonly runs: Table;
  /** Powertools idempotency layout: `id`, TTL on `expiration`. */
  readonly idempotency: Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const stringKey = (name: string) => ({ name, type: AttributeType.STRING });
    this.tableConfig = new Table(this, 'TableConfig', { ...COMMON, partitionKey: stringKey('key') });
    this.runtime = new Table(this, 'Runtime', { ...COMMON, partitionKey: stringKey('key') });
    this.runs = new Table(this, 'Runs', { ...COMMON, partitionKey: stringKey('runId') });
    this.runs.addGlobalSecondaryIndex({
      indexName: 'byJobRunId',
      partitionKey: stringKey('jobRunId'),
      projectionType: ProjectionType.ALL,
    });
    this.runs.addGlobalSecondaryIndex({
      indexName: 'byTable',
      partitionKey: stringKey('tableKey'),
      sortKey: stringKey('requestedAt'),
      projectionType: ProjectionType.ALL,
    });
    this.idempotency = new Table(this, 'Idempotency', {
      ...COMMON,
      partitionKey: stringKey('id'),
      timeToLiveAttribute: 'expiration',
    });
  }

  /** What every handler needs: read the config; read and write runtime, runs and idempotency records. */
  grantHandler(grantee: IGrantable): void {
    this.tableConfig.grantReadData(grantee);
    this.runtime.grantReadWriteData(grantee);
    this.runs.grantReadWriteData(grantee);
    this.idempotency.grantReadWriteData(grantee);
  }

  /** The table names the Lambda adapters read from their environment. */
  environment(): Record<string, string> {
    return {
      FLOE_TABLE_CONFIG_TABLE: this.tableConfig.tableName,
      FLOE_RUNTIME_TABLE: this.runtime.tableName,
      FLOE_RUNS_TABLE: this.runs.tableName,
      FLOE_IDEMPOTENCY_TABLE: this.idempotency.tableName,
    };
  }
}
