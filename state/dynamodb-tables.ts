import { CreateTableCommand, waitUntilTableExists, type CreateTableCommandInput, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** The names of the three DynamoDB tables behind `DynamoDbStateStore`. */
export interface StateTableNames {
  /** Table config items, one per configured table. */
  tableConfig: string;
  /** Runtime state per table (watermark, lease, newest run) and per source (connection slots). */
  runtime: string;
  /** Run history, one item per run. */
  runs: string;
}

/** The prefix `state: dynamodb` means: the stack's name in infra/app.ts. */
export const DEFAULT_TABLE_PREFIX = 'Floe';

/**
 * The state tables' names under a prefix: the stack names its tables `<stack name>-…`, so
 * `state: dynamodb://<stack name>` in floe.config.yaml finds them.
 */
export function stateTableNamesFor(prefix: string): StateTableNames {
  return { tableConfig: `${prefix}-table-config`, runtime: `${prefix}-runtime`, runs: `${prefix}-runs` };
}

/** Index names on the runs table, used by the store's queries. */
export const RUNS_BY_JOB_RUN_ID = 'byJobRunId';
export const RUNS_BY_TABLE = 'byTable';
export const RUNS_BY_REQUESTED_AT = 'byRequestedAt';

/**
 * The key schema of the state tables. `infra/` mirrors it exactly (all string
 * keys, on-demand billing, every index projecting ALL attributes):
 *
 * | table       | partition key        | sort key          | item                                  |
 * |-------------|----------------------|-------------------|---------------------------------------|
 * | tableConfig | `pk` = "source/table"| —                 | `TableConfig` fields + `pk`           |
 * | runtime     | `pk` = "source/table"| —                 | `TableState` fields + `pk`            |
 * | runtime     | `pk` = "slots:source"| —                 | `SourceSlots` fields + `pk`           |
 * | runs        | `runId`              | —                 | `RunRecord` fields + the keys below   |
 *
 * Global secondary indexes on runs (attributes the store adds to each run item):
 * - `byJobRunId`: partition `jobRunId` (sparse: only runs a Glue job run was started for).
 * - `byTable`: partition `tableKey` = "source/table", sort `listOrder`.
 * - `byRequestedAt`: partition `history` = "run" (one constant: run volume is a few per table per hour), sort `listOrder`.
 *
 * `listOrder` is `requestedAt` normalized to UTC with milliseconds (`toISOString()`),
 * then `#`, then the run id, so a descending query lists runs newest first and
 * breaks ties by run id, as the local store does.
 */
export function stateTableDefinitions(names: StateTableNames): CreateTableCommandInput[] {
  const byPk = (TableName: string): CreateTableCommandInput => ({
    TableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
  });
  const index = (IndexName: string, hash: string, range?: string) => ({
    IndexName,
    KeySchema: [{ AttributeName: hash, KeyType: 'HASH' as const }, ...(range === undefined ? [] : [{ AttributeName: range, KeyType: 'RANGE' as const }])],
    Projection: { ProjectionType: 'ALL' as const },
  });
  return [
    byPk(names.tableConfig),
    byPk(names.runtime),
    {
      TableName: names.runs,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: ['runId', 'jobRunId', 'tableKey', 'history', 'listOrder'].map((AttributeName) => ({ AttributeName, AttributeType: 'S' as const })),
      KeySchema: [{ AttributeName: 'runId', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        index(RUNS_BY_JOB_RUN_ID, 'jobRunId'),
        index(RUNS_BY_TABLE, 'tableKey', 'listOrder'),
        index(RUNS_BY_REQUESTED_AT, 'history', 'listOrder'),
      ],
    },
  ];
}

/**
 * Powertools idempotency's DynamoDB layout (its defaults): partition key `id`. The stack adds a
 * TTL on `expiration` so old records go away by themselves.
 */
export function idempotencyTableDefinition(name: string): CreateTableCommandInput {
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
  };
}

/**
 * Create the tables (on-demand billing) and wait until they are active. Tables that already exist
 * are left as they are. For tests and local set-ups; on AWS the CDK stack creates them with the
 * same keys.
 */
export async function createTables(client: DynamoDBClient, definitions: readonly CreateTableCommandInput[]): Promise<void> {
  await Promise.all(
    definitions.map(async (definition) => {
      try {
        await client.send(new CreateTableCommand(definition));
      } catch (error) {
        if ((error as { name?: unknown } | null)?.name !== 'ResourceInUseException') throw error;
      }
      await waitUntilTableExists({ client, maxWaitTime: 120, minDelay: 1 }, { TableName: definition.TableName });
    }),
  );
}

/** The three state tables of {@link stateTableDefinitions}. */
export async function createStateTables(client: DynamoDBClient, names: StateTableNames): Promise<void> {
  await createTables(client, stateTableDefinitions(names));
}
