import { z } from 'zod';
import { FloeDetailSchema } from './floe-detail.js';

/** `detail-type` of {@link GoldBuiltSchema}. */
export const GOLD_BUILT = 'GoldBuilt';

/** The outcome of one gold model in a build. */
export const GoldModelResultSchema = z.object({
  /** Model name, the file name under `sql/gold/` without extension. */
  name: z.string().min(1),
  status: z.enum(['built', 'failed', 'skipped']),
  /** Why a model failed; absent otherwise. */
  error: z.string().optional(),
  /** Wall-clock build time. */
  seconds: z.number().min(0).optional(),
});

export type GoldModelResult = z.infer<typeof GoldModelResultSchema>;

/**
 * Gold models depending on the table were rebuilt: the last event of a run.
 * Published by `build-gold`. One model failing does not hide the others:
 * each has its own status.
 *
 * @example
 * ```json
 * {
 *   "version": "0",
 *   "id": "f3a4b5c6-d7e8-4f9a-8b1c-2d3e4f5a6b7c",
 *   "detail-type": "GoldBuilt",
 *   "source": "floe.pipeline",
 *   "account": "123456789012",
 *   "time": "2025-11-05T12:04:31Z",
 *   "region": "eu-west-1",
 *   "resources": [],
 *   "detail": {
 *     "runId": "r-20251105T120000Z-7f3a",
 *     "source": "clr",
 *     "table": "clr.availed_coupon_snapshots",
 *     "publishedAt": "2025-11-05T12:04:31.240Z",
 *     "models": [
 *       {
 *         "name": "coupon_redemptions_daily",
 *         "status": "built",
 *         "seconds": 4.7
 *       },
 *       {
 *         "name": "coupon_funnel",
 *         "status": "failed",
 *         "error": "column \"redeemed_at\" not found in staging.clr__availed_coupon_snapshots",
 *         "seconds": 0.3
 *       },
 *       {
 *         "name": "coupon_cohorts",
 *         "status": "skipped"
 *       }
 *     ]
 *   }
 * }
 * ```
 * @see ../shared/DESIGN.md, "The choreography"
 */
export const GoldBuiltSchema = FloeDetailSchema.extend({
  models: z.array(GoldModelResultSchema),
});

export type GoldBuilt = z.infer<typeof GoldBuiltSchema>;
