import { z } from 'zod';
import { FloeDetailSchema } from './floe-detail.js';

/** `detail-type` of {@link IngestFailedSchema}. */
export const INGEST_FAILED = 'IngestFailed';

/** The steps of the choreography, as named in `IngestFailed.step`. */
export const INGEST_STEPS = ['start-ingest', 'extract', 'load-and-merge', 'build-gold'] as const;
export type IngestStep = (typeof INGEST_STEPS)[number];

/**
 * A run stopped. Published by whichever step failed (`extract` by
 * `glue-finished` on a failed Glue run). `error` is the one-line message a
 * person can act on; it never holds a password or connection string.
 *
 * @example
 * ```json
 * {
 *   "version": "0",
 *   "id": "a4b5c6d7-e8f9-4a0b-9c1d-3e4f5a6b7c8d",
 *   "detail-type": "IngestFailed",
 *   "source": "floe.pipeline",
 *   "account": "123456789012",
 *   "time": "2025-11-05T12:03:44Z",
 *   "region": "eu-west-1",
 *   "resources": [],
 *   "detail": {
 *     "runId": "r-20251105T120000Z-7f3a",
 *     "source": "clr",
 *     "table": "clr.availed_coupon_snapshots",
 *     "publishedAt": "2025-11-05T12:03:44.019Z",
 *     "step": "extract",
 *     "error": "Glue job floe-extract run jr_4f1b9c2e8d7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c ended TIMEOUT: Job run timed out",
 *     "retryable": true,
 *     "errorName": "ExtractionFailed"
 *   }
 * }
 * ```
 * @see ../shared/DESIGN.md, "The choreography"
 */
export const IngestFailedSchema = FloeDetailSchema.extend({
  step: z.enum(INGEST_STEPS),
  error: z.string().min(1),
  /** Whether running the same step again may succeed (source unreachable) or not (bad config). */
  retryable: z.boolean(),
  /**
   * The kind of failure (`TableBusy`, `ExtractionFailed`, `WarehouseError`, …), so a rule or a
   * script can tell a busy table from a broken one without reading the message.
   */
  errorName: z.string().min(1).optional(),
});

export type IngestFailed = z.infer<typeof IngestFailedSchema>;
