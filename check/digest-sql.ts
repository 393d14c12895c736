/**
 * The queries `floe check` runs on each side. Each row's md5 is computed once, and rows are grouped
 * by its first hex digits (hash ranges): any key type splits evenly, and ranges that differ split
 * again on more digits (see compare.ts), down to the rows. A row that differs lands in one range on each
 * side, and both ranges differ, so both versions are listed. Each database computes its own
 * digests; only counts and sums cross the network until the differing rows are few.
 */
import { hashNumberSql, placeholder, preparedColumnsSql, quoteFor, rowHashSql, rowTextSql, sumAsTextSql, type CheckDialect, type CheckedColumn } from './canonical-sql.js';

export interface BoundQuery {
  readonly sql: string;
  readonly params: readonly string[];
}

/** One side of the comparison: a table, its columns, and the rows the committed watermark covers. */
export interface CheckedTable {
  readonly dialect: CheckDialect;
  /** Quoted table name, e.g. `"clr"."users"` or `` `shop`.`orders` ``. */
  readonly from: string;
  /** The primary key; for a table without one (`multiset`), every compared column, so a row is listed by all its values. */
  readonly key: readonly CheckedColumn[];
  /**
   * The table has no primary key: its rows compare as a multiset (two identical rows are not one),
   * by row hash and count, not key by key.
   */
  readonly multiset?: boolean;
  readonly columns: readonly CheckedColumn[];
  /** Only rows whose incremental column is at or before the watermark; `sqlType` is the type to read the text as, where the dialect needs it. */
  readonly watermark?: { readonly column: string; readonly value: string; readonly sqlType?: string };
}

class Params {
  readonly values: string[] = [];
  constructor(private readonly dialect: CheckDialect) {}
  add(value: string): string {
    this.values.push(value);
    return placeholder(this.dialect, this.values.length);
  }
}

/** Only the rows the committed watermark covers. */
function watermarkFilter(table: CheckedTable, params: Params): string {
  if (!table.watermark) return '';
  const value = params.add(table.watermark.value);
  return ` where ${table.watermark.column} <= ${table.watermark.sqlType ? `cast(${value} as ${table.watermark.sqlType})` : value}`;
}

/**
 * A result column's name as every dialect returns it in lower case: Snowflake upper-cases a name
 * unless quoted (https://docs.snowflake.com/en/sql-reference/identifiers-syntax#double-quoted-identifiers).
 */
function resultName(dialect: CheckDialect, name: string): string {
  return dialect === 'snowflake' ? `"${name}"` : name;
}

/** `count(*)` as text. */
function countText(dialect: CheckDialect): string {
  if (dialect === 'postgres') return 'count(*)::text';
  if (dialect === 'mysql') return 'cast(count(*) as char)';
  return dialect === 'snowflake' ? 'to_varchar(count(*))' : 'cast(count(*) as varchar)';
}

/**
 * A Snowflake set of texts from one JSON array parameter: FLATTEN's VALUE column
 * (https://docs.snowflake.com/en/sql-reference/functions/flatten), each a VARIANT string cast to
 * its text (https://docs.snowflake.com/en/user-guide/querying-semistructured#explicitly-casting-values).
 */
function snowflakeTexts(json: string): string {
  return `select value::varchar from table(flatten(input => parse_json(${json})))`;
}

/** The alias of each row's md5 in {@link hashedRows}: floe's prefix keeps it apart from source columns. */
const HASH = '_floe_hash';

/**
 * Each covered row's md5 (as {@link HASH}), and its key columns where asked, as a from item.
 * Where the hash is read more than once, PostgreSQL would inline it into each reference, one md5
 * per reference; a set-returning function keeps it to one and still lets parallel workers share
 * the scan.
 */
function hashedRows(table: CheckedTable, params: Params, options: { withKey: boolean; readOnce: boolean }): string {
  const hash = rowHashSql(table.dialect, table.columns);
  const h = table.dialect === 'postgres' && !options.readOnce ? `unnest(array[${hash}])` : hash;
  const keyColumns = options.withKey ? `${table.key.map((column) => quoteFor(table.dialect, column.name)).join(', ')}, ` : '';
  const prepared = preparedColumnsSql(table.dialect, table.columns);
  const rows = prepared.length === 0 ? `${table.from}${watermarkFilter(table, params)}` : `(select *, ${prepared.join(', ')} from ${table.from}${watermarkFilter(table, params)}) as prepared`;
  return `(select ${keyColumns}${h} as ${HASH} from ${rows}) as hashed`;
}

/**
 * Rows whose hash starts with one of `prefixes` (every row for null). The prefixes travel as one
 * parameter, however many: a list of placeholders would meet the drivers' limits (65 535).
 */
