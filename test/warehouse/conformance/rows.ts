import { rawTableFor, stagingTableFor } from '../../../warehouse/naming.js';
import type { WarehouseUnderTest } from './warehouse-factory.js';

/** A value as both warehouses can be compared on: whole numbers as number, the rest as text. */
function plain(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  return String(value);
}

/**
 * Reads columns of a raw or staging table, ordered by the first, with names as asked (DuckDB keeps
 * the case of names, Snowflake returns them upper-cased) and values made comparable.
 */
export async function readRows(
  under: WarehouseUnderTest,
  layer: 'raw' | 'staging',
  columns: readonly string[],
  table: { source?: string; table?: string; asText?: readonly string[] } = {},
): Promise<Record<string, unknown>[]> {
  const name = (layer === 'raw' ? rawTableFor : stagingTableFor)(table.source ?? 'shop', table.table ?? 'orders');
  // Decimals compare as text: DuckDB's client reads them as JavaScript numbers, Snowflake's as exact text.
  const value = (column: string): string =>
    table.asText?.includes(column) ? `cast(${under.dialect.identifier(column)} as varchar)` : under.dialect.identifier(column);
  const select = columns.map((column, index) => `${value(column)} as "c${index}"`).join(', ');
  const rows = await under.warehouse.query(`select ${select} from ${under.dialect.qualified(name)} order by 1, 2`);
  return rows.map((row) => Object.fromEntries(columns.map((column, index) => [column, plain(row[`c${index}`])])));
}
