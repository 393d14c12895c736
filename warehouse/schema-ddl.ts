import type { SchemaChange } from '../events/schema-change.js';
import type { QualifiedName } from './quote.js';
import { arrowListOf } from './arrow-list.js';
import { arrayTextToList, SchemaChangeError } from './schema-evolution.js';
import type { SqlDialect } from './sql-dialect.js';
import { addColumnSql, alterColumnTypeSql, createRawTableSql, createStagingTableSql, DELETED_AT, META } from './table-sql.js';
import type { ColumnDescription, TableDescription } from './table-description.js';
import { WarehouseError } from './warehouse-error.js';

/** A warehouse table's columns as information_schema gives them: name → type, in the warehouse's spelling. */
export interface ExistingColumns {
  /** Stored name → stored type. */
  readonly types: ReadonlyMap<string, string>;
  /** How the warehouse matches names (DuckDB ignores case; Snowflake's quoted names are stored upper case). */
  readonly key: (name: string) => string;
  /** Its own spelling of a type, so a stored type and a wanted one compare. */
  readonly canonical: (type: string) => string;
}

/** A table's columns from the catalog rows of `dialect.tableColumnsSql` (no rows: the table does not exist). */
export function existingColumnsFrom(dialect: SqlDialect, rows: readonly Record<string, unknown>[]): ExistingColumns {
  return {
    types: new Map(rows.map((row) => {
      const column = dialect.storedColumn(row);
      return [column.name, column.type];
    })),
    key: dialect.nameKey,
    canonical: dialect.canonicalType,
  };
}

const FLOE_COLUMNS = new Set<string>([...Object.values(META), DELETED_AT]);

/** The description's column as it was typed before a widening. */
function asBefore(column: ColumnDescription, change: SchemaChange): ColumnDescription {
  const from = change.from ?? column;
  return { ...column, arrowType: from.arrowType, sourceType: from.sourceType };
}

/**
 * The DDL that brings one existing table (raw or staging) to a run's columns: ADD COLUMN for each
 * column it lacks, ALTER … SET DATA TYPE for each widened (or retyped) column whose stored type is
 * not yet the new one. Idempotent: on a table already evolved (a run killed after its DDL) it returns nothing.
 *
 * Throws SchemaChangeError, before any statement runs, when the dialect cannot alter the column in
 * place (Snowflake raising a NUMBER's scale, or turning text into jsonb's VARIANT); the table's run
 * stops and nothing lands.
 */
export function evolveTableSql(
  dialect: SqlDialect,
  table: QualifiedName,
  layer: 'raw' | 'staging',
  description: TableDescription,
  changes: readonly SchemaChange[],
  existing: ExistingColumns,
): string[] {
  const stored = new Map([...existing.types].map(([name, type]) => [existing.key(name), type]));
  // Widened and retyped columns alike: a retyped column keeps its Arrow type but may still change
  // warehouse type (text → jsonb is VARCHAR → VARIANT in Snowflake's staging).
  const retyped = new Map(changes.filter((change) => change.change === 'widened' || change.change === 'retyped').map((change) => [change.column, change]));
  const statements: string[] = [];
  for (const column of description.columns) {
    const current = stored.get(existing.key(column.name));
    const change = retyped.get(column.name);
    if (change?.from !== undefined && arrayTextToList(change.from, column)) {
      const refusal = arrayTextRefusal(dialect, description, column, current, description.mode === 'full');
      if (refusal !== null) throw new SchemaChangeError(refusal);
    }
    if (current === undefined) {
      statements.push(addColumnSql(dialect, table, column, layer));
      continue;
    }
    if (change === undefined) continue;
    const before = dialect.columnType(asBefore(column, change), layer);
    const wanted = dialect.columnType(column, layer);
    if (before === wanted) continue;
    if (!dialect.canAlterType(before, wanted)) {
      throw new SchemaChangeError(
        `Table ${description.table} of source ${description.source}: column ${column.name} ${change.change} from ${change.from?.sourceType ?? '?'} to ${column.sourceType}, ` +
          `but ${dialect.name} cannot alter ${dialect.qualified(table)} from ${before} to ${wanted} in place. Nothing of this run was loaded and the watermark stays. ` +
          `Migrate the column by hand (add a ${wanted} column, copy, drop the old one, rename), or drop raw and staging and reload in full mode, then run again.`,
      );
    }
    if (existing.canonical(current) !== existing.canonical(wanted)) statements.push(alterColumnTypeSql(dialect, table, column, layer));
  }
  return statements;
}

