import { isAbsolute, resolve, sep } from 'node:path';
import { LOADED_FILES_TABLE } from './loaded-files-sql.js';
import { SnowflakeSession } from './snowflake-connection.js';
import { snowflakeDialectIn } from './snowflake-dialect.js';
import { wrapSnowflakeError } from './snowflake-error.js';
import { createProcessProcedureSql } from './snowflake-procedure.js';
import {
  COPY_FILES_LIMIT,
  copyRunIntoRawSql,
  DEFAULT_STAGE_NAMES,
  LOCAL_RAW_STAGE,
  negativeUnsignedSql,
  PARQUET_FORMAT_OPTIONS,
  putFileSql,
  stampRunRowsSql,
  type SnowflakeStageNames,
} from './snowflake-sql.js';
import type { SqlDialect } from './sql-dialect.js';
import { SqlWarehouse } from './sql-warehouse.js';
import type { BoundSql } from './table-sql.js';
import type { TableDescription } from './table-description.js';
import type { Execute, RawFilesLoad, StatementResult, StepLabel, WarehouseDriver } from './warehouse-driver.js';
import { WarehouseError } from './warehouse-error.js';

/** How floe uses the account; the defaults are what `floe snowflake apply` creates. */
export interface SnowflakeWarehouseOptions {
  /** The external stage on an `s3://` raw root, and the Parquet file format. */
  readonly stageNames?: SnowflakeStageNames;
}

/** The query tag on every statement: Snowflake's query history then shows floe's run and step. */
export function floeQueryTag(step: string, runId?: string): string {
  return JSON.stringify({ app: 'floe', step, ...(runId === undefined ? {} : { runId }) });
}

/** True for a raw root on S3 (read through the external stage); false for a local folder (PUT to the internal stage). */
const onS3 = (rawRoot: string): boolean => /^s3:\/\//i.test(rawRoot);

/** A manifest path as a file under a local raw root, refused when it would leave it (as DuckDB refuses). */
function localFile(rawRoot: string, path: string, runId: string): string {
  const file = resolve(rawRoot, path);
  if (isAbsolute(path) || path.split('/').some((segment) => segment === '..' || segment === '') || !file.startsWith(resolve(rawRoot) + sep)) {
    throw new WarehouseError(`Cannot load run ${runId}: file path ${JSON.stringify(path)} leaves the raw root ${rawRoot}; nothing was loaded.`);
  }
  return file;
}

/** A COPY result row's file (Snowflake names it by its stage location) is a manifest path when it is, or ends with, that path. */
const names = (copied: string, path: string): boolean => copied === path || copied.endsWith(`/${path}`);

/**
 * Snowflake as a warehouse driver: one session, every statement tagged with floe's step and run and
 * every name qualified with floe's database. DDL commits a Snowflake transaction, so the steps run
 * it before their transactions. Raw is loaded by one COPY per run (per {@link COPY_FILES_LIMIT}
 * files) from the stage on the raw bucket, or, for a local raw folder, from an internal stage the
 * files are PUT into first.
 */
export class SnowflakeDriver implements WarehouseDriver {
  readonly dialect: SqlDialect;
  readonly ddlCommits = true;
  private readonly stageNames: SnowflakeStageNames;

  constructor(
    private readonly session: SnowflakeSession,
    options: SnowflakeWarehouseOptions = {},
  ) {
    this.dialect = snowflakeDialectIn(session.settings.database);
    this.stageNames = options.stageNames ?? DEFAULT_STAGE_NAMES;
  }

  run(statement: BoundSql, label: StepLabel): Promise<StatementResult> {
    return this.session.run(statement, floeQueryTag(label.step, label.runId));
  }

  transaction<T>(label: StepLabel, work: (execute: Execute) => Promise<T>): Promise<T> {
    return this.session.transaction(floeQueryTag(label.step, label.runId), work);
  }

  /**
   * A local raw folder's files go to the internal stage `floe.raw_local` by PUT, each at its
   * manifest path, as they are (no compression: Parquet is compressed inside). PUT overwrites, so
   * putting a file again is harmless. Files on S3 are read where they are, through the external stage.
   */
  async stageFiles(execute: Execute, { manifest, files, rawRoot }: RawFilesLoad): Promise<void> {
    if (onS3(rawRoot)) return;
    const { dialect } = this;
    await execute({ sql: `create file format if not exists ${dialect.qualified(this.stageNames.fileFormat)} type = parquet ${PARQUET_FORMAT_OPTIONS}`, params: [] });
    const stage = this.stageNames.localStage ?? LOCAL_RAW_STAGE;
    await execute({ sql: `create stage if not exists ${dialect.qualified(stage)}`, params: [] });
    for (const file of files) {
      const folder = file.path.split('/').slice(0, -1).join('/');
      // PUT reports a failed upload in its result, not as an error (https://docs.snowflake.com/en/sql-reference/sql/put).
      const [put] = (await execute({ sql: putFileSql(dialect, localFile(rawRoot, file.path, manifest.runId), stage, folder), params: [] })).rows;
      const status = String(put?.['status'] ?? '').toUpperCase();
      if (status !== 'UPLOADED' && status !== 'SKIPPED') {
        throw new WarehouseError(`PUT of file ${file.path} of run ${manifest.runId} into ${dialect.qualified(stage)} failed: ${String(put?.['message'] ?? (status || 'no status given'))}.`, { retryable: true });
      }
    }
  }

