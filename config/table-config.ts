import { z } from 'zod';
import { EngineChoiceSchema, MAX_SPARK_PARTITIONS, SparkTableConfigSchema, sparkTableConfig } from './extraction-engine.js';
import { mergeRetry, RetrySettingsSchema } from './retry.js';
import { CheckScheduleSchema, DEFAULT_MAX_CONNECTIONS, DeletesSchema, EngineSchema, MAX_PARTITIONS, ModeSchema, UnrepresentableSchema, type FloeConfig } from './schema.js';

/**
 * The table config item pushed to the state store (DynamoDB on AWS, the state
 * file locally): everything start-ingest needs to call the extraction job,
 * except the connection, which is a secret and stays in the environment or
 * Secrets Manager.
 *
 * @example
 * {"source":"clr","table":"clr.availed_coupon_snapshots","engine":"postgres","primaryKey":["id"],
 *  "mode":"incremental","incrementalColumn":"updated_at","partitionColumn":"id","partitions":2,"lookbackSeconds":0}
 * @see ../glue/README.md (the job's arguments of the same names)
 */
export const TableConfigSchema = z.object({
  /** Source name: the job's `--database`. */
  source: z.string().min(1),
  /** `table` or `schema.table`: the job's `--table`. */
  table: z.string().min(1),
  engine: EngineSchema,
  /** Empty for a table without a key (mode `full` or `append`). */
  primaryKey: z.array(z.string().min(1)),
  mode: ModeSchema,
  incrementalColumn: z.string().min(1).optional(),
  partitionColumn: z.string().min(1).optional(),
  /** At most MAX_PARTITIONS for the Python job; a Spark table's ranges go up to MAX_SPARK_PARTITIONS. */
  partitions: z.int().min(1).max(MAX_SPARK_PARTITIONS),
  lookbackSeconds: z.int().min(0),
  /** The table's retry settings over its source's; start-ingest fills what is unset from the defaults. */
  retry: RetrySettingsSchema.optional(),
  /** The job's `--unrepresentable`; start-ingest passes `quarantine` when unset. */
  unrepresentable: UnrepresentableSchema.optional(),
  /** The job's `--unrepresentable-columns`. */
  unrepresentableColumns: z.record(z.string(), UnrepresentableSchema).optional(),
  /** Delete detection after each MERGE (load-and-merge): `detect` marks, `detect-hard` removes; absent: none. */
  deletes: DeletesSchema.optional(),
  /** `after-merge`: check-after-merge compares the table after each StageMerged; absent: never automatically. */
  check: CheckScheduleSchema.optional(),
  /** The source's `maxConnections`, repeated on each of its tables for start-ingest; absent (pushed before it existed): the default. */
  maxConnections: z.int().min(1).max(MAX_PARTITIONS).optional(),
  /** The table's `engine` (python, spark or auto); absent (pushed before engines existed): auto. */
  extractionEngine: EngineChoiceSchema.optional(),
  /** The Spark job's settings for this table: auto's threshold, worker type and count; absent: the defaults. */
  spark: SparkTableConfigSchema.optional(),
});
export type TableConfig = z.infer<typeof TableConfigSchema>;

/** One {@link TableConfig} per configured table, in config order. */
export function toTableConfigs(config: FloeConfig): TableConfig[] {
  return config.sources.flatMap((source) =>
    source.tables.map((table) => {
      const retry = mergeRetry(source.retry, table.retry);
      return {
        source: source.name,
        table: table.name,
        engine: source.engine,
        primaryKey: [...table.primaryKey],
        mode: table.mode,
        ...(table.incrementalColumn === undefined ? {} : { incrementalColumn: table.incrementalColumn }),
        ...(table.partitionColumn === undefined ? {} : { partitionColumn: table.partitionColumn }),
        partitions: table.partitions,
        lookbackSeconds: table.lookbackSeconds,
        ...(retry === undefined ? {} : { retry }),
        ...(table.unrepresentable === undefined ? {} : { unrepresentable: table.unrepresentable }),
        ...(table.unrepresentableColumns === undefined ? {} : { unrepresentableColumns: { ...table.unrepresentableColumns } }),
        ...(table.deletes === undefined ? {} : { deletes: table.deletes }),
        ...(table.check === undefined ? {} : { check: table.check }),
        maxConnections: source.maxConnections,
        // Only what the config says: an item without them takes engine auto and the default Spark settings.
        ...(table.engine === undefined ? {} : { extractionEngine: table.engine }),
        ...(config.spark === undefined && table.spark === undefined ? {} : { spark: sparkTableConfig(config.spark, table.spark) }),
      };
    }),
  );
}

/** The most connections floe holds on the table's source at once. */
export function maxConnectionsOf(config: TableConfig): number {
  return config.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
}
