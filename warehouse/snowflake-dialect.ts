import { quoteIdentifier } from './quote.js';
import { canonicalSnowflakeType, snowflakeTypeForArrow } from './snowflake-type.js';
import type { QualifiedName } from './quote.js';
import type { SqlDialect } from './sql-dialect.js';
import type { BoundSql } from './table-sql.js';
import type { ColumnDescription } from './table-description.js';
import { WarehouseError } from './warehouse-error.js';

/**
 * Whether upper-casing a name only changes the case of its letters: each character becomes one
 * character, and lower-casing gives the same letters back. `order id` and `Straße`'s neighbours do;
 * `ß` (to `SS`), `ﬁ` (to `FI`), `ı` (to `I`, which lowers to `i`) do not.
 */
export function foldsPlainly(name: string): boolean {
  const upper = name.toUpperCase();
  return [...upper].length === [...name].length && upper.toLowerCase() === name.toLowerCase();
}

/**
 * The name as floe stores it in Snowflake: upper-cased, as Snowflake stores an unquoted name, when
 * that is a plain case change (see {@link foldsPlainly}); otherwise exactly as the source spells it.
 *
 * Why: COPY's MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE matches a Parquet column (named as at the
 * source) with a table column "without case" (https://docs.snowflake.com/en/sql-reference/sql/copy-into-table).
 * Which folding Snowflake applies to `ß` is not documented; a table column `"STRASSE"` that its
 * folding does not match to `straße` would load NULL on every row, silently. A column named exactly
 * as the file names it matches under any folding. Gold SQL must quote such a name (`"straße"`).
 */
export function snowflakeStoredName(name: string): string {
  return foldsPlainly(name) ? name.toUpperCase() : name;
}

/**
 * Snowflake folds unquoted names to upper case. floe quotes every name it
 * creates, and folds it to upper case first, so a gold model written
 * `select id from staging.shop__orders` finds `"STAGING"."SHOP__ORDERS"."ID"`,
 * exactly as it finds the table in DuckDB (which ignores case). Names stay
 * quoted, so spaces, quotes and reserved words still reach Snowflake intact.
 * A name whose upper-casing is not a plain case change is kept as it is ({@link snowflakeStoredName}).
 *
 * @example snowflakeIdentifier('order id') === '"ORDER ID"'
 * @example snowflakeIdentifier('straße') === '"straße"'
 */
export function snowflakeIdentifier(name: string): string {
  return quoteIdentifier(snowflakeStoredName(name));
}

function typeOf(column: ColumnDescription) {
  const type = snowflakeTypeForArrow(column.arrowType, column.sourceType);
  if (type === null) {
    throw new WarehouseError(`Column ${column.name} has Arrow type ${column.arrowType}, which floe cannot map to a Snowflake type; add it to warehouse/snowflake-type.ts.`);
  }
  return type;
}

const NUMBER = /^NUMBER\((\d+),(\d+)\)$/;

/**
 * Snowflake's ALTER COLUMN … SET DATA TYPE only raises a NUMBER's precision at the same scale, or
 * lengthens a VARCHAR (floe's VARCHARs have no length, so that never arises). Anything else, a
 * scale raised (int → numeric(12,2), numeric(10,2) → numeric(12,4)), FLOAT kinds or a finer
 * timestamp unit, it cannot do in place, and floe then stops the table's run (see
 * Warehouse.evolveSchema) instead of rebuilding the column, which Snowflake could not do atomically.
 */
export function snowflakeCanAlterType(current: string, wanted: string): boolean {
  const spelled = (type: string): string => type.replaceAll(/\s+/g, '').toUpperCase();
  if (spelled(current) === spelled(wanted)) return true;
  const a = NUMBER.exec(canonicalSnowflakeType(current));
  const b = NUMBER.exec(canonicalSnowflakeType(wanted));
  return a !== null && b !== null && a[2] === b[2] && Number(b[1]) >= Number(a[1]);
}

