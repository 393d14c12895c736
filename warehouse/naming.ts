import type { QualifiedName } from './quote.js';

/** The warehouse schemas floe writes to, and `floe` for its own bookkeeping. */
export const WAREHOUSE_SCHEMAS = { raw: 'raw', staging: 'staging', gold: 'gold', floe: 'floe' } as const;

/**
 * The warehouse name of a source table: `<source>__<table>`, with every `.` in
 * the table replaced by `__`.
 *
 * The source prefix keeps tables of different sources apart, and replacing the
 * dot lets a schema-qualified PostgreSQL table live in one flat warehouse
 * schema. The raw and staging tables share this name.
 *
 * Limit: a source name containing `__` could meet another source's table
 * (`a__b` + `c` versus `a` + `b__c`); keep `__` out of source names.
 *
 * @example warehouseTableName('shop', 'orders') === 'shop__orders'
 * @example warehouseTableName('clr', 'clr.users') === 'clr__clr__users'
 */
export function warehouseTableName(source: string, table: string): string {
  return `${source}__${table.replaceAll('.', '__')}`;
}

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
