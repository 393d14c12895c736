import { z } from 'zod';
import { CountSchema, FloeDetailSchema, WatermarkSchema } from './floe-detail.js';
import { SchemaChangeSchema } from './schema-change.js';

/** `detail-type` of {@link StageMergedSchema}. */
export const STAGE_MERGED = 'StageMerged';

/**
 * The run's raw files are loaded and merged into the staging table, and the
 * watermark advanced. Published by `load-and-merge`; `build-gold` reacts to
 * it, and downstream consumers may subscribe with their own rules.
 *
 * @example
 * ```json
 * {
 *   "version": "0",
 *   "id": "e2f3a4b5-c6d7-4e8f-9a0b-1c2d3e4f5a6b",
 *   "detail-type": "StageMerged",
 *   "source": "floe.pipeline",
 *   "account": "123456789012",
 *   "time": "2025-11-05T12:04:10Z",
 *   "region": "eu-west-1",
 *   "resources": [],
 *   "detail": {
 *     "runId": "r-20251105T120000Z-7f3a",
 *     "source": "clr",
 *     "table": "clr.availed_coupon_snapshots",
 *     "publishedAt": "2025-11-05T12:04:10.877Z",
 *     "rawTable": "raw.clr__availed_coupon_snapshots",
 *     "stagingTable": "staging.clr__availed_coupon_snapshots",
 *     "rowsLoaded": 1523,
 *     "inserted": 1201,
 *     "updated": 322,
 *     "deleted": 0,
 *     "watermark": "2025-11-05 12:00:00.000000+00:00",
 *     "noChange": false,
 *     "schemaChanges": [{"column": "coupon_code", "change": "added", "to": {"sourceType": "text", "arrowType": "string"}}]
 *   }
 * }
 * ```
 * @see ../shared/DESIGN.md, "The choreography"
 */
export const StageMergedSchema = FloeDetailSchema.extend({
  /** Warehouse table the raw files were loaded into. */
  rawTable: z.string().min(1),
  /** Warehouse table merged into (one row per primary key). */
  stagingTable: z.string().min(1),
  rowsLoaded: CountSchema,
  inserted: CountSchema,
  updated: CountSchema,
  /**
   * Staging rows removed by a full run (gone from the source), or marked or removed by delete
   * detection (the table's `deletes: detect | detect-hard`).
   */
  deleted: CountSchema,
  /** The watermark stored after this merge. */
  watermark: WatermarkSchema,
  /** True when the run brought no new rows; gold models may skip rebuilding. */
  noChange: z.boolean(),
  /**
   * True when an earlier run merged into staging but never got its gold built (it died in
   * between): gold must be rebuilt even when this run brought nothing.
   */
  goldBehind: z.boolean().optional(),
  /**
   * Values no destination holds exactly, set aside by the job under the table's policy and
   * loaded into the rejects table next to raw (`<raw table>__rejects`); absent when none.
   */
  rejects: CountSchema.optional(),
  /**
   * How this run's columns differ from the table's last known schema, as applied to raw and
   * staging; absent or empty when nothing changed. Optional, so events from older floe versions parse.
   */
  schemaChanges: z.array(SchemaChangeSchema).optional(),
  /**
   * Set for a repair run (`floe check --repair`): the keys it was asked for. Such a run removes
   * staging's rows of those keys (counted in `deleted`), then writes back the rows the source
   * holds (counted in `inserted`), and leaves the watermark as it was.
   */
  repairedKeys: CountSchema.optional(),
});

export type StageMerged = z.infer<typeof StageMergedSchema>;
