/**
 * The queries `floe check` runs on each side. Rows are grouped by the first hex digits of the md5
 * of their primary key (key-hash ranges): any key type splits evenly, and a range that differs
 * splits again by one more byte, down to the rows. Each database computes its own digests; only
 * counts and sums cross the network until the differing rows are few.
 */
import { hashNumberSql, placeholder, rowHashSql, rowTextSql, sumAsTextSql, type CheckDialect, type CheckedColumn } from './canonical-sql.js';

export interface BoundQuery {
  readonly sql: string;
  readonly params: readonly string[];
}

/** One side of the comparison: a table, its columns, and the rows the committed watermark covers. */
export interface CheckedTable {
  readonly dialect: CheckDialect;
  /** Quoted table name, e.g. `"clr"."users"` or `` `shop`.`orders` ``. */
  readonly from: string;
  readonly key: readonly CheckedColumn[];
  readonly columns: readonly CheckedColumn[];
  /** Only rows whose incremental column is at or before the watermark; `sqlType` is the type to read the text as, where the dialect needs it. */
  readonly watermark?: { readonly column: string; readonly value: string; readonly sqlType?: string };
}

function keyHash(table: CheckedTable): string {
  return `md5(${rowTextSql(table.dialect, table.key)})`;
}

class Params {
  readonly values: string[] = [];
  constructor(private readonly dialect: CheckDialect) {}
  add(value: string): string {
    this.values.push(value);
    return placeholder(this.dialect, this.values.length);
  }
}

/** The watermark condition, then `more`'s: parameters are added in text order, as MySQL's `?` need. */
function where(table: CheckedTable, params: Params, more: () => string[]): string {
  const all: string[] = [];
  if (table.watermark) {
    const value = params.add(table.watermark.value);
    all.push(`${table.watermark.column} <= ${table.watermark.sqlType ? `cast(${value} as ${table.watermark.sqlType})` : value}`);
  }
  all.push(...more());
  return all.length === 0 ? '' : ` where ${all.join(' and ')}`;
}

function inPrefixes(table: CheckedTable, params: Params, prefixLength: number, prefixes: readonly string[] | null): string[] {
  if (prefixes === null) return [];
  return [`substr(${keyHash(table)}, 1, ${prefixLength}) in (${prefixes.map((prefix) => params.add(prefix)).join(', ')})`];
}

/** Per key-hash range of `prefixLength` hex digits (within `within`, ranges one level up): rows and hash sum, as text. */
export function rangeDigestSql(table: CheckedTable, prefixLength: number, within: { length: number; prefixes: readonly string[] } | null): BoundQuery {
  const params = new Params(table.dialect);
  const range = `substr(${keyHash(table)}, 1, ${prefixLength})`;
  const count = table.dialect === 'postgres' ? 'count(*)::text' : table.dialect === 'mysql' ? 'cast(count(*) as char)' : 'cast(count(*) as varchar)';
  const filter = where(table, params, () => (within === null ? [] : inPrefixes(table, params, within.length, within.prefixes)));
  const sql = `select ${range} as key_range, ${count} as row_count, ${sumAsTextSql(table.dialect, hashNumberSql(table.dialect, rowHashSql(table.dialect, table.columns)))} as hash_sum from ${table.from}${filter} group by ${range}`;
  return { sql, params: params.values };
}

/** Every covered row in the given ranges: its key as text and its row hash. */
export function rowDigestSql(table: CheckedTable, prefixLength: number, prefixes: readonly string[]): BoundQuery {
  const params = new Params(table.dialect);
  const filter = where(table, params, () => inPrefixes(table, params, prefixLength, prefixes));
  return { sql: `select ${rowTextSql(table.dialect, table.key)} as row_key, ${rowHashSql(table.dialect, table.columns)} as row_hash from ${table.from}${filter}`, params: params.values };
}

/** Which of these keys exist at all, covered by the watermark or not. */
export function keysPresentSql(table: CheckedTable, keys: readonly string[]): BoundQuery {
  const params = new Params(table.dialect);
  const list = keys.map((key) => params.add(key)).join(', ');
  return { sql: `select ${rowTextSql(table.dialect, table.key)} as row_key from ${table.from} where ${rowTextSql(table.dialect, table.key)} in (${list})`, params: params.values };
}
