import { performance } from 'node:perf_hooks';

import type { SelectedTable } from '../config/index.js';
import type { StateStore } from '../state/index.js';
import { stagingTableFor } from '../warehouse/naming.js';
import { DELETED_AT } from '../warehouse/table-sql.js';
import type { Warehouse } from '../warehouse/warehouse.js';
import { quoteFor, quoteSourceTable, type CheckDialect, type CheckedColumn } from './canonical-sql.js';
import { CheckError } from './check-error.js';
import { compareTables, type Drift, type RoundDone } from './compare.js';
import { liveStagingFrom } from './deleted-keys.js';
import type { SourceSide } from './source-side.js';
import { stagingColumnsOf, warehouseAsCheckSide, warehouseCheckSide, type WarehouseCheckSide } from './warehouse-side.js';

/** One table's verdict. */
export interface TableCheck {
  source: string;
  table: string;
  status: 'in sync' | 'drift' | 'not loaded';
  /** The committed watermark the comparison stopped at; null compares every row. */
  watermark: string | null;
  /**
   * The primary key's columns and how their values compare: what {@link keyObject} reads keys by.
   * For a table without a key, every compared column: its rows are listed by all their values.
   */
  key: Pick<CheckedColumn, 'name' | 'kind'>[];
  /** The table has no primary key: rows were compared as a multiset, and `drift` lists rows, not keys. */
  keyless?: true;
  drift: Drift | null;
  seconds: number;
}

/** What the source's catalog says of a column, where it changes how values compare. */
interface SourceColumn {
  readonly notNull: boolean;
  /** The declared scale of a decimal column; null for PostgreSQL's unconstrained numeric and other types. */
  readonly scale: number | null;
}

/**
 * The source table's columns. Staging keeps the columns the source dropped (schema evolution),
 * and those are not compared; an empty map (a catalog floe cannot read) compares every staging
 * column, as nullable, with trailing fractional zeros trimmed.
 */
async function sourceColumns(side: SourceSide, table: string): Promise<Map<string, SourceColumn>> {
  const dot = table.indexOf('.');
  const schema = dot === -1 ? '' : table.slice(0, dot);
  const name = dot === -1 ? table : table.slice(dot + 1);
  const sql =
    side.dialect === 'postgres'
      ? "select column_name::text as name, is_nullable::text as nullable, numeric_scale as scale, data_type::text as type from information_schema.columns where table_schema::text = coalesce(nullif($1::text, ''), current_schema()::text) and table_name::text = $2::text"
      : "select column_name as name, is_nullable as nullable, numeric_scale as scale, data_type as type from information_schema.columns where table_schema = coalesce(nullif(?, ''), database()) and table_name = ?";
  const rows = await side.query({ sql, params: [schema, name] });
  const read = (row: Record<string, unknown>, column: string) => row[column] ?? row[column.toUpperCase()];
  return new Map(rows.map((row) => {
    const decimal = /^(numeric|decimal)$/i.test(String(read(row, 'type')));
    const scale = read(row, 'scale');
    return [String(read(row, 'name')), { notNull: read(row, 'nullable') === 'NO', scale: decimal && scale !== null && scale !== undefined ? Number(scale) : null }];
  }));
}

/**
 * The staging columns to compare (those the source still has; every one when its catalog could not
 * be read), named as the source spells them (Snowflake stores them upper-cased; each side quotes
 * a name its own way), each with how its values compare.
 */
function checkedColumns(
  stored: readonly { name: string; type: string }[],
  inSource: ReadonlyMap<string, SourceColumn>,
  known: readonly KnownColumn[],
  side: WarehouseCheckSide,
  sourceDialect: CheckDialect,
  where: string,
): CheckedColumn[] {
  const key = (name: string) => side.warehouse.nameKey(name);
  const sourceName = new Map([...known.map((column) => column.name), ...inSource.keys()].map((name) => [key(name), name]));
  const stillThere = new Set([...inSource.keys()].map(key));
  const arrowTypes = new Map(known.map((column) => [key(column.name), column.arrowType]));
  return stored.filter((column) => inSource.size === 0 || stillThere.has(key(column.name))).map((column) => {
    const name = sourceName.get(key(column.name)) ?? column.name;
    const arrowType = arrowTypes.get(key(column.name));
    const kind = side.valueKindOf(column.type, arrowType);
    if (kind === null) {
      // A Snowflake ARRAY says nothing of its elements: their type comes from the last merged run's manifest.
      const unknown = arrowType === undefined ? "; an array's elements are known from the manifest of the table's last merged run, and none was found" : '';
      throw new CheckError(`${where}: column ${name} is ${column.type} in staging, which floe check cannot compare yet${unknown}`);
    }
    const declared = inSource.get(name);
    const sameScale = kind === 'decimal' && declared?.scale !== null && declared?.scale === side.decimalScale(column.type);
    const compareAs = sameScale ? 'fixed decimal' : kind === 'float' && sourceDialect === 'mysql' ? 'mysql float' : kind;
    const elementType = side.elementType(column.type, arrowType);
    return { name, kind: compareAs, notNull: declared?.notNull === true, ...(elementType === null ? {} : { elementType }) };
  });
}

