import { WAREHOUSE_SCHEMAS } from './naming.js';
import type { QualifiedName } from './quote.js';
import { snowflakeDialect as dialect, snowflakeIdentifier as q } from './snowflake-dialect.js';
import { META, type BoundSql } from './table-sql.js';
import type { TableDescription } from './table-description.js';

/**
 * What only Snowflake runs: the raw load (COPY from the stage, then the run's metadata stamped on
 * the rows just copied). The raw/staging SQL shared with DuckDB is `table-sql.ts`; the
 * bookkeeping, `loaded-files-sql.ts`.
 */

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
