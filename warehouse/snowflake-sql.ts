import { WAREHOUSE_SCHEMAS } from './naming.js';
import type { QualifiedName } from './quote.js';
import type { SqlDialect } from './sql-dialect.js';
import { META, type BoundSql } from './table-sql.js';
import type { TableDescription } from './table-description.js';

/**
 * What only Snowflake runs: the raw load (one COPY of a run's files from the stage, then the run's
 * metadata stamped on the rows just copied). The raw/staging SQL shared with DuckDB is
 * `table-sql.ts`; the bookkeeping, `loaded-files-sql.ts`. Every name comes through the dialect,
 * which qualifies it with floe's database (`snowflakeDialectIn`).
 */

/** Where raw files are loaded from, and the Parquet file format, all in the `floe` schema by default. */
export interface SnowflakeStageNames {
  /** The external stage on an `s3://` raw root. */
  readonly stage: QualifiedName;
  readonly fileFormat: QualifiedName;
  /** The internal stage a local raw folder's files are PUT into (`floe run`). Default `floe.raw_local`. */
  readonly localStage?: QualifiedName;
}

/** The internal stage `floe run` puts a local raw folder's files into, in place of the stage on S3. */
export const LOCAL_RAW_STAGE: QualifiedName = { schema: WAREHOUSE_SCHEMAS.floe, name: 'raw_local' };

export const DEFAULT_STAGE_NAMES: SnowflakeStageNames = {
  stage: { schema: WAREHOUSE_SCHEMAS.floe, name: 'raw_stage' },
  fileFormat: { schema: WAREHOUSE_SCHEMAS.floe, name: 'parquet' },
  localStage: LOCAL_RAW_STAGE,
};

/**
 * The most files one COPY's FILES list may name
 * (https://docs.snowflake.com/en/user-guide/data-load-considerations-load#lists-of-files).
 */
export const COPY_FILES_LIMIT = 1000;

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

/**
 * The Parquet file format the raw load reads with (https://docs.snowflake.com/en/sql-reference/sql/create-file-format):
 * - USE_LOGICAL_TYPE: decimals, timestamps, dates and times by their Parquet logical type, exactly;
 * - BINARY_AS_TEXT = FALSE: a binary column stays binary;
 * - NULL_IF = (): no text value turns into NULL. Without it, Snowflake's default `\N` would load a
 *   source value of exactly `\N` as NULL (docs/types.md keeps it as text). An empty string stays an
 *   empty string (distinct from NULL, as the source had it).
 */
export const PARQUET_FORMAT_OPTIONS = 'use_logical_type = true binary_as_text = false null_if = ()';

/**
 * Loads up to {@link COPY_FILES_LIMIT} files of one run into raw, in one statement. FILES names
 * exactly the run's files (relative to the stage, which sits on the raw root); Snowflake records
 * each file's name (METADATA$FILENAME, its path in the stage) and each row's position in it
 * (METADATA$FILE_ROW_NUMBER) in `_floe_file` and `_floe_row`
 * (https://docs.snowflake.com/en/user-guide/querying-metadata). Rules it relies on, from
 * https://docs.snowflake.com/en/sql-reference/sql/copy-into-table:
 * - MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE matches Parquet columns to table columns by name
 *   (floe's column names are the source's, folded as `snowflakeStoredName` says), so a file with
 *   fewer columns leaves the rest NULL; INCLUDE_METADATA requires it.
 * - LOAD_UNCERTAIN_FILES = TRUE: COPY skips by default a file whose load status is unknown, one
 *   last modified more than 64 days ago (https://docs.snowflake.com/en/user-guide/data-load-considerations-load#loading-older-files).
 *   floe.loaded_files, committed with the rows, already keeps a file from loading twice, so a late
 *   load of an old run loads. A file Snowflake knows it loaded is still skipped, and floe stops.
 * - ON_ERROR = ABORT_STATEMENT: any bad value fails the whole statement, so nothing loads in part.
 */
export function copyRunIntoRawSql(dialect: SqlDialect, description: TableDescription, filePaths: readonly string[], names: SnowflakeStageNames): string {
  if (filePaths.length === 0 || filePaths.length > COPY_FILES_LIMIT) {
    throw new Error(`One COPY names 1 to ${COPY_FILES_LIMIT} files, not ${filePaths.length}.`);
  }
  const q = dialect.identifier;
  return [
    `copy into ${dialect.qualified(description.rawTable)}`,
    `from @${dialect.qualified(names.stage)}`,
    `files = (${filePaths.map(quoteSnowflakeString).join(', ')})`,
    `file_format = (format_name = ${quoteSnowflakeString(dialect.qualified(names.fileFormat))})`,
    'match_by_column_name = case_insensitive',
    `include_metadata = (${q(META.file)} = METADATA$FILENAME, ${q(META.row)} = METADATA$FILE_ROW_NUMBER)`,
    'load_uncertain_files = true',
    'on_error = abort_statement',
  ].join('\n');
}

/**
 * Stamps the rows the run's COPY just added (the only raw rows without a run, inside this
 * transaction) with the run and its extraction time, in one statement for the whole run. The
 * rows it changes are the rows the files held, which the caller checks against COPY's own count.
 * $1 run id, $2 extraction time.
 */
export function stampRunRowsSql(dialect: SqlDialect, description: TableDescription, runId: string, extractedAt: string): BoundSql {
  const q = dialect.identifier;
  return {
    sql: [
      `update ${dialect.qualified(description.rawTable)}`,
      `set ${q(META.runId)} = $1, ${q(META.extractedAt)} = cast($2 as ${dialect.timestampTzType})`,
      `where ${q(META.runId)} is null`,
    ].join('\n'),
    params: [runId, extractedAt],
  };
}

/**
 * Parquet stores a UINT64 as its INT64 bits: a reader that does not honour the annotation reads a
 * value above 2^63−1 as a negative number (https://github.com/apache/parquet-format/blob/master/LogicalTypes.md#unsigned-integers).
 * Snowflake's documentation does not say how COPY reads UINT64, so floe counts, among the rows
 * just copied, the negative values of each unsigned 64-bit column: any is a wrong value, and the
 * load stops instead of keeping it. `floe snowflake verify` loads 18446744073709551615 to show it.
 */
export function negativeUnsignedSql(dialect: SqlDialect, description: TableDescription): BoundSql | null {
  const unsigned = description.columns.filter((column) => column.arrowType.trim() === 'uint64');
  if (unsigned.length === 0) return null;
  const q = dialect.identifier;
  const counts = unsigned.map((column, index) => `${dialect.countWhere(`${q(column.name)} < 0`)} as "u${index}"`);
  return { sql: `select ${counts.join(', ')} from ${dialect.qualified(description.rawTable)} where ${q(META.runId)} is null`, params: [] };
}

/** PUT of one local file into the internal stage, below `folder` (a manifest path's folder), as it is (Parquet is compressed already). */
export function putFileSql(dialect: SqlDialect, localFile: string, stage: QualifiedName, folder: string): string {
  // The whole stage location is quoted when it holds spaces (https://docs.snowflake.com/en/sql-reference/sql/put).
  const target = `@${dialect.qualified(stage)}/${folder}${folder.endsWith('/') || folder === '' ? '' : '/'}`;
  return [
    `put ${quoteSnowflakeString(`file://${localFile}`)} ${quoteSnowflakeString(target)}`,
    'auto_compress = false overwrite = true',
  ].join(' ');
}
