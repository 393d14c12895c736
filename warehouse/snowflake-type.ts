import type { WarehouseColumnType } from './sql-dialect.js';

/** Snowflake's largest NUMBER precision; wider decimals cannot be stored exactly as numbers. */
export const SNOWFLAKE_MAX_NUMBER_PRECISION = 38;

/**
 * How one extracted column is stored in Snowflake: raw as COPY's MATCH_BY_COLUMN_NAME loads the
 * Parquet column exactly; staging differs only for JSON (text in raw, VARIANT in staging).
 */
export type SnowflakeType = WarehouseColumnType;

/** Integer widths keep their range: NUMBER(p,0) with p the digits the widest value needs. */
const SIMPLE_TYPES: Readonly<Record<string, string>> = {
  int8: 'NUMBER(3,0)',
  int16: 'NUMBER(5,0)',
  int32: 'NUMBER(10,0)',
  int64: 'NUMBER(19,0)',
  uint8: 'NUMBER(3,0)',
  uint16: 'NUMBER(5,0)',
  uint32: 'NUMBER(10,0)',
  uint64: 'NUMBER(20,0)',
  float: 'FLOAT',
  float32: 'FLOAT',
  double: 'FLOAT',
  float64: 'FLOAT',
  bool: 'BOOLEAN',
  string: 'VARCHAR',
  large_string: 'VARCHAR',
  utf8: 'VARCHAR',
  large_utf8: 'VARCHAR',
  binary: 'BINARY',
  large_binary: 'BINARY',
  'date32[day]': 'DATE',
  date32: 'DATE',
};

const DECIMAL = /^decimal(?:128|256)\((\d+),\s*(\d+)\)$/;
const TIMESTAMP = /^timestamp\[(s|ms|us|ns)(?:,\s*(?:tz=)?([^\]]+))?\]$/;
const TIME = /^time(?:32|64)\[(s|ms|us|ns)\]$/;
const FRACTION_DIGITS: Readonly<Record<string, number>> = { s: 0, ms: 3, us: 6, ns: 9 };
/** PostgreSQL `json`/`jsonb` and MySQL `json` arrive as text; staging parses them into VARIANT. */
const JSON_SOURCE = /^jsonb?$/i;

const same = (sql: string): SnowflakeType => ({ raw: sql, staging: sql, inexact: null });

/**
 * Maps an Arrow type as the manifest prints it (pyarrow's `str(type)`), and the
 * source type, to Snowflake. Returns null for a type floe does not know. Decimals wider than 38
 * digits are spelled VARCHAR, with `inexact` saying why floe refuses to load them.
 *
 * Timestamps keep their zone handling (TIMESTAMP_TZ only when the source had
 * a zone) and their fraction digits; decimals keep precision and scale.
 *
 * @example snowflakeTypeForArrow('decimal128(12, 2)', 'numeric(12,2)') // NUMBER(12,2) in raw and staging
 * @example snowflakeTypeForArrow('string', 'jsonb') // { raw: 'VARCHAR', staging: 'VARIANT', inexact: null }
 */
export function snowflakeTypeForArrow(arrowType: string, sourceType: string): SnowflakeType | null {
  const type = arrowType.trim();
  const simple = SIMPLE_TYPES[type];
  if (simple === 'VARCHAR' && JSON_SOURCE.test(sourceType.trim())) return { raw: 'VARCHAR', staging: 'VARIANT', inexact: null };
  if (simple !== undefined) return same(simple);

  const decimal = DECIMAL.exec(type);
  if (decimal) {
    const precision = Number(decimal[1]);
    const scale = Number(decimal[2]);
    if (precision <= SNOWFLAKE_MAX_NUMBER_PRECISION) return same(`NUMBER(${precision},${scale})`);
    return { ...same('VARCHAR'), inexact: `is wider than Snowflake's NUMBER(${SNOWFLAKE_MAX_NUMBER_PRECISION}) and would not load exactly` };
  }

  const timestamp = TIMESTAMP.exec(type);
  if (timestamp) {
    const digits = FRACTION_DIGITS[timestamp[1] ?? 'us'] ?? 6;
    return same(`${timestamp[2] === undefined ? 'TIMESTAMP_NTZ' : 'TIMESTAMP_TZ'}(${digits})`);
  }

  const time = TIME.exec(type);
  if (time) return same(`TIME(${FRACTION_DIGITS[time[1] ?? 'us'] ?? 6})`);
  return null;
}

/**
 * The spelling Snowflake's information_schema gives a type (`data_type`, precision, scale), so a
 * stored column and a wanted type compare. Snowflake reports VARCHAR as TEXT and drops the
 * fraction digits of times from `data_type`.
 */
export function canonicalSnowflakeType(sqlType: string): string {
  const upper = sqlType.trim().toUpperCase().replaceAll(/\s+/g, '');
  const base = upper.replace(/\(.*\)$/, '');
  if (base === 'VARCHAR' || base === 'STRING' || base === 'TEXT') return 'TEXT';
  if (base === 'FLOAT' || base === 'DOUBLE' || base === 'REAL') return 'FLOAT';
  if (base === 'NUMBER' || base === 'DECIMAL' || base === 'NUMERIC') return upper.replace(/^[A-Z]+/, 'NUMBER');
  return base;
}
