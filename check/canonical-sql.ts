/**
 * The same row, rendered as the same text in every database floe check reads, so its md5 can be
 * compared across them: the source (PostgreSQL or MySQL) and the warehouse (DuckDB or Snowflake,
 * see warehouse-side.ts; Snowflake's spellings are in snowflake-text-sql.ts). The text is
 * PostgreSQL's own output for each value: a PostgreSQL source, the production database the check
 * must spare, renders with its cheapest functions, and the others reproduce that text. Each
 * column's rendering follows its value kind, which the warehouse's side derives from its staging type.
 */
import { quoteIdentifier } from '../warehouse/quote.js';
import { snowflakeIdentifier } from '../warehouse/snowflake-dialect.js';
import { CheckError } from './check-error.js';
import { duckDbFloatBits, duckDbFloatParts, postgresFloatBits, duckDbShortestDigits, mysqlShortestDigits, preparedName } from './float-sql.js';
import { snowflakeArrayText, snowflakeJoined, snowflakeScalarText } from './snowflake-text-sql.js';

export type CheckDialect = 'postgres' | 'mysql' | 'duckdb' | 'snowflake';

/** How a single value compares, from its staging type (warehouse-side.ts) and, for a fixed decimal, the source's declared scale. */
export type ScalarKind = 'integer' | 'decimal' | 'fixed decimal' | 'float' | 'mysql float' | 'text' | 'boolean' | 'date' | 'timestamp' | 'timestamptz' | 'time' | 'binary';

/** A PostgreSQL array's: its elements' kind and one `[]` per dimension, e.g. `integer[][]`. */
export type ArrayKind = `${ScalarKind}[]${string}`;

/** How a column's values are compared. */
export type ValueKind = ScalarKind | ArrayKind;

export interface CheckedColumn {
  readonly name: string;
  readonly kind: ValueKind;
  /** NOT NULL at the source: its value needs no place in the row's null mask. */
  readonly notNull?: boolean;
  /**
   * For an array in a warehouse whose arrays hold untyped elements (Snowflake's ARRAY of VARIANT):
   * the type each element is read as, e.g. `NUMBER(10,2)`.
   */
  readonly elementType?: string;
}

/** The unit separator: cannot be confused with a value's own characters in any realistic column. */
const SEPARATOR = { postgres: 'chr(31)', mysql: 'char(31)', duckdb: 'chr(31)', snowflake: 'chr(31)' } as const;

