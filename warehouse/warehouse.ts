import type { SchemaChange } from '../events/schema-change.js';
import type { SqlDialect } from './sql-dialect.js';
import type { ManifestLike, TableDescription } from './table-description.js';

/** What loading a run's files into raw did. */
export interface RawLoadResult {
  readonly rowsLoaded: number;
  readonly filesLoaded: number;
  /** True when every file of the manifest was already in raw, so nothing was added. */
  readonly alreadyLoaded: boolean;
}

/** Row counts of one staging update. */
export interface StagingResult {
  readonly inserted: number;
  readonly updated: number;
  readonly deleted: number;
}

/** The outcome of one gold model. */
export interface GoldModelResult {
  readonly name: string;
  readonly status: 'built' | 'failed' | 'skipped';
  /** For failed: the model's file and the database error. */
  readonly error?: string;
  /** For skipped: why (a failed dependency, or not affected by the changed tables). */
  readonly reason?: string;
  readonly seconds: number;
}

/**
 * The warehouse as the pipeline sees it: the port. One implementation of the steps
 * (`SqlWarehouse`, sql-warehouse.ts) runs over a driver and a dialect per warehouse:
 * `DuckDbWarehouse.open` locally, `SnowflakeWarehouse.open` on AWS, and
 * `test/warehouse/conformance/` holds both to the same results.
 * Every method throws `WarehouseError` (with `retryable`) on failure.
 */
export interface Warehouse {
  /**
   * How this warehouse spells SQL, for code that writes its own queries against it (`floe check`).
   * Absent on a wrapper that has not connected yet and cannot know.
   */
  readonly dialect?: SqlDialect;
  /**
   * Brings existing raw and staging tables to a run's columns before anything of the run lands:
   * adds `added` columns, alters `widened` ones and `retyped` ones whose warehouse type changes
   * (see schema-evolution.ts; `changes` come from comparing the run's manifest with the table's
   * last known schema). Dropped columns stay. Idempotent. Throws SchemaChangeError, having changed
   * nothing, when a column cannot be altered in place on this warehouse. Tables not created yet
   * are left to the load. `runId` is the run whose manifest brought the changes.
   */
  evolveSchema(description: TableDescription, changes: readonly SchemaChange[], runId: string): Promise<void>;
  /** Appends exactly the manifest's files to raw, once: a second call with the same manifest adds nothing. */
  loadRaw(description: TableDescription, manifest: ManifestLike, rawRoot: string): Promise<RawLoadResult>;
  /** Incremental mode: merges a run's raw rows into staging; newer versions win. */
  mergeStaging(description: TableDescription, runId: string): Promise<StagingResult>;
  /**
   * Full mode: staging becomes the run's rows, atomically; rows gone from the source are deleted.
   * Without a primary key every row of the run lands, duplicates included.
   */
  replaceStaging(description: TableDescription, runId: string): Promise<StagingResult>;
  /**
   * Append (an incremental run of a table without a primary key): in one transaction, the staging
   * rows the run reads again (those from the smallest incremental value it read on; see
   * `appendStagingSql`) give way to all of the run's rows. Idempotent per run: applying a run twice
   * leaves what once did. Throws for a description that is not appended.
   */
  appendStaging(description: TableDescription, runId: string): Promise<StagingResult>;
  /**
   * Delete detection, before reading staging's keys: adds `_floe_deleted_at` to an existing staging
   * table of a `softDelete` description that lacks it. Returns false when staging does not exist
   * yet (nothing to judge). Idempotent.
   */
  prepareDeleteDetection(description: TableDescription, runId: string): Promise<boolean>;
  /**
   * Marks (`mark`: `_floe_deleted_at` = `noticedAt` on live rows) or removes (`remove`) the staging
   * rows of keys found gone from the source, in one transaction; returns the rows changed. Keys are
   * one text per primary-key column, as the column's staging type reads it. Idempotent: marked rows
   * keep their first time, removed rows are gone.
   */
  applyDetectedDeletes(description: TableDescription, keys: readonly (readonly string[])[], how: 'mark' | 'remove', noticedAt: string, runId: string): Promise<number>;
  /** Builds `sql/gold/*.sql` in dependency order; with `changedTables`, only models depending on those staging tables. */
  buildGold(goldDir: string, changedTables?: readonly string[]): Promise<GoldModelResult[]>;
  /** Runs a query with bound parameters; rows as objects. For tests and the CLI. */
  query(sql: string, params?: readonly (string | number | bigint | boolean | null)[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}
