import { DEFAULT_MAX_CONNECTIONS } from '../config/schema.js';
import type { CatalogColumn, CatalogTable, DiscoveredTable } from './discovered-table.js';
import { APPEND_EVIDENCE, appendEvidence, fullModeEvidence, suggestAppendColumn, uniqueKeyEvidence, uniqueKeyOf } from './keyless-tables.js';

/**
 * Column names that usually mean "set on every write", best first, for when the catalog says
 * nothing of how a column is set. Compared without case and underscores (`updatedAt`, `UPDATED_AT`).
 */
const INCREMENTAL_NAMES = [
  'updated_at', 'modified_at', 'last_modified', 'last_modified_at', 'last_updated', 'last_updated_at', 'last_update',
  'changed_at', 'updated_on', 'modified_on', 'modified_date', 'last_modified_date', 'date_modified', 'modification_date',
  'update_time', 'updated_time', 'modified_time', 'last_changed', 'changed_on', 'updated', 'modified', 'changed', 'mtime',
].map(normalize);

function normalize(name: string): string {
  return name.toLowerCase().replaceAll('_', '');
}

/** A table this size or more is read in parallel parts: one part per this many bytes, up to {@link MAX_SUGGESTED_PARTITIONS}. */
export const PARTITION_BYTES = 2 * 1024 ** 3;
/** Parts proposed at most: each holds a connection, and a source's default `maxConnections` bounds them all. */
export const MAX_SUGGESTED_PARTITIONS = DEFAULT_MAX_CONNECTIONS;

/**
 * The column to read the table by, best first: one the database sets on every update
 * (ON UPDATE CURRENT_TIMESTAMP, a trigger), then one named like `updated_at`; among those, NOT
 * NULL before nullable (a NULL is invisible to incremental runs), indexed before not. Only date
 * and time columns: floe holds their watermark back behind open transactions.
 */
export function suggestIncrementalColumn(columns: readonly CatalogColumn[]): CatalogColumn | null {
  const named = (column: CatalogColumn): number => INCREMENTAL_NAMES.indexOf(normalize(column.name));
  const candidates = columns.filter((column) => (column.kind === 'timestamp' || column.kind === 'date') && (column.setOnUpdate !== null || named(column) !== -1));
  const score = (column: CatalogColumn): number[] => [
    column.setOnUpdate !== null ? 0 : 1,
    column.notNull ? 0 : 1,
    column.kind === 'timestamp' ? 0 : 1,
    column.indexed ? 0 : 1,
    named(column) === -1 ? INCREMENTAL_NAMES.length : named(column),
  ];
  const [best] = candidates.sort((a, b) => compare(score(a), score(b)));
  return best ?? null;
}

function compare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return (a[i] ?? 0) - (b[i] ?? 0);
  return 0;
}

/** Why `column` was proposed, in the words of the catalog. */
export function incrementalEvidence(column: CatalogColumn): string {
  return [
    column.setOnUpdate ?? 'named like a last-change time',
    column.notNull ? 'NOT NULL' : 'nullable: rows where it is NULL are seen only by full runs',
    column.indexed ? 'indexed' : 'not indexed: each run scans the table',
  ].join(', ');
}

/** Parallel reads for a table of `bytes`: one below {@link PARTITION_BYTES}, then one per that much, at most {@link MAX_SUGGESTED_PARTITIONS}. */
export function suggestPartitions(bytes: number | null): number {
  if (bytes === null || bytes < PARTITION_BYTES) return 1;
  return Math.min(MAX_SUGGESTED_PARTITIONS, Math.ceil(bytes / PARTITION_BYTES));
}

/** The key column when the primary key is a single integer column, else null. */
export function suggestPartitionColumn(columns: readonly CatalogColumn[], primaryKey: readonly string[]): string | null {
  const [only, ...more] = primaryKey;
  if (only === undefined || more.length > 0) return null;
  return columns.find((column) => column.name === only)?.kind === 'integer' ? only : null;
}

/** Key, mode and the column to read by: from the primary key, else a unique index, else as a table without a key. */
function howToRead(table: CatalogTable): Pick<DiscoveredTable, 'primaryKey' | 'keyEvidence' | 'mode' | 'modeEvidence' | 'incrementalColumn' | 'incrementalEvidence'> {
  const unique = table.primaryKey.length > 0 ? null : uniqueKeyOf(table);
  const key = unique?.columns ?? table.primaryKey;
  const changing = suggestIncrementalColumn(table.columns);
  if (key.length > 0) {
    return {
      primaryKey: [...key], keyEvidence: unique === null ? null : uniqueKeyEvidence(unique),
      mode: changing === null ? 'full' : 'incremental', modeEvidence: null,
      incrementalColumn: changing?.name ?? null, incrementalEvidence: changing === null ? null : incrementalEvidence(changing),
    };
  }
  // A column set on update, or named like one, says rows change, and only a key could merge a change.
  const appendBy = changing === null ? suggestAppendColumn(table.columns) : null;
  if (appendBy === null) {
    return { primaryKey: [], keyEvidence: null, mode: 'full', modeEvidence: fullModeEvidence(changing), incrementalColumn: null, incrementalEvidence: null };
  }
  return { primaryKey: [], keyEvidence: null, mode: 'append', modeEvidence: APPEND_EVIDENCE, incrementalColumn: appendBy.name, incrementalEvidence: appendEvidence(appendBy) };
}

/** The engine-neutral description of a catalog table; `name` is how the config will refer to it. */
export function describeTable(table: CatalogTable, name: string): DiscoveredTable {
  const read = howToRead(table);
  const splitBy = suggestPartitionColumn(table.columns, read.primaryKey);
  const partitions = splitBy === null ? 1 : suggestPartitions(table.estimatedBytes);
  return {
    schema: table.schema,
    table: table.table,
    name,
    ...read,
    partitionColumn: partitions > 1 ? splitBy : null,
    partitions,
    estimatedRows: table.estimatedRows,
    estimatedBytes: table.estimatedBytes,
  };
}
