import type { SchemaChange } from '../events/schema-change.js';
import { buildGoldModels } from './gold-build.js';
import { WAREHOUSE_SCHEMAS } from './naming.js';
import type { QualifiedName } from './quote.js';
import { droppedColumnsOf, evolveTableSql, type ExistingColumns } from './schema-ddl.js';
import { SnowflakeSession, type SnowflakeResult } from './snowflake-connection.js';
import { snowflakeDialect as dialect } from './snowflake-dialect.js';
import { wrapSnowflakeError } from './snowflake-error.js';
import {
  DEFAULT_STAGE_NAMES,
  copyFileIntoRawSql,
  createSnowflakeLoadedFilesTableSql,
  createSnowflakeSchemasSql,
  loadedFilesSql,
  recordLoadedFileSql,
  snowflakeTableColumnsSql,
  stampCopiedRowsSql,
  type SnowflakeStageNames,
} from './snowflake-sql.js';
import { canonicalSnowflakeType, snowflakeTypeForArrow } from './snowflake-type.js';
import * as sql from './table-sql.js';
import type { BoundSql } from './table-sql.js';
import type { ManifestLike, TableDescription } from './table-description.js';
import type { GoldModelResult, RawLoadResult, StagingResult, Warehouse } from './warehouse.js';
import { WarehouseError } from './warehouse-error.js';

/** Keys per statement when applying deletes found at the source. */
const DELETE_BATCH = 1_000;

type Params = readonly (string | number | bigint | boolean | null)[];
type Run = (statement: BoundSql) => Promise<SnowflakeResult>;

/** How the adapter uses the account; the defaults are what `floe snowflake apply` creates. */
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
 * The cloud warehouse: the same steps as DuckDbWarehouse, from the same
 * descriptions, in Snowflake's dialect. Raw is loaded by COPY from the stage on
 * the raw bucket; staging by the shared MERGE (the statements each table's
 * `FLOE.PROCESS__<table>` procedure wraps, see snowflake-procedure.ts).
 *
 * DDL commits a Snowflake transaction, so tables are created or widened
 * before each transaction starts, never inside it.
 */
export class SnowflakeWarehouse implements Warehouse {
  private readonly stageNames: SnowflakeStageNames;
  private readonly fileRowNumbers: boolean;

  private constructor(
    private readonly session: SnowflakeSession,
    options: SnowflakeWarehouseOptions,
  ) {
    this.stageNames = options.stageNames ?? DEFAULT_STAGE_NAMES;
    this.fileRowNumbers = options.fileRowNumbers ?? true;
  }

  /** Uses an open session; creates floe's schemas and bookkeeping table if missing. */
  static async open(session: SnowflakeSession, options: SnowflakeWarehouseOptions = {}): Promise<SnowflakeWarehouse> {
    const warehouse = new SnowflakeWarehouse(session, options);
    try {
      for (const statement of [...createSnowflakeSchemasSql(), createSnowflakeLoadedFilesTableSql()]) {
        await session.run({ sql: statement, params: [] }, floeQueryTag('open'));
      }
    } catch (error) {
      throw wrapSnowflakeError(`Preparing floe's schemas in Snowflake database ${session.settings.database}`, error);
    }
    return warehouse;
  }

  close(): Promise<void> {
    return this.session.close();
  }

  /**
   * DDL commits on its own in Snowflake, so the statements cannot share a transaction: every
   * table's DDL is planned (and refused, if Snowflake cannot alter a column in place) before the
   * first runs, and a run killed between two statements is completed by the next (the plan is
   * made from the columns the tables have).
   */
  async evolveSchema(description: TableDescription, changes: readonly SchemaChange[], runId: string): Promise<void> {
    if (changes.every((change) => change.change === 'dropped')) return;
    const tag = floeQueryTag('evolve-schema', runId);
    try {
      const statements: string[] = [];
      for (const [table, layer] of [[description.rawTable, 'raw'], [description.stagingTable, 'staging']] as const) {
        const existing = await this.existingColumns(table, tag);
        if (existing.types.size > 0) statements.push(...evolveTableSql(dialect, table, layer, description, changes, existing));
      }
      for (const statement of statements) await this.session.run({ sql: statement, params: [] }, tag);
    } catch (error) {
      throw wrapSnowflakeError(`Evolving the schema of ${dialect.qualified(description.rawTable)} and ${dialect.qualified(description.stagingTable)} for run ${runId}`, error);
    }
  }