function inPrefixes(table: CheckedTable, params: Params, prefixLength: number, prefixes: readonly string[] | null): string {
  if (prefixes === null) return '';
  const prefix = `substr(${HASH}, 1, ${prefixLength})`;
  // A semi-join hashes the set on every version (PostgreSQL 13 compares `= any(array)` element by element).
  if (table.dialect === 'postgres') return ` where ${prefix} in (select unnest(string_to_array(${params.add(prefixes.join(','))}, ',')))`;
  if (table.dialect === 'duckdb') return ` where ${prefix} in (select unnest(string_split(${params.add(prefixes.join(','))}, ',')))`;
  if (table.dialect === 'snowflake') return ` where ${prefix} in (${snowflakeTexts(params.add(JSON.stringify(prefixes)))})`;
  return ` where ${prefix} in (select p from json_table(${params.add(JSON.stringify(prefixes))}, '$[*]' columns (p varchar(32) path '$')) as prefixes)`;
}

/**
 * Per hash range of `prefixLength` hex digits (within `within`, ranges one level up): rows and
 * hash sum, as text. Length 0 is one range, the whole table: the usual, in-sync, case in one pass
 * with the least work per row.
 */
export function rangeDigestSql(table: CheckedTable, prefixLength: number, within: { length: number; prefixes: readonly string[] } | null): BoundQuery {
  const params = new Params(table.dialect);
  const name = (column: string) => resultName(table.dialect, column);
  const whole = prefixLength === 0 && within === null;
  const from = hashedRows(table, params, { withKey: false, readOnce: whole });
  const filter = within === null ? '' : inPrefixes(table, params, within.length, within.prefixes);
  const range = `substr(${HASH}, 1, ${prefixLength})`;
  const digest = `${countText(table.dialect)} as ${name('row_count')}, ${sumAsTextSql(table.dialect, hashNumberSql(table.dialect, HASH))} as ${name('hash_sum')} from ${from}${filter}`;
  return { sql: whole ? `select '' as ${name('key_range')}, ${digest}` : `select ${range} as ${name('key_range')}, ${digest} group by ${range}`, params: params.values };
}

/**
 * Every covered row in the given ranges (every row for null): its key as text and its row hash.
 * The key text is made for those rows only, after the filter.
 */
export function rowDigestSql(table: CheckedTable, prefixLength: number, prefixes: readonly string[] | null): BoundQuery {
  const params = new Params(table.dialect);
  const from = hashedRows(table, params, { withKey: true, readOnce: prefixes === null });
  const name = (column: string) => resultName(table.dialect, column);
  return { sql: `select ${rowTextSql(table.dialect, table.key)} as ${name('row_key')}, ${HASH} as ${name('row_hash')} from ${from}${inPrefixes(table, params, prefixLength, prefixes)}`, params: params.values };
}

/**
 * A table without a key, in the given ranges (every row for null): per distinct row hash, how many
 * rows have it and one of them as text (all its values, as {@link rowTextSql} marks them). Copies
 * of a row have one hash, so duplicates are counted, not merged.
 */
export function rowCopiesSql(table: CheckedTable, prefixLength: number, prefixes: readonly string[] | null): BoundQuery {
  const params = new Params(table.dialect);
  const from = hashedRows(table, params, { withKey: true, readOnce: prefixes === null });
  const name = (column: string) => resultName(table.dialect, column);
  // Rows are matched by hash; the text only shows them, so floats and arrays print as each database
  // prints them, but for Snowflake's ARRAY, which has no implicit text: it prints as floe check prints it.
  const plain = (kind: string) => kind === 'float' || kind === 'mysql float' || (kind.endsWith('[]') && table.dialect !== 'snowflake');
  const shown = table.key.map((column) => (plain(column.kind) ? { ...column, kind: 'text' as const } : column));
  return {
    sql: `select ${HASH} as ${name('row_hash')}, ${countText(table.dialect)} as ${name('copies')}, min(${rowTextSql(table.dialect, shown)}) as ${name('row_text')} from ${from}${inPrefixes(table, params, prefixLength, prefixes)} group by ${HASH}`,
    params: params.values,
  };
}

/**
 * Which of these keys exist at all, covered by the watermark or not: one scan, the keys as one
 * JSON parameter however many. MySQL compares the texts as bytes, as the other two do.
 */
export function keysPresentSql(table: CheckedTable, keys: readonly string[]): BoundQuery {
  const params = new Params(table.dialect);
  const list = params.add(JSON.stringify(keys));
  const key = rowTextSql(table.dialect, table.key);
  const member =
    table.dialect === 'postgres'
      ? `${key} in (select jsonb_array_elements_text(${list}::jsonb))`
      : table.dialect === 'duckdb'
        ? `${key} in (select unnest(from_json(${list}, '["VARCHAR"]')))`
        : table.dialect === 'snowflake'
          ? `${key} in (${snowflakeTexts(list)})`
          : `cast(${key} as binary) in (select cast(k as binary) from json_table(${list}, '$[*]' columns (k longtext path '$')) as listed_keys)`;
  return { sql: `select ${key} as ${resultName(table.dialect, 'row_key')} from ${table.from} where ${member}`, params: params.values };
}
