import { ConditionalCheckFailedException, GetItemCommand, PutItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';

import { IngestModeSchema } from '../../events/index.js';

/** A table another run held when the call came (or a run of the same call in another mode): nothing was requested for it. */
const BusyTableSchema = z.object({ table: z.string(), busy: z.object({ heldBy: z.string(), since: z.string() }) });

const RequestedRowSchema = z.union([
  z.object({
    rowNumber: z.int(),
    source: z.string(),
    /** The mode the row asked for; absent means each table's configured mode. */
    mode: IngestModeSchema.optional(),
    wait: z.boolean(),
    /** Rows of one query asking for the same table in the same mode share its run (and run id). */
    runs: z.array(z.union([z.object({ table: z.string(), runId: z.string() }), BusyTableSchema])),
  }),
  z.object({ rowNumber: z.int(), error: z.string() }),
]);
export type RequestedRow = z.infer<typeof RequestedRowSchema>;
export type RequestedRun = Extract<RequestedRow, { runs: unknown }>['runs'][number];

/** What a batch asked for, as first understood: every retry and poll of the batch answers from it. */
export const RequestedBatchSchema = z.object({
  rows: z.array(RequestedRowSchema),
  /** Run ids whose IngestRequested was published. */
  published: z.array(z.string()),
});
export type RequestedBatch = z.infer<typeof RequestedBatchSchema>;

/** Snowflake's batches, by batch id. */
export interface BatchStore {
  /** Records the batch unless it is already recorded; returns the recorded one either way. */
  record(batchId: string, rows: readonly RequestedRow[]): Promise<RequestedBatch>;
  get(batchId: string): Promise<RequestedBatch | null>;
  markPublished(batchId: string, runId: string): Promise<void>;
}

/** How long a batch is remembered: Snowflake retries and polls within minutes. */
const BATCH_TTL_SECONDS = 7 * 24 * 60 * 60;

/**
 * Batches as items of the idempotency table (its TTL on `expiration` removes them), under ids
 * `floe-request-ingest#batch#<batch id>` that never meet Powertools' `<function>#<hash>` keys.
 */
export class DynamoDbBatchStore implements BatchStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async record(batchId: string, rows: readonly RequestedRow[]): Promise<RequestedBatch> {
    try {
      await this.client.send(new PutItemCommand({
        TableName: this.tableName,
        Item: {
          id: { S: this.key(batchId) },
          rows: { S: JSON.stringify(rows) },
          expiration: { N: String(Math.floor(this.now().getTime() / 1000) + BATCH_TTL_SECONDS) },
        },
        ConditionExpression: 'attribute_not_exists(id)',
      }));
      return { rows: [...rows], published: [] };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const recorded = await this.get(batchId);
    if (recorded === null) throw new Error(`batch ${batchId} was recorded by another call but cannot be read back; the call can be retried`);
    return recorded;
  }

  async get(batchId: string): Promise<RequestedBatch | null> {
    const { Item } = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: { id: { S: this.key(batchId) } }, ConsistentRead: true }));
    if (!Item) return null;
    return RequestedBatchSchema.parse({ rows: JSON.parse(Item['rows']?.S ?? '[]') as unknown, published: Item['published']?.SS ?? [] });
  }

  async markPublished(batchId: string, runId: string): Promise<void> {
    await this.client.send(new UpdateItemCommand({
      TableName: this.tableName,
      Key: { id: { S: this.key(batchId) } },
      UpdateExpression: 'ADD published :run',
      ExpressionAttributeValues: { ':run': { SS: [runId] } },
    }));
  }

  private key(batchId: string): string {
    return `floe-request-ingest#batch#${batchId}`;
  }
}