  /** `_rawRoot` is unused: the stage is the raw root, and manifest paths are relative to it. */
  async loadRaw(description: TableDescription, manifest: ManifestLike, _rawRoot: string): Promise<RawLoadResult> {
    const raw = dialect.qualified(description.rawTable);
    const tag = floeQueryTag('load-raw', manifest.runId);
    const doing = `Loading run ${manifest.runId} into ${raw}`;
    try {
      const inexact = description.columns.filter((column) => snowflakeTypeForArrow(column.arrowType, column.sourceType)?.conversion != null);
      if (inexact.length > 0) {
        const names = inexact.map((column) => `${column.name} (${column.arrowType})`).join(', ');
        throw new WarehouseError(
          `Cannot load run ${manifest.runId} into ${raw}: column ${names} is wider than Snowflake's NUMBER(38) and would not load exactly. Extract the column as text, or exclude it.`,
        );
      }
      await this.ensureTable(description.rawTable, sql.createRawTableSql(dialect, description), description, 'raw', tag);
      return await this.session.transaction(tag, async (run) => {
        const loaded = new Set((await run(loadedFilesSql(description.rawTable))).rows.map((row) => String(row['file_path'])));
        const toLoad = manifest.files.filter((file) => !loaded.has(file.path));
        if (toLoad.length === 0) return { rowsLoaded: 0, filesLoaded: 0, alreadyLoaded: manifest.files.length > 0 };
        let rowsLoaded = 0;
        for (const file of toLoad) {
          await this.copyFile(run, description, manifest.runId, file.path);
          const stamped = await run(stampCopiedRowsSql(description, manifest.runId, file.path, manifest.startedAt));
          if (stamped.rowsAffected !== file.rows) {
            throw new WarehouseError(
              `File ${file.path} of run ${manifest.runId} has ${stamped.rowsAffected} rows in ${raw} but the manifest says ${file.rows}; nothing was loaded. Re-run the extraction for this table.`,
            );
          }
          await run(recordLoadedFileSql(description.rawTable, file.path, manifest.runId, file.rows));
          rowsLoaded += file.rows;
        }
        return { rowsLoaded, filesLoaded: toLoad.length, alreadyLoaded: false };
      });
    } catch (error) {
      throw wrapSnowflakeError(doing, error);
    }
  }

  /** Counts as DuckDB's: inserted is the growth of staging, updated the rest of what MERGE changed. */
  async mergeStaging(description: TableDescription, runId: string): Promise<StagingResult> {
    const tag = floeQueryTag('merge-staging', runId);
    try {
      const dropped = await this.ensureTable(description.stagingTable, sql.createStagingTableSql(dialect, description), description, 'staging', tag);
      if (description.softDelete === true) await this.ensureDeletedAt(description, await this.existingColumns(description.stagingTable, tag), tag);
      // The MERGE (or a first load's INSERT) is one statement, atomic by itself, so no explicit
      // transaction: the counts read around it can only be skewed by another writer of the table,
      // which floe's per-table lease keeps away. (fakesnow also cannot MERGE inside one.)
      const run: Run = (statement) => this.session.run(statement, tag);
      const before = await this.countRows(run, description.stagingTable);
      const keysUnique = await this.runKeysAreUnique(run, description, runId);
      if (before === 0) {
        return { inserted: (await run(sql.insertRunRowsSql(dialect, description, runId, keysUnique))).rowsAffected, updated: 0, deleted: 0 };
      }
      const changed = (await run(sql.mergeStagingSql(dialect, description, runId, keysUnique, dropped))).rowsAffected;
      const inserted = (await this.countRows(run, description.stagingTable)) - before;
      return { inserted, updated: changed - inserted, deleted: 0 };
    } catch (error) {
      throw wrapSnowflakeError(`Merging run ${runId} into ${dialect.qualified(description.stagingTable)}`, error);
    }
  }