/** A column's name as `dialect` quotes it; Snowflake's as floe stores it there (snowflake-dialect.ts). */
export function quoteFor(dialect: CheckDialect, name: string): string {
  if (dialect === 'snowflake') return snowflakeIdentifier(name);
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

/** Drops a fraction's trailing zeros, and its point when nothing is left after it. */
function trimmedFraction(dialect: 'mysql' | 'duckdb', text: string): string {
  if (dialect === 'mysql') return `case when locate('.', ${text}) > 0 then trim(trailing '.' from trim(trailing '0' from ${text})) else ${text} end`;
  return `case when contains(${text}, '.') then rtrim(rtrim(${text}, '0'), '.') else ${text} end`;
}

/**
 * Values {@link rowHashSql} reads more than once, computed once per row in a layer below it:
 * `select *, <these> from …`. Only DuckDB needs any (the parts of a MySQL float's text).
 */
export function preparedColumnsSql(dialect: CheckDialect, columns: readonly CheckedColumn[]): string[] {
  if (dialect !== 'duckdb') return [];
  return columns.flatMap((column, slot) => (column.kind === 'mysql float' ? [`${duckDbFloatParts(quoteFor(dialect, column.name))} as ${preparedName(slot)}`] : []));
}

/**
 * One value (NULL for NULL) as PostgreSQL prints it with the check session's settings (UTC, ISO dates), except
 * decimals, which lose trailing fractional zeros (PostgreSQL's unconstrained numeric keeps the
 * scale each value was written with, DuckDB pads to the column's), and floats, as their bits.
 */
function valueText(dialect: CheckDialect, column: CheckedColumn, slot: number): string {
  const c = quoteFor(dialect, column.name);
  const array = arrayKindOf(column.kind);
  return array === null ? scalarText(dialect, column.kind as ScalarKind, c, slot, column.name) : arrayText(dialect, c, array, column);
}

/** {@link valueText} of a value `c` (a column, or an array's element) of a scalar kind. */
function scalarText(dialect: CheckDialect, kind: ScalarKind, c: string, slot: number, name: string): string {
  if (dialect === 'snowflake') return snowflakeScalarText(kind, c, name);
  const asText = dialect === 'mysql' ? `cast(${c} as char)` : dialect === 'postgres' ? `${c}::text` : `cast(${c} as varchar)`;
  switch (kind) {
    case 'fixed decimal':
      // Declared with the scale staging has: every database prints exactly that many digits.
      return asText;
    case 'text':
      // PostgreSQL's casts to text differ from what COPY wrote for some types (char(n) loses its
      // padding, inet gains a netmask); the bare column in concat() is printed by its output function.
      return dialect === 'postgres' ? c : asText;
    case 'integer':
    case 'time':
    case 'date':
      return asText;
    case 'boolean':
      return dialect === 'mysql' ? `case when ${c} then 'true' when not ${c} then 'false' end` : asText;
    case 'float':
      // See float-sql.ts. A float4 compares as the double it widens to, which is what staging holds.
      if (dialect === 'postgres') return postgresFloatBits(c);
      if (dialect === 'duckdb') return duckDbFloatBits(c);
      throw new CheckError(`column ${name}: a MySQL float compares as 'mysql float'`);
    case 'mysql float':
      // See float-sql.ts. A FLOAT compares as the double it widens to, which is what staging holds.
      if (dialect === 'mysql') return mysqlShortestDigits(c, slot);
      if (dialect === 'duckdb') return duckDbShortestDigits(c, slot);
      throw new CheckError(`column ${name}: a PostgreSQL float compares as 'float'`);
    case 'decimal':
      return dialect === 'postgres' ? `trim_scale(${c})::text` : trimmedFraction(dialect, asText);
    case 'timestamp':
      return dialect === 'mysql' ? trimmedFraction(dialect, asText) : asText;
    case 'timestamptz':
      // MySQL's session runs in UTC (set by the caller), so its TIMESTAMP values already read as UTC.
      if (dialect === 'postgres') return asText;
      if (dialect === 'mysql') return `concat(${trimmedFraction(dialect, asText)}, '+00')`;
      // Microseconds since the epoch are UTC's: cheaper than a time zone conversion.
      return `cast(make_timestamp(epoch_us(${c})) as varchar) || '+00'`;
    case 'binary':
      if (dialect === 'postgres') return `encode(${c}, 'hex')`;
      // MySQL's hex() of a BIT value prints a number, without its leading zero bytes.
      if (dialect === 'mysql') return `lower(hex(cast(${c} as binary)))`;
      return `lower(hex(${c}))`;
  }
}

/** The element kind and number of dimensions of an array kind (`integer[][]`), or null for a scalar kind. */
export function arrayKindOf(kind: ValueKind): { readonly element: ScalarKind; readonly depth: number } | null {
  const match = /^(.*?)((?:\[\])+)$/.exec(kind);
  return match === null ? null : { element: match[1] as ScalarKind, depth: (match[2] ?? '').length / 2 };
}

/** The array kind of elements of `element` kind, `depth` dimensions deep. */
export function arrayKind(element: ScalarKind, depth: number): ArrayKind {
  return `${element}${'[]'.repeat(depth)}` as ArrayKind;
}

/** An array element's name inside the expressions below: floe's prefix keeps it apart from source columns. */
const ELEMENT = '_floe_element';

/**
 * An array as its dimensions, then its elements in storage order (row-major), each marked present
 * (`V…`, rendered as a scalar value of its kind) or NULL (`N`): `[1:2][1:2]:V1␞N␞V3␞V4`. PostgreSQL
 * prints the dimensions with `array_dims` (NULL for an empty array, read as ''), lower bounds
 * included: a source array whose lower bounds are not 1 differs from staging's list, which has none,
 * as a value set aside should (https://www.postgresql.org/docs/current/functions-array.html);
 * `unnest` reads a multidimensional array's elements in storage order, as DuckDB's `flatten`
 * concatenates nested lists (https://duckdb.org/docs/stable/sql/functions/list).
 */
function arrayText(dialect: CheckDialect, c: string, array: { element: ScalarKind; depth: number }, column: CheckedColumn): string {
  const name = column.name;
  if (dialect === 'snowflake') {
    if (column.elementType === undefined) throw new CheckError(`column ${name}: a Snowflake ARRAY compares only once its elements' type is known`);
    return snowflakeArrayText(c, array, column.elementType, SEPARATOR.snowflake, name);
  }
  const marked = (e: string): string => `case when ${e} is null then 'N' else concat('V', ${scalarText(dialect, array.element, e, 0, name)}) end`;
  if (dialect === 'postgres') {
    const elements = `array(select ${marked(ELEMENT)} from unnest(${c}) as ${ELEMENT}(${ELEMENT}))`;
    return `case when ${c} is null then null else concat(array_dims(${c}), ':', array_to_string(${elements}, ${SEPARATOR.postgres})) end`;
  }
  if (dialect === 'duckdb') {
    let flat = c;
    for (let level = 1; level < array.depth; level += 1) flat = `flatten(${flat})`;
    const dims = Array.from({ length: array.depth }, (_, level) => `'[1:' || len(${c}${'[1]'.repeat(level)}) || ']'`).join(' || ');
    const elements = `list_transform(${flat}, lambda ${ELEMENT}: ${marked(ELEMENT)})`;
    return `case when ${c} is null then null else concat(case when len(${c}) = 0 then '' else ${dims} end, ':', array_to_string(${elements}, ${SEPARATOR.duckdb})) end`;
  }
  throw new CheckError(`column ${name}: MySQL has no arrays`);
}

/** A value marked as present (`V…`) or NULL (`N`), so NULL never equals any text. */
function field(dialect: CheckDialect, column: CheckedColumn): string {
  const c = quoteFor(dialect, column.name);
  return `case when ${c} is null then 'N' else concat('V', ${valueText(dialect, column, 0)}) end`;
}

/** PostgreSQL passes a function at most 100 arguments; wider rows are joined in nested groups. */
const JOINED_PER_CALL = 90;

/**
 * `parts` joined by the separator, NULLs left out. Grouped the same way in every dialect, so the
 * text is the same: a group of NULLs only becomes ''.
 */
function joined(dialect: CheckDialect, parts: readonly string[]): string {
  const join = (items: readonly string[]) => (dialect === 'snowflake' ? snowflakeJoined(items, SEPARATOR.snowflake) : `concat_ws(${SEPARATOR[dialect]}, ${items.join(', ')})`);
  if (parts.length <= JOINED_PER_CALL) return join(parts);
  const groups: string[] = [];
  for (let start = 0; start < parts.length; start += JOINED_PER_CALL) groups.push(join(parts.slice(start, start + JOINED_PER_CALL)));
  return joined(dialect, groups);
}

/** The columns as one text, in the given order, each value marked: keys, which are read back from it. */
export function rowTextSql(dialect: CheckDialect, columns: readonly CheckedColumn[]): string {
  return joined(dialect, columns.map((column) => field(dialect, column)));
}

const MASK_BITS = 60;

/**
 * Which nullable columns are NULL, one integer per 60 of them. concat_ws leaves NULLs out; with
 * the mask in front, the values left still say which column each came from.
 */
function nullMasks(dialect: CheckDialect, columns: readonly CheckedColumn[]): string[] {
  const nullable = columns.filter((column) => column.notNull !== true);
  const masks: string[] = [];
  for (let start = 0; start < nullable.length; start += MASK_BITS) {
    const terms = nullable
      .slice(start, start + MASK_BITS)
      .map((column, bit) => `case when ${quoteFor(dialect, column.name)} is null then ${2n ** BigInt(bit)} else 0 end`);
    masks.push(`(${terms.join(' + ')})`);
  }
  return masks;
}

/**
 * md5 of the row, lower-case hex in every dialect (Snowflake's too:
 * https://docs.snowflake.com/en/sql-reference/functions/md5): its null masks, then its values.
 * Cheaper than marking each value (see {@link rowTextSql}), which copies every value once more.
 */
export function rowHashSql(dialect: CheckDialect, columns: readonly CheckedColumn[]): string {
  return `md5(${joined(dialect, [...nullMasks(dialect, columns), ...columns.map((column, slot) => valueText(dialect, column, slot))])})`;
}

/** The first 15 hex digits of an md5 as an integer (60 bits: sums of millions fit every dialect's numeric). */
export function hashNumberSql(dialect: CheckDialect, md5Sql: string): string {
  if (dialect === 'postgres') return `('x' || substr(${md5Sql}, 1, 15))::bit(60)::int8`;
  if (dialect === 'mysql') return `cast(conv(substr(${md5Sql}, 1, 15), 16, 10) as unsigned)`;
  // The hexadecimal format element X: https://docs.snowflake.com/en/sql-reference/sql-format-models#fixed-position-numeric-formats
  if (dialect === 'snowflake') return `to_number(substr(${md5Sql}, 1, 15), 'XXXXXXXXXXXXXXX')`;
  return `('0x' || substr(${md5Sql}, 1, 15))::UBIGINT`;
}

/** A sum as exact text: counts and hash sums are compared as strings across databases. */
export function sumAsTextSql(dialect: CheckDialect, valueSql: string): string {
  if (dialect === 'postgres') return `coalesce(sum(${valueSql}), 0)::text`;
  if (dialect === 'mysql') return `cast(coalesce(sum(${valueSql}), 0) as char)`;
  // A NUMBER(38,0) sum holds millions of 60-bit hashes exactly.
  if (dialect === 'snowflake') return `to_varchar(coalesce(sum(${valueSql}), 0))`;
  return `cast(coalesce(sum(${valueSql}::HUGEINT), 0) as varchar)`;
}

/** The bound-parameter marker for the n-th (1-based) value; Snowflake's `$n` become the driver's `?` (warehouse/snowflake-binds.ts). */
export function placeholder(dialect: CheckDialect, n: number): string {
  return dialect === 'mysql' ? '?' : `$${n}`;
}
