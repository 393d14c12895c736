import { arrowListOf } from './arrow-list.js';
import type { WarehouseColumnType } from './sql-dialect.js';

/** DuckDB's largest DECIMAL precision; wider decimals cannot be stored exactly as numbers. */
export const DUCKDB_MAX_DECIMAL_PRECISION = 38;

const SIMPLE_TYPES: Readonly<Record<string, string>> = {
  int8: 'TINYINT',
  int16: 'SMALLINT',
  int32: 'INTEGER',
  int64: 'BIGINT',
  uint8: 'UTINYINT',
  uint16: 'USMALLINT',
  uint32: 'UINTEGER',
  uint64: 'UBIGINT',
  float: 'FLOAT',
  float32: 'FLOAT',
  double: 'DOUBLE',
  float64: 'DOUBLE',
  bool: 'BOOLEAN',
  string: 'VARCHAR',
  large_string: 'VARCHAR',
  utf8: 'VARCHAR',
  large_utf8: 'VARCHAR',
  binary: 'BLOB',
  large_binary: 'BLOB',
  'date32[day]': 'DATE',
  date32: 'DATE',
};

const DECIMAL = /^decimal(?:128|256)\((\d+),\s*(\d+)\)$/;
const TIMESTAMP = /^timestamp\[(s|ms|us|ns)(?:,\s*(?:tz=)?([^\]]+))?\]$/;
const TIME = /^time(?:32|64)\[(s|ms|us|ns)\]$/;

const same = (sql: string): WarehouseColumnType => ({ raw: sql, staging: sql, inexact: null });

/**
 * Maps an Arrow type as the manifest prints it (pyarrow's `str(type)`) to DuckDB: one type in raw
 * and staging. The source type changes nothing on DuckDB (JSON stays text).
 *
 * Decimals wider than 38 digits are spelled VARCHAR, with `inexact` saying why floe refuses to load
 * them: DuckDB's Parquet reader turns such decimals into DOUBLEs, which would round them.
 * Returns null for a type floe does not know; the caller names the column. A list is a DuckDB LIST
 * of its element's type, nested as deep (`list<item: list<item: int32>>` is `INTEGER[][]`;
 * https://duckdb.org/docs/stable/sql/data_types/list), which DuckDB's Parquet reader fills from a
 * Parquet LIST column (https://duckdb.org/docs/stable/data/parquet/overview).
 *
 * @example duckDbTypeForArrow('decimal128(12, 2)') // { raw: 'DECIMAL(12,2)', staging: 'DECIMAL(12,2)', inexact: null }
 * @example duckDbTypeForArrow('timestamp[us, tz=UTC]') // { raw: 'TIMESTAMPTZ', staging: 'TIMESTAMPTZ', inexact: null }
 */
export function duckDbTypeForArrow(arrowType: string): WarehouseColumnType | null {
  const list = arrowListOf(arrowType);
  if (list !== null) {
    const element = duckDbTypeForArrow(list.element);
    return element === null ? null : { ...same(`${element.raw}${'[]'.repeat(list.depth)}`), inexact: element.inexact };
  }
  const type = arrowType.trim();
  const simple = SIMPLE_TYPES[type];
  if (simple !== undefined) return same(simple);

  const decimal = DECIMAL.exec(type);
  if (decimal) {
    const precision = Number(decimal[1]);
    const scale = Number(decimal[2]);
    if (precision <= DUCKDB_MAX_DECIMAL_PRECISION) return same(`DECIMAL(${precision},${scale})`);
    return {
      ...same('VARCHAR'),
      inexact: `is wider than DuckDB's DECIMAL(${DUCKDB_MAX_DECIMAL_PRECISION}), and DuckDB's Parquet reader turns such decimals into inexact DOUBLEs`,
    };
  }

  const timestamp = TIMESTAMP.exec(type);
  if (timestamp) return same(timestamp[2] === undefined ? 'TIMESTAMP' : 'TIMESTAMPTZ');

  if (TIME.test(type)) return same('TIME');
  return null;
}

/** The spelling DuckDB's information_schema uses for a type, so stored and wanted types compare (a LIST's element too). */
export function canonicalDuckDbType(sqlType: string): string {
  const list = /^(.*?)((?:\s*\[\])+)$/.exec(sqlType.trim());
  if (list !== null) return `${canonicalDuckDbType(list[1] ?? '')}${'[]'.repeat((list[2] ?? '').split('[').length - 1)}`;
  const upper = sqlType.trim().toUpperCase().replaceAll(/\s*,\s*/g, ',');
  const aliases: Readonly<Record<string, string>> = {
    TIMESTAMPTZ: 'TIMESTAMP WITH TIME ZONE',
    FLOAT4: 'FLOAT',
    REAL: 'FLOAT',
    FLOAT8: 'DOUBLE',
    INT: 'INTEGER',
    INT4: 'INTEGER',
    INT8: 'BIGINT',
    BOOL: 'BOOLEAN',
    TEXT: 'VARCHAR',
    STRING: 'VARCHAR',
  };
  return aliases[upper] ?? upper;
}
