import type { SchemaChange } from '../events/schema-change.js';
import { faultPoint } from '../fault/fault-point.js';
import { buildGoldModels } from './gold-build.js';
import { createLoadedFilesTableSql, createSchemasSql, loadedFilesSql, recordLoadedFileSql } from './loaded-files-sql.js';
import { WAREHOUSE_SCHEMAS } from './naming.js';
import type { QualifiedName } from './quote.js';
import { droppedColumnsOf, ensureTableSql, evolveTableSql, existingColumnsFrom, type ExistingColumns } from './schema-ddl.js';
import type { SqlDialect } from './sql-dialect.js';
import * as sql from './table-sql.js';
import { stagingWriteOf, type ManifestLike, type TableDescription } from './table-description.js';
import type { Execute, StepLabel, WarehouseDriver } from './warehouse-driver.js';
import type { GoldModelResult, RawLoadResult, StagingResult, Warehouse } from './warehouse.js';
import { WarehouseError } from './warehouse-error.js';

/** Keys per statement when applying deletes found at the source. */
const DELETE_BATCH = 1_000;

type Params = readonly (string | number | bigint | boolean | null)[];

/**
 * Why this warehouse cannot load the description's columns (a type its dialect cannot map, or
 * cannot hold exactly), or null. Each warehouse refuses for itself: a decimal of 50 digits is
 * refused by DuckDB and Snowflake alike today, but by each dialect's own rule.
 */
export function columnsRefusal(dialect: SqlDialect, description: TableDescription): string | null {
  const typed = description.columns.map((column) => ({ column, type: dialect.typeFor(column) }));
  const unknown = typed.filter(({ type }) => type === null).map(({ column }) => `${column.name} has Arrow type ${column.arrowType}`);
  if (unknown.length > 0) {
    return `column ${unknown.join(', ')}, which floe cannot map to a ${dialect.label} type; add it to warehouse/${dialect.name}-type.ts, or exclude the column`;
  }
  const inexact = typed.flatMap(({ column, type }) => (type?.inexact == null ? [] : [`column ${column.name} (${column.arrowType}) ${type.inexact}`]));
  return inexact.length === 0 ? null : `${inexact.join('; ')}. Extract the column as text, or exclude it`;
}

/**
 * The warehouse steps, once, over a driver (how to run statements and load files on one warehouse)
 * and its dialect (how that warehouse spells SQL). `DuckDbWarehouse.open` and
 * `SnowflakeWarehouse.open` give one of these; `test/warehouse/conformance/` holds both to the same results.
 *
 * Steps run one at a time (a transaction belongs to the connection). Where DDL commits by itself
 * (Snowflake), a step plans and runs its DDL first and then its rows; elsewhere (DuckDB) both share
 * one transaction, so a failure leaves nothing of the step behind.
 */
