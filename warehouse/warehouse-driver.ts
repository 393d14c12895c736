import type { ManifestLike, TableDescription } from './table-description.js';
import type { SqlDialect } from './sql-dialect.js';
import type { BoundSql } from './table-sql.js';
import type { WarehouseError } from './warehouse-error.js';

/** One statement's outcome: its rows (column names as the warehouse returns them) and the rows it changed. */
export interface StatementResult {
  readonly rows: Record<string, unknown>[];
  readonly rowsAffected: number;
}

/** Runs one statement, its `$n` placeholders bound to its params. */
export type Execute = (statement: BoundSql) => Promise<StatementResult>;

/** Which step a statement serves, and for which run: Snowflake tags every statement with it (its query history shows it). */
export interface StepLabel {
  readonly step: string;
  readonly runId?: string;
}

/** The files of one run to append to raw, with what the steps already know of them. */
export interface RawFilesLoad {
  readonly description: TableDescription;
  readonly manifest: ManifestLike;
  /** The manifest's files not loaded yet (at least one). */
  readonly files: ManifestLike['files'];
  /** Where the manifest's relative paths start: a local folder or `s3://…` (DuckDB reads it; Snowflake's stage sits on it). */
  readonly rawRoot: string;
}

/**
 * What one warehouse supplies to the steps `SqlWarehouse` implements once: how to run a statement
 * and a transaction, whether DDL commits, how a run's files get into raw, how its errors read, and
 * its SQL spelling (`dialect`). Each driver has its own `open` (DuckDB a file, Snowflake a session).
 *
 * A driver does not serialise callers: `SqlWarehouse` runs one step at a time.
 */
export interface WarehouseDriver {
  readonly dialect: SqlDialect;
  /**
   * True when DDL commits the open transaction (Snowflake). The steps then run their DDL first, on
   * its own, planned in full before the first statement; otherwise DDL and rows share one transaction.
   */
  readonly ddlCommits: boolean;
  /** Runs one statement outside any transaction (it commits by itself). */
  run(statement: BoundSql, label: StepLabel): Promise<StatementResult>;
  /** Runs `work` in one transaction: committed when it returns, rolled back when it throws (the error is rethrown). */
  transaction<T>(label: StepLabel, work: (execute: Execute) => Promise<T>): Promise<T>;
  /**
   * Appends the given files of a run to the description's raw table, each row with its load
   * metadata (run id, file path, extraction time, row in file), through `execute` (inside the
   * step's transaction). Returns the rows that landed per file path, which the step compares with
   * the manifest. DuckDB reads the Parquet files itself; Snowflake COPYs them from its stage.
   */
  loadFiles(execute: Execute, load: RawFilesLoad): Promise<ReadonlyMap<string, number>>;
  /**
   * Before the load's transaction, puts the files where `loadFiles` reads them, if they are not
   * there already (Snowflake: a local raw folder's files into an internal stage). Idempotent.
   */
  stageFiles?(execute: Execute, load: RawFilesLoad): Promise<void>;
  /**
   * After the steps created a staging table or changed its columns (`droppedColumns`: the staging
   * columns the run lacks, schema-ddl.ts `droppedColumnsOf`): whatever the warehouse keeps in step with them
   * (Snowflake regenerates the table's procedure). Runs as DDL, before the step's rows.
   */
  afterSchemaChange?(execute: Execute, description: TableDescription, droppedColumns: readonly string[]): Promise<void>;
  /** The driver's error as a WarehouseError saying what floe was doing, retryable when a retry can succeed. */
  wrapError(doing: string, error: unknown): WarehouseError;
  close(): Promise<void>;
}
