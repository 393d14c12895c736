import { quoteIdentifier, quoteQualifiedName } from './quote.js';
import type { SqlDialect } from './sql-dialect.js';

/**
 * DuckDB: names kept as the source spells them (DuckDB matches identifiers
 * without case anyway), `count(*) filter`, one type per column in raw and staging.
 */
export const duckDbDialect: SqlDialect = {
  name: 'duckdb',
  identifier: quoteIdentifier,
  qualified: quoteQualifiedName,
  textType: 'VARCHAR',
  timestampTzType: 'TIMESTAMPTZ',
  bigintType: 'BIGINT',
  columnType: (column) => column.warehouseType,
  stagingValue: (_column, rawColumn) => rawColumn,
  // DuckDB's ALTER … TYPE casts every value; schema-evolution.ts only asks for lossless casts.
  canAlterType: () => true,
  countWhere: (condition) => `count(*) filter (where ${condition})`,
  metadataStampedAfterLoad: false,
};
