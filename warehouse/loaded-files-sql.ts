import { WAREHOUSE_SCHEMAS } from './naming.js';
import type { QualifiedName } from './quote.js';
import type { SqlDialect } from './sql-dialect.js';
import type { BoundSql } from './table-sql.js';

/**
 * floe's own bookkeeping in the warehouse: its schemas, and `floe.loaded_files`, one row per raw
 * file loaded, which makes a raw load idempotent (a file listed there is never loaded again).
 * The same statements on every warehouse, for its dialect.
 */

/** The bookkeeping table: one row per loaded file. */
export const LOADED_FILES_TABLE: QualifiedName = { schema: WAREHOUSE_SCHEMAS.floe, name: 'loaded_files' };

/** `raw`, `staging`, `gold` and `floe`. */
export function createSchemasSql(dialect: SqlDialect): string[] {
  return Object.values(WAREHOUSE_SCHEMAS).map((schema) => `create schema if not exists ${dialect.schemaName(schema)}`);
}

export function createLoadedFilesTableSql(dialect: SqlDialect): string {
  const q = dialect.identifier;
  return [
    `create table if not exists ${dialect.qualified(LOADED_FILES_TABLE)} (`,
    `  ${q('raw_table')} ${dialect.textType} not null,`,
    `  ${q('file_path')} ${dialect.textType} not null,`,
    `  ${q('run_id')} ${dialect.textType} not null,`,
    `  ${q('row_count')} ${dialect.bigintType} not null,`,
    `  ${q('loaded_at')} ${dialect.timestampTzType} not null default ${dialect.currentTimestamp},`,
    `  primary key (${q('raw_table')}, ${q('file_path')})`,
    ')',
  ].join('\n');
}

/** The files of a raw table floe has loaded, as `file_path`. $1 raw table name. */
export function loadedFilesSql(dialect: SqlDialect, rawTable: QualifiedName): BoundSql {
  const q = dialect.identifier;
  return {
    sql: `select ${q('file_path')} as "file_path" from ${dialect.qualified(LOADED_FILES_TABLE)} where ${q('raw_table')} = $1`,
    params: [rawTable.name],
  };
}

/** Records one loaded file. $1 raw table, $2 file path, $3 run id, $4 rows. */
export function recordLoadedFileSql(dialect: SqlDialect, rawTable: QualifiedName, filePath: string, runId: string, rows: number): BoundSql {
  const q = dialect.identifier;
  return {
    sql: `insert into ${dialect.qualified(LOADED_FILES_TABLE)} (${q('raw_table')}, ${q('file_path')}, ${q('run_id')}, ${q('row_count')}) values ($1, $2, $3, $4)`,
    params: [rawTable.name, filePath, runId, rows],
  };
}
