/** DuckDB's largest DECIMAL precision; wider decimals cannot be stored exactly as numbers. */
export const DUCKDB_MAX_DECIMAL_PRECISION = 38;

/** How one Arrow column type is stored in DuckDB. */
export interface WarehouseType {
  /** The DuckDB type used in DDL, e.g. `DECIMAL(12,2)`, `TIMESTAMPTZ`. */
  readonly sql: string;
  /** Why the stored type differs from the Arrow type, or null when it is the same kind. */
  readonly conversion: string | null;
}

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

/**
 * Maps an Arrow type as the manifest prints it (pyarrow's `str(type)`) to a DuckDB type.
 *
 * Decimals wider than 38 digits become VARCHAR, with `conversion` saying so.
 * Returns null for a type floe does not know; the caller names the column.
 *
 * @example duckDbTypeForArrow('decimal128(12, 2)') // { sql: 'DECIMAL(12,2)', conversion: null }
 * @example duckDbTypeForArrow('timestamp[us, tz=UTC]') // { sql: 'TIMESTAMPTZ', conversion: null }
 */
export function duckDbTypeForArrow(arrowType: string): WarehouseType | null {
  const type = arrowType.trim();
  const simple = SIMPLE_TYPES[type];
  if (simple !== undefined) return { sql: simple, conversion: null };

  const decimal = DECIMAL.exec(type);
  if (decimal) {
    const precision = Number(decimal[1]);
    const scale = Number(decimal[2]);
    if (precision <= DUCKDB_MAX_DECIMAL_PRECISION) return { sql: `DECIMAL(${precision},${scale})`, conversion: null };
    return {
      sql: 'VARCHAR',
      conversion: `${type} exceeds DuckDB's DECIMAL(${DUCKDB_MAX_DECIMAL_PRECISION}); stored as VARCHAR`,
    };
  }

  const timestamp = TIMESTAMP.exec(type);
  if (timestamp) return { sql: timestamp[2] === undefined ? 'TIMESTAMP' : 'TIMESTAMPTZ', conversion: null };

  if (TIME.test(type)) return { sql: 'TIME', conversion: null };
  return null;
}

/** The spelling DuckDB's information_schema uses for a type, so stored and wanted types compare. */
export function canonicalDuckDbType(sqlType: string): string {
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
