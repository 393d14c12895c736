import { isAbsolute, resolve, sep } from 'node:path';
import { DuckDBConnection, DuckDBInstance, type DuckDBValue } from '@duckdb/node-api';
import type { SchemaChange } from '../events/schema-change.js';
import { canonicalDuckDbType } from './arrow-type.js';
import { duckDbDialect } from './duckdb-dialect.js';
import {
  addColumnSql,
  addDeletedAtColumnSql,
  applyDetectedDeletesSql,
  compareSnapshotSql,
  countRawRowsPerFileSql,
  createGoldTableSql,
  createLoadedFilesTableSql,
  createRawTableSql,
  createSchemasSql,
  createStagingTableSql,
  insertRawSql,
  insertRunRowsSql,
  LOADED_FILES_TABLE,
  mergeStagingSql,
  replaceStagingSql,
  runKeysAreUniqueSql,
  tableColumnsSql,
  type BoundSql,
  type RawFile,
} from './duckdb-sql.js';
import { buildGoldModels } from './gold-build.js';
import { quoteQualifiedName, type QualifiedName } from './quote.js';
import { droppedColumnsOf, evolveTableSql, type ExistingColumns } from './schema-ddl.js';
import type { ManifestLike, TableDescription } from './table-description.js';
import { DELETED_AT } from './table-sql.js';
import type { GoldModelResult, RawLoadResult, StagingResult, Warehouse } from './warehouse.js';
import { WarehouseError, wrapDuckDbError } from './warehouse-error.js';
import { faultPoint } from '../fault/fault-point.js';

/** Keys per statement when applying deletes found at the source. */
const DELETE_BATCH = 1_000;

type Params = readonly (string | number | bigint | boolean | null)[];

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

/**
 * The local warehouse: one DuckDB file. Calls are serialised on one
 * connection, so each method's transaction is never interleaved with another's.
 */
