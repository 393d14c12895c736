import { GLUE_WORKER_TYPES, MIN_SPARK_WORKERS, sparkTableConfig, type ExtractionEngine } from '../config/extraction-engine.js';
import { maxConnectionsOf, type TableConfig } from '../config/index.js';
import { FloeError } from '../errors/floe-error.js';
import type { ManifestSourceSize } from '../events/index.js';
import type { JobCapacity, TableSizer } from './ports.js';

/**
 * Source bytes one Spark worker is given per run when its table does not fix the count: the
 * workers a table gets grow with its size, so that a run's time stays near the hour or below
 * (BENCHMARKS.md, "The Spark engine": per-task throughput on local[2], projected to Glue's workers).
 */
export const SPARK_BYTES_PER_WORKER = 50e9;

/** Which job runs a table this time, why (as `floe run`, `floe status` and the run history say it), and with what. */
export interface EngineDecision {
  engine: ExtractionEngine;
  reason: string;
  /** The catalog's estimate the decision saw; null when there was none. */
  estimate: ManifestSourceSize | null;
  /** The Spark job's workers; absent for the Python job. */
  capacity?: JobCapacity;
}

/**
 * The engine of a table's next run. `python` and `spark` are the table's own choice; `auto` asks
 * the sizer and picks Spark when the estimate reaches the table's threshold and the table has a
 * partition column (without one Spark would read it in one task, no faster than the Python job).
 * A sizer that fails (the source out of reach) counts as no estimate: the job will say more. A
 * repair run always takes the Python job.
 */
export async function decideEngine(config: TableConfig, sizer: TableSizer | undefined, run: { repair?: boolean } = {}): Promise<EngineDecision> {
  const choice = config.extractionEngine ?? 'auto';
  if (choice === 'python') return { engine: 'python', reason: 'engine: python', estimate: null };
  // A repair run reads a few keys (floe check --repair): a cluster would only add its start-up.
  if (run.repair === true) return { engine: 'python', reason: 'a repair run reads its keys on the Python job', estimate: null };
  // Asked before the sizer: most tables have no partition column, and sizing each one costs a
  // catalog query per table on every run.
  if (choice === 'auto' && config.partitionColumn === undefined) return { engine: 'python', reason: 'auto: no partition column to split the read on', estimate: null };
  const spark = config.spark ?? sparkTableConfig(undefined, undefined);
  const estimate = await sizeOf(config, sizer);
  if (choice === 'spark') return sparkDecision(config, estimate, 'engine: spark');
  if (estimate?.bytes == null) return { engine: 'python', reason: 'auto: no size estimate of the table yet', estimate };
  const above = estimate.bytes >= spark.autoAboveBytes;
  const reason = `auto: ~${gigabytes(estimate.bytes)} ${above ? '≥' : '<'} ${gigabytes(spark.autoAboveBytes)}`;
  return above ? sparkDecision(config, estimate, reason) : { engine: 'python', reason, estimate };
}

function sparkDecision(config: TableConfig, estimate: ManifestSourceSize | null, reason: string): EngineDecision {
  const capacity = sparkCapacity(config, estimate);
  return { engine: 'spark', reason: `${reason}; ${capacity.workers} × ${capacity.workerType}`, estimate, capacity };
}

/**
 * The Spark run's workers: the table's own count, or one per {@link SPARK_BYTES_PER_WORKER} of its
 * estimate up to `maxWorkers`; never more executor cores than the source's `maxConnections` (each
 * running task holds a connection; one worker runs the driver), never fewer than Glue's 2.
 */
export function sparkCapacity(config: TableConfig, estimate: ManifestSourceSize | null): JobCapacity {
  const spark = config.spark ?? sparkTableConfig(undefined, undefined);
  const sized = Math.min(spark.maxWorkers, 1 + Math.ceil((estimate?.bytes ?? 0) / SPARK_BYTES_PER_WORKER));
  const byConnections = 1 + Math.floor(maxConnectionsOf(config) / GLUE_WORKER_TYPES[spark.workerType].vcpus);
  const workers = spark.workers ?? Math.max(MIN_SPARK_WORKERS, Math.min(sized, byConnections));
  return { workerType: spark.workerType, workers };
}

/** The table's engine is Spark and the runtime has no Spark job: a configuration to fix, not a failure to retry. */
export class NoSparkJob extends FloeError {
  override readonly name = 'NoSparkJob';
}

/**
 * The job arguments as the decided engine takes them. The Spark job gets the partition column even
 * without `partitions`: it then cuts the table in ranges by its catalog size (glue/README.md).
 */
export function jobArgumentsFor(decision: EngineDecision, config: TableConfig, args: Record<string, string>): Record<string, string> {
  if (decision.engine !== 'spark' || config.partitionColumn === undefined || args['--partition-column'] !== undefined) return args;
  return { ...args, '--partition-column': config.partitionColumn };
}

async function sizeOf(config: TableConfig, sizer: TableSizer | undefined): Promise<ManifestSourceSize | null> {
  if (sizer === undefined) return null;
  try {
    return await sizer({ source: config.source, table: config.table });
  } catch {
    return null;
  }
}

function gigabytes(bytes: number): string {
  if (bytes < 1e9) return `${Math.max(1, Math.round(bytes / 1e6))} MB`;
  const gb = bytes / 1e9;
  return `${gb >= 100 ? gb.toFixed(0) : String(Number(gb.toFixed(1)))} GB`;
}
