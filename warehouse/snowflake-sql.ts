import { WAREHOUSE_SCHEMAS } from './naming.js';
import type { QualifiedName } from './quote.js';
import { snowflakeDialect as dialect, snowflakeIdentifier as q } from './snowflake-dialect.js';
import { META, type BoundSql } from './table-sql.js';
import type { TableDescription } from './table-description.js';

/**
 * What only Snowflake runs: its bookkeeping table, information_schema reads,
 * and the raw load (COPY from the stage, then the run's metadata stamped on
 * the rows just copied). The raw/staging SQL shared with DuckDB is `table-sql.ts`.
 */

/** floe's own loaded-files bookkeeping, as DuckDB's `floe.loaded_files`. */
export const SNOWFLAKE_LOADED_FILES: QualifiedName = { schema: WAREHOUSE_SCHEMAS.floe, name: 'loaded_files' };

/** The stage on the raw bucket and its Parquet file format, both in the `floe` schema. */
export interface SnowflakeStageNames {
  readonly stage: QualifiedName;
  readonly fileFormat: QualifiedName;
}

export const DEFAULT_STAGE_NAMES: SnowflakeStageNames = {
  stage: { schema: WAREHOUSE_SCHEMAS.floe, name: 'raw_stage' },
  fileFormat: { schema: WAREHOUSE_SCHEMAS.floe, name: 'parquet' },
};

/**
 * A string literal, for the few places Snowflake takes no bound values (COPY's
 * FILES list, DDL options). Snowflake reads `\` as an escape inside quotes, so
 * it is doubled along with `'`.
 *
 * @example quoteSnowflakeString("it's") === "'it''s'"
 */
export function quoteSnowflakeString(value: string): string {
  if (value.includes('\u0000')) throw new Error(`The string ${JSON.stringify(value)} contains a NUL character.`);
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
}

export function createSnowflakeSchemasSql(): string[] {
  return Object.values(WAREHOUSE_SCHEMAS).map((schema) => `create schema if not exists ${q(schema)}`);
}

export function createSnowflakeLoadedFilesTableSql(): string {
  return [
    `create table if not exists ${dialect.qualified(SNOWFLAKE_LOADED_FILES)} (`,
    `  ${q('raw_table')} VARCHAR not null,`,
    `  ${q('file_path')} VARCHAR not null,`,
    `  ${q('run_id')} VARCHAR not null,`,
    `  ${q('row_count')} NUMBER(19,0) not null,`,
    `  ${q('loaded_at')} TIMESTAMP_TZ(9) not null default current_timestamp(),`,
    `  primary key (${q('raw_table')}, ${q('file_path')})`,
    ')',
  ].join('\n');
}

/** The files of a raw table floe has loaded. $1 raw table name. */
export function loadedFilesSql(rawTable: QualifiedName): BoundSql {
  return {
    sql: `select ${q('file_path')} as "file_path" from ${dialect.qualified(SNOWFLAKE_LOADED_FILES)} where ${q('raw_table')} = $1`,
    params: [rawTable.name],
  };
}

/** Records one loaded file. $1 raw table, $2 file path, $3 run id, $4 rows. */
export function recordLoadedFileSql(rawTable: QualifiedName, filePath: string, runId: string, rows: number): BoundSql {
  return {
    sql: `insert into ${dialect.qualified(SNOWFLAKE_LOADED_FILES)} (${q('raw_table')}, ${q('file_path')}, ${q('run_id')}, ${q('row_count')}) values ($1, $2, $3, $4)`,
    params: [rawTable.name, filePath, runId, rows],
  };
}

/** The columns a table has now: name, type, precision and scale. $1 schema, $2 table (as stored: upper case). */
export function snowflakeTableColumnsSql(table: QualifiedName): BoundSql {
  return {
    sql: [
      'select column_name as "column_name", data_type as "data_type", numeric_precision as "precision", numeric_scale as "scale"',
      'from information_schema.columns where table_schema = $1 and table_name = $2 order by ordinal_position',
    ].join('\n'),
    params: [table.schema.toUpperCase(), table.name.toUpperCase()],
  };
}

/**
 * Loads one Parquet file of the manifest into raw. FILES names exactly that
 * file (relative to the stage, which sits on the raw root); columns are
 * matched by name, so a file with fewer columns leaves the rest NULL.
 * With `fileRowNumbers`, Snowflake writes each row's position in the file to
 * `_floe_row`; fakesnow 0.12.1 rejects INCLUDE_METADATA, so tests on it turn it off.
 */
export function copyFileIntoRawSql(description: TableDescription, filePath: string, names: SnowflakeStageNames, fileRowNumbers: boolean): string {
  return [
    `copy into ${dialect.qualified(description.rawTable)}`,
    `from @${dialect.qualified(names.stage)}`,
    `files = (${quoteSnowflakeString(filePath)})`,
    `file_format = (format_name = ${quoteSnowflakeString(dialect.qualified(names.fileFormat))})`,
    'match_by_column_name = case_insensitive',
    ...(fileRowNumbers ? [`include_metadata = (${q(META.row)} = METADATA$FILE_ROW_NUMBER)`] : []),
  ].join('\n');
}

/**
 * Stamps the rows the COPY just added (the only raw rows without a run, inside
 * this transaction) with the run, file and extraction time. The rows it
 * changes are the rows the file held, which the caller checks against the
 * manifest. $1 run id, $2 file path, $3 extraction time.
 */
export function stampCopiedRowsSql(description: TableDescription, runId: string, filePath: string, extractedAt: string): BoundSql {
  return {
    sql: [
      `update ${dialect.qualified(description.rawTable)}`,
      `set ${q(META.runId)} = $1, ${q(META.file)} = $2, ${q(META.extractedAt)} = cast($3 as TIMESTAMP_TZ(9))`,
      `where ${q(META.runId)} is null`,
    ].join('\n'),
    params: [runId, filePath, extractedAt],
  };
}