export class DuckDbWarehouse implements Warehouse {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  /** Opens (or creates) the DuckDB file and its `raw`, `staging`, `gold` and `floe` schemas. */
  static async open(path: string): Promise<DuckDbWarehouse> {
    try {
      const instance = await DuckDBInstance.create(path);
      const warehouse = new DuckDbWarehouse(instance, await instance.connect());
      for (const sql of [...createSchemasSql(), createLoadedFilesTableSql()]) await warehouse.run({ sql, params: [] });
      return warehouse;
    } catch (error) {
      throw wrapDuckDbError(`Opening the DuckDB warehouse ${path}`, error);
    }
  }

  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
    this.connection.closeSync();
    this.instance.closeSync();
  }

  /** One transaction: every table's DDL is planned (and refused, if it must be) before any runs. */
  async evolveSchema(description: TableDescription, changes: readonly SchemaChange[], runId: string): Promise<void> {
    if (changes.every((change) => change.change === 'dropped')) return;
    await this.transaction(`Evolving the schema of ${quoteQualifiedName(description.rawTable)} and ${quoteQualifiedName(description.stagingTable)} for run ${runId}`, async () => {
      const statements: string[] = [];
      for (const [table, layer] of [[description.rawTable, 'raw'], [description.stagingTable, 'staging']] as const) {
        const existing = await this.existingColumns(table);
        if (existing.types.size > 0) statements.push(...evolveTableSql(duckDbDialect, table, layer, description, changes, existing));
      }
      for (const sql of statements) await this.run({ sql, params: [] });
    });
  }

  async loadRaw(description: TableDescription, manifest: ManifestLike, rawRoot: string): Promise<RawLoadResult> {
    const raw = quoteQualifiedName(description.rawTable);
    return this.transaction(`Loading run ${manifest.runId} into ${raw}`, async () => {
      await this.ensureTable(description.rawTable, createRawTableSql(description), description);
      const loaded = await this.loadedFiles(description.rawTable.name);
      const toLoad = manifest.files.filter((file) => !loaded.has(file.path));
      if (toLoad.length === 0) return { rowsLoaded: 0, filesLoaded: 0, alreadyLoaded: manifest.files.length > 0 };

      const inexact = description.columns.filter((column) => column.conversion !== null);
      if (inexact.length > 0) {
        const names = inexact.map((column) => `${column.name} (${column.arrowType})`).join(', ');
        throw new WarehouseError(
          `Cannot load run ${manifest.runId} into ${raw}: column ${names} is wider than DuckDB's DECIMAL(38), and DuckDB's Parquet reader turns such decimals into inexact DOUBLEs. Extract the column as text, or exclude it.`,
        );
      }

      const files: RawFile[] = toLoad.map((file) => ({ location: fileLocation(rawRoot, file.path, manifest.runId), path: file.path }));
      const rowsLoaded = await this.run(insertRawSql(description, manifest.runId, manifest.startedAt, files));
      faultPoint('warehouse:during-raw-load');
      const counts = await this.rows(countRawRowsPerFileSql(description, manifest.runId));
      const perFile = new Map(counts.map((row) => [String(row['file_path']), Number(row['row_count'])]));
      for (const file of toLoad) {
        const landed = perFile.get(file.path) ?? 0;
        if (landed !== file.rows) {
          throw new WarehouseError(
            `File ${file.path} of run ${manifest.runId} has ${landed} rows in ${raw} but the manifest says ${file.rows}; nothing was loaded. Re-run the extraction for this table.`,
          );
        }
      }
      for (const file of toLoad) {
        await this.run({
          sql: `insert into ${quoteQualifiedName(LOADED_FILES_TABLE)} ("raw_table", "file_path", "run_id", "row_count") values ($1, $2, $3, $4)`,
          params: [description.rawTable.name, file.path, manifest.runId, file.rows],
        });
      }
      return { rowsLoaded, filesLoaded: toLoad.length, alreadyLoaded: false };
    });
  }

  /**
   * Counts: MERGE reports only the rows it changed, so inserted is the growth
   * of staging and updated is the rest. Matched rows left alone (an older
   * version arriving late) count as neither.
   */
  async mergeStaging(description: TableDescription, runId: string): Promise<StagingResult> {
    return this.transaction(`Merging run ${runId} into ${quoteQualifiedName(description.stagingTable)}`, async () => {
      const dropped = await this.ensureTable(description.stagingTable, createStagingTableSql(description), description);
      if (description.softDelete === true) await this.ensureDeletedAt(description, await this.existingColumns(description.stagingTable));
      const before = await this.countRows(description.stagingTable);
      const keysUnique = await this.runKeysAreUnique(description, runId);
      if (before === 0) {
        const inserted = await this.run(insertRunRowsSql(description, runId, keysUnique));
        faultPoint('warehouse:during-merge');
        return { inserted, updated: 0, deleted: 0 };
      }
      const changed = await this.run(mergeStagingSql(description, runId, keysUnique, dropped));
      faultPoint('warehouse:during-merge');
      const inserted = (await this.countRows(description.stagingTable)) - before;
      return { inserted, updated: changed - inserted, deleted: 0 };
    });
  }

  private async runKeysAreUnique(description: TableDescription, runId: string): Promise<boolean> {
    const [row] = await this.rows(runKeysAreUniqueSql(description, runId));
    return row?.['unique'] === true;
  }

  /** Counts by key: only in the run (inserted), in both (updated, changed or not), only in staging (deleted). */
  async replaceStaging(description: TableDescription, runId: string): Promise<StagingResult> {
    return this.transaction(`Replacing ${quoteQualifiedName(description.stagingTable)} with run ${runId}`, async () => {
      await this.ensureTable(description.stagingTable, createStagingTableSql(description), description);
      const [counts] = await this.rows(compareSnapshotSql(description, runId));
      const keysUnique = await this.runKeysAreUnique(description, runId);
      for (const statement of replaceStagingSql(description, runId, keysUnique)) await this.run(statement);
      faultPoint('warehouse:during-merge');
      return { inserted: Number(counts?.['inserted'] ?? 0), updated: Number(counts?.['updated'] ?? 0), deleted: Number(counts?.['deleted'] ?? 0) };
    });
  }

  async prepareDeleteDetection(description: TableDescription, runId: string): Promise<boolean> {
    return this.transaction(`Preparing delete detection on ${quoteQualifiedName(description.stagingTable)} for run ${runId}`, async () => {
      const existing = await this.existingColumns(description.stagingTable);
      if (existing.types.size === 0) return false;
      if (description.softDelete === true) await this.ensureDeletedAt(description, existing);
      return true;
    });
  }

  /** Batches of keys, each one statement, all in one transaction. */
  async applyDetectedDeletes(description: TableDescription, keys: readonly (readonly string[])[], how: 'mark' | 'remove', noticedAt: string, runId: string): Promise<number> {
    if (keys.length === 0) return 0;
    return this.transaction(`Applying deletes found at the source to ${quoteQualifiedName(description.stagingTable)} for run ${runId}`, async () => {
      let changed = 0;
      for (let start = 0; start < keys.length; start += DELETE_BATCH) {
        changed += await this.run(applyDetectedDeletesSql(description, keys.slice(start, start + DELETE_BATCH), how, noticedAt));
      }
      return changed;
    });
  }

  private async ensureDeletedAt(description: TableDescription, existing: ExistingColumns): Promise<void> {
    const has = [...existing.types.keys()].some((name) => existing.key(name) === existing.key(DELETED_AT));
    if (!has) await this.run({ sql: addDeletedAtColumnSql(description), params: [] });
  }

  async buildGold(goldDir: string, changedTables?: readonly string[]): Promise<GoldModelResult[]> {
    return buildGoldModels(goldDir, changedTables, {
      existingTables: async () =>
        new Set(
          (await this.rows({ sql: "select table_schema || '.' || table_name as t from information_schema.tables where table_schema in ('raw', 'staging')", params: [] }))
            .map((row) => String(row['t']).toLowerCase()),
        ),
      build: async (model) => {
        await this.exclusive(() => this.run({ sql: createGoldTableSql(model.name, model.select), params: [] }));
        faultPoint('warehouse:during-gold');
      },
    });
  }

  async query(sql: string, params: Params = []): Promise<Record<string, unknown>[]> {
    return this.exclusive(async () => {
      try {
        return await this.rows({ sql, params });
      } catch (error) {
        throw wrapDuckDbError('Query', error);
      }
    });
  }

  /** Runs calls one after another on the single connection. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const result = this.queue.then(work, work);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private transaction<T>(doing: string, work: () => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      await this.connection.run('begin transaction');
      try {
        const result = await work();
        await this.connection.run('commit');
        return result;
      } catch (error) {
        await this.connection.run('rollback').catch(() => undefined);
        throw wrapDuckDbError(doing, error);
      }
    });
  }

  /** Runs one statement; returns the rows it changed. */
  private async run(statement: BoundSql): Promise<number> {
    const reader = await this.connection.runAndReadAll(statement.sql, [...statement.params] as DuckDBValue[]);
    return reader.rowsChanged;
  }

  private async rows(statement: BoundSql): Promise<Record<string, unknown>[]> {
    const reader = await this.connection.runAndReadAll(statement.sql, [...statement.params] as DuckDBValue[]);
    return reader.getRowObjectsJS();
  }

  private async countRows(table: QualifiedName): Promise<number> {
    const [row] = await this.rows({ sql: `select count(*) as n from ${quoteQualifiedName(table)}`, params: [] });
    return Number(row?.['n'] ?? 0);
  }

  private async loadedFiles(rawTable: string): Promise<Set<string>> {
    const rows = await this.rows({
      sql: `select "file_path" from ${quoteQualifiedName(LOADED_FILES_TABLE)} where "raw_table" = $1`,
      params: [rawTable],
    });
    return new Set(rows.map((row) => String(row['file_path'])));
  }

  private async existingColumns(table: QualifiedName): Promise<ExistingColumns> {
    const rows = await this.rows(tableColumnsSql(table));
    return {
      types: new Map(rows.map((row) => [String(row['column_name']), String(row['data_type'])])),
      key: (name) => name.toLowerCase(),
      canonical: canonicalDuckDbType,
    };
  }

  /**
   * Creates the table, or adds the description's new columns to it; returns the columns it has
   * that the description lacks (dropped at the source). A column whose type differs from the
   * description's is refused: evolveSchema alters widened columns before the load, so a difference
   * left here is one floe did not judge a widening, or had no last known schema to judge by.
   */
  private async ensureTable(table: QualifiedName, createSql: string, description: TableDescription): Promise<string[]> {
    const existing = await this.existingColumns(table);
    if (existing.types.size === 0) {
      await this.run({ sql: createSql, params: [] });
      return [];
    }
    const stored = new Map([...existing.types].map(([name, type]) => [existing.key(name), type]));
    for (const column of description.columns) {
      const current = stored.get(existing.key(column.name));
      if (current === undefined) {
        await this.run({ sql: addColumnSql(table, column, table === description.rawTable ? 'raw' : 'staging'), params: [] });
      } else if (canonicalDuckDbType(current) !== canonicalDuckDbType(column.warehouseType)) {
        throw new WarehouseError(
          `Column ${column.name} of ${quoteQualifiedName(table)} is ${current} in the warehouse, but table ${description.table} now extracts it as ${column.arrowType} (${column.warehouseType}): a type change floe did not apply (it applies only widenings, found against the table's last known schema, before loading). Migrate the column by hand, or drop the table and reload in full mode.`,
        );
      }
    }
    return droppedColumnsOf(description, existing);
  }
}
