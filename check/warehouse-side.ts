import { arrowListOf } from '../warehouse/arrow-list.js';
import { duckDbDialect } from '../warehouse/duckdb-dialect.js';
import type { QualifiedName } from '../warehouse/quote.js';
import { snowflakeDialect } from '../warehouse/snowflake-dialect.js';
import { snowflakeTypeForArrow } from '../warehouse/snowflake-type.js';
import type { SqlDialect } from '../warehouse/sql-dialect.js';
import type { Warehouse } from '../warehouse/warehouse.js';
import { arrayKind, type CheckDialect, type ScalarKind, type ValueKind } from './canonical-sql.js';
import { CheckError } from './check-error.js';
import type { CheckSide } from './compare.js';

/**
 * The warehouse half of `floe check` and of delete detection: which rendering of canonical-sql.ts
 * its staging takes, and how the column types its catalog reports compare. Names, quoting and the
 * catalog read come from the warehouse's own dialect. One entry per warehouse (DuckDB, Snowflake);
 * a warehouse added without one is refused here, by name.
 */
export interface WarehouseCheckSide {
  /** The warehouse's SQL: its names, quoting and catalog. */
  readonly warehouse: SqlDialect;
  /** How canonical-sql.ts renders values read from this warehouse. */
  readonly dialect: CheckDialect;
  /**
   * How a staging column of this type compares (spelled as the catalog reports it, or as floe
   * declares it); null for a type floe check cannot render alike on both sides. `arrowType`, the
   * Arrow type the column was last extracted as, says what the stored type may not: the elements
   * of a Snowflake ARRAY.
   */
  valueKindOf(storedType: string, arrowType?: string): ValueKind | null;
  /** The type each element of an array column is read as, where its stored type holds untyped elements (Snowflake's ARRAY); else null. */
  elementType(storedType: string, arrowType?: string): string | null;
  /** The scale of a stored fixed-point type, else null. */
  decimalScale(storedType: string): number | null;
}

/** A DuckDB scalar type's kind, in the spelling of its catalog; null for one floe check cannot compare. */
function duckDbScalarKind(type: string): ScalarKind | null {
  if (/^(U?TINYINT|U?SMALLINT|U?INTEGER|U?BIGINT|HUGEINT|UHUGEINT)$/.test(type)) return 'integer';
  if (/^DECIMAL\(\d+,\d+\)$/.test(type)) return 'decimal';
  if (type === 'DOUBLE' || type === 'FLOAT') return 'float';
  if (type === 'VARCHAR') return 'text';
  if (type === 'BOOLEAN') return 'boolean';
  if (type === 'DATE') return 'date';
  if (type === 'TIMESTAMP') return 'timestamp';
  if (type === 'TIMESTAMP WITH TIME ZONE') return 'timestamptz';
  if (type === 'TIME') return 'time';
  if (type === 'BLOB') return 'binary';
  return null;
}

/** DuckDB's staging types, in the spelling of its catalog (canonicalDuckDbType); a LIST compares as an array of its element's kind. */
const duckDbSide: WarehouseCheckSide = {
  warehouse: duckDbDialect,
  dialect: 'duckdb',
  valueKindOf: (type) => {
    const list = /^(.*?)((?:\[\])+)$/.exec(type);
    if (list === null) return duckDbScalarKind(type);
    const element = duckDbScalarKind(list[1] ?? '');
    return element === null ? null : arrayKind(element, (list[2] ?? '').length / 2);
  },
  elementType: () => null,
  decimalScale: (type) => {
    const match = /^DECIMAL\(\d+,(\d+)\)$/.exec(type);
    return match ? Number(match[1]) : null;
  },
};

const SNOWFLAKE_NUMBER = /^NUMBER\(\d+,(\d+)\)$/;

/**
 * A Snowflake scalar type's kind, as information_schema.columns spells it (canonicalSnowflakeType:
 * https://docs.snowflake.com/en/sql-reference/info-schema/columns); null for one floe check cannot
 * compare (VARIANT: a JSON document parsed, whose text is no longer the source's).
 */
function snowflakeScalarKind(type: string): ScalarKind | null {
  const number = SNOWFLAKE_NUMBER.exec(type);
  // A NUMBER of scale 0 prints as an integer does, whichever source type it came from.
  if (number) return number[1] === '0' ? 'integer' : 'decimal';
  const kinds: Readonly<Record<string, ScalarKind>> = {
    FLOAT: 'float', TEXT: 'text', BOOLEAN: 'boolean', DATE: 'date', TIMESTAMP_NTZ: 'timestamp', TIMESTAMP_TZ: 'timestamptz', TIME: 'time', BINARY: 'binary',
  };
  return kinds[type] ?? null;
}

