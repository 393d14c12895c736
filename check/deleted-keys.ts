/**
 * Delete detection without CDC (`deletes: detect | detect-hard`): the keys staging still holds as
 * live that the source no longer has, found with `floe check`'s machinery on primary keys alone.
 * Each database digests its own keys per hash range; only counts and sums cross the network,
 * and the ranges that differ are narrowed down to the keys. Only rows the watermark covers are
 * judged: a key past it in staging, or changed past it at the source, is never called deleted.
 */
import { quoteIdentifier } from '../warehouse/quote.js';
import { DELETED_AT } from '../warehouse/table-sql.js';
import type { TableDescription } from '../warehouse/table-description.js';
import type { Warehouse } from '../warehouse/warehouse.js';
import { quoteFor, type CheckDialect, type CheckedColumn } from './canonical-sql.js';
import { CheckError } from './check-error.js';
import { compareTables, keyValues, type CheckSide } from './compare.js';
import { checkSideRendering, warehouseAsCheckSide, warehouseCheckSide } from './warehouse-side.js';

/** Key kinds whose canonical text the warehouse reads back as the same value (a cast). */
const KEY_KINDS = new Set(['integer', 'decimal', 'text', 'boolean', 'date', 'timestamp', 'timestamptz']);

/** One side: its database, the table as it names it (quoted, or a subquery with an alias). */
export interface KeySide {
  readonly side: CheckSide;
  readonly dialect: CheckDialect;
  readonly from: string;
}

export interface DeletedKeysRequest {
  /** `source/table`, for messages. */
  readonly where: string;
  /**
   * Primary-key columns with their staging types as the staging side's warehouse spells them
   * (`staging.dialect`'s: e.g. DuckDB's `BIGINT`, `TIMESTAMPTZ`).
   */
  readonly key: readonly { readonly name: string; readonly warehouseType: string }[];
  readonly source: KeySide;
  /** Staging's live rows only (see {@link liveStagingFrom}), in a warehouse whose check side is built. */
  readonly staging: KeySide;
  /** The incremental column, the watermark judged up to, and its staging type (spelled as `key`'s). */
  readonly watermark: { readonly column: string; readonly value: string; readonly warehouseType: string };
}

export interface DeletedKeys {
  /** One text per key column, as the column's staging type reads it (timestamps with time zone in UTC, `+00:00`). */
  readonly keys: string[][];
  readonly sourceKeys: number;
  readonly stagingKeys: number;
  /** Digest queries per side. */
  readonly rounds: number;
}

/** Staging's rows that are not marked deleted, as a `from` item; `identifier` quotes a name as the warehouse does. */
export function liveStagingFrom(quotedStaging: string, deletedAtColumn: string | null, identifier: (name: string) => string = quoteIdentifier): string {
  if (deletedAtColumn === null) return quotedStaging;
  return `(select * from ${quotedStaging} where ${identifier(deletedAtColumn)} is null) as live`;
}

/**
 * The live staging keys the source no longer holds, up to the watermark. Throws CheckError for a
 * key column whose type floe cannot compare across databases (binary, float, time).
 */
export async function findDeletedKeys(request: DeletedKeysRequest): Promise<DeletedKeys> {
  const staging = checkSideRendering(request.staging.dialect);
  const key: CheckedColumn[] = request.key.map((column) => {
    const kind = staging.valueKindOf(column.warehouseType);
    if (kind === null || !KEY_KINDS.has(kind)) {
      throw new CheckError(`${request.where}: primary key column ${column.name} is ${column.warehouseType}, which delete detection cannot compare yet; remove deletes from the table's config`);
    }
    // Primary-key columns are NOT NULL at the source.
    return { name: column.name, kind, notNull: true };
  });
  const watermark = request.watermark;
  const side = (of: KeySide, sqlType?: string) => ({
    side: of.side,
    table: {
      dialect: of.dialect, from: of.from, key, columns: key,
      watermark: { column: quoteFor(of.dialect, watermark.column), value: watermark.value, ...(sqlType === undefined ? {} : { sqlType }) },
    },
  });
  const drift = await compareTables(side(request.source), side(request.staging, watermark.warehouseType));
  const keys = drift.extra.map((text) =>
    keyValues(text).map((value, index) => {
      if (value === null) throw new CheckError(`${request.where}: a staged row has a NULL in primary key column ${key[index]?.name}`);
      // The canonical text of a time with a zone ends in `+00`; the warehouses read `+00:00` alike.
      return key[index]?.kind === 'timestamptz' ? `${value}:00` : value;
    }),
  );
  return { keys, sourceKeys: drift.sourceRows, stagingKeys: drift.stagingRows, rounds: drift.rounds };
}

/**
 * {@link findDeletedKeys} against a warehouse's staging table, as a run describes it: the key and
 * watermark types, the quoting and the rendering come from the warehouse's dialect and check side.
 * Throws CheckError for a warehouse whose check side is not built (config validation refuses
 * `deletes` there up front).
 */
export async function findDeletedKeysInStaging(request: {
  readonly where: string;
  readonly description: TableDescription;
  readonly source: KeySide;
  readonly warehouse: Warehouse;
  /** The committed watermark of the table's incremental column. */
  readonly watermark: string;
}): Promise<DeletedKeys> {
  const { description, warehouse } = request;
  const side = warehouseCheckSide(warehouse);
  const stagingType = (name: string): string => {
    const column = description.columns.find((candidate) => candidate.name === name);
    if (column === undefined) throw new CheckError(`${request.where}: column ${name} is not among the run's columns`);
    return side.warehouse.columnType(column, 'staging');
  };
  const incremental = description.incrementalColumn;
  if (incremental === null) throw new CheckError(`${request.where}: delete detection needs an incremental column to judge deletes up to`);
  return findDeletedKeys({
    where: request.where,
    key: description.primaryKey.map((name) => ({ name, warehouseType: stagingType(name) })),
    source: request.source,
    staging: {
      side: warehouseAsCheckSide(warehouse),
      dialect: side.dialect,
      from: liveStagingFrom(side.warehouse.qualified(description.stagingTable), description.softDelete === true ? DELETED_AT : null, side.warehouse.identifier),
    },
    watermark: { column: incremental, value: request.watermark, warehouseType: stagingType(incremental) },
  });
}
