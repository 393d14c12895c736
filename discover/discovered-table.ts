/**
 * What `floe discover` learns about one base table of a source, engine-neutral.
 *
 * @example
 * {"schema":"clr","table":"users","name":"clr.users","primaryKey":["id"],"keyEvidence":null,"mode":"incremental","modeEvidence":null,
 *  "incrementalColumn":"updated_at","incrementalEvidence":"set by a trigger on update, NOT NULL, indexed",
 *  "partitionColumn":null,"partitions":1,"estimatedRows":1523,"estimatedBytes":262144}
 */
export interface DiscoveredTable {
  /** The schema (PostgreSQL) or database (MySQL) the table lives in. */
  schema: string;
  table: string;
  /** The name as floe.config.yaml takes it: `schema.table` for PostgreSQL, `table` for MySQL. */
  name: string;
  /**
   * Key columns in key order: the primary key, or else the columns of a unique index over NOT NULL
   * columns (see `keyEvidence`); empty when the table has neither.
   */
  primaryKey: string[];
  /** Why the key is not a primary key: the unique index it comes from. Null for a declared primary key or none. */
  keyEvidence: string | null;
  /**
   * How runs reach staging: `incremental` (a key and a column to read by), `full`, or `append` (no
   * key, and a column stamped when a row is inserted: rows taken as only inserted, as in a log).
   */
  mode: 'full' | 'incremental' | 'append';
  /** Why a table without a key runs in its mode, in a few words; null for a table with a key. */
  modeEvidence: string | null;
  /** The column the table is read incrementally (or appended) by; null → full mode. */
  incrementalColumn: string | null;
  /** Why that column, in a few words (what the catalog says of it); null without one. */
  incrementalEvidence: string | null;
  /** The key column when the key is one integer column and the table is big enough to split; else null. */
  partitionColumn: string | null;
  /** Parallel reads proposed from the table's size: 1 below {@link PARTITION_BYTES}. */
  partitions: number;
  /** The catalog's row estimate (null when the catalog has none yet, e.g. never analyzed). */
  estimatedRows: number | null;
  estimatedBytes: number | null;
}

/** A column as the catalogs describe it, reduced to what the suggestions need. */
export interface CatalogColumn {
  name: string;
  kind: 'integer' | 'timestamp' | 'date' | 'other';
  notNull: boolean;
  /**
   * What the database itself does to the column on every update, when it does: MySQL's
   * `ON UPDATE CURRENT_TIMESTAMP`, or a PostgreSQL trigger that assigns it. Null when nothing.
   */
  setOnUpdate: string | null;
  /**
   * How the database stamps the column when a row is inserted, when it does: a default of the
   * clock (`now()`, `CURRENT_TIMESTAMP`). Null when nothing.
   */
  setOnInsert: string | null;
  /** The column leads an index, so a window on it reads an index range, not the whole table. */
  indexed: boolean;
}

/** A unique index (or constraint) whose rows it holds unique: a key for a table without a primary key. */
export interface UniqueIndex {
  name: string;
  /** In index order. */
  columns: string[];
}

/** A base table as the catalogs describe it: columns in table order, key columns in key order. */
export interface CatalogTable {
  schema: string;
  table: string;
  columns: CatalogColumn[];
  primaryKey: string[];
  /**
   * Unique indexes on plain columns only, all of them key columns of the index, with no WHERE
   * (partial) and valid: each holds every row unique, but only over NOT NULL columns is it a key.
   */
  uniqueIndexes: UniqueIndex[];
  estimatedRows: number | null;
  estimatedBytes: number | null;
}

export interface DiscoverOptions {
  /** PostgreSQL only: one schema instead of every non-system schema. */
  schema?: string | undefined;
}