  async replaceStaging(description: TableDescription, runId: string): Promise<StagingResult> {
    const tag = floeQueryTag('replace-staging', runId);
    try {
      await this.ensureTable(description.stagingTable, sql.createStagingTableSql(dialect, description), description, 'staging', tag);
      return await this.session.transaction(tag, async (run) => {
        const [counts] = (await run(sql.compareSnapshotSql(dialect, description, runId))).rows;
        const keysUnique = await this.runKeysAreUnique(run, description, runId);
        for (const statement of sql.replaceStagingSql(dialect, description, runId, keysUnique)) await run(statement);
        return { inserted: Number(counts?.['INSERTED'] ?? 0), updated: Number(counts?.['UPDATED'] ?? 0), deleted: Number(counts?.['DELETED'] ?? 0) };
      });
    } catch (error) {
      throw wrapSnowflakeError(`Replacing ${dialect.qualified(description.stagingTable)} with run ${runId}`, error);
    }
  }

  async prepareDeleteDetection(description: TableDescription, runId: string): Promise<boolean> {
    const tag = floeQueryTag('detect-deletes', runId);
    try {
      const existing = await this.existingColumns(description.stagingTable, tag);
      if (existing.types.size === 0) return false;
      if (description.softDelete === true) await this.ensureDeletedAt(description, existing, tag);
      return true;
    } catch (error) {
      throw wrapSnowflakeError(`Preparing delete detection on ${dialect.qualified(description.stagingTable)} for run ${runId}`, error);
    }
  }

  /** Batches of keys, each one statement, all in one transaction. */
  async applyDetectedDeletes(description: TableDescription, keys: readonly (readonly string[])[], how: 'mark' | 'remove', noticedAt: string, runId: string): Promise<number> {
    if (keys.length === 0) return 0;
    const tag = floeQueryTag('detect-deletes', runId);
    try {
      return await this.session.transaction(tag, async (run) => {
        let changed = 0;
        for (let start = 0; start < keys.length; start += DELETE_BATCH) {
          changed += (await run(sql.applyDetectedDeletesSql(dialect, description, keys.slice(start, start + DELETE_BATCH), how, noticedAt))).rowsAffected;
        }
        return changed;
      });
    } catch (error) {
      throw wrapSnowflakeError(`Applying deletes found at the source to ${dialect.qualified(description.stagingTable)} for run ${runId}`, error);
    }
  }

  /** DDL, so outside any transaction. */
  private async ensureDeletedAt(description: TableDescription, existing: ExistingColumns, tag: string): Promise<void> {
    const has = [...existing.types.keys()].some((name) => existing.key(name) === existing.key(sql.DELETED_AT));
    if (!has) await this.session.run({ sql: sql.addDeletedAtColumnSql(dialect, description), params: [] }, tag);
  }

  buildGold(goldDir: string, changedTables?: readonly string[]): Promise<GoldModelResult[]> {
    const tag = floeQueryTag('build-gold');
    return buildGoldModels(goldDir, changedTables, {
      existingTables: async () => {
        const { rows } = await this.session.run(
          {
            sql: `select lower(table_schema) || '.' || lower(table_name) as "t" from information_schema.tables where table_schema in ($1, $2)`,
            params: [WAREHOUSE_SCHEMAS.raw.toUpperCase(), WAREHOUSE_SCHEMAS.staging.toUpperCase()],
          },
          tag,
        );
        return new Set(rows.map((row) => String(row['t'])));
      },
      build: async (model) => {
        await this.session.run({ sql: sql.createGoldTableSql(dialect, WAREHOUSE_SCHEMAS.gold, model.name, model.select), params: [] }, tag);
      },
    });
  }

  /** `$n` parameters as on DuckDB. Unquoted names in results are upper case, as Snowflake returns them. */
  async query(text: string, params: Params = []): Promise<Record<string, unknown>[]> {
    try {
      return (await this.session.run({ sql: text, params }, floeQueryTag('query'))).rows;
    } catch (error) {
      throw wrapSnowflakeError('Query', error);
    }
  }