/** A Snowflake ARRAY's element type and depth, from the Arrow list type it was extracted as (snowflake-type.ts maps the element alike). */
function snowflakeElements(type: string, arrowType: string | undefined): { readonly type: string; readonly depth: number } | null {
  const list = type === 'ARRAY' && arrowType !== undefined ? arrowListOf(arrowType) : null;
  const element = list === null ? null : snowflakeTypeForArrow(list.element, '');
  return list === null || element === null || element.inexact !== null ? null : { type: element.staging, depth: list.depth };
}

/**
 * Snowflake's staging types, in the spelling of its catalog. An ARRAY holds VARIANT elements and
 * says nothing of them: it compares as an array of the kind of the element type floe gives the
 * Arrow list's element, each element read as that type.
 */
const snowflakeSide: WarehouseCheckSide = {
  warehouse: snowflakeDialect,
  dialect: 'snowflake',
  valueKindOf: (type, arrowType) => {
    if (type !== 'ARRAY') return snowflakeScalarKind(type);
    const elements = snowflakeElements(type, arrowType);
    const element = elements === null ? null : snowflakeScalarKind(snowflakeDialect.canonicalType(elements.type));
    return elements === null || element === null ? null : arrayKind(element, elements.depth);
  },
  elementType: (type, arrowType) => snowflakeElements(type, arrowType)?.type ?? null,
  decimalScale: (type) => {
    const match = SNOWFLAKE_NUMBER.exec(type);
    return match ? Number(match[1]) : null;
  },
};

/** The warehouses whose check side is built. */
const BUILT: readonly WarehouseCheckSide[] = [duckDbSide, snowflakeSide];

/** A side reading types in any spelling: the warehouse's canonical one first. */
function canonicalizing(side: WarehouseCheckSide): WarehouseCheckSide {
  return {
    ...side,
    valueKindOf: (type, arrowType) => side.valueKindOf(side.warehouse.canonicalType(type), arrowType),
    elementType: (type, arrowType) => side.elementType(side.warehouse.canonicalType(type), arrowType),
    decimalScale: (type) => side.decimalScale(side.warehouse.canonicalType(type)),
  };
}

/** The check side of a warehouse dialect. Throws CheckError, saying why, for a warehouse whose side is not built. */
export function checkSideFor(warehouse: SqlDialect): WarehouseCheckSide {
  const built = BUILT.find((side) => side.warehouse.name === warehouse.name);
  if (built === undefined) {
    throw new CheckError(`floe check cannot read a ${warehouse.label} warehouse yet: its check side is not built.`);
  }
  // The warehouse's own dialect: a Snowflake one names floe's database in every name and catalog read.
  return canonicalizing({ ...built, warehouse });
}

/** The check side whose rendering is `dialect`, for a caller that names the staging side by it. */
export function checkSideRendering(dialect: CheckDialect): WarehouseCheckSide {
  const built = BUILT.find((side) => side.dialect === dialect);
  if (built === undefined) throw new CheckError(`${dialect} is not a warehouse floe check reads staging from`);
  return canonicalizing(built);
}

/** The check side of the warehouse at hand. Throws CheckError for a warehouse that cannot say which it is, or whose side is not built. */
export function warehouseCheckSide(warehouse: Warehouse): WarehouseCheckSide {
  if (warehouse.dialect === undefined) throw new CheckError('floe check cannot tell which kind of warehouse it was given (it has no dialect), so it cannot read staging');
  return checkSideFor(warehouse.dialect);
}

/** The warehouse as a side of the comparison. */
export function warehouseAsCheckSide(warehouse: Warehouse): CheckSide {
  return { query: ({ sql, params }) => warehouse.query(sql, params) };
}

/** A staging table's columns as stored (floe's load metadata included), from the warehouse's catalog; none when it does not exist. */
export async function stagingColumnsOf(warehouse: Warehouse, side: WarehouseCheckSide, table: QualifiedName): Promise<{ name: string; type: string }[]> {
  const statement = side.warehouse.tableColumnsSql(table);
  return (await warehouse.query(statement.sql, statement.params)).map((row) => side.warehouse.storedColumn(row));
}
