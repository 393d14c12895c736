import { duckDbDialect as dialect } from './duckdb-dialect.js';
import * as shared from './table-sql.js';
import type { BoundSql } from './table-sql.js';
import type { TableDescription } from './table-description.js';

/**
 * What only DuckDB runs: the raw load, DuckDB reading the Parquet files itself. The raw/staging
 * SQL shared with Snowflake is `table-sql.ts`; the bookkeeping, `loaded-files-sql.ts`.
 */

/** One Parquet file of a run: where DuckDB reads it, and its path as the manifest names it. */
export interface RawFile {
  readonly location: string;
  readonly path: string;
}

const q = dialect.identifier;

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
    `insert into ${dialect.qualified(description.rawTable)} (${names.map(q).join(', ')}, ${q(shared.META.runId)}, ${q(shared.META.file)}, ${q(shared.META.extractedAt)}, ${q(shared.META.row)})`,
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

/** The rows of a run in raw per file, to compare with the manifest. $1 run id. */
export const countRawRowsPerFileSql = (description: TableDescription, runId: string): BoundSql => shared.countRawRowsPerFileSql(dialect, description, runId);
