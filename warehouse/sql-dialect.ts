import type { QualifiedName } from './quote.js';
import type { ColumnDescription } from './table-description.js';

/**
 * Everything in which DuckDB's and Snowflake's raw/staging SQL differ, in one
 * place per warehouse (`duckdb-dialect.ts`, `snowflake-dialect.ts`). The
 * generator in `table-sql.ts` asks the dialect and writes the rest once, so a
 * MERGE rule changed there changes on both warehouses.
 */
export interface SqlDialect {
  readonly name: 'duckdb' | 'snowflake';
  /** An identifier floe creates (schema, table, column), quoted as this warehouse stores it. */
  identifier(name: string): string;
  /** `schema.table`, both parts through `identifier`. */
  qualified(table: QualifiedName): string;
  /** Types of floe's own columns. */
  readonly textType: string;
  readonly timestampTzType: string;
  readonly bigintType: string;
  /** How a source column is stored in raw (as the file holds it) and in staging (as readers want it). */
  columnType(column: ColumnDescription, layer: 'raw' | 'staging'): string;
  /** The expression turning a raw column into its staging value; the column itself when the types are equal. */
  stagingValue(column: ColumnDescription, rawColumn: string): string;
  /**
   * Whether `alter table … alter column … set data type` turns a column of type `current` into
   * `wanted` in place, keeping its values (both spelled as `columnType` gives them). Which
   * changes are widenings at all is decided once, in `schema-evolution.ts`.
   */
  canAlterType(current: string, wanted: string): boolean;
  /** Counts the rows meeting a condition (an aggregate). */
  countWhere(condition: string): string;
  /**
   * True when raw's load metadata is written by a statement after the rows land (Snowflake's COPY
   * cannot add constants), so raw's metadata columns must accept NULL for that moment.
   */
  readonly metadataStampedAfterLoad: boolean;
}
