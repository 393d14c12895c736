import type { QualifiedName } from './quote.js';
import type { BoundSql } from './table-sql.js';
import type { ColumnDescription } from './table-description.js';

/** How one extracted column is stored in a warehouse: as raw receives it from Parquet, and in staging. */
export interface WarehouseColumnType {
  /** The raw column's type: what the warehouse's Parquet load puts the file's column into exactly. */
  readonly raw: string;
  /** The staging column's type; differs from raw only where staging parses it (JSON into Snowflake's VARIANT). */
  readonly staging: string;
  /**
   * Why this warehouse would not hold the column's values exactly (a decimal wider than its 38
   * digits), or null. floe refuses to load such a column into this warehouse; another may hold it.
   */
  readonly inexact: string | null;
}

/**
 * Everything in which DuckDB's and Snowflake's SQL differ, in one place per warehouse
 * (`duckdb-dialect.ts`, `snowflake-dialect.ts`): names, types, spellings, and what the catalog
 * says of a table. The generators (`table-sql.ts`, `loaded-files-sql.ts`) and the steps
 * (`sql-warehouse.ts`) ask the dialect and write the rest once, so a rule changed there changes on
 * both warehouses. Pure data and functions: nothing here runs a statement.
 */
export interface SqlDialect {
  readonly name: 'duckdb' | 'snowflake';
  /** The warehouse's own name, for messages. */
  readonly label: 'DuckDB' | 'Snowflake';
  /** An identifier floe creates (schema, table, column), quoted as this warehouse stores it. */
  identifier(name: string): string;
  /** `schema.table` (Snowflake in a database: `database.schema.table`), each part through `identifier`. */
  qualified(table: QualifiedName): string;
  /** A schema floe creates, as `identifier` quotes it (Snowflake in a database: `database.schema`). */
  schemaName(schema: string): string;
  /** Where the catalog's views are: `information_schema`, or Snowflake's `"DATABASE".information_schema`. */
  readonly informationSchema: string;
  /**
   * A name as the warehouse's catalog lists it and as it names a result column aliased without
   * quotes: DuckDB keeps the spelling, Snowflake folds to upper case.
   */
  storedName(name: string): string;
  /** The form in which the warehouse compares two names: equal keys are one column to it. */
  nameKey(name: string): string;
  /** Types of floe's own columns. */
  readonly textType: string;
  readonly timestampTzType: string;
  readonly bigintType: string;
  /** The current time as a column default. */
  readonly currentTimestamp: string;
  /**
   * How an extracted column (its Arrow and source type) is stored here, or null for a type floe
   * cannot map to this warehouse (the caller names the column).
   */
  typeFor(column: ColumnDescription): WarehouseColumnType | null;
  /**
   * `typeFor(column)[layer]`, for generating SQL. Throws a WarehouseError naming the column when
   * the type cannot be mapped; the steps refuse such columns before any statement runs.
   */
  columnType(column: ColumnDescription, layer: 'raw' | 'staging'): string;
  /** The expression turning a raw column into its staging value; the column itself when the types are equal. */
  stagingValue(column: ColumnDescription, rawColumn: string): string;
  /** The spelling the catalog gives a type, so a stored type and a wanted one compare. */
  canonicalType(sqlType: string): string;
  /**
   * Whether `alter table … alter column … set data type` turns a column of type `current` into
   * `wanted` in place, keeping its values (both spelled as `columnType` gives them). Which
   * changes are widenings at all is decided once, in `schema-evolution.ts`.
   */
  canAlterType(current: string, wanted: string): boolean;
  /**
   * True when `create or replace` must say COPY GRANTS to keep the grants on the table it replaces
   * (Snowflake: https://docs.snowflake.com/en/sql-reference/sql/create-table#label-create-table-copy-grants).
   */
  readonly copiesGrants: boolean;
  /** Counts the rows meeting a condition (an aggregate). */
  countWhere(condition: string): string;
  /**
   * True when raw's load metadata is written by a statement after the rows land (Snowflake's COPY
   * cannot add constants), so raw's metadata columns must accept NULL for that moment.
   */
  readonly metadataStampedAfterLoad: boolean;
  /**
   * How a run's rows reach a staging table that already has rows: one MERGE, or, where updating
   * rows in place costs more than replacing them, a DELETE of the rows the run supersedes and an
   * INSERT of the run's rows staging lacks (`mergeStagingSql` and `mergeByDeleteAndInsertSql`: the
   * same rows and counts wherever staging holds each key once, which every write path keeps).
   */
  readonly upsertBy: 'merge' | 'delete-and-insert';
  /**
   * A table's columns, in order, from the catalog: one row per column, read with `storedColumn`.
   * Returns no rows for a table that does not exist.
   */
  tableColumnsSql(table: QualifiedName): BoundSql;
  /** A row of `tableColumnsSql`: the column's stored name and its type, spelled as `canonicalType` spells one. */
  storedColumn(row: Record<string, unknown>): { readonly name: string; readonly type: string };
}