/**
 * Why a column that landed as text (PostgreSQL's array text, before floe landed arrays as lists) may
 * not become a list in this run, or null when it may: only once the text column is gone from the
 * table (renamed or dropped by hand), and only in a full run, which loads every row's list. floe
 * never converts the text already loaded, and never lets lists and text share a column or staging
 * hold lists for some rows only.
 */
export function arrayTextRefusal(dialect: SqlDialect, description: TableDescription, column: ColumnDescription, current: string | undefined, fullRun: boolean): string | null {
  if (current === undefined && fullRun) return null;
  const tables = `${dialect.qualified(description.rawTable)} and ${dialect.qualified(description.stagingTable)}`;
  const wanted = dialect.columnType(column, 'staging');
  const held = current === undefined ? `was loaded as text (PostgreSQL's array text) into ${tables}` : `holds text (${current}: PostgreSQL's array text) in ${tables}`;
  const rename = `alter table … rename column ${dialect.identifier(column.name)} to ${dialect.identifier(`${column.name}_text`)}`;
  const todo =
    current === undefined
      ? `Reload the table in full (floe run --full --source ${description.source} --table ${description.table}) so every row has its list.`
      : `Rename (or drop) the column in both tables (${rename}), then reload the table in full (floe run --full --source ${description.source} --table ${description.table}).`;
  return (
    `Table ${description.table} of source ${description.source}: column ${column.name} ${held}, and this run extracts it as ${column.arrowType} (${wanted}). ` +
    `floe converts none of the text already loaded and does not mix text and lists in one column: nothing of this run was loaded and the watermark stays. ${todo}`
  );
}

/**
 * Columns of an existing table that the run does not have, which a merge sets NULL in the rows it
 * updates; stored names. They are the columns dropped at the source, and the soft-delete column of a
 * table whose deletes are no longer detected: a marked row that arrives again exists at the source
 * again, so it is live (the MERGE of a table that detects them clears the mark itself, and DuckDB's
 * delete-and-insert writes a new row without one).
 */
export function droppedColumnsOf(description: TableDescription, existing: ExistingColumns): string[] {
  const names = new Set(description.columns.map((column) => existing.key(column.name)));
  const floe = new Set([...FLOE_COLUMNS].filter((name) => name !== DELETED_AT || description.softDelete === true).map(existing.key));
  return [...existing.types.keys()].filter((name) => !names.has(existing.key(name)) && !floe.has(existing.key(name)));
}

/**
 * What brings a raw or staging table to a description before rows land: its CREATE when the table
 * does not exist, else an ADD COLUMN for each column it lacks; and the columns it has that the
 * description lacks (`droppedColumnsOf`: staging keeps them, NULL in the rows a merge brings).
 *
 * A column whose stored type differs from the description's is refused with a WarehouseError:
 * evolveSchema alters widened columns before the load, so a difference left here is one floe did
 * not judge a widening, or had no last known schema to judge by.
 */
export function ensureTableSql(
  dialect: SqlDialect,
  table: QualifiedName,
  layer: 'raw' | 'staging',
  description: TableDescription,
  existing: ExistingColumns,
): { statements: string[]; dropped: string[] } {
  if (existing.types.size === 0) {
    return { statements: [layer === 'raw' ? createRawTableSql(dialect, description) : createStagingTableSql(dialect, description)], dropped: [] };
  }
  const stored = new Map([...existing.types].map(([name, type]) => [existing.key(name), type]));
  const statements: string[] = [];
  for (const column of description.columns) {
    const current = stored.get(existing.key(column.name));
    const wanted = dialect.columnType(column, layer);
    if (current === undefined) {
      statements.push(addColumnSql(dialect, table, column, layer));
    } else if (existing.canonical(current) !== existing.canonical(wanted)) {
      // Without a last known schema (state reset) an array's text column is still refused, as evolveTableSql refuses it.
      if (arrowListOf(column.arrowType) !== null && existing.canonical(current) === existing.canonical(dialect.textType)) {
        throw new SchemaChangeError(arrayTextRefusal(dialect, description, column, current, false) ?? '');
      }
      throw new WarehouseError(
        `Column ${column.name} of ${dialect.qualified(table)} is ${current} in ${dialect.label}, but table ${description.table} now extracts it as ${column.arrowType} (${wanted}): a type change floe did not apply (it applies only widenings, found against the table's last known schema, before loading). Migrate the column by hand, or drop the table and reload in full mode.`,
      );
    }
  }
  return { statements, dropped: droppedColumnsOf(description, existing) };
}