  /**
   * One COPY names the run's files (at most {@link COPY_FILES_LIMIT} each), and one UPDATE stamps
   * the rows they added (the only rows without a run inside this transaction) with the run and its
   * extraction time. The rows per file are COPY's own count; the UPDATE must change exactly their
   * sum. A file COPY skips (its load history says it was loaded) stops the load.
   */
  async loadFiles(execute: Execute, { description, manifest, files, rawRoot }: RawFilesLoad): Promise<ReadonlyMap<string, number>> {
    const raw = this.dialect.qualified(description.rawTable);
    const stage = onS3(rawRoot) ? this.stageNames.stage : (this.stageNames.localStage ?? LOCAL_RAW_STAGE);
    const landed = new Map<string, number>();
    for (let start = 0; start < files.length; start += COPY_FILES_LIMIT) {
      const paths = files.slice(start, start + COPY_FILES_LIMIT).map((file) => file.path);
      const { rows } = await execute({ sql: copyRunIntoRawSql(this.dialect, description, paths, { stage, fileFormat: this.stageNames.fileFormat }), params: [] });
      for (const path of paths) {
        const row = rows.find((candidate) => names(String(candidate['file'] ?? ''), path));
        const status = String(row?.['status'] ?? 'LOAD_SKIPPED').toUpperCase();
        if (status === 'LOAD_SKIPPED') {
          throw new WarehouseError(
            `COPY skipped file ${path} of run ${manifest.runId} into ${raw}: Snowflake's load history says it was loaded, but floe's ${this.dialect.qualified(LOADED_FILES_TABLE)} has no record of it. Check raw for rows with _floe_file = '${path}' before reloading it by hand.`,
          );
        }
        if (status !== 'LOADED') {
          throw new WarehouseError(`COPY of file ${path} of run ${manifest.runId} into ${raw} ended ${status}: ${String(row?.['first_error'] ?? 'no error given')}.`);
        }
        landed.set(path, Number(row?.['rows_loaded'] ?? 0));
      }
    }
    await this.refuseNegativeUnsigned(execute, description, manifest.runId);
    const copied = [...landed.values()].reduce((sum, rows) => sum + rows, 0);
    const stamped = (await execute(stampRunRowsSql(this.dialect, description, manifest.runId, manifest.startedAt))).rowsAffected;
    if (stamped !== copied) {
      throw new WarehouseError(`COPY loaded ${copied} rows of run ${manifest.runId} into ${raw}, but ${stamped} rows were without a run after it; nothing was loaded. Another writer may be loading this table; run again.`, { retryable: true });
    }
    return landed;
  }

  /**
   * The table's procedure (`floe.process__<table>`) follows its columns: regenerated, keeping its
   * grants, whenever the steps created the staging table or changed its columns.
   */
  async afterSchemaChange(execute: Execute, description: TableDescription, droppedColumns: readonly string[]): Promise<void> {
    await execute({ sql: createProcessProcedureSql(description, this.session.settings.database, droppedColumns), params: [] });
  }

  wrapError(doing: string, error: unknown): WarehouseError {
    return wrapSnowflakeError(doing, error);
  }

  close(): Promise<void> {
    return this.session.close();
  }

  private async refuseNegativeUnsigned(execute: Execute, description: TableDescription, runId: string): Promise<void> {
    const check = negativeUnsignedSql(this.dialect, description);
    if (check === null) return;
    const [row] = (await execute(check)).rows;
    const unsigned = description.columns.filter((column) => column.arrowType.trim() === 'uint64');
    const wrong = unsigned.filter((_column, index) => Number(row?.[`u${index}`] ?? 0) > 0).map((column) => column.name);
    if (wrong.length > 0) {
      throw new WarehouseError(
        `Run ${runId}: Snowflake read unsigned 64-bit column(s) ${wrong.join(', ')} of table ${description.table} as signed, turning values above 9223372036854775807 negative; nothing was loaded. Run floe snowflake verify and report its output; meanwhile extract the column as text or decimal(20,0).`,
      );
    }
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
