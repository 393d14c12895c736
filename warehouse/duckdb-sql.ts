import { duckDbDialect as dialect } from './duckdb-dialect.js';
import { WAREHOUSE_SCHEMAS } from './naming.js';
import { quoteIdentifier as q, quoteQualifiedName, type QualifiedName } from './quote.js';
import * as shared from './table-sql.js';
import type { BoundSql } from './table-sql.js';
import type { ColumnDescription, TableDescription } from './table-description.js';

/**
 * DuckDB SQL: the shared raw/staging generator (`table-sql.ts`) bound to the
 * DuckDB dialect, plus what only DuckDB does (reading Parquet itself, its
 * bookkeeping table, information_schema with `$n` parameters).
 */

export type { BoundSql } from './table-sql.js';

/** The bookkeeping table that makes raw loads idempotent: one row per loaded file. */
export const LOADED_FILES_TABLE: QualifiedName = { schema: WAREHOUSE_SCHEMAS.floe, name: 'loaded_files' };

/** One Parquet file of a run: where DuckDB reads it, and its path as the manifest names it. */
export interface RawFile {
  readonly location: string;
  readonly path: string;
}

const RUN_ID = q(shared.META.runId);
const FILE = q(shared.META.file);
const EXTRACTED_AT = q(shared.META.extractedAt);
const ROW = q(shared.META.row);

export function createSchemasSql(): string[] {
  return Object.values(WAREHOUSE_SCHEMAS).map((schema) => `create schema if not exists ${q(schema)}`);
}

export function createLoadedFilesTableSql(): string {
  return [
    `create table if not exists ${quoteQualifiedName(LOADED_FILES_TABLE)} (`,
    '  "raw_table" VARCHAR not null,',
    '  "file_path" VARCHAR not null,',
    '  "run_id" VARCHAR not null,',
    '  "row_count" BIGINT not null,',
    '  "loaded_at" TIMESTAMPTZ not null default current_timestamp,',
    '  primary key ("raw_table", "file_path")',
    ')',
  ].join('\n');
}

export const createRawTableSql = (description: TableDescription): string => shared.createRawTableSql(dialect, description);
export const createStagingTableSql = (description: TableDescription): string => shared.createStagingTableSql(dialect, description);
export const addColumnSql = (table: QualifiedName, column: ColumnDescription, layer: 'raw' | 'staging' = 'raw'): string =>
  shared.addColumnSql(dialect, table, column, layer);

/** The columns a table has now, to compare with a description. $1 schema, $2 table. */
export function tableColumnsSql(table: QualifiedName): BoundSql {
  return {
    sql: 'select column_name, data_type from information_schema.columns where table_schema = $1 and table_name = $2 order by ordinal_position',
    params: [table.schema, table.name],
  };
}

/**
 * Appends the given Parquet files to raw. `union_by_name` lines files up by
 * column name; `_floe_row` is the row's position in its file.
 * $1 run id, $2 extraction time, then each file's location and manifest path.
 */
export function insertRawSql(description: TableDescription, runId: string, extractedAt: string, files: readonly RawFile[]): BoundSql {
  const names = description.columns.map((column) => column.name);
  const locations = files.map((_, index) => `$${3 + 2 * index}`);
  const pairs = files.map((_, index) => `($${3 + 2 * index}, $${4 + 2 * index})`);
  const sql = [
    `insert into ${quoteQualifiedName(description.rawTable)} (${names.map(q).join(', ')}, ${RUN_ID}, ${FILE}, ${EXTRACTED_AT}, ${ROW})`,
    'select',
    ...names.map((name) => `  parquet.${q(name)},`),
    '  $1,',
    '  files.path,',
    '  cast($2 as TIMESTAMPTZ),',
    '  parquet.file_row_number',
    `from read_parquet([${locations.join(', ')}], union_by_name = true, filename = '_floe_location', file_row_number = true) as parquet`,
    `join (values ${pairs.join(', ')}) as files (location, path) on parquet._floe_location = files.location`,
  ].join('\n');
  return { sql, params: [runId, extractedAt, ...files.flatMap((file) => [file.location, file.path])] };
}

export const countRawRowsPerFileSql = (description: TableDescription, runId: string): BoundSql =>
  shared.countRawRowsPerFileSql(dialect, description, runId);
export const runKeysAreUniqueSql = (description: TableDescription, runId: string): BoundSql => shared.runKeysAreUniqueSql(dialect, description, runId);
export const dedupedRunRowsSql = (description: TableDescription, keysUnique = false): string => shared.dedupedRunRowsSql(dialect, description, keysUnique);
export const mergeStagingSql = (description: TableDescription, runId: string, keysUnique = false, droppedColumns: readonly string[] = []): BoundSql =>
  shared.mergeStagingSql(dialect, description, runId, keysUnique, droppedColumns);
export const alterColumnTypeSql = (table: QualifiedName, column: ColumnDescription, layer: 'raw' | 'staging'): string =>
  shared.alterColumnTypeSql(dialect, table, column, layer);
export const compareSnapshotSql = (description: TableDescription, runId: string): BoundSql => shared.compareSnapshotSql(dialect, description, runId);
export const insertRunRowsSql = (description: TableDescription, runId: string, keysUnique = false): BoundSql =>
  shared.insertRunRowsSql(dialect, description, runId, keysUnique);
export const replaceStagingSql = (description: TableDescription, runId: string, keysUnique = false): BoundSql[] =>
  shared.replaceStagingSql(dialect, description, runId, keysUnique);
export const createGoldTableSql = (name: string, select: string): string => shared.createGoldTableSql(dialect, WAREHOUSE_SCHEMAS.gold, name, select);
export const addDeletedAtColumnSql = (description: TableDescription): string => shared.addDeletedAtColumnSql(dialect, description);
export const applyDetectedDeletesSql = (description: TableDescription, keys: readonly (readonly string[])[], how: 'mark' | 'remove', noticedAt: string): BoundSql =>
  shared.applyDetectedDeletesSql(dialect, description, keys, how, noticedAt);