  /** One COPY per file, so each file's rows can be stamped with its path and counted against the manifest. */
  private async copyFile(run: Run, description: TableDescription, runId: string, path: string): Promise<void> {
    const { rows } = await run({ sql: copyFileIntoRawSql(description, path, this.stageNames, this.fileRowNumbers), params: [] });
    const status = String(rows[0]?.['status'] ?? '').toUpperCase();
    if (status === 'LOAD_SKIPPED' || rows.length === 0 || status.includes('0 FILES PROCESSED')) {
      throw new WarehouseError(
        `COPY skipped file ${path} of run ${runId} into ${dialect.qualified(description.rawTable)}: Snowflake's load history says it was loaded, but floe's ${WAREHOUSE_SCHEMAS.floe}.loaded_files has no record of it. Check raw for rows with _floe_file = '${path}' before reloading it by hand.`,
      );
    }
    if (status !== 'LOADED') {
      throw new WarehouseError(`COPY of file ${path} of run ${runId} into ${dialect.qualified(description.rawTable)} ended ${status}: ${String(rows[0]?.['first_error'] ?? 'no error given')}.`);
    }
  }

  private async runKeysAreUnique(run: Run, description: TableDescription, runId: string): Promise<boolean> {
    const [row] = (await run(sql.runKeysAreUniqueSql(dialect, description, runId))).rows;
    return row?.['unique'] === true;
  }

  private async countRows(run: Run, table: QualifiedName): Promise<number> {
    const [row] = (await run({ sql: `select count(*) as "n" from ${dialect.qualified(table)}`, params: [] })).rows;
    return Number(row?.['n'] ?? 0);
  }

  private async existingColumns(table: QualifiedName, tag: string): Promise<ExistingColumns> {
    const { rows } = await this.session.run(snowflakeTableColumnsSql(table), tag);
    return {
      types: new Map(rows.map((row) => [String(row['column_name']), storedType(row)])),
      key: (name) => name.toUpperCase(),
      canonical: canonicalSnowflakeType,
    };
  }

  /**
   * Creates the table, or adds the description's new columns to it; returns the columns it has
   * that the description lacks (dropped at the source). A column whose type differs is refused:
   * evolveSchema alters widened columns before the load, so a difference left here is one floe
   * did not judge a widening, or had no last known schema to judge by.
   */
  private async ensureTable(table: QualifiedName, createSql: string, description: TableDescription, layer: 'raw' | 'staging', tag: string): Promise<string[]> {
    const existing = await this.existingColumns(table, tag);
    if (existing.types.size === 0) {
      await this.session.run({ sql: createSql, params: [] }, tag);
      return [];
    }
    const stored = new Map([...existing.types].map(([name, type]) => [existing.key(name), type]));
    for (const column of description.columns) {
      const current = stored.get(existing.key(column.name));
      const wanted = dialect.columnType(column, layer);
      if (current === undefined) {
        await this.session.run({ sql: sql.addColumnSql(dialect, table, column, layer), params: [] }, tag);
      } else if (current !== canonicalSnowflakeType(wanted)) {
        throw new WarehouseError(
          `Column ${column.name} of ${dialect.qualified(table)} is ${current} in Snowflake, but table ${description.table} now extracts it as ${column.arrowType} (${wanted}): a type change floe did not apply (it applies only widenings, found against the table's last known schema, before loading). Migrate the column by hand, or drop the table and reload in full mode.`,
        );
      }
    }
    return droppedColumnsOf(description, existing);
  }
}

/** information_schema's type of a column, spelled as canonicalSnowflakeType spells a wanted one. */
function storedType(row: Record<string, unknown>): string {
  const type = String(row['data_type']).toUpperCase();
  if (type === 'NUMBER' && row['precision'] != null) return `NUMBER(${String(row['precision'])},${String(row['scale'] ?? 0)})`;
  return canonicalSnowflakeType(type);
}
