/**
 * Delete detection without CDC (`deletes: detect | detect-hard`): the keys staging still holds as
 * live that the source no longer has, found with `floe check`'s machinery on primary keys alone.
 * Each database digests its own keys per hash range; only counts and sums cross the network,
 * and the ranges that differ are narrowed down to the keys. Only rows the watermark covers are
 * judged: a key past it in staging, or changed past it at the source, is never called deleted.
 */
import { quoteFor, valueKindOf, type CheckDialect, type CheckedColumn } from './canonical-sql.js';
import { CheckError } from './check-error.js';
import { compareTables, keyValues, type CheckSide } from './compare.js';

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
  /** Primary-key columns with their staging (DuckDB) types, e.g. `BIGINT`, `TIMESTAMP WITH TIME ZONE`. */
  readonly key: readonly { readonly name: string; readonly warehouseType: string }[];
  readonly source: KeySide;
  /** Staging's live rows only (see {@link liveStagingFrom}). */
  readonly staging: KeySide;
  /** The incremental column, the watermark judged up to, and its staging type. */
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

/** Staging's rows that are not marked deleted, as a `from` item. */
export function liveStagingFrom(quotedStaging: string, deletedAtColumn: string | null): string {
  if (deletedAtColumn === null) return quotedStaging;
  return `(select * from ${quotedStaging} where ${quoteFor('duckdb', deletedAtColumn)} is null) as live`;
}

/**
 * The live staging keys the source no longer holds, up to the watermark. Throws CheckError for a
 * key column whose type floe cannot compare across databases (binary, float, time).
 */
export async function findDeletedKeys(request: DeletedKeysRequest): Promise<DeletedKeys> {
  const key: CheckedColumn[] = request.key.map((column) => {
    const kind = valueKindOf(column.warehouseType.replace(/^TIMESTAMPTZ$/i, 'TIMESTAMP WITH TIME ZONE'));
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
