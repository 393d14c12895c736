import { isAbsolute, resolve, sep } from 'node:path';
import { DuckDBConnection, DuckDBInstance, type DuckDBValue } from '@duckdb/node-api';
import { busyFromDuckDbError, wrapDuckDbError } from './duckdb-error.js';
import { duckDbDialect } from './duckdb-dialect.js';
import { countRawRowsPerFileSql, insertRawSql, type RawFile } from './duckdb-sql.js';
import { SqlWarehouse } from './sql-warehouse.js';
import type { BoundSql } from './table-sql.js';
import type { Execute, RawFilesLoad, StatementResult, WarehouseDriver } from './warehouse-driver.js';
import { WarehouseError } from './warehouse-error.js';

/**
 * The name the warehouse file is attached under. DuckDB names a database after its file, so a
 * file called `floe.duckdb`, `raw.duckdb` or `staging.duckdb` would make `floe.loaded_files` or a
 * gold model's `staging.orders` ambiguous between that catalog and floe's schema of the same
 * name. The file is attached under this fixed name instead, in an in-memory database, and made
 * the default: any file name works, and floe's two-part names always mean its schemas.
 */
const CATALOG = 'floe_warehouse';

/** A string literal: ATTACH takes no bound values. */
const literal = (text: string): string => `'${text.replaceAll("'", "''")}'`;

/**
 * One DuckDB database per file per process: DuckDB's lock keeps other processes out, but a second
 * instance in the same process would open the file again, unseen by the first. Opens share it,
 * each with its own connection; the last to close closes it.
 */
const shared = new Map<string, { instance: Promise<DuckDBInstance>; users: number }>();

async function attach(path: string): Promise<DuckDBInstance> {
  // Spills go beside the file, as when DuckDB opens it directly (an in-memory database would use ./.tmp).
  // A checkpoint every 4 MB of log rather than DuckDB's 16 MB: the changes of many small tables are
  // held in memory until checkpointed, and 300 tables' first loads peaked at 273-277 MB against 283-300 MB
  // (BENCHMARKS.md, issue 20) in the same time. https://duckdb.org/docs/stable/configuration/overview (checkpoint_threshold)
  const options = path === ':memory:' ? {} : { temp_directory: `${path}.tmp`, checkpoint_threshold: '4MB' };
  const instance = await DuckDBInstance.create(':memory:', options);
  try {
    const connection = await instance.connect();
    try {
      await connection.run(`attach ${literal(path)} as ${CATALOG}`);
    } finally {
      connection.closeSync();
    }
    return instance;
  } catch (error) {
    instance.closeSync();
    throw busyFromDuckDbError(path, error) ?? error;
  }
}

/**
 * Where DuckDB reads a manifest file: below a local raw root, or below an `s3://…` prefix. The
 * manifest's contract already keeps paths in their run's table folder; a path that would still
 * leave the root (absolute, or climbing out with `..`) is refused here too, before anything loads.
 */
function fileLocation(rawRoot: string, path: string, runId: string): string {
  const segments = path.split('/');
  const local = rawRoot.includes('://') ? null : resolve(rawRoot, path);
  if (isAbsolute(path) || segments.some((segment) => segment === '..' || segment === '') || (local !== null && !local.startsWith(resolve(rawRoot) + sep))) {
    throw new WarehouseError(`Cannot load run ${runId}: file path ${JSON.stringify(path)} leaves the raw root ${rawRoot}; nothing was loaded.`);
  }
  return local ?? `${rawRoot.replace(/\/+$/, '')}/${path}`;
}

/** DuckDB as a warehouse driver: one connection to the attached file; DDL is transactional. */
export class DuckDbDriver implements WarehouseDriver {
  readonly dialect = duckDbDialect;
  readonly ddlCommits = false;

  private constructor(
    private readonly connection: DuckDBConnection,
    private readonly release: () => void,
  ) {}

  /**
   * Opens (or creates) the file, or `:memory:`. Throws WarehouseBusy when another process holds
   * the file, naming it and, when DuckDB says, the holder's PID.
   */
  static async open(path: string): Promise<DuckDbDriver> {
    const key = path === ':memory:' ? null : resolve(path);
    const entry = key === null ? { instance: attach(path), users: 1 } : (shared.get(key) ?? { instance: attach(path), users: 0 });
    if (key !== null) {
      entry.users += 1;
      shared.set(key, entry);
    }
    const release = (instance?: DuckDBInstance): void => {
      entry.users -= 1;
      if (entry.users > 0) return;
      if (key !== null && shared.get(key) === entry) shared.delete(key);
      instance?.closeSync();
    };
    let instance: DuckDBInstance;
    try {
      instance = await entry.instance;
    } catch (error) {
      release();
      throw error instanceof WarehouseError ? error : wrapDuckDbError(`Opening the DuckDB warehouse ${path}`, error);
    }
    try {
      const connection = await instance.connect();
      await connection.run(`use ${CATALOG}`);
      // As on Snowflake (snowflake-connection.ts): a TIMESTAMPTZ cast to a date, or printed, in UTC,
      // whatever the machine's zone (https://duckdb.org/docs/stable/sql/data_types/timestamp#time-zones).
      await connection.run("set TimeZone = 'UTC'");
      return new DuckDbDriver(connection, () => release(instance));
    } catch (error) {
      release(instance);
      throw wrapDuckDbError(`Opening the DuckDB warehouse ${path}`, error);
    }
  }

  async run(statement: BoundSql): Promise<StatementResult> {
    const reader = await this.connection.runAndReadAll(statement.sql, [...statement.params] as DuckDBValue[]);
    return { rows: reader.getRowObjectsJS(), rowsAffected: reader.rowsChanged };
  }

  async transaction<T>(_label: unknown, work: (execute: Execute) => Promise<T>): Promise<T> {
    await this.connection.run('begin transaction');
    try {
      const result = await work((statement) => this.run(statement));
      await this.connection.run('commit');
      return result;
    } catch (error) {
      await this.connection.run('rollback').catch(() => undefined);
      throw error;
    }
  }

  /** One INSERT reading every file (`read_parquet` of local paths or `s3://` URLs), then the rows per file. */
  async loadFiles(execute: Execute, { description, manifest, files, rawRoot }: RawFilesLoad): Promise<ReadonlyMap<string, number>> {
    const located: RawFile[] = files.map((file) => ({ location: fileLocation(rawRoot, file.path, manifest.runId), path: file.path }));
    await execute(insertRawSql(description, manifest.runId, manifest.startedAt, located));
    const { rows } = await execute(countRawRowsPerFileSql(description, manifest.runId));
    return new Map(rows.map((row) => [String(row['file_path']), Number(row['row_count'])]));
  }

  wrapError(doing: string, error: unknown): WarehouseError {
    return wrapDuckDbError(doing, error);
  }

  async close(): Promise<void> {
    this.connection.closeSync();
    this.release();
  }
}

/** The local warehouse: a DuckDB file, through the shared steps (sql-warehouse.ts). */
export type DuckDbWarehouse = SqlWarehouse;

export const DuckDbWarehouse = {
  /**
   * Opens (or creates) the DuckDB file, any file name, and its `raw`, `staging`, `gold` and `floe`
   * schemas. Throws WarehouseBusy (retryable) when another process holds the file; see
   * `openWithWait` to wait for it.
   */
  async open(path: string): Promise<DuckDbWarehouse> {
    const driver = await DuckDbDriver.open(path);
    try {
      return await SqlWarehouse.open(driver, `the DuckDB warehouse ${path}`);
    } catch (error) {
      await driver.close();
      throw error;
    }
  },
};
