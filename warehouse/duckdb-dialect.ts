import { canonicalDuckDbType, duckDbTypeForArrow } from './duckdb-type.js';
import { quoteIdentifier, quoteQualifiedName } from './quote.js';
import type { SqlDialect } from './sql-dialect.js';
import type { ColumnDescription } from './table-description.js';
import { WarehouseError } from './warehouse-error.js';

function typeOf(column: ColumnDescription) {
  const type = duckDbTypeForArrow(column.arrowType);
  if (type === null) {
    throw new WarehouseError(`Column ${column.name} has Arrow type ${column.arrowType}, which floe cannot map to a DuckDB type; add it to warehouse/duckdb-type.ts.`);
  }
  return type;
}

/**
 * DuckDB: names kept as the source spells them (DuckDB matches identifiers without case anyway),
 * `count(*) filter`, one type per column in raw and staging.
 */
export const duckDbDialect: SqlDialect = {
  name: 'duckdb',
  label: 'DuckDB',
  identifier: quoteIdentifier,
  qualified: quoteQualifiedName,
  schemaName: quoteIdentifier,
  informationSchema: 'information_schema',
  storedName: (name) => name,
  nameKey: (name) => name.toLowerCase(),
  textType: 'VARCHAR',
  timestampTzType: 'TIMESTAMPTZ',
  bigintType: 'BIGINT',
  currentTimestamp: 'current_timestamp',
  typeFor: (column) => duckDbTypeForArrow(column.arrowType),
  columnType: (column, layer) => typeOf(column)[layer],
  stagingValue: (_column, rawColumn) => rawColumn,
  canonicalType: canonicalDuckDbType,
  // DuckDB's ALTER … TYPE casts every value; schema-evolution.ts only asks for lossless casts.
  canAlterType: () => true,
  copiesGrants: false,
  countWhere: (condition) => `count(*) filter (where ${condition})`,
  metadataStampedAfterLoad: false,
  // An UPDATE of rows spread over every row group makes DuckDB's checkpoint rewrite the updated
  // columns of each of them; a DELETE only marks rows, whose space a later checkpoint partly
  // reclaims (https://duckdb.org/docs/stable/sql/statements/checkpoint, "Reclaiming Space").
  // Measured on 3M rows, 1% changed per run: 40 runs took 38 s of CPU against 70 s with MERGE; the
  // file settles at 1.6x (356 MB after 40 and after 100 runs, against 243 MB). BENCHMARKS.md,
  // "`floe run` on embedded defaults". Snowflake keeps MERGE: there, deleting and inserting is what
  // made a peer's dedup cost ten times the credits (airbytehq/airbyte#43046).
  upsertBy: 'delete-and-insert',
  // The warehouse file is attached under one name (see duckdb.ts); the catalog filter keeps other attached databases out.
  tableColumnsSql: (table) => ({
    sql: 'select column_name, data_type from information_schema.columns where table_catalog = current_database() and table_schema = $1 and table_name = $2 order by ordinal_position',
    params: [table.schema, table.name],
  }),
  storedColumn: (row) => ({ name: String(row['column_name']), type: canonicalDuckDbType(String(row['data_type'])) }),
};
