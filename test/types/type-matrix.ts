/**
 * The type matrix: one source column per type (and per edge value worth its own row), with how a
 * staged value is compared with the source's own text for it. The source's text is what the
 * server prints (PostgreSQL's output functions, MySQL's text protocol); the staged value is
 * DuckDB's `cast(... as varchar)`, put in the source's spelling only where the two print the same
 * value differently (booleans, floats' NaN, bytes as hex, a timestamp's zero fraction). An array is
 * compared element by element: the source's array text split into its elements, against the LIST's
 * elements, each as its element type compares.
 */

/** How DuckDB's text of a staged value is turned into the source's spelling of the same value. */
export type Comparison = 'text' | 'float' | 'boolean' | 'bytes' | 'timestamp';

export interface MatrixColumn {
  /** Column name (also names the type in failure messages). */
  name: string;
  /** Source DDL type. */
  type: string;
  /** SQL literals for rows 1, 2, 3 (row 0 is all NULL); `null` for NULL. */
  values: readonly (string | null)[];
  comparison: Comparison;
  /** DuckDB type of the staging column, as information_schema spells it. */
  duckDbType: string;
  /** How docs/types.md names the type, when not by {@link type}. */
  label?: string;
  /** An array: staged as a LIST, compared element by element, each element as this says. */
  elements?: Comparison;
}

const col = (name: string, type: string, duckDbType: string, values: (string | null)[], comparison: Comparison = 'text'): MatrixColumn => ({
  name, type, values, comparison, duckDbType,
});

/** An array column: its values compared element by element (and by their nesting), each element as `elements` says. */
const array = (name: string, type: string, duckDbType: string, values: (string | null)[], elements: Comparison = 'text'): MatrixColumn => ({
  ...col(name, type, duckDbType, values), elements,
});

