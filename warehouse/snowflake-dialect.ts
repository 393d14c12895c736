import { quoteIdentifier } from './quote.js';
import { canonicalSnowflakeType, snowflakeTypeForArrow } from './snowflake-type.js';
import type { SqlDialect } from './sql-dialect.js';
import type { ColumnDescription } from './table-description.js';
import { WarehouseError } from './warehouse-error.js';

/**
 * Snowflake folds unquoted names to upper case. floe quotes every name it
 * creates, and folds it to upper case first, so a gold model written
 * `select id from staging.shop__orders` finds `"STAGING"."SHOP__ORDERS"."ID"`,
 * exactly as it finds the table in DuckDB (which ignores case). Names stay
 * quoted, so spaces, quotes and reserved words still reach Snowflake intact.
 *
 * @example snowflakeIdentifier('order id') === '"ORDER ID"'
 */
export function snowflakeIdentifier(name: string): string {
  return quoteIdentifier(name.toUpperCase());
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

/** Snowflake: upper-cased quoted names, `count_if`, NUMBER/TIMESTAMP_TZ, JSON parsed into VARIANT in staging. */
export const snowflakeDialect: SqlDialect = {
  name: 'snowflake',
  label: 'Snowflake',
  identifier: snowflakeIdentifier,
  qualified: (table) => `${snowflakeIdentifier(table.schema)}.${snowflakeIdentifier(table.name)}`,
  storedName: (name) => name.toUpperCase(),
  nameKey: (name) => name.toUpperCase(),
  textType: 'VARCHAR',
  timestampTzType: 'TIMESTAMP_TZ(9)',
  bigintType: 'NUMBER(19,0)',
  currentTimestamp: 'current_timestamp()',
  typeFor: (column) => snowflakeTypeForArrow(column.arrowType, column.sourceType),
  columnType: (column, layer) => typeOf(column)[layer],
  stagingValue: (column, rawColumn) => {
    const type = typeOf(column);
    return type.staging === type.raw ? rawColumn : `parse_json(${rawColumn})`;
  },
  canonicalType: canonicalSnowflakeType,
  canAlterType: snowflakeCanAlterType,
  countWhere: (condition) => `count_if(${condition})`,
  metadataStampedAfterLoad: true,
  // Aliases quoted, so the rows' keys are lower case as on DuckDB; names as stored (upper case).
  tableColumnsSql: (table) => ({
    sql: [
      'select column_name as "column_name", data_type as "data_type", numeric_precision as "precision", numeric_scale as "scale"',
      'from information_schema.columns where table_schema = $1 and table_name = $2 order by ordinal_position',
    ].join('\n'),
    params: [table.schema.toUpperCase(), table.name.toUpperCase()],
  }),
  storedColumn: (row) => ({ name: String(row['column_name']), type: storedType(row) }),
};
