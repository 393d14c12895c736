/**
 * The warehouse name of a source table: `<source>__<table>`, with every `.` in
 * the table replaced by `__`. A rule of the config (two configured tables must not
 * share a name, config/schema.ts), which the warehouse follows (warehouse/naming.ts).
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
