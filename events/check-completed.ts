import { z } from 'zod';
import { CountSchema, FloeDetailSchema, WatermarkSchema } from './floe-detail.js';

/** `detail-type` of {@link CheckCompletedSchema}. */
export const CHECK_COMPLETED = 'CheckCompleted';

/** Keys shown per kind of difference; the counts say how many there are in all. */
export const CHECK_SAMPLE_KEYS = 5;

/** A key by its columns' names, numbers as numbers: `{"order_id": 1001, "line_no": 2}`. */
const SampleKeysSchema = z.array(z.record(z.string(), z.union([z.string(), z.number(), z.null()]))).max(CHECK_SAMPLE_KEYS);

/**
 * A table's source compared with its staging table (`floe check`), automatically after a merge
 * (the table's `check: after-merge`). Published by `check-after-merge`, for a downstream subscriber
 * to alert on: `inSync` false means drift (rows missing, extra or different, within the committed
 * watermark), or, with `error`, that the check could not run. Repair with `floe check --repair`.
 * Sample keys are one text per primary-key column, as `floe check` reports them.
 *
 * @example
 * ```json
 * {
 *   "version": "0",
 *   "id": "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e",
 *   "detail-type": "CheckCompleted",
 *   "source": "floe.pipeline",
 *   "account": "123456789012",
 *   "time": "2025-11-05T12:04:12Z",
 *   "region": "eu-west-1",
 *   "resources": [],
 *   "detail": {
 *     "runId": "r-20251105T120000Z-7f3a",
 *     "source": "clr",
 *     "table": "clr.availed_coupon_snapshots",
 *     "publishedAt": "2025-11-05T12:04:12.480Z",
 *     "status": "drift",
 *     "inSync": false,
 *     "watermark": "2025-11-05 11:59:58.000000+00:00",
 *     "sourceRows": 1523004,
 *     "stagingRows": 1523003,
 *     "missing": 2,
 *     "extra": 1,
 *     "different": 0,
 *     "sampleKeys": { "missing": [{ "id": 1001 }, { "id": 1002 }], "extra": [{ "id": 77 }], "different": [] },
 *     "seconds": 3.2
 *   }
 * }
 * ```
 * @see ../README.md, "floe check --repair and the automatic check"
 */
export const CheckCompletedSchema = FloeDetailSchema.extend({
  /** `in sync`, `drift`, `not loaded` (no staging table yet) or `failed` (the check could not run; see `error`). */
  status: z.enum(['in sync', 'drift', 'not loaded', 'failed']),
  /** False on drift and on a failed check: the one field an alert needs. */
  inSync: z.boolean(),
  /** The committed watermark the comparison stopped at; null compares every row. */
  watermark: WatermarkSchema,
  sourceRows: CountSchema.optional(),
  stagingRows: CountSchema.optional(),
  missing: CountSchema,
  extra: CountSchema,
  different: CountSchema,
  sampleKeys: z.object({ missing: SampleKeysSchema, extra: SampleKeysSchema, different: SampleKeysSchema }),
  /** Present when the drift was too large to list: the counts are a sample's, lower bounds (README, `floe check`). */
  sampled: z.literal(true).optional(),
  /** Why the check could not run (status `failed`); no secrets. */
  error: z.string().optional(),
  seconds: z.number().min(0),
});

export type CheckCompleted = z.infer<typeof CheckCompletedSchema>;
