import type { CatalogColumn, CatalogTable, DiscoveredTable } from './discovered-table.js';

/**
 * Column names that usually mean "set on every write", best first. Compared
 * without case and underscores, so `updatedAt` and `UPDATED_AT` match too.
 */
const INCREMENTAL_NAMES = [
  'updated_at',
  'modified_at',
  'last_modified',
  'last_modified_at',
  'last_updated',
  'last_updated_at',
  'changed_at',
  'updated_on',
  'modified_on',
  'updated',
  'modified',
  'changed',
].map(normalize);

function normalize(name: string): string {
  return name.toLowerCase().replaceAll('_', '');
}

/** A timestamp column named like `updated_at`; NOT NULL ones win, then the order of {@link INCREMENTAL_NAMES}. */
export function suggestIncrementalColumn(columns: readonly CatalogColumn[]): string | null {
  const rank = (column: CatalogColumn): number => INCREMENTAL_NAMES.indexOf(normalize(column.name)) + (column.notNull ? 0 : INCREMENTAL_NAMES.length);
  const candidates = columns.filter((column) => column.kind === 'timestamp' && INCREMENTAL_NAMES.includes(normalize(column.name)));
  const [best] = candidates.sort((a, b) => rank(a) - rank(b));
  return best?.name ?? null;
}

/** The key column when the primary key is a single integer column, else null. */
export function suggestPartitionColumn(columns: readonly CatalogColumn[], primaryKey: readonly string[]): string | null {
  const [only, ...more] = primaryKey;
  if (only === undefined || more.length > 0) return null;
  return columns.find((column) => column.name === only)?.kind === 'integer' ? only : null;
}

/** The engine-neutral description of a catalog table; `name` is how the config will refer to it. */
export function describeTable(table: CatalogTable, name: string): DiscoveredTable {
  return {
    schema: table.schema,
    table: table.table,
    name,
    primaryKey: [...table.primaryKey],
    incrementalColumn: suggestIncrementalColumn(table.columns),
    partitionColumn: suggestPartitionColumn(table.columns, table.primaryKey),
  };
}
