import { rawTableFor, stagingTableFor } from './naming.js';
import type { QualifiedName } from './quote.js';
import { WarehouseError } from './warehouse-error.js';

/**
 * The fields of the extraction manifest (`glue/README.md`, "Manifest") the
 * warehouse reads. Typed structurally so the parsed `events/manifest.ts`
 * object fits without this layer importing it.
 */
export interface ManifestLike {
  readonly runId: string;
  /** The logical source name, e.g. `clr`. */
  readonly database: string;
  /** `table` or `schema.table`, as extracted. */
  readonly table: string;
  readonly mode: 'full' | 'incremental';
  readonly primaryKey: readonly string[];
  readonly incrementalColumn: string | null;
  readonly columns: readonly { name: string; arrowType: string; sourceType: string; nullable: boolean }[];
  readonly files: readonly { path: string; url: string; rows: number }[];
  readonly totalRows: number;
  /** When the job started reading (ISO-8601 with zone): the rows' extraction time. */
  readonly startedAt: string;
}

/**
 * One extracted column, as the extraction wrote it: warehouse-neutral. Each warehouse's dialect
 * maps it to its own type (`SqlDialect.typeFor`), and refuses it there if it cannot hold it exactly.
 */
export interface ColumnDescription {
  readonly name: string;
  /** The Parquet column's type as pyarrow prints it, e.g. `decimal128(12, 2)`, `timestamp[us, tz=UTC]`. */
  readonly arrowType: string;
  /** The source's own type, e.g. `numeric(12,2)`, `jsonb`. */
  readonly sourceType: string;
  readonly nullable: boolean;
}

/** Everything the SQL generators need to know about one table; built from a manifest. */
export interface TableDescription {
  readonly source: string;
  readonly table: string;
  readonly rawTable: QualifiedName;
  readonly stagingTable: QualifiedName;
  /** Empty for a table without a key: staging then holds every row as it came, duplicates included. */
  readonly primaryKey: readonly string[];
  readonly incrementalColumn: string | null;
  readonly mode: 'full' | 'incremental';
  readonly columns: readonly ColumnDescription[];
  /**
   * Staging keeps rows deleted at the source, marked in `_floe_deleted_at` (the table's
   * `deletes: detect`); absent or false otherwise. Set by load-and-merge from the table config.
   */
  readonly softDelete?: boolean;
}

/** Column names floe adds, or the Parquet reader uses; a source column may not take them. */
export const RESERVED_COLUMN_NAMES = ['_floe_run_id', '_floe_file', '_floe_extracted_at', '_floe_row', '_floe_deleted_at', '_floe_location', 'file_row_number'];

/**
 * Builds the table description from a manifest.
 *
 * Guarantees: no column takes a name floe reserves; no two column names differ only in case; the
 * primary key (none for a table without one) and the incremental column are extracted columns. Throws a non-retryable WarehouseError naming table and column otherwise. Types are not
 * judged here: whether a warehouse can hold a column is its dialect's question, asked by the steps.
 */
export function describeTable(manifest: ManifestLike): TableDescription {
  const where = `table ${manifest.table} of source ${manifest.database} (run ${manifest.runId})`;
  const columns = manifest.columns.map((column): ColumnDescription => {
    if (RESERVED_COLUMN_NAMES.includes(column.name.toLowerCase())) {
      throw new WarehouseError(`Column ${column.name} of ${where} uses a name floe reserves for load metadata; rename it in the source or exclude it.`);
    }
    return { name: column.name, arrowType: column.arrowType, sourceType: column.sourceType, nullable: column.nullable };
  });

  // DuckDB matches names without case and Snowflake folds them to upper case: two names one fold apart are one column there.
  const folded = new Map<string, string>();
  for (const column of columns) {
    const other = folded.get(column.name.toUpperCase());
    if (other !== undefined) {
      throw new WarehouseError(`Columns ${other} and ${column.name} of ${where} differ only in case, which the warehouse does not tell apart; rename one in the source.`);
    }
    folded.set(column.name.toUpperCase(), column.name);
  }

  const names = new Set(columns.map((column) => column.name));
  for (const key of manifest.primaryKey) {
    if (!names.has(key)) throw new WarehouseError(`Primary key column ${key} of ${where} is not among the extracted columns.`);
  }
  const incremental = manifest.incrementalColumn;
  if (incremental !== null && !names.has(incremental)) {
    throw new WarehouseError(`Incremental column ${incremental} of ${where} is not among the extracted columns.`);
  }
  if (manifest.mode === 'incremental' && incremental === null) {
    throw new WarehouseError(`The manifest of ${where} is incremental but names no incremental column.`);
  }

  return {
    source: manifest.database,
    table: manifest.table,
    rawTable: rawTableFor(manifest.database, manifest.table),
    stagingTable: stagingTableFor(manifest.database, manifest.table),
    primaryKey: [...manifest.primaryKey],
    incrementalColumn: incremental,
    mode: manifest.mode,
    columns,
  };
}

/**
 * How a run's rows reach staging, from its description: `merge` (incremental, one row per key,
 * newer versions winning), `replace` (full: staging becomes the run's rows, one per key, or every
 * row as it came for a table without a key), `append` (incremental without a key: the run's rows
 * are added, restating the rows staging already holds from the run's window; see table-sql.ts).
 */
export type StagingWrite = 'merge' | 'replace' | 'append';

export function stagingWriteOf(description: Pick<TableDescription, 'mode' | 'primaryKey'>): StagingWrite {
  if (description.mode === 'full') return 'replace';
  return description.primaryKey.length === 0 ? 'append' : 'merge';
}

/** The columns of a run's rejects file (glue/floe_extract/quarantine.py, REJECTS_SCHEMA). */
export const REJECT_COLUMNS = ['run_id', 'primary_key', 'column_name', 'source_value', 'reason', 'action'] as const;

/**
 * The rejects table of a run's table (`<raw table>__rejects`, in the raw schema) and the run's
 * rejects file as a manifest of its own: loaded like any raw table (idempotent per file, with the
 * same load metadata), on DuckDB and Snowflake alike. Null when the run set nothing aside.
 */
export function rejectsLoadFor(manifest: ManifestLike & { readonly rejects?: { readonly file: { path: string; url: string; rows: number } | null } | undefined }): {
  description: TableDescription;
  manifest: ManifestLike;
} | null {
  const file = manifest.rejects?.file ?? null;
  if (file === null) return null;
  const rejects: ManifestLike = {
    runId: manifest.runId,
    database: manifest.database,
    table: `${manifest.table}__rejects`,
    mode: 'full',
    primaryKey: ['run_id', 'primary_key', 'column_name'],
    incrementalColumn: null,
    columns: REJECT_COLUMNS.map((name) => ({ name, arrowType: 'string', sourceType: 'text', nullable: false })),
    files: [file],
    totalRows: file.rows,
    startedAt: manifest.startedAt,
  };
  return { description: describeTable(rejects), manifest: rejects };
}
