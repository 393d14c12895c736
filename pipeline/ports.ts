/**
 * What the core needs from the world, declared here because the core is what needs it. Each
 * runtime implements them: the local bus, child-process job, DuckDB and the sources' direct
 * connections (runtime/local/); EventBridge, Glue and Snowflake (runtime/aws/).
 */
import type { TableCheck } from '../check/check-table.js';
import type { GlueWorkerType } from '../config/extraction-engine.js';
import type { FloeEvent, GlueJobStateChangeEvent, ManifestSourceSize } from '../events/index.js';
import type { TableDescription } from '../warehouse/table-description.js';

/** Every event floe itself publishes (all but Glue's own state changes). */
export type PublishedEvent = Exclude<FloeEvent, GlueJobStateChangeEvent>;
export type PublishedDetailType = PublishedEvent['detail-type'];
export type DetailOf<T extends PublishedDetailType> = Extract<PublishedEvent, { 'detail-type': T }>['detail'];

/** One event to publish, its detail checked against its detail-type at compile time. */
export type Published = { [T in PublishedDetailType]: { readonly detailType: T; readonly detail: DetailOf<T> } }[PublishedDetailType];

/** Puts floe's events on the bus: a StageMerged with another event's detail does not compile. */
export interface Publisher {
  publish<T extends PublishedDetailType>(detailType: T, detail: DetailOf<T>): Promise<void>;
}

/** Builds a {@link Published} with its detail typed by its detail-type. */
export function published<T extends PublishedDetailType>(detailType: T, detail: DetailOf<T>): Published {
  return { detailType, detail } as Published;
}

/** Publishes a step's events in order; a failure stops at the first that fails (it is retried whole). */
export async function publishAll(publisher: Publisher, events: readonly Published[]): Promise<void> {
  for (const event of events) await publisher.publish(event.detailType, event.detail as never);
}

/** The workers a Spark job run gets (Glue's StartJobRun `WorkerType` and `NumberOfWorkers`). */
export interface JobCapacity {
  workerType: GlueWorkerType;
  workers: number;
}

/**
 * Starts an extraction job: Glue's StartJobRun on AWS, a child process locally. One per engine:
 * the Python job, and the Spark job, which takes the run's {@link JobCapacity} (the Python job
 * runs on one machine and has none).
 */
export interface JobStarter {
  readonly jobName: string;
  startJobRun(jobArguments: Record<string, string>, capacity?: JobCapacity): Promise<{ jobRunId: string }>;
}

/**
 * The source catalog's estimate of a table, for `engine: auto` (pipeline/extraction-engine.ts):
 * locally read from the catalog, on AWS what the table's last run recorded from its manifest.
 * Null when there is none.
 */
export type TableSizer = (table: { source: string; table: string }) => Promise<ManifestSourceSize | null>;

/**
 * Finds the live staging keys the source no longer holds, up to `watermark` (check/deleted-keys.ts):
 * one text per primary-key column, as the warehouse reads them back.
 */
export type DeleteFinder = (request: { source: string; table: string; description: TableDescription; watermark: string; runId: string }) => Promise<string[][]>;

/** Compares one table's source with its staging table (`floe check`). */
export type TableChecker = (table: { source: string; table: string }) => Promise<TableCheck>;

/** A handler as a runtime calls it: one event in, its effects and publications done when it resolves. */
export type EventHandler = (event: FloeEvent) => Promise<void>;

/** One event of a batch that its handler could not finish, and why: the runtime retries it alone, or ends its run. */
export interface EventFailure {
  event: FloeEvent;
  error: unknown;
}

/**
 * A handler that also takes several events at once (start-ingest: the tables of one source start
 * as one job run). `batch` resolves with the events it could not finish, each with its own error,
 * so one event's failure is retried alone (the local bus; on AWS, a partial batch response).
 */
export type BatchEventHandler = EventHandler & { batch: (events: readonly FloeEvent[]) => Promise<EventFailure[]> };
