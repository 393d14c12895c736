/**
 * The table `floe snowflake verify` loads into a real account: one column per kind of column the
 * extraction job writes (docs/types.md: every Arrow type, and JSON), each with its edge values,
 * written to Parquet by DuckDB with the same logical types the job writes. For each column: the
 * DuckDB expression of each row's value, how to read it back from Snowflake exactly, and what
 * must come back. Pure data; cli/verify/snowflake.ts runs it.
 */

/** One column of the verify table. */
export interface VerifyColumn {
  readonly name: string;
  readonly arrowType: string;
  readonly sourceType: string;
  /** The DuckDB expression of the value in row 1 and row 2 (the Parquet file's rows). */
  readonly values: readonly [string, string];
  /** A Snowflake expression reading the column `c` back exactly (text, a whole number, or the driver's value). */
  readonly read: (c: string) => string;
  /** What `read` must give for row 1 and row 2. */
  readonly expected: readonly [unknown, unknown];
  /** In staging, when it differs from raw (JSON parsed into VARIANT). */
  readonly stagingRead?: (c: string) => string;
  readonly stagingExpected?: readonly [unknown, unknown];
  /**
   * The same two values as PostgreSQL expressions, for a column floe check compares: `floe snowflake
   * verify` prints staging's values as floe check does and compares them with what PostgreSQL prints
   * ({@link VERIFY_CHECK_TEXTS}, which a test computes on a real PostgreSQL).
   */
  readonly postgres?: readonly [string, string];
}

const text = (c: string): string => `cast(${c} as varchar)`;
const days = (date: string): string => String(Date.parse(`${date}T00:00:00Z`) / 86_400_000);
const micros = (iso: string): string => {
  const [whole, fraction] = iso.split('.');
  return String(BigInt(Date.parse(`${whole}Z`)) * 1000n + BigInt((fraction ?? '0').padEnd(6, '0')));
};
const TRICKY = 'tab\there, newline\nhere, backslash \\ and quote \' and emoji 😀';
/** A PostgreSQL string literal (standard_conforming_strings: a backslash is itself). */
const pgText = (value: string): string => `'${value.replaceAll("'", "''")}'`;
const duckText = (value: string): string =>
  value
    .split(/([\t\n])/)
    .map((part) => (part === '\t' ? 'chr(9)' : part === '\n' ? 'chr(10)' : `'${part.replaceAll("'", "''")}'`))
    .join(' || ');

/** 16,777,217 bytes: one more than a VARCHAR without a length holds (https://docs.snowflake.com/en/sql-reference/data-types-text). */
export const OVER_DEFAULT_VARCHAR = 16_777_217;

