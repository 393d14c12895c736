import { z } from 'zod';

/**
 * Which job extracts a table: the Python job (Glue Python shell, one machine), or the Spark job
 * (a Glue Spark job: the table's ranges read over JDBC by the workers' cores). Both land the same
 * files, manifest and rejects (glue/README.md, "Engines"); the choice is about time and cost.
 */
export const ExtractionEngineSchema = z.enum(['python', 'spark']);
export type ExtractionEngine = z.infer<typeof ExtractionEngineSchema>;

/**
 * A table's `engine`: `python`, `spark`, or `auto` (the default): Spark when the source catalog's
 * size estimate of the table reaches {@link SparkSettingsSchema} `autoAboveGb` and the table has a
 * partition column to split the read on, else Python. The choice of each run, and why, is shown by
 * `floe run`, `floe status` and the run history.
 */
export const EngineChoiceSchema = z.enum(['python', 'spark', 'auto']);
export type EngineChoice = z.infer<typeof EngineChoiceSchema>;

/**
 * Glue's worker types for Spark jobs: vCPUs, memory and DPUs per worker (a DPU is billed per hour,
 * by the second after the first minute). G.025X is for streaming jobs only.
 * @see https://docs.aws.amazon.com/glue/latest/dg/worker-types.html
 */
export const GLUE_WORKER_TYPES = {
  'G.1X': { vcpus: 4, memoryGb: 16, dpus: 1 },
  'G.2X': { vcpus: 8, memoryGb: 32, dpus: 2 },
  'G.4X': { vcpus: 16, memoryGb: 64, dpus: 4 },
  'G.8X': { vcpus: 32, memoryGb: 128, dpus: 8 },
} as const;
export const GlueWorkerTypeSchema = z.enum(['G.1X', 'G.2X', 'G.4X', 'G.8X']);
export type GlueWorkerType = z.infer<typeof GlueWorkerTypeSchema>;

/**
 * The most ranges the Spark job reads one table in (`MAX_SPARK_PARTITIONS` in
 * glue/floe_extract/spark/run.py; a test compares them). A range is a task: the workers' cores read
 * a few at a time, so this bounds the plan, not the connections.
 */
export const MAX_SPARK_PARTITIONS = 4096;

/**
 * The fewest workers of a Glue Spark job run: one runs the driver, so a run of fewer would have no
 * executor; Glue allocates a `glueetl` job 2 DPUs at least (the Jobs API's MaxCapacity).
 * @see https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-jobs-job.html
 */
export const MIN_SPARK_WORKERS = 2;

/**
 * The most workers floe asks for in one run: the largest count the Glue API documents for a worker
 * type (299 G.1X workers). A larger run is refused by the account's DPU quota long before, so the
 * count is also bounded there; see Glue's service quotas.
 * @see https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-dev-endpoint.html
 * @see https://docs.aws.amazon.com/general/latest/gr/glue.html
 */
export const MAX_SPARK_WORKERS = 299;

/**
 * The `spark:` section of floe.config.yaml: when `engine: auto` picks Spark, and the workers a Spark
 * run gets when its table does not say.
 *
 * @example
 * ```yaml
 * spark:
 *   autoAboveGb: 20
 *   workerType: G.1X
 *   maxWorkers: 20
 * ```
 */
export const SparkSettingsSchema = z.strictObject({
  /** `engine: auto` picks Spark for a table whose catalog size estimate is at least this many GB (10^9 bytes). */
  autoAboveGb: z.number().positive().default(20),
  /** The worker type of a Spark run whose table names none. */
  workerType: GlueWorkerTypeSchema.default('G.1X'),
  /** The most workers a Spark run sized from its table's estimate gets (a table's own `spark.workers` may ask for more). */
  maxWorkers: z.int().min(MIN_SPARK_WORKERS).max(MAX_SPARK_WORKERS).default(20),
});
export type SparkSettings = z.infer<typeof SparkSettingsSchema>;

/** A table's own `spark:` settings: its worker type and count, instead of sizing them from its estimate. */
export const TableSparkSchema = z.strictObject({
  workerType: GlueWorkerTypeSchema.optional(),
  workers: z.int().min(MIN_SPARK_WORKERS).max(MAX_SPARK_WORKERS).optional(),
});
export type TableSpark = z.infer<typeof TableSparkSchema>;

/** What start-ingest needs of the Spark settings, resolved for one table and pushed with its config. */
export const SparkTableConfigSchema = z.object({
  autoAboveBytes: z.number().positive(),
  workerType: GlueWorkerTypeSchema,
  /** Set when the table fixes its count; otherwise sized from the estimate, up to {@link maxWorkers}. */
  workers: z.int().min(MIN_SPARK_WORKERS).optional(),
  maxWorkers: z.int().min(MIN_SPARK_WORKERS),
});
export type SparkTableConfig = z.infer<typeof SparkTableConfigSchema>;

/** The table's Spark settings: its own over the config's `spark:` section over the defaults. */
export function sparkTableConfig(settings: SparkSettings | undefined, table: TableSpark | undefined): SparkTableConfig {
  const resolved = SparkSettingsSchema.parse(settings ?? {});
  return {
    autoAboveBytes: resolved.autoAboveGb * 1e9,
    workerType: table?.workerType ?? resolved.workerType,
    ...(table?.workers === undefined ? {} : { workers: table.workers }),
    maxWorkers: resolved.maxWorkers,
  };
}
