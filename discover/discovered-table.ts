/**
 * What `floe discover` learns about one base table of a source, engine-neutral.
 *
 * @example
 * {"schema":"clr","table":"users","name":"clr.users","primaryKey":["id"],
 *  "incrementalColumn":"updated_at","partitionColumn":"id"}
 */
export interface DiscoveredTable {
  /** The schema (PostgreSQL) or database (MySQL) the table lives in. */
  schema: string;
  table: string;
  /** The name as floe.config.yaml takes it: `schema.table` for PostgreSQL, `table` for MySQL. */
  name: string;
  /** Primary key columns in key order; empty when the table has no primary key. */
  primaryKey: string[];
  /** A timestamp column named like `updated_at`, NOT NULL ones first; null → full mode. */
  incrementalColumn: string | null;
  /** The key column when the key is one integer column; null → one partition. */
  partitionColumn: string | null;
}

/** A column as the catalogs describe it, reduced to what the suggestions need. */
export interface CatalogColumn {
  name: string;
  kind: 'integer' | 'timestamp' | 'other';
  notNull: boolean;
}

/** A base table as the catalogs describe it: columns in table order, key columns in key order. */
export interface CatalogTable {
  schema: string;
  table: string;
  columns: CatalogColumn[];
  primaryKey: string[];
}

export interface DiscoverOptions {
  /** PostgreSQL only: one schema instead of every non-system schema. */
  schema?: string | undefined;
}
