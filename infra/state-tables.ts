import { Stack } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, type TableProps } from 'aws-cdk-lib/aws-dynamodb';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

import { idempotencyTableDefinition, stateTableDefinitions, stateTableNamesFor } from '../state/dynamodb-tables.js';

function keyOf(schema: readonly { AttributeName?: string | undefined; KeyType?: string | undefined }[] | undefined, type: 'HASH' | 'RANGE') {
  const name = schema?.find((key) => key.KeyType === type)?.AttributeName;
  return name === undefined ? undefined : { name, type: AttributeType.STRING };
}

function tableFrom(scope: Construct, id: string, definition: CreateTableCommandInput, extra: Partial<TableProps> = {}): Table {
  const partitionKey = keyOf(definition.KeySchema, 'HASH');
  if (partitionKey === undefined) throw new Error(`state table ${id} has no partition key`);
  const table = new Table(scope, id, { ...COMMON, ...extra, partitionKey, ...(definition.TableName ? { tableName: definition.TableName } : {}) });
  for (const index of definition.GlobalSecondaryIndexes ?? []) {
    const sortKey = keyOf(index.KeySchema, 'RANGE');
    table.addGlobalSecondaryIndex({
      indexName: index.IndexName!,
      partitionKey: keyOf(index.KeySchema, 'HASH')!,
      ...(sortKey ? { sortKey } : {}),
      projectionType: ProjectionType.ALL,
    });
  }
  return table;
}

const COMMON: Partial<TableProps> = {
  billingMode: BillingMode.PAY_PER_REQUEST,
  pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
};

/**
 * floe's state on DynamoDB: the table config, the runtime metadata (watermarks, leases), the run
 * history, and Powertools' idempotency records. Tables are retained when the stack is deleted.
 */
export class StateTables extends Construct {
  /** Table config items, one per `source/table` (`pk`). */
  readonly tableConfig: Table;
  /** Committed watermark and lease per table (`pk`). */
  readonly runtime: Table;
  /** Run history (`runId`), found by Glue job run id and by table. */
  readonly runs: Table;
  /** Powertools idempotency layout: `id`, TTL on `expiration`. */
  readonly idempotency: Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    // The key schema comes from the store's own definitions, so the stack and the store cannot drift.
    // Named after the stack, so the CLI finds them from `state: dynamodb://<stack name>`.
    const [tableConfig, runtime, runs] = stateTableDefinitions(stateTableNamesFor(Stack.of(this).stackName));
    this.tableConfig = tableFrom(this, 'TableConfig', tableConfig!);
    this.runtime = tableFrom(this, 'Runtime', runtime!);
    this.runs = tableFrom(this, 'Runs', runs!);
    this.idempotency = tableFrom(this, 'Idempotency', idempotencyTableDefinition(`${Stack.of(this).stackName}-idempotency`), { timeToLiveAttribute: 'expiration' });
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
