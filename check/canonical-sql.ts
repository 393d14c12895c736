/**
 * The same row, rendered as the same text in three databases, so its md5 can be compared across
 * them: the source (PostgreSQL or MySQL) and the warehouse (DuckDB). Each column's rendering
 * follows its warehouse type, which floe derived from the source's type when it extracted it.
 */
import { quoteIdentifier } from '../warehouse/quote.js';
import { CheckError } from './check-error.js';

export type CheckDialect = 'postgres' | 'mysql' | 'duckdb';

/** How a column's values are compared, from its warehouse type. */
export type ValueKind = 'integer' | 'decimal' | 'float' | 'text' | 'boolean' | 'date' | 'timestamp' | 'timestamptz' | 'time' | 'binary';

export interface CheckedColumn {
  readonly name: string;
  readonly kind: ValueKind;
}

/** The unit separator: cannot be confused with a value's own characters in any realistic column. */
const SEPARATOR = { postgres: 'chr(31)', mysql: 'char(31)', duckdb: 'chr(31)' } as const;

/**
 * Maps a DuckDB type from the staging table's information_schema to how it is compared, or null
 * for a type `floe check` cannot render alike on both sides (the caller names the column).
 */
export function valueKindOf(duckDbType: string): ValueKind | null {
  const type = duckDbType.trim().toUpperCase();
  if (/^(U?TINYINT|U?SMALLINT|U?INTEGER|U?BIGINT|HUGEINT|UHUGEINT)$/.test(type)) return 'integer';
  if (/^DECIMAL\(\d+,\s*\d+\)$/.test(type)) return 'decimal';
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

export function quoteFor(dialect: CheckDialect, name: string): string {
  if (dialect !== 'mysql') return quoteIdentifier(name);
  if (name.length === 0 || name.includes('\u0000')) throw new Error(`The SQL identifier ${JSON.stringify(name)} is empty or contains a NUL character.`);
  return `\`${name.replaceAll('`', '``')}\``;
}

/**
 * `schema.table` (or `table`) as the source spells it, each part quoted. Split at the first '.'
 * only, as the extraction job splits it: `s.a.b` is table `a.b` of schema `s`.
 */
export function quoteSourceTable(dialect: CheckDialect, table: string): string {
  const dot = table.indexOf('.');
  if (dot === -1) return quoteFor(dialect, table);
  return `${quoteFor(dialect, table.slice(0, dot))}.${quoteFor(dialect, table.slice(dot + 1))}`;
}

/** One value as text; decimals without trailing fractional zeros, times in UTC where they have a zone. */
function valueText(dialect: CheckDialect, column: CheckedColumn): string {
  const c = quoteFor(dialect, column.name);
  const asText = dialect === 'mysql' ? `cast(${c} as char)` : dialect === 'postgres' ? `${c}::text` : `cast(${c} as varchar)`;
  switch (column.kind) {
    case 'integer':
    case 'text':
    case 'time':
      return asText;
    case 'float':
      // Each database prints its shortest form differently (125 / 125.0, 1e+15 / 1000000000000000.0):
      // 12 significant digits in one scientific form instead, widened to double (a float4 as its exact double).
      if (dialect === 'postgres') {
        return `case when ${c} = 'NaN'::float8 then 'nan' when ${c} = 'Infinity'::float8 then 'inf' when ${c} = '-Infinity'::float8 then '-inf' else ltrim(to_char(${c}::float8, '9.99999999999EEEE')) end`;
      }
      if (dialect === 'duckdb') {
        return `case when isnan(${c}) then 'nan' when isinf(${c}) and ${c} > 0 then 'inf' when isinf(${c}) then '-inf' else printf('%.11e', ${c}::DOUBLE) end`;
      }
      throw new CheckError(`column ${column.name}: floe check cannot compare MySQL float columns yet`);
    case 'decimal': {
      // PostgreSQL's unconstrained numeric keeps the scale each value was written with; DuckDB pads to the column's.
      const trimmed = dialect === 'mysql' ? `trim(trailing '.' from trim(trailing '0' from ${asText}))` : `rtrim(rtrim(${asText}, '0'), '.')`;
      const hasPoint = dialect === 'mysql' ? `locate('.', ${asText}) > 0` : dialect === 'postgres' ? `position('.' in ${asText}) > 0` : `contains(${asText}, '.')`;
      return `case when ${hasPoint} then ${trimmed} else ${asText} end`;
    }
    case 'boolean':
      return `case when ${c} then 'true' else 'false' end`;
    case 'date':
      if (dialect === 'postgres') return `to_char(${c}, 'YYYY-MM-DD')`;
      if (dialect === 'mysql') return `date_format(${c}, '%Y-%m-%d')`;
      return `strftime(${c}, '%Y-%m-%d')`;
    case 'timestamp':
    case 'timestamptz': {
      const utc = column.kind === 'timestamptz';
      // MySQL's session runs in UTC (set by the caller), so its TIMESTAMP values already read as UTC.
      if (dialect === 'postgres') return `to_char(${utc ? `${c} at time zone 'UTC'` : c}, 'YYYY-MM-DD HH24:MI:SS.US')`;
      if (dialect === 'mysql') return `date_format(${c}, '%Y-%m-%d %H:%i:%s.%f')`;
      return `strftime(${utc ? `timezone('UTC', ${c})` : c}, '%Y-%m-%d %H:%M:%S.%f')`;
    }
    case 'binary':
      if (dialect === 'postgres') return `encode(${c}, 'hex')`;
      return `lower(hex(${c}))`;
  }
}

/** A value marked as present (`V…`) or NULL (`N`), so NULL never equals any text. */
function field(dialect: CheckDialect, column: CheckedColumn): string {
  const c = quoteFor(dialect, column.name);
  const concat = dialect === 'postgres' ? `'V' || ${valueText(dialect, column)}` : `concat('V', ${valueText(dialect, column)})`;
  return `case when ${c} is null then 'N' else ${concat} end`;
}

/** The columns as one text, in the given order. */
export function rowTextSql(dialect: CheckDialect, columns: readonly CheckedColumn[]): string {
  return `concat_ws(${SEPARATOR[dialect]}, ${columns.map((column) => field(dialect, column)).join(', ')})`;
}

/** md5 of the row text, lower-case hex in every dialect. */
export function rowHashSql(dialect: CheckDialect, columns: readonly CheckedColumn[]): string {
  return `md5(${rowTextSql(dialect, columns)})`;
}

/** The first 15 hex digits of an md5 as an integer (60 bits: sums of millions fit every dialect's numeric). */
export function hashNumberSql(dialect: CheckDialect, md5Sql: string): string {
  if (dialect === 'postgres') return `('x' || substr(${md5Sql}, 1, 15))::bit(60)::int8`;
  if (dialect === 'mysql') return `cast(conv(substr(${md5Sql}, 1, 15), 16, 10) as unsigned)`;
  return `('0x' || substr(${md5Sql}, 1, 15))::UBIGINT`;
}

/** A sum as exact text: counts and hash sums are compared as strings across databases. */
export function sumAsTextSql(dialect: CheckDialect, valueSql: string): string {
  if (dialect === 'postgres') return `coalesce(sum(${valueSql}), 0)::text`;
  if (dialect === 'mysql') return `cast(coalesce(sum(${valueSql}), 0) as char)`;
  return `cast(coalesce(sum(${valueSql}::HUGEINT), 0) as varchar)`;
}

/** The bound-parameter marker for the n-th (1-based) value. */
export function placeholder(dialect: CheckDialect, n: number): string {
  return dialect === 'mysql' ? '?' : `$${n}`;
}