/** information_schema's type of a column, spelled as canonicalSnowflakeType spells a wanted one. */
function storedType(row: Record<string, unknown>): string {
  const type = String(row['data_type']).toUpperCase();
  if (type === 'NUMBER' && row['precision'] != null) return `NUMBER(${String(row['precision'])},${String(row['scale'] ?? 0)})`;
  return canonicalSnowflakeType(type);
}

/**
 * Snowflake: upper-cased quoted names, `count_if`, NUMBER/TIMESTAMP_TZ, JSON parsed into VARIANT in
 * staging. Names are `schema.table`, resolved in the session's database; {@link snowflakeDialectIn}
 * qualifies them with a database.
 */
export const snowflakeDialect: SqlDialect = {
  name: 'snowflake',
  label: 'Snowflake',
  identifier: snowflakeIdentifier,
  qualified: (table) => `${snowflakeIdentifier(table.schema)}.${snowflakeIdentifier(table.name)}`,
  schemaName: snowflakeIdentifier,
  informationSchema: 'information_schema',
  storedName: snowflakeStoredName,
  nameKey: (name) => name.toUpperCase(),
  textType: 'VARCHAR',
  timestampTzType: 'TIMESTAMP_TZ(9)',
  bigintType: 'NUMBER(19,0)',
  currentTimestamp: 'current_timestamp()',
  typeFor: (column) => snowflakeTypeForArrow(column.arrowType, column.sourceType),
  columnType: (column, layer) => typeOf(column)[layer],
  // 'd' lets a JSON object hold a key twice, keeping its last value, as PostgreSQL's jsonb does;
  // PostgreSQL's json keeps duplicates, and PARSE_JSON refuses them by default
  // (https://docs.snowflake.com/en/sql-reference/functions/parse_json). Raw keeps the text as written.
  stagingValue: (column, rawColumn) => {
    const type = typeOf(column);
    return type.staging === type.raw ? rawColumn : `parse_json(${rawColumn}, 'd')`;
  },
  canonicalType: canonicalSnowflakeType,
  canAlterType: snowflakeCanAlterType,
  copiesGrants: true,
  countWhere: (condition) => `count_if(${condition})`,
  metadataStampedAfterLoad: true,
  upsertBy: 'merge',
  // Aliases quoted, so the rows' keys are lower case as on DuckDB; names as stored (upper case).
  tableColumnsSql: (table) => tableColumnsSql('information_schema', table),
  storedColumn: (row) => ({ name: String(row['column_name']), type: storedType(row) }),
};

function tableColumnsSql(informationSchema: string, table: QualifiedName): BoundSql {
  return {
    sql: [
      'select column_name as "column_name", data_type as "data_type", numeric_precision as "precision", numeric_scale as "scale"',
      `from ${informationSchema}.columns where table_schema = $1 and table_name = $2 order by ordinal_position`,
    ].join('\n'),
    params: [snowflakeStoredName(table.schema), snowflakeStoredName(table.name)],
  };
}

/**
 * The Snowflake dialect with every name qualified by `database`: `"ANALYTICS"."RAW"."SHOP__ORDERS"`,
 * and the catalog read from `"ANALYTICS".information_schema`. Statements then mean floe's tables
 * whatever the session's current database: a procedure run with caller's rights resolves names in
 * the caller's session (https://docs.snowflake.com/en/developer-guide/stored-procedure/stored-procedures-rights),
 * and a CALL from another database would otherwise not find them.
 */
export function snowflakeDialectIn(database: string): SqlDialect {
  const informationSchema = `${snowflakeIdentifier(database)}.information_schema`;
  return {
    ...snowflakeDialect,
    qualified: (table) => `${snowflakeIdentifier(database)}.${snowflakeDialect.qualified(table)}`,
    schemaName: (schema) => `${snowflakeIdentifier(database)}.${snowflakeIdentifier(schema)}`,
    informationSchema,
    tableColumnsSql: (table) => tableColumnsSql(informationSchema, table),
  };
}