export const POSTGRES_MATRIX: readonly MatrixColumn[] = [
  col('c_smallint', 'smallint', 'SMALLINT', ['-32768', '32767', '0']),
  col('c_int', 'integer', 'INTEGER', ['-2147483648', '2147483647', '0']),
  col('c_bigint', 'bigint', 'BIGINT', ['-9223372036854775808', '9223372036854775807', '0']),
  col('c_numeric_10_2', 'numeric(10,2)', 'DECIMAL(10,2)', ['-99999999.99', '0.01', '0']),
  col('c_numeric_38_9', 'numeric(38,9)', 'DECIMAL(38,9)', ['12345678901234567890123456789.123456789', '-0.000000001', '0']),
  col('c_numeric_50_10', 'numeric(50,10)', 'VARCHAR', ['1234567890123456789012345678901234567890.0123456789', '-1.5', '0']),
  col('c_numeric', 'numeric', 'VARCHAR', ['3.14159265358979323846264338327950288419716939937510', "'NaN'", "'Infinity'"]),
  col('c_real', 'real', 'FLOAT', ['1.5', "'NaN'", "'-Infinity'"], 'float'),
  col('c_double', 'double precision', 'DOUBLE', ['0.1', "'Infinity'", '-1.7976931348623157e308'], 'float'),
  col('c_boolean', 'boolean', 'BOOLEAN', ['true', 'false', 'true'], 'boolean'),
  col('c_char', 'char(4)', 'VARCHAR', ["'ab'", "'abcd'", "''"]),
  col('c_varchar', 'varchar(20)', 'VARCHAR', ["'héllo wörld'", "''", "'a,b\"c'"]),
  col('c_text', 'text', 'VARCHAR', ["E'tab\\there, newline\\nthere, back\\\\slash, \\\\N'", "'😀 emoji and 漢字'", "repeat('long ', 20000)"]),
  col('c_bytea', 'bytea', 'BLOB', ["'\\x00ff10'", "''", "'\\x5c4e'"], 'bytes'),
  col('c_date', 'date', 'DATE', ["'2024-02-29'", "'0001-01-01'", "'9999-12-31'"]),
  col('c_timestamp', 'timestamp(6)', 'TIMESTAMP', ["'1999-12-31 23:59:59.999999'", "'0001-01-01 00:00:00'", "'9999-12-31 23:59:59.999999'"], 'timestamp'),
  col('c_timestamptz', 'timestamptz', 'TIMESTAMP WITH TIME ZONE', ["'2024-06-01 12:00:00.000001+05:30'", "'1900-01-01 00:00:00+00'", "'2262-04-11 23:47:16.854775+00'"], 'timestamp'),
  col('c_time', 'time(6)', 'TIME', ["'23:59:59.999999'", "'00:00:00'", "'12:34:56.5'"]),
  col('c_timetz', 'timetz', 'VARCHAR', ["'12:00:00+05:30'", "'00:00:00-12'", "'23:59:59.999999+00'"]),
  col('c_interval', 'interval', 'VARCHAR', ["'1 year 2 mons 3 days 04:05:06.789'", "'-1 day'", "'0'"]),
  col('c_uuid', 'uuid', 'VARCHAR', ["'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'", "'00000000-0000-0000-0000-000000000000'", "'ffffffff-ffff-ffff-ffff-ffffffffffff'"]),
  col('c_json', 'json', 'VARCHAR', [`'{"k": [1, 2.50, "ü"], "n": {"deep": [[{}]]}}'`, "'[]'", "'\"\\\\u00e9\"'"]),
  col('c_jsonb', 'jsonb', 'VARCHAR', [`'{"b": 1, "a": {"c": null}}'`, `'{"big": 123456789012345678901234567890}'`, "'\"ü\"'"]),
  array('c_int_array', 'integer[]', 'INTEGER[]', ["'{1,NULL,3}'", "'{}'", "'{-2147483648,2147483647}'"]),
  array('c_text_array', 'text[]', 'VARCHAR[]', [`'{"a b",NULL,"c,d","e\\"f"}'`, "'{}'", "ARRAY['', 'NULL', E'back\\\\slash', E'tab\\there', 'ü']"]),
  array('c_int_matrix', 'integer[][]', 'INTEGER[][]', ["'{{1,2},{3,4}}'", "'{{NULL}}'", "'{}'"]),
  array('c_numeric_array', 'numeric(10,2)[]', 'DECIMAL(10,2)[]', ["'{1.50,NULL,-99999999.99}'", "'{}'", "'{0.01}'"]),
  array('c_double_array', 'double precision[]', 'DOUBLE[]', ["'{NaN,Infinity,-Infinity,0.1,-0}'", "'{}'", "'{-1.7976931348623157e308,5e-324}'"], 'float'),
  array('c_boolean_array', 'boolean[]', 'BOOLEAN[]', ["'{t,f,NULL}'", "'{}'", "'{true}'"], 'boolean'),
  array('c_char_array', 'char(3)[]', 'VARCHAR[]', [`'{a,"b c",NULL}'`, "'{}'", "'{abc}'"]),
  array('c_bytea_array', 'bytea[]', 'BLOB[]', ["ARRAY['\\x00ff'::bytea, ''::bytea, NULL]", "'{}'", "ARRAY['\\x5c4e'::bytea]"], 'bytes'),
  array('c_date_array', 'date[]', 'DATE[]', ["'{2024-02-29,0001-01-01,9999-12-31}'", "'{NULL}'", "'{}'"]),
  array('c_timestamptz_array', 'timestamptz[]', 'TIMESTAMP WITH TIME ZONE[]', [`'{"2024-06-01 12:00:00.000001+05:30","1900-01-01 00:00:00+00"}'`, "'{NULL}'", "'{}'"], 'timestamp'),
  array('c_time_array', 'time(6)[]', 'TIME[]', ["'{00:00:00,23:59:59.999999}'", "'{}'", "'{12:34:56.5}'"]),
  array('c_interval_array', 'interval[]', 'VARCHAR[]', [`'{"1 year 2 mons 3 days 04:05:06.789",-00:00:01}'`, "'{}'", "'{0}'"]),
  array('c_uuid_array', 'uuid[]', 'VARCHAR[]', ["'{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,NULL}'", "'{}'", "'{ffffffff-ffff-ffff-ffff-ffffffffffff}'"]),
  array('c_jsonb_array', 'jsonb[]', 'VARCHAR[]', [`ARRAY['{"b": 1, "a": [1, 2.50]}'::jsonb, 'null'::jsonb, NULL]`, "'{}'", `ARRAY['"ü"'::jsonb]`]),
  array('c_inet_array', 'inet[]', 'VARCHAR[]', ["'{192.168.0.1/24,::1}'", "'{}'", "'{10.0.0.1}'"]),
  { ...array('c_enum_array', 'floe_matrix_mood[]', 'VARCHAR[]', ["'{happy,sad}'", "'{}'", "'{ok,NULL}'"]), label: 'an enum[]' },
  { ...col('c_enum', 'floe_matrix_mood', 'VARCHAR', ["'happy'", "'sad'", "'ok'"]), label: 'an enum' },
  { ...col('c_domain', 'floe_matrix_positive', 'INTEGER', ['1', '2147483647', '42']), label: 'a domain over integer' },
  col('c_inet', 'inet', 'VARCHAR', ["'192.168.0.1/24'", "'::1'", "'10.0.0.1'"]),
  col('c_cidr', 'cidr', 'VARCHAR', ["'10.0.0.0/8'", "'2001:db8::/32'", "'192.168.1.0/24'"]),
  col('c_macaddr', 'macaddr', 'VARCHAR', ["'08:00:2b:01:02:03'", "'ff:ff:ff:ff:ff:ff'", "'00:00:00:00:00:00'"]),
  col('c_money', 'money', 'VARCHAR', ["'12.34'", "'-0.01'", "'92233720368547758.07'"]),
  col('c_bit', 'bit(4)', 'VARCHAR', ["B'1010'", "B'0000'", "B'1111'"]),
  col('c_varbit', 'varbit(8)', 'VARCHAR', ["B'101'", "B''", "B'11111111'"]),
  col('c_xml', 'xml', 'VARCHAR', ["'<a x=\"1\">ü</a>'", "'text only'", "'<b/>'"]),
];