export class SqlWarehouse implements Warehouse {
  readonly dialect: SqlDialect;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly driver: WarehouseDriver) {
    this.dialect = driver.dialect;
  }

  /** Uses an open driver; creates floe's schemas and bookkeeping table if missing. `where` names the warehouse in messages. */
  static async open(driver: WarehouseDriver, where: string): Promise<SqlWarehouse> {
    const warehouse = new SqlWarehouse(driver);
    await warehouse.step(`Preparing floe's schemas and bookkeeping in ${where}`, async () => {
      for (const statement of [...createSchemasSql(driver.dialect), createLoadedFilesTableSql(driver.dialect)]) {
        await driver.run({ sql: statement, params: [] }, { step: 'open' });
      }
    });
    return warehouse;
  }

  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
    await this.driver.close();
  }

  /**
   * Every table's DDL is planned (and refused, if it must be) before the first statement runs. Any
   * change, a dropped column included, then reaches what the driver keeps in step with staging.
   */
  evolveSchema(description: TableDescription, changes: readonly SchemaChange[], runId: string): Promise<void> {
    const tables = `${this.name(description.rawTable)} and ${this.name(description.stagingTable)}`;
    return this.step(`Evolving the schema of ${tables} for run ${runId}`, async () => {
      if (changes.length === 0) return;
      const onlyDropped = changes.every((change) => change.change === 'dropped');
      if (!onlyDropped) this.refuseColumns(description, `Cannot change the schema of ${tables} for run ${runId}`);
      await this.ddl({ step: 'evolve-schema', runId }, async (execute) => {
        const statements: string[] = [];
        for (const [table, layer] of [[description.rawTable, 'raw'], [description.stagingTable, 'staging']] as const) {
          const existing = await this.columnsOf(execute, table);
          if (existing.types.size > 0 && !onlyDropped) statements.push(...evolveTableSql(this.dialect, table, layer, description, changes, existing));
        }
        for (const statement of statements) await execute({ sql: statement, params: [] });
        const staging = await this.columnsOf(execute, description.stagingTable);
        if (staging.types.size > 0) await this.driver.afterSchemaChange?.(execute, description, droppedColumnsOf(description, staging));
      });
    });
  }

  /** Files already in `floe.loaded_files` are skipped; each file's rows that landed must equal the manifest's count. */
  loadRaw(description: TableDescription, manifest: ManifestLike, rawRoot: string): Promise<RawLoadResult> {
    const raw = this.name(description.rawTable);
    return this.step(`Loading run ${manifest.runId} into ${raw}`, async () => {
      this.refuseColumns(description, `Cannot load run ${manifest.runId} into ${raw}`);
      return this.ddlThen(
        { step: 'load-raw', runId: manifest.runId },
        async (execute) => {
          await this.ensureTable(execute, description, 'raw');
          if (this.driver.stageFiles === undefined) return;
          const loaded = await this.loadedFiles(execute, description);
          const files = manifest.files.filter((file) => !loaded.has(file.path));
          if (files.length > 0) await this.driver.stageFiles(execute, { description, manifest, files, rawRoot });
        },
        async (execute) => {
          const loaded = await this.loadedFiles(execute, description);
          const files = manifest.files.filter((file) => !loaded.has(file.path));
          if (files.length === 0) return { rowsLoaded: 0, filesLoaded: 0, alreadyLoaded: manifest.files.length > 0 };
          const landed = await this.driver.loadFiles(execute, { description, manifest, files, rawRoot });
          faultPoint('warehouse:during-raw-load');
          for (const file of files) {
            const rows = landed.get(file.path) ?? 0;
            if (rows !== file.rows) {
              throw new WarehouseError(
                `File ${file.path} of run ${manifest.runId} has ${rows} rows in ${raw} but the manifest says ${file.rows}; nothing was loaded. Re-run the extraction for this table.`,
              );
            }
          }
          for (const file of files) await execute(recordLoadedFileSql(this.dialect, description.rawTable, file.path, manifest.runId, file.rows));
          return { rowsLoaded: files.reduce((sum, file) => sum + file.rows, 0), filesLoaded: files.length, alreadyLoaded: false };
        },
        { rowsInTransaction: true },
      );
    });
  }

  /**
   * Counts: MERGE reports only the rows it changed, so inserted is the growth of staging and
   * updated is the rest; by delete-and-insert, updated is the rows deleted and inserted the rest of
   * the rows added. Matched rows left alone (an older version arriving late) count as neither.
   * The counts and the statements share one transaction, so the counts are the statements' own.
   */
  mergeStaging(description: TableDescription, runId: string): Promise<StagingResult> {
    return this.step(`Merging run ${runId} into ${this.name(description.stagingTable)}`, () => {
      if (description.primaryKey.length === 0) {
        throw new WarehouseError(`Cannot merge run ${runId} into ${this.name(description.stagingTable)}: the table has no primary key to merge on; its runs are appended or replace staging.`);
      }
      return this.ddlThen(
        { step: 'merge-staging', runId },
        async (execute) => {
          const { dropped, changed } = await this.ensureTable(execute, description, 'staging');
          const markAdded = description.softDelete === true && (await this.ensureDeletedAt(execute, description, await this.columnsOf(execute, description.stagingTable)));
          if (changed || markAdded) await this.driver.afterSchemaChange?.(execute, description, dropped);
          return dropped;
        },
        async (execute, dropped) => {
          const before = await this.countRows(execute, description.stagingTable);
          const keysUnique = await this.runKeysAreUnique(execute, description, runId);
          if (before === 0) {
            const inserted = (await execute(sql.insertRunRowsSql(this.dialect, description, runId, keysUnique))).rowsAffected;
            faultPoint('warehouse:during-merge');
            return { inserted, updated: 0, deleted: 0 };
          }
          if (this.dialect.upsertBy === 'delete-and-insert') {
            const [remove, add] = sql.mergeByDeleteAndInsertSql(this.dialect, description, runId, keysUnique);
            const updated = (await execute(remove)).rowsAffected;
            faultPoint('warehouse:during-merge');
            const added = (await execute(add)).rowsAffected;
            // Fewer added than deleted only where staging held a key twice (a key narrowed, or given
            // to a table that had none): its copies leave together and one row comes back.
            return { inserted: Math.max(0, added - updated), updated, deleted: 0 };
          }
          const changed = (await execute(sql.mergeStagingSql(this.dialect, description, runId, keysUnique, dropped))).rowsAffected;
          faultPoint('warehouse:during-merge');
          const inserted = (await this.countRows(execute, description.stagingTable)) - before;
          return { inserted, updated: changed - inserted, deleted: 0 };
        },
        { rowsInTransaction: true },
      );
    });
  }

  /**
   * Counts by key: only in the run (inserted), in both (updated, changed or not), only in staging
   * (deleted). Without a key, rows are counted as multisets: only in the run (inserted), only in
   * staging (deleted); a changed row is one of each.
   */
  replaceStaging(description: TableDescription, runId: string): Promise<StagingResult> {
    return this.step(`Replacing ${this.name(description.stagingTable)} with run ${runId}`, () =>
      this.ddlThen(
        { step: 'replace-staging', runId },
        async (execute) => {
          const { dropped, changed } = await this.ensureTable(execute, description, 'staging');
          if (changed) await this.driver.afterSchemaChange?.(execute, description, dropped);
        },
        async (execute) => {
          const keyless = description.primaryKey.length === 0;
          if ((await this.countRows(execute, description.stagingTable)) === 0) {
            // Staging is empty (a first load, or every earlier run read no rows): every row the run keeps is
            // inserted, so the insert's own count says it, and comparing the run with an empty staging
            // (a full pass over the run's keys) is skipped. The table's Snowflake procedure does the same.
            const keysUnique = keyless || (await this.runKeysAreUnique(execute, description, runId));
            const inserted = (await execute(sql.insertRunRowsSql(this.dialect, description, runId, keysUnique))).rowsAffected;
            faultPoint('warehouse:during-merge');
            return { inserted, updated: 0, deleted: 0 };
          }
          const compare = keyless ? sql.compareRowsSql(this.dialect, description, runId, 'replace') : sql.compareSnapshotSql(this.dialect, description, runId);
          const [counts] = (await execute(compare)).rows;
          const keysUnique = keyless || (await this.runKeysAreUnique(execute, description, runId));
          for (const statement of sql.replaceStagingSql(this.dialect, description, runId, keysUnique)) await execute(statement);
          faultPoint('warehouse:during-merge');
          const count = (name: string) => Number(counts?.[this.dialect.storedName(name)] ?? 0);
          return { inserted: count('inserted'), updated: count('updated'), deleted: count('deleted') };
        },
        { rowsInTransaction: true },
      ),
    );
  }

  /** Counts as multisets, over the rows the run restates: only in the run (inserted), only in staging (deleted). */
  appendStaging(description: TableDescription, runId: string): Promise<StagingResult> {
    return this.step(`Appending run ${runId} to ${this.name(description.stagingTable)}`, () => {
      if (stagingWriteOf(description) !== 'append') {
        throw new WarehouseError(`Cannot append run ${runId} to ${this.name(description.stagingTable)}: only an incremental run of a table without a primary key is appended.`);
      }
      return this.ddlThen(
        { step: 'append-staging', runId },
        async (execute) => {
          const { dropped, changed } = await this.ensureTable(execute, description, 'staging');
          if (changed) await this.driver.afterSchemaChange?.(execute, description, dropped);
        },
        async (execute) => {
          const [counts] = (await execute(sql.compareRowsSql(this.dialect, description, runId, 'append'))).rows;
          for (const statement of sql.appendStagingSql(this.dialect, description, runId)) await execute(statement);
          faultPoint('warehouse:during-merge');
          const count = (name: string) => Number(counts?.[this.dialect.storedName(name)] ?? 0);
          return { inserted: count('inserted'), updated: 0, deleted: count('deleted') };
        },
        { rowsInTransaction: true },
      );
    });
  }

  prepareDeleteDetection(description: TableDescription, runId: string): Promise<boolean> {
    return this.step(`Preparing delete detection on ${this.name(description.stagingTable)} for run ${runId}`, () =>
      this.ddl({ step: 'detect-deletes', runId }, async (execute) => {
        const existing = await this.columnsOf(execute, description.stagingTable);
        if (existing.types.size === 0) return false;
        if (description.softDelete === true && (await this.ensureDeletedAt(execute, description, existing))) {
          await this.driver.afterSchemaChange?.(execute, description, droppedColumnsOf(description, existing));
        }
        return true;
      }),
    );
  }

  /** Batches of keys, each one statement, all in one transaction. */
  applyDetectedDeletes(description: TableDescription, keys: readonly (readonly string[])[], how: 'mark' | 'remove', noticedAt: string, runId: string): Promise<number> {
    return this.step(`Applying deletes found at the source to ${this.name(description.stagingTable)} for run ${runId}`, async () => {
      if (keys.length === 0) return 0;
      return this.driver.transaction({ step: 'detect-deletes', runId }, async (execute) => {
        let changed = 0;
        for (let start = 0; start < keys.length; start += DELETE_BATCH) {
          changed += (await execute(sql.applyDetectedDeletesSql(this.dialect, description, keys.slice(start, start + DELETE_BATCH), how, noticedAt))).rowsAffected;
        }
        return changed;
      });
    });
  }

  /** Each model is its own statement: one failing does not undo the others (see gold-build.ts). */
  buildGold(goldDir: string, changedTables?: readonly string[]): Promise<GoldModelResult[]> {
    const label: StepLabel = { step: 'build-gold' };
    return this.step(`Building the gold models in ${goldDir}`, () =>
      buildGoldModels(goldDir, changedTables, {
        existingTables: async () => {
          const { rows } = await this.driver.run(
            {
              sql: `select lower(table_schema) || '.' || lower(table_name) as "t" from ${this.dialect.informationSchema}.tables where table_schema in ($1, $2)`,
              params: [this.dialect.storedName(WAREHOUSE_SCHEMAS.raw), this.dialect.storedName(WAREHOUSE_SCHEMAS.staging)],
            },
            label,
          );
          return new Set(rows.map((row) => String(row['t'])));
        },
        build: async (model) => {
          await this.driver.run({ sql: sql.createGoldTableSql(this.dialect, WAREHOUSE_SCHEMAS.gold, model.name, model.select), params: [] }, label);
          faultPoint('warehouse:during-gold');
        },
      }),
    );
  }

  /** `$n` parameters on every warehouse. Names of unquoted result columns are as the warehouse returns them (Snowflake: upper case). */
  async query(text: string, params: Params = []): Promise<Record<string, unknown>[]> {
    return this.step('Query', async () => (await this.driver.run({ sql: text, params }, { step: 'query' })).rows);
  }

  /** One step at a time; the driver's errors become WarehouseErrors saying what floe was doing. */
  private step<T>(doing: string, work: () => Promise<T>): Promise<T> {
    const guarded = async (): Promise<T> => {
      try {
        return await work();
      } catch (error) {
        throw this.driver.wrapError(doing, error);
      }
    };
    const result = this.queue.then(guarded, guarded);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** A step that only changes tables: in one transaction where DDL shares them, else statement by statement. */
  private ddl<T>(label: StepLabel, work: (execute: Execute) => Promise<T>): Promise<T> {
    return this.driver.ddlCommits ? work(this.alone(label)) : this.driver.transaction(label, work);
  }

  /**
   * A step's DDL, then its rows. Where DDL shares transactions (DuckDB) both run in one; where it
   * commits by itself (Snowflake) the DDL runs first, each statement on its own, and then the rows,
   * in a transaction when `rowsInTransaction`.
   */
  private async ddlThen<D, T>(
    label: StepLabel,
    ddl: (execute: Execute) => Promise<D>,
    rows: (execute: Execute, planned: D) => Promise<T>,
    options: { rowsInTransaction: boolean },
  ): Promise<T> {
    if (!this.driver.ddlCommits) return this.driver.transaction(label, async (execute) => rows(execute, await ddl(execute)));
    const planned = await ddl(this.alone(label));
    return options.rowsInTransaction ? this.driver.transaction(label, (execute) => rows(execute, planned)) : rows(this.alone(label), planned);
  }

  /** Statements outside any transaction, each committing by itself. */
  private alone(label: StepLabel): Execute {
    return (statement) => this.driver.run(statement, label);
  }

  /** Creates the table or adds the columns it lacks; returns the columns it has that the description lacks, and whether it changed. */
  private async ensureTable(execute: Execute, description: TableDescription, layer: 'raw' | 'staging'): Promise<{ dropped: string[]; changed: boolean }> {
    const table = layer === 'raw' ? description.rawTable : description.stagingTable;
    const { statements, dropped } = ensureTableSql(this.dialect, table, layer, description, await this.columnsOf(execute, table));
    for (const statement of statements) await execute({ sql: statement, params: [] });
    return { dropped, changed: statements.length > 0 };
  }

  private async loadedFiles(execute: Execute, description: TableDescription): Promise<Set<string>> {
    return new Set((await execute(loadedFilesSql(this.dialect, description.rawTable))).rows.map((row) => String(row['file_path'])));
  }

  /** Whether it added the column: what the driver keeps in step with staging (Snowflake's procedure) must then follow. */
  private async ensureDeletedAt(execute: Execute, description: TableDescription, existing: ExistingColumns): Promise<boolean> {
    const has = [...existing.types.keys()].some((name) => existing.key(name) === existing.key(sql.DELETED_AT));
    if (!has) await execute({ sql: sql.addDeletedAtColumnSql(this.dialect, description), params: [] });
    return !has;
  }

  private async columnsOf(execute: Execute, table: QualifiedName): Promise<ExistingColumns> {
    return existingColumnsFrom(this.dialect, (await execute(this.dialect.tableColumnsSql(table))).rows);
  }

  private async countRows(execute: Execute, table: QualifiedName): Promise<number> {
    const [row] = (await execute({ sql: `select count(*) as "n" from ${this.dialect.qualified(table)}`, params: [] })).rows;
    return Number(row?.['n'] ?? 0);
  }

  private async runKeysAreUnique(execute: Execute, description: TableDescription, runId: string): Promise<boolean> {
    const [row] = (await execute(sql.runKeysAreUniqueSql(this.dialect, description, runId))).rows;
    return row?.['unique'] === true;
  }

  private refuseColumns(description: TableDescription, doing: string): void {
    const refusal = columnsRefusal(this.dialect, description);
    if (refusal !== null) throw new WarehouseError(`${doing}: ${refusal}.`);
  }

  private name(table: QualifiedName): string {
    return this.dialect.qualified(table);
  }
}
