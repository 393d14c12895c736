import { arrowListOf } from './arrow-list.js';
import type { WarehouseColumnType } from './sql-dialect.js';

/** Snowflake's largest NUMBER precision; wider decimals cannot be stored exactly as numbers. */
export const SNOWFLAKE_MAX_NUMBER_PRECISION = 38;

/**
 * The longest text and binary values Snowflake holds: a VARCHAR of 134,217,728 characters is also
 * limited to 134,217,728 bytes, a BINARY to 67,108,864 bytes. Without a length a VARCHAR holds only
 * 16,777,216 and a BINARY 8,388,608, and a longer value aborts the COPY of its file
 * (https://docs.snowflake.com/en/sql-reference/data-types-text,
 * https://docs.snowflake.com/en/sql-reference/data-types-unsupported). floe declares the maximum:
 * the extraction job sets aside, by the table's `unrepresentable` policy, every value longer than
 * these (glue/floe_extract/quarantine.py), so whatever reaches a file fits.
 */
export const SNOWFLAKE_MAX_TEXT_BYTES = 134_217_728;
export const SNOWFLAKE_MAX_BINARY_BYTES = 67_108_864;
const TEXT = `VARCHAR(${SNOWFLAKE_MAX_TEXT_BYTES})`;
const BINARY = `BINARY(${SNOWFLAKE_MAX_BINARY_BYTES})`;

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
  string: TEXT,
  large_string: TEXT,
  utf8: TEXT,
  large_utf8: TEXT,
  binary: BINARY,
  large_binary: BINARY,
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
 * A list (a PostgreSQL array) of any element type and depth, in raw and staging alike: Snowflake's
 * semi-structured ARRAY, whose elements are VARIANT values, so an ARRAY of ARRAYs holds a
 * multidimensional array (https://docs.snowflake.com/en/sql-reference/data-types-semistructured#array).
 * Parquet is a semi-structured format to Snowflake: a row is read as one semi-structured value, a
 * LIST column as an ARRAY in it, and COPY … MATCH_BY_COLUMN_NAME loads each column's value into the
 * table column of its name (https://docs.snowflake.com/en/user-guide/data-load-prepare#semi-structured-file-formats,
 * https://docs.snowflake.com/en/sql-reference/sql/copy-into-table#copy-options-copyoptions). No
 * VARIANT column is needed: every value is an array, and an ARRAY holds what a VARIANT holds, up to
 * the same 128 MB, which the extraction job enforces (postgres_arrays.py). A typed ARRAY(INTEGER)
 * is not used: which element conversions COPY applies into structured types is not documented for
 * Parquet LIST columns; `floe snowflake verify` checks what an account makes of every element type.
 */
const ARRAY = 'ARRAY';

/**
 * Maps an Arrow type as the manifest prints it (pyarrow's `str(type)`), and the
 * source type, to Snowflake. Returns null for a type floe does not know. Decimals wider than 38
 * digits are spelled VARCHAR, with `inexact` saying why floe refuses to load them.
 *
 * Timestamps keep their zone handling (TIMESTAMP_TZ only when the source had
 * a zone) and their fraction digits; decimals keep precision and scale.
 *
 * @example snowflakeTypeForArrow('decimal128(12, 2)', 'numeric(12,2)') // NUMBER(12,2) in raw and staging
 * @example snowflakeTypeForArrow('string', 'jsonb') // { raw: 'VARCHAR(134217728)', staging: 'VARIANT', inexact: null }
 */
export function snowflakeTypeForArrow(arrowType: string, sourceType: string): SnowflakeType | null {
  const list = arrowListOf(arrowType);
  if (list !== null) {
    const element = snowflakeTypeForArrow(list.element, '');
    return element === null ? null : { ...same(ARRAY), inexact: element.inexact };
  }
  const type = arrowType.trim();
  const simple = SIMPLE_TYPES[type];
  if (simple === TEXT && JSON_SOURCE.test(sourceType.trim())) return { raw: TEXT, staging: 'VARIANT', inexact: null };
  if (simple !== undefined) return same(simple);

  const decimal = DECIMAL.exec(type);
  if (decimal) {
    const precision = Number(decimal[1]);
    const scale = Number(decimal[2]);
    if (precision <= SNOWFLAKE_MAX_NUMBER_PRECISION) return same(`NUMBER(${precision},${scale})`);
    return { ...same(TEXT), inexact: `is wider than Snowflake's NUMBER(${SNOWFLAKE_MAX_NUMBER_PRECISION}) and would not load exactly` };
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
 * fraction digits of times from `data_type`. Lengths are not compared: a text column is TEXT whatever
 * its length.
 */
export function canonicalSnowflakeType(sqlType: string): string {
  const upper = sqlType.trim().toUpperCase().replaceAll(/\s+/g, '');
  const base = upper.replace(/\(.*\)$/, '');
  if (base === 'VARCHAR' || base === 'STRING' || base === 'TEXT') return 'TEXT';
  if (base === 'FLOAT' || base === 'DOUBLE' || base === 'REAL') return 'FLOAT';
  if (base === 'NUMBER' || base === 'DECIMAL' || base === 'NUMERIC') return upper.replace(/^[A-Z]+/, 'NUMBER');
  return base;
}
