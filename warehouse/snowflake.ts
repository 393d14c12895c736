import { WAREHOUSE_SCHEMAS } from './naming.js';
import { SnowflakeSession } from './snowflake-connection.js';
import { snowflakeDialect as dialect } from './snowflake-dialect.js';
import { wrapSnowflakeError } from './snowflake-error.js';
import { DEFAULT_STAGE_NAMES, copyFileIntoRawSql, stampCopiedRowsSql, type SnowflakeStageNames } from './snowflake-sql.js';
import { SqlWarehouse } from './sql-warehouse.js';
import type { BoundSql } from './table-sql.js';
import type { Execute, RawFilesLoad, StatementResult, StepLabel, WarehouseDriver } from './warehouse-driver.js';
import { WarehouseError } from './warehouse-error.js';

/** How floe uses the account; the defaults are what `floe snowflake apply` creates. */
export interface SnowflakeWarehouseOptions {
  /** The external stage on the raw root and the Parquet file format. */
  readonly stageNames?: SnowflakeStageNames;
  /**
   * Write each row's position in its file to `_floe_row` (COPY's INCLUDE_METADATA). Default true;
   * false only for an emulator that rejects the clause (fakesnow 0.12.1), where `_floe_row` stays NULL.
   */
  readonly fileRowNumbers?: boolean;
}

/** The query tag on every statement: Snowflake's query history then shows floe's run and step. */
export function floeQueryTag(step: string, runId?: string): string {
  return JSON.stringify({ app: 'floe', step, ...(runId === undefined ? {} : { runId }) });
}

/**
 * Snowflake as a warehouse driver: one session, every statement tagged with floe's step and run.
 * DDL commits a Snowflake transaction, so the steps run it before their transactions. Raw is
 * loaded by COPY from the stage on the raw bucket, one file at a time.
 */
export class SnowflakeDriver implements WarehouseDriver {
  readonly dialect = dialect;
  readonly ddlCommits = true;
  private readonly stageNames: SnowflakeStageNames;
  private readonly fileRowNumbers: boolean;

  constructor(
    private readonly session: SnowflakeSession,
    options: SnowflakeWarehouseOptions = {},
  ) {
    this.stageNames = options.stageNames ?? DEFAULT_STAGE_NAMES;
    this.fileRowNumbers = options.fileRowNumbers ?? true;
  }

  run(statement: BoundSql, label: StepLabel): Promise<StatementResult> {
    return this.session.run(statement, floeQueryTag(label.step, label.runId));
  }

  transaction<T>(label: StepLabel, work: (execute: Execute) => Promise<T>): Promise<T> {
    return this.session.transaction(floeQueryTag(label.step, label.runId), work);
  }

  /**
   * One COPY per file, so each file's rows can be stamped with its path and counted: COPY cannot
   * add constants while matching by column name, so the run, file and extraction time are set on
   * the rows it just added (the only rows without a run inside this transaction), and the rows
   * that UPDATE changes are the rows the file held. `rawRoot` is unused: the stage sits on it.
   */
  async loadFiles(execute: Execute, { description, manifest, files }: RawFilesLoad): Promise<ReadonlyMap<string, number>> {
    const landed = new Map<string, number>();
    for (const file of files) {
      const { rows } = await execute({ sql: copyFileIntoRawSql(description, file.path, this.stageNames, this.fileRowNumbers), params: [] });
      const status = String(rows[0]?.['status'] ?? '').toUpperCase();
      const raw = dialect.qualified(description.rawTable);
      if (status === 'LOAD_SKIPPED' || rows.length === 0 || status.includes('0 FILES PROCESSED')) {
        throw new WarehouseError(
          `COPY skipped file ${file.path} of run ${manifest.runId} into ${raw}: Snowflake's load history says it was loaded, but floe's ${WAREHOUSE_SCHEMAS.floe}.loaded_files has no record of it. Check raw for rows with _floe_file = '${file.path}' before reloading it by hand.`,
        );
      }
      if (status !== 'LOADED') {
        throw new WarehouseError(`COPY of file ${file.path} of run ${manifest.runId} into ${raw} ended ${status}: ${String(rows[0]?.['first_error'] ?? 'no error given')}.`);
      }
      landed.set(file.path, (await execute(stampCopiedRowsSql(description, manifest.runId, file.path, manifest.startedAt))).rowsAffected);
    }
    return landed;
  }

  wrapError(doing: string, error: unknown): WarehouseError {
    return wrapSnowflakeError(doing, error);
  }

  close(): Promise<void> {
    return this.session.close();
  }
}

/** The cloud warehouse: Snowflake, through the shared steps (sql-warehouse.ts). */
export type SnowflakeWarehouse = SqlWarehouse;

export const SnowflakeWarehouse = {
  /** Uses an open session (closed with the warehouse); creates floe's schemas and bookkeeping table if missing. */
  open(session: SnowflakeSession, options: SnowflakeWarehouseOptions = {}): Promise<SnowflakeWarehouse> {
    return SqlWarehouse.open(new SnowflakeDriver(session, options), `Snowflake database ${session.settings.database}`);
  },
};
