import type { CatalogColumn, CatalogTable, UniqueIndex } from './discovered-table.js';

/**
 * What `floe discover` proposes for a table without a primary key: a unique index it can use as
 * the key, else `append` for a table that looks insert-only, else `full`.
 */

/**
 * Column names that usually mean "set when the row was inserted", best first, for when the catalog
 * says nothing of how a column is set. Compared without case and underscores.
 */
const INSERT_TIME_NAMES = [
  'created_at', 'inserted_at', 'logged_at', 'recorded_at', 'occurred_at', 'received_at', 'event_time', 'created_on',
  'creation_time', 'creation_date', 'create_time', 'created_time', 'insert_time', 'log_time', 'created', 'timestamp', 'ts',
].map(normalize);

function normalize(name: string): string {
  return name.toLowerCase().replaceAll('_', '');
}

/**
 * The unique index to use as the key of a table without a primary key: one whose columns are all
 * NOT NULL (a unique index lets NULLs repeat), the fewest columns first, then by name. Null when none.
 */
export function uniqueKeyOf(table: Pick<CatalogTable, 'columns' | 'uniqueIndexes'>): UniqueIndex | null {
  const notNull = new Set(table.columns.filter((column) => column.notNull).map((column) => column.name));
  const usable = table.uniqueIndexes.filter((index) => index.columns.length > 0 && index.columns.every((name) => notNull.has(name)));
  const [best] = usable.sort((a, b) => a.columns.length - b.columns.length || a.name.localeCompare(b.name));
  return best ?? null;
}

/** Why a unique index is proposed as the key, as a comment says it. */
export function uniqueKeyEvidence(index: UniqueIndex): string {
  const columns = index.columns.length === 1 ? `column ${index.columns[0]}` : `columns ${index.columns.join(', ')}`;
  return `no primary key; unique index ${index.name} on NOT NULL ${columns} identifies each row, so it serves as the key`;
}

/**
 * The column to append a table without a key by, best first: a date or time column the database
 * stamps when a row is inserted (a default of its clock), then one named like `created_at`; never one
 * the database also changes on update, since a row that changes is no log's row. Among those, NOT
 * NULL before nullable, a time before a date, indexed before not.
 */
export function suggestAppendColumn(columns: readonly CatalogColumn[]): CatalogColumn | null {
  const named = (column: CatalogColumn): number => INSERT_TIME_NAMES.indexOf(normalize(column.name));
  const candidates = columns.filter(
    (column) => (column.kind === 'timestamp' || column.kind === 'date') && column.setOnUpdate === null && (column.setOnInsert !== null || named(column) !== -1),
  );
  const score = (column: CatalogColumn): number[] => [
    column.setOnInsert !== null ? 0 : 1,
    column.notNull ? 0 : 1,
    column.kind === 'timestamp' ? 0 : 1,
    column.indexed ? 0 : 1,
    named(column) === -1 ? INSERT_TIME_NAMES.length : named(column),
  ];
  const [best] = candidates.sort((a, b) => compare(score(a), score(b)));
  return best ?? null;
}

function compare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return (a[i] ?? 0) - (b[i] ?? 0);
  return 0;
}

/** Why `column` was proposed to append by, in the words of the catalog. */
export function appendEvidence(column: CatalogColumn): string {
  return [
    column.setOnInsert ?? 'named like an insertion time',
    column.notNull ? 'NOT NULL' : 'nullable: rows where it is NULL are seen only by the first run and full runs',
    column.indexed ? 'indexed' : 'not indexed: each run scans the table',
  ].join(', ');
}

/**
 * Why a table without a key runs in full mode: what the catalog showed instead of an insertion
 * time. `changing`: a column the database sets on update, or one named like `updated_at`.
 */
export function fullModeEvidence(changing: CatalogColumn | null): string {
  if (changing !== null) {
    return `no primary key, and its rows change (${changing.name}: ${changing.setOnUpdate ?? 'named like a last-change time'}), which only a key could merge: each run replaces the table, duplicate rows kept`;
  }
  return 'no primary key, nor a column the database stamps on insert or one named like created_at: each run replaces the table, duplicate rows kept';
}

/** Why a table without a key is appended to. */
export const APPEND_EVIDENCE = 'no primary key; rows taken as only ever inserted, as in a log: each run adds the new ones (a row updated at the source would be added again)';