export const MYSQL_MATRIX: readonly MatrixColumn[] = [
  col('c_bool', 'tinyint(1)', 'TINYINT', ['1', '0', '-128']),
  col('c_bit1', 'bit(1)', 'BLOB', ["b'1'", "b'0'", "b'1'"], 'bytes'),
  col('c_bit12', 'bit(12)', 'BLOB', ["b'101010101010'", "b'0'", "b'111111111111'"], 'bytes'),
  col('c_tinyint_u', 'tinyint unsigned', 'UTINYINT', ['255', '0', '1']),
  col('c_smallint', 'smallint', 'SMALLINT', ['-32768', '32767', '0']),
  col('c_mediumint_u', 'mediumint unsigned', 'UINTEGER', ['16777215', '0', '1']),
  col('c_int', 'int', 'INTEGER', ['-2147483648', '2147483647', '0']),
  col('c_int_u', 'int unsigned', 'UINTEGER', ['4294967295', '0', '1']),
  col('c_bigint', 'bigint', 'BIGINT', ['-9223372036854775808', '9223372036854775807', '0']),
  col('c_bigint_u', 'bigint unsigned', 'UBIGINT', ['18446744073709551615', '0', '1']),
  col('c_decimal_10_2', 'decimal(10,2)', 'DECIMAL(10,2)', ['-99999999.99', '0.01', '0.00']),
  col('c_decimal_65_30', 'decimal(65,30)', 'VARCHAR', ['12345678901234567890123456789012345.123456789012345678901234567891', '-0.000000000000000000000000000001', '0']),
  col('c_float', 'float', 'FLOAT', ['1.5', '-3.4e38', '0'], 'float'),
  col('c_double', 'double', 'DOUBLE', ['0.1', '-1.7976931348623157e308', '5e-324'], 'float'),
  col('c_char', 'char(4)', 'VARCHAR', ["'ab'", "'abcd'", "''"]),
  col('c_varchar', 'varchar(40)', 'VARCHAR', ["'héllo wörld'", "''", "'😀 emoji and 漢字'"]),
  col('c_text', 'longtext', 'VARCHAR', ["'tab\\there, newline\\nthere, back\\\\slash, \\\\N'", "repeat('long ', 20000)", "'ü'"]),
  col('c_binary', 'binary(3)', 'BLOB', ["x'0102'", "x'000000'", "x'ffffff'"], 'bytes'),
  col('c_varbinary', 'varbinary(10)', 'BLOB', ["x'00ff10'", "x''", "x'5c4e'"], 'bytes'),
  col('c_blob', 'blob', 'BLOB', ["x'00ff10'", "x''", "repeat(x'ab', 70000 div 2)"], 'bytes'),
  col('c_date', 'date', 'DATE', ["'2024-02-29'", "'1000-01-01'", "'9999-12-31'"]),
  col('c_datetime', 'datetime(6)', 'TIMESTAMP', ["'1999-12-31 23:59:59.999999'", "'1000-01-01 00:00:00'", "'9999-12-31 23:59:59.999999'"], 'timestamp'),
  col('c_timestamp', 'timestamp(6) null', 'TIMESTAMP WITH TIME ZONE', ["'2024-06-01 06:30:00.000001'", "'1970-01-01 00:00:01'", "'2038-01-19 03:14:07.999999'"], 'timestamp'),
  col('c_time', 'time(6)', 'VARCHAR', ["'-838:59:59.000000'", "'838:59:59.000000'", "'25:00:00.5'"]),
  col('c_year', 'year', 'SMALLINT', ['2024', '1901', '2155']),
  col('c_json', 'json', 'VARCHAR', [`'{"k": [1, 2.50, "ü"]}'`, "'[]'", "'\"x\"'"]),
  col('c_enum', "enum('a','b','ü')", 'VARCHAR', ["'b'", "'a'", "'ü'"]),
  col('c_set', "set('x','y','z')", 'VARCHAR', ["'x,y'", "''", "'x,y,z'"]),
];