/** A digest round as a progress line, e.g. `round 1, whole table: 2,000,000 source rows, 2,000,000 staging rows in 4.1 s (487,805 rows/s), in sync`. */
function roundText(round: RoundDone): string {
  const count = (n: number) => n.toLocaleString('en-US');
  const where = round.length === 0 ? 'whole table' : `${count(round.ranges)} ranges of ${round.length} hex digits`;
  const rows = Math.max(round.sourceRows, round.stagingRows);
  const rate = round.seconds > 0 ? ` (${count(Math.round(rows / round.seconds))} rows/s)` : '';
  const verdict = round.differing === 0 ? 'in sync' : `${count(round.differing)} differ, holding ${count(round.rowsInDiffering)} rows`;
  return `round ${round.round}, ${where}: ${count(round.sourceRows)} source rows, ${count(round.stagingRows)} staging rows in ${round.seconds.toFixed(1)} s${rate}, ${verdict}`;
}

/** A column as the table's last merged run extracted it: what a warehouse's stored type may not say (a Snowflake ARRAY's elements). */
export interface KnownColumn {
  readonly name: string;
  readonly arrowType: string;
}

/**
 * Compares one configured table's source with its staging table, over the rows the committed
 * watermark covers (every row for a table without an incremental column). A table without a
 * primary key compares as a multiset of rows: the same per-row hashes, summed per range with the
 * row counts, so two identical rows weigh twice; the rows that differ are listed by their values.
 * `knownColumns`: the columns of the table's last merged run, by source name.
 */
export async function checkTable(
  selected: SelectedTable,
  deps: { source: SourceSide; warehouse: Warehouse; state: StateStore; knownColumns?: readonly KnownColumn[]; progress?: (line: string) => void },
): Promise<TableCheck> {
  const started = performance.now();
  const { source, table } = selected;
  const where = `table ${source.name}/${table.name}`;
  const staging = stagingTableFor(source.name, table.name);
  const warehouseSide = warehouseCheckSide(deps.warehouse);
  const { warehouse: sql } = warehouseSide;
  const all = await stagingColumnsOf(deps.warehouse, warehouseSide, staging);
  const stored = all.filter((column) => !column.name.toLowerCase().startsWith('_floe_'));
  // Rows marked deleted at the source (deletes: detect) are not compared: the source has none of them.
  const softDeleted = all.some((column) => sql.nameKey(column.name) === sql.nameKey(DELETED_AT));
  const { watermark } = await deps.state.getTableState(source.name, table.name);
  const base = { source: source.name, table: table.name, watermark: null, key: [] as TableCheck['key'], drift: null };
  if (stored.length === 0) return { ...base, status: 'not loaded', seconds: (performance.now() - started) / 1000 };

  const inSource = await sourceColumns(deps.source, table.name);
  const columns = checkedColumns(stored, inSource, deps.knownColumns ?? [], warehouseSide, deps.source.dialect, where);
  const keyless = table.primaryKey.length === 0;
  const key = keyless ? columns : table.primaryKey.map((name) => {
    const column = columns.find((c) => c.name === name);
    if (!column) throw new CheckError(`${where}: primary key column ${name} is not in ${sql.qualified(staging)}`);
    // Its digits are normalised per row for the hash only; keys are listed as each database prints them.
    if (column.kind === 'mysql float') throw new CheckError(`${where}: primary key column ${name} is a MySQL float, which floe check cannot list keys of`);
    return column;
  });
  const incremental = table.incrementalColumn;
  const covered = incremental !== undefined && watermark !== null ? { column: incremental, value: watermark } : null;
  const incrementalType = incremental === undefined ? undefined : stored.find((column) => sql.nameKey(column.name) === sql.nameKey(incremental))?.type;

  const drift = await compareTables(
    {
      side: deps.source,
      table: {
        dialect: deps.source.dialect, from: quoteSourceTable(deps.source.dialect, table.name), key, columns, multiset: keyless,
        ...(covered ? { watermark: { column: quoteFor(deps.source.dialect, covered.column), value: covered.value } } : {}),
      },
    },
    {
      side: warehouseAsCheckSide(deps.warehouse),
      table: {
        dialect: warehouseSide.dialect, from: liveStagingFrom(sql.qualified(staging), softDeleted ? DELETED_AT : null, sql.identifier), key, columns, multiset: keyless,
        ...(covered ? { watermark: { column: sql.identifier(covered.column), value: covered.value, ...(incrementalType ? { sqlType: incrementalType } : {}) } } : {}),
      },
    },
    { onRound: (round) => deps.progress?.(`${source.name}/${table.name}: ${roundText(round)}`) },
  );
  const inSync = drift.missing.length + drift.extra.length + drift.different.length === 0;
  return {
    ...base, watermark: covered?.value ?? null, key: key.map(({ name, kind }) => ({ name, kind })), ...(keyless ? { keyless: true as const } : {}),
    status: inSync ? 'in sync' : 'drift', drift, seconds: (performance.now() - started) / 1000,
  };
}