export const VERIFY_COLUMNS: readonly VerifyColumn[] = [
  { name: 'id', arrowType: 'int64', sourceType: 'bigint', values: ['1::bigint', '2::bigint'], read: text, expected: ['1', '2'], postgres: ['1::bigint', '2::bigint'] },
  { name: 'i8', arrowType: 'int8', sourceType: 'tinyint(1)', values: ['(-128)::tinyint', '127::tinyint'], read: text, expected: ['-128', '127'] },
  { name: 'i16', arrowType: 'int16', sourceType: 'smallint', values: ['(-32768)::smallint', '32767::smallint'], read: text, expected: ['-32768', '32767'] },
  { name: 'i32', arrowType: 'int32', sourceType: 'integer', values: ['(-2147483648)::integer', '2147483647::integer'], read: text, expected: ['-2147483648', '2147483647'] },
  { name: 'i64', arrowType: 'int64', sourceType: 'bigint', values: ['(-9223372036854775808)::bigint', '9223372036854775807::bigint'], read: text, expected: ['-9223372036854775808', '9223372036854775807'], postgres: ['(-9223372036854775808)::bigint', '9223372036854775807::bigint'] },
  { name: 'u8', arrowType: 'uint8', sourceType: 'tinyint unsigned', values: ['0::utinyint', '255::utinyint'], read: text, expected: ['0', '255'] },
  { name: 'u16', arrowType: 'uint16', sourceType: 'smallint unsigned', values: ['0::usmallint', '65535::usmallint'], read: text, expected: ['0', '65535'] },
  { name: 'u32', arrowType: 'uint32', sourceType: 'int unsigned', values: ['0::uinteger', '4294967295::uinteger'], read: text, expected: ['0', '4294967295'] },
  // Above 2^63 − 1: Parquet keeps UINT64 in INT64's bits (snowflake-sql.ts, negativeUnsignedSql).
  { name: 'u64', arrowType: 'uint64', sourceType: 'bigint unsigned', values: ['0::ubigint', '18446744073709551615::ubigint'], read: text, expected: ['0', '18446744073709551615'], postgres: ['0::numeric', '18446744073709551615::numeric'] },
  { name: 'd10', arrowType: 'decimal128(10, 2)', sourceType: 'numeric(10,2)', values: ['(-99999999.99)::decimal(10,2)', '99999999.99::decimal(10,2)'], read: text, expected: ['-99999999.99', '99999999.99'], postgres: ['(-99999999.99)::numeric(10,2)', '99999999.99::numeric(10,2)'] },
  {
    name: 'd38', arrowType: 'decimal128(38, 9)', sourceType: 'numeric(38,9)',
    values: ['(-99999999999999999999999999999.999999999)::decimal(38,9)', '99999999999999999999999999999.999999999::decimal(38,9)'],
    read: text, expected: ['-99999999999999999999999999999.999999999', '99999999999999999999999999999.999999999'],
    postgres: ['(-99999999999999999999999999999.999999999)::numeric(38,9)', '99999999999999999999999999999.999999999::numeric(38,9)'],
  },
  { name: 'f32', arrowType: 'float', sourceType: 'real', values: ["'-3.4028235e38'::float", "'1.4e-45'::float"], read: (c) => c, expected: [Math.fround(-3.4028235e38), Math.fround(1.4e-45)], postgres: ["'-3.4028235e38'::real", "'1.4e-45'::real"] },
  { name: 'f64', arrowType: 'double', sourceType: 'double precision', values: ["'5e-324'::double", "'1.7976931348623157e308'::double"], read: (c) => c, expected: [5e-324, 1.7976931348623157e308], postgres: ["'5e-324'::float8", "'1.7976931348623157e308'::float8"] },
  { name: 'f64_special', arrowType: 'double', sourceType: 'double precision', values: ["'NaN'::double", "'-Infinity'::double"], read: (c) => c, expected: [Number.NaN, Number.NEGATIVE_INFINITY], postgres: ["'NaN'::float8", "'-Infinity'::float8"] },
  // -0 differs from 0 in its sign bit alone (check/float-sql.ts reads it from ATAN2).
  { name: 'f64_signs', arrowType: 'double', sourceType: 'double precision', values: ["'-0'::double", "'Infinity'::double"], read: (c) => c, expected: [-0, Number.POSITIVE_INFINITY], postgres: ["'-0'::float8", "'Infinity'::float8"] },
  { name: 'ok', arrowType: 'bool', sourceType: 'boolean', values: ['false', 'true'], read: (c) => c, expected: [false, true], postgres: ['false', 'true'] },
  // '' and '\N' stay text: the file format's NULL_IF = () (snowflake-sql.ts, PARQUET_FORMAT_OPTIONS).
  { name: 'empty', arrowType: 'string', sourceType: 'text', values: ["''", 'null'], read: (c) => c, expected: ['', null], postgres: ["''", 'null::text'] },
  { name: 'backslash_n', arrowType: 'string', sourceType: 'text', values: ["'\\N'", "''"], read: (c) => c, expected: ['\\N', ''] },
  { name: 'tricky', arrowType: 'string', sourceType: 'text', values: [duckText(TRICKY), "'ü'"], read: (c) => c, expected: [TRICKY, 'ü'], postgres: [pgText(TRICKY), "'ü'"] },
  // Past the 16 MB of a VARCHAR without a length: floe declares VARCHAR(134217728).
  { name: 'long_text', arrowType: 'string', sourceType: 'text', values: ["'x'", `repeat('x', ${OVER_DEFAULT_VARCHAR})`], read: (c) => `length(${c})`, expected: [1n, BigInt(OVER_DEFAULT_VARCHAR)] },
  {
    name: 'doc', arrowType: 'string', sourceType: 'json',
    values: [`'{"a": 1, "a": 2}'`, `'[1, 2.50, {"b": null}]'`], read: (c) => c, expected: ['{"a": 1, "a": 2}', '[1, 2.50, {"b": null}]'],
    // PostgreSQL's json keeps a key twice; PARSE_JSON(…, 'd') keeps its last value (snowflake-dialect.ts).
    stagingRead: (c) => `to_json(${c})`, stagingExpected: ['{"a":2}', '[1,2.5,{"b":null}]'],
  },
  { name: 'blob', arrowType: 'binary', sourceType: 'bytea', values: ["''::blob", "'\\x00\\xFF'::blob"], read: (c) => `hex_encode(${c})`, expected: ['', '00FF'], postgres: ["''::bytea", "'\\x00ff'::bytea"] },
  { name: 'born_on', arrowType: 'date32[day]', sourceType: 'date', values: ["date '0001-01-01'", "date '9999-12-31'"], read: (c) => `datediff(day, '1970-01-01'::date, ${c})`, expected: [BigInt(days('0001-01-01')), BigInt(days('9999-12-31'))], postgres: ["date '0001-01-01'", "date '9999-12-31'"] },
  // Around the Gregorian reform (1582-10-10 is no day of the Julian-to-Gregorian calendar) and before it: PostgreSQL and
  // Parquet count days in the proleptic Gregorian calendar; Snowflake warns about years before 1582
  // (https://docs.snowflake.com/en/sql-reference/data-types-datetime).
  {
    name: 'reform_day', arrowType: 'date32[day]', sourceType: 'date', values: ["date '1582-10-10'", "date '1200-06-15'"],
    read: (c) => `datediff(day, '1970-01-01'::date, ${c})`, expected: [BigInt(days('1582-10-10')), BigInt(days('1200-06-15'))],
    postgres: ["date '1582-10-10'", "date '1200-06-15'"],
  },
  {
    name: 'local_at', arrowType: 'timestamp[us]', sourceType: 'timestamp(6)',
    values: ["timestamp '0001-01-01 00:00:00.000001'", "timestamp '9999-12-31 23:59:59.999999'"],
    read: (c) => `date_part(epoch_microsecond, ${c})`, expected: [BigInt(micros('0001-01-01T00:00:00.000001')), BigInt(micros('9999-12-31T23:59:59.999999'))],
    postgres: ["timestamp '0001-01-01 00:00:00.000001'", "timestamp '9999-12-31 23:59:59.999999'"],
  },
  {
    // 01:30 UTC on the 6th is the 5th in every zone west of UTC: the session's TIMEZONE shows in the offset and the gold date.
    name: 'zoned_at', arrowType: 'timestamp[us, tz=UTC]', sourceType: 'timestamptz',
    values: ["timestamptz '2025-11-06 01:30:00+00'", "timestamptz '9999-12-31 23:59:59.999999+00'"],
    read: (c) => `date_part(epoch_microsecond, ${c}) || ' ' || date_part(timezone_hour, ${c}) || ':' || date_part(timezone_minute, ${c})`,
    expected: [`${micros('2025-11-06T01:30:00')} 0:0`, `${micros('9999-12-31T23:59:59.999999')} 0:0`],
    postgres: ["timestamptz '2025-11-06 01:30:00+00'", "timestamptz '9999-12-31 23:59:59.999999+00'"],
  },
  {
    name: 'at_time', arrowType: 'time64[us]', sourceType: 'time(6)', values: ["time '00:00:00'", "time '23:59:59.999999'"],
    read: (c) => `datediff(microsecond, '00:00:00'::time, ${c})`, expected: [0n, 86_399_999_999n],
    postgres: ["time '00:00:00'", "time '23:59:59.999999'"],
  },
  // PostgreSQL arrays: Parquet LISTs COPY loads into ARRAY columns (snowflake-type.ts). Structure, NULL elements, numbers,
  // strings and booleans are read as JSON; elements of other types cast back to their own type, exactly as their
  // scalar columns are read, so a date stored as a DATE or as its text alike must come back as the same day.
  { name: 'int_list', arrowType: 'list<item: int32>', sourceType: 'integer[]', values: ['[1, null, -2147483648]::integer[]', '[]::integer[]'], read: (c) => `to_json(${c})`, expected: ['[1,null,-2147483648]', '[]'], postgres: ['array[1, null, -2147483648]::integer[]', "'{}'::integer[]"] },
  { name: 'text_list', arrowType: 'list<item: string>', sourceType: 'text[]', values: [`[${duckText('a "b", \\ ü')}, '', null]`, "['NULL']"], read: (c) => `to_json(${c})`, expected: [JSON.stringify(['a "b", \\ ü', '', null]), '["NULL"]'], postgres: [`array[${pgText('a "b", \\ ü')}, '', null]::text[]`, "array['NULL']::text[]"] },
  { name: 'grid', arrowType: 'list<item: list<item: int32>>', sourceType: 'integer[]', values: ['[[1, 2], [3, null]]::integer[][]', '[]::integer[][]'], read: (c) => `to_json(${c})`, expected: ['[[1,2],[3,null]]', '[]'], postgres: ["'{{1,2},{3,NULL}}'::integer[]", "'{}'::integer[]"] },
  { name: 'flag_list', arrowType: 'list<item: bool>', sourceType: 'boolean[]', values: ['[true, false, null]', '[false]'], read: (c) => `to_json(${c})`, expected: ['[true,false,null]', '[false]'], postgres: ["'{t,f,NULL}'::boolean[]", "'{f}'::boolean[]"] },
  {
    name: 'price_list', arrowType: 'list<item: decimal128(10, 2)>', sourceType: 'numeric(10,2)[]', values: ['[1.50, -99999999.99]::decimal(10,2)[]', '[0.01, 99999999.99]::decimal(10,2)[]'],
    read: (c) => `${c}[0]::number(10,2)::varchar || ' ' || ${c}[1]::number(10,2)::varchar`, expected: ['1.50 -99999999.99', '0.01 99999999.99'],
    postgres: ["'{1.50,-99999999.99}'::numeric(10,2)[]", "'{0.01,99999999.99}'::numeric(10,2)[]"],
  },
  // -0 after the first element: floe check tells it from 0 by its sign bit (check/float-sql.ts).
  {
    name: 'double_list', arrowType: 'list<item: double>', sourceType: 'double precision[]', values: ["['0.1'::double]", "['5e-324'::double, '-0'::double]"],
    read: (c) => `${c}[0]::float`, expected: [0.1, 5e-324], postgres: ["array['0.1'::float8]", "array['5e-324'::float8, '-0'::float8]"],
  },
  // Elements JSON has no number for: COPY must keep them doubles in the ARRAY.
  {
    name: 'odd_doubles', arrowType: 'list<item: double>', sourceType: 'double precision[]', values: ["['NaN'::double, 'Infinity'::double]", "['-Infinity'::double, '-0'::double]"],
    read: (c) => `${c}[1]::float`, expected: [Number.POSITIVE_INFINITY, -0], postgres: ["array['NaN'::float8, 'Infinity'::float8]", "array['-Infinity'::float8, '-0'::float8]"],
  },
  // A float4 compares as the double it widens to (check/canonical-sql.ts): COPY may store a FLOAT element in the ARRAY as
  // its shortest decimal (0.1) rather than that double (0.100000001490116…), which this shows.
  {
    name: 'real_list', arrowType: 'list<item: float>', sourceType: 'real[]', values: ["['0.1'::float, '-3.4028235e38'::float]", "['1.4e-45'::float, '-0'::float]"],
    read: (c) => `${c}[0]::float`, expected: [Math.fround(0.1), Math.fround(1.4e-45)], postgres: ["array['0.1'::real, '-3.4028235e38'::real]", "array['1.4e-45'::real, '-0'::real]"],
  },
  // Above 2^53, where an element kept as a double would lose its last digits.
  {
    name: 'big_list', arrowType: 'list<item: int64>', sourceType: 'bigint[]', values: ['[9007199254740993, -9223372036854775808]::bigint[]', '[9223372036854775807]::bigint[]'],
    read: (c) => `${c}[0]::number(19,0)::varchar || ' ' || coalesce(${c}[1]::number(19,0)::varchar, '-')`, expected: ['9007199254740993 -9223372036854775808', '9223372036854775807 -'],
    postgres: ['array[9007199254740993, -9223372036854775808]::bigint[]', 'array[9223372036854775807]::bigint[]'],
  },
  // All 38 digits of Snowflake's NUMBER (https://docs.snowflake.com/en/sql-reference/data-types-numeric#number).
  {
    name: 'wide_list', arrowType: 'list<item: decimal128(38, 9)>', sourceType: 'numeric(38,9)[]',
    values: ['[(-99999999999999999999999999999.999999999)::decimal(38,9), 0.000000001::decimal(38,9)]', '[99999999999999999999999999999.999999999::decimal(38,9)]'],
    read: (c) => `${c}[0]::number(38,9)::varchar || ' ' || coalesce(${c}[1]::number(38,9)::varchar, '-')`,
    expected: ['-99999999999999999999999999999.999999999 0.000000001', '99999999999999999999999999999.999999999 -'],
    postgres: ["'{-99999999999999999999999999999.999999999,0.000000001}'::numeric(38,9)[]", "'{99999999999999999999999999999.999999999}'::numeric(38,9)[]"],
  },
  {
    name: 'time_list', arrowType: 'list<item: time64[us]>', sourceType: 'time(6)[]', values: ["[time '00:00:00', time '23:59:59.999999']", "[time '12:00:00.5', null]"],
    read: (c) => `datediff(microsecond, '00:00:00'::time, ${c}[0]::time) || ' ' || coalesce(datediff(microsecond, '00:00:00'::time, ${c}[1]::time)::varchar, '-')`,
    expected: ['0 86399999999', '43200500000 -'], postgres: ["array[time '00:00:00', time '23:59:59.999999']", "array[time '12:00:00.5', null]"],
  },
  {
    name: 'local_list', arrowType: 'list<item: timestamp[us]>', sourceType: 'timestamp(6)[]',
    values: ["[timestamp '0001-01-01 00:00:00.000001', timestamp '1582-10-10 12:00:00']", "[timestamp '9999-12-31 23:59:59.999999']"],
    read: (c) => `date_part(epoch_microsecond, ${c}[0]::timestamp_ntz)`, expected: [BigInt(micros('0001-01-01T00:00:00.000001')), BigInt(micros('9999-12-31T23:59:59.999999'))],
    postgres: ["array[timestamp '0001-01-01 00:00:00.000001', timestamp '1582-10-10 12:00:00']", "array[timestamp '9999-12-31 23:59:59.999999']"],
  },
  {
    name: 'day_list', arrowType: 'list<item: date32[day]>', sourceType: 'date[]', values: ["[date '0001-01-01', date '9999-12-31']", "[date '2024-02-29', date '1582-10-10', date '1200-06-15']"],
    read: (c) => [0, 1, 2].map((index) => `coalesce(datediff(day, '1970-01-01'::date, ${c}[${index}]::date)::varchar, '-')`).join(` || ' ' || `),
    expected: [`${days('0001-01-01')} ${days('9999-12-31')} -`, `${days('2024-02-29')} ${days('1582-10-10')} ${days('1200-06-15')}`],
    postgres: ["array[date '0001-01-01', date '9999-12-31']", "array[date '2024-02-29', date '1582-10-10', date '1200-06-15']"],
  },
  {
    name: 'instant_list', arrowType: 'list<item: timestamp[us, tz=UTC]>', sourceType: 'timestamp with time zone[]',
    values: ["[timestamptz '2025-11-06 01:30:00.000001+00']", "[timestamptz '9999-12-31 23:59:59.999999+00']"],
    read: (c) => `date_part(epoch_microsecond, ${c}[0]::timestamp_tz)`, expected: [BigInt(micros('2025-11-06T01:30:00.000001')), BigInt(micros('9999-12-31T23:59:59.999999'))],
    postgres: ["array[timestamptz '2025-11-06 01:30:00.000001+00']", "array[timestamptz '9999-12-31 23:59:59.999999+00']"],
  },
  { name: 'blob_list', arrowType: 'list<item: binary>', sourceType: 'bytea[]', values: ["['\\x00\\xFF'::blob, ''::blob]", "['\\xCA\\xFE'::blob]"], read: (c) => `hex_encode(${c}[0]::binary) || ',' || coalesce(hex_encode(${c}[1]::binary), '-')`, expected: ['00FF,', 'CAFE,-'], postgres: ["array['\\x00ff'::bytea, ''::bytea]", "array['\\xcafe'::bytea]"] },
  // Upper-casing `ß` is not a plain case change: the column keeps its name, and COPY matches it exactly (snowflake-dialect.ts).
  { name: 'straße', arrowType: 'string', sourceType: 'text', values: ["'ß'", "'ss'"], read: (c) => c, expected: ['ß', 'ss'], postgres: ["'ß'", "'ss'"] },
];

/** The DuckDB SELECT writing the verify file of a run: both rows, or (`changed`) row 2 with a new `tricky` value. */
export function verifyRunSelect(changed: boolean): string {
  const row = (index: 0 | 1): string =>
    `select ${VERIFY_COLUMNS.map((column) => `${column.name === 'tricky' && changed ? "'changed'" : column.values[index]} as "${column.name}"`).join(', ')}`;
  return changed ? row(1) : `${row(0)} union all ${row(1)}`;
}
