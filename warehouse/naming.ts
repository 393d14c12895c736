import { warehouseTableName } from '../config/warehouse-table-name.js';
import type { QualifiedName } from './quote.js';

/** The warehouse schemas floe writes to, and `floe` for its own bookkeeping. */
export const WAREHOUSE_SCHEMAS = { raw: 'raw', staging: 'staging', gold: 'gold', floe: 'floe' } as const;

/**
 * The raw table: append-only, every extracted row with its load metadata.
 *
 * @example rawTableFor('clr', 'clr.users') // { schema: 'raw', name: 'clr__clr__users' } → raw."clr__clr__users"
 */
export function rawTableFor(source: string, table: string): QualifiedName {
  return { schema: WAREHOUSE_SCHEMAS.raw, name: warehouseTableName(source, table) };
}

/**
 * The staging table: one row per primary key, latest version wins.
 *
 * @example stagingTableFor('shop', 'orders') // { schema: 'staging', name: 'shop__orders' } → staging."shop__orders"
 */
export function stagingTableFor(source: string, table: string): QualifiedName {
  return { schema: WAREHOUSE_SCHEMAS.staging, name: warehouseTableName(source, table) };
}
