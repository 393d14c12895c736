import { z } from 'zod';

/** A column's type as the extraction job described it in the manifest. */
export const ColumnTypeSchema = z.object({
  /** The source's type name, e.g. `integer`, `character varying(50)`. */
  sourceType: z.string().min(1),
  /** Arrow's type string, e.g. `int32`, `decimal128(12, 2)`. */
  arrowType: z.string().min(1),
});
export type ColumnType = z.infer<typeof ColumnTypeSchema>;

/**
 * One difference between a run's manifest and the table's last known schema (the manifest of the
 * table's last merged run), as floe applied it to raw and staging:
 * - `added`: a new source column, added to both tables; rows loaded before read NULL.
 * - `dropped`: gone from the source; kept in the warehouse, NULL in every row loaded from then on.
 *   A renamed column is a `dropped` and an `added`.
 * - `widened`: a wider type with the same values (int → bigint, numeric precision up, float → double);
 *   the warehouse columns were altered where their type changes.
 * - `retyped`: the source type changed but the Arrow type did not (varchar(50) → varchar(200), text
 *   → varchar): the warehouse type is the same, nothing was altered. Also a column that landed as
 *   text and now lands as a list (a PostgreSQL array loaded as its array text before floe landed
 *   arrays as lists): applied only by a full run once the text column is renamed or dropped in raw
 *   and staging (warehouse/schema-ddl.ts), which adds the list column.
 *
 * Changes that would lose data are never applied: the run fails (IngestFailed) naming the column.
 *
 * @example
 * ```json
 * {"column": "amount", "change": "widened",
 *  "from": {"sourceType": "integer", "arrowType": "int32"}, "to": {"sourceType": "bigint", "arrowType": "int64"}}
 * ```
 */
export const SchemaChangeSchema = z.object({
  column: z.string().min(1),
  change: z.enum(['added', 'dropped', 'widened', 'retyped']),
  /** The last known type; absent for `added`. */
  from: ColumnTypeSchema.optional(),
  /** The new type; absent for `dropped`. */
  to: ColumnTypeSchema.optional(),
});
export type SchemaChange = z.infer<typeof SchemaChangeSchema>;

/**
 * One line per change, for summaries and logs.
 *
 * @example describeSchemaChange({ column: 'amount', change: 'widened', from: {…int32}, to: {…int64} }) === 'amount widened integer → bigint'
 */
export function describeSchemaChange(change: SchemaChange): string {
  if (change.change === 'added') return `${change.column} added (${change.to?.sourceType ?? '?'})`;
  if (change.change === 'dropped') return `${change.column} dropped (was ${change.from?.sourceType ?? '?'}; kept, NULL from now on)`;
  return `${change.column} ${change.change} ${change.from?.sourceType ?? '?'} → ${change.to?.sourceType ?? '?'}`;
}
