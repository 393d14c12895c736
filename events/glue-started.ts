import { z } from 'zod';
import { FloeDetailSchema, IngestModeSchema, LocationSchema, WatermarkSchema } from './floe-detail.js';

/** `detail-type` of {@link GlueStartedSchema}. */
export const GLUE_STARTED = 'GlueStarted';

/**
 * The extraction job was started for a run. Published by `start-ingest`;
 * `glue-finished` finds it again by `jobRunId` when Glue reports the end,
 * which is how a Glue state change is tied back to a run, source and table.
 *
 * @example
 * ```json
 * {
 *   "version": "0",
 *   "id": "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
 *   "detail-type": "GlueStarted",
 *   "source": "floe.pipeline",
 *   "account": "123456789012",
 *   "time": "2025-11-05T12:00:02Z",
 *   "region": "eu-west-1",
 *   "resources": [],
 *   "detail": {
 *     "runId": "r-20251105T120000Z-7f3a",
 *     "source": "clr",
 *     "table": "clr.availed_coupon_snapshots",
 *     "publishedAt": "2025-11-05T12:00:02.118Z",
 *     "jobName": "floe-extract",
 *     "jobRunId": "jr_4f1b9c2e8d7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c",
 *     "mode": "incremental",
 *     "watermark": "2025-11-05 11:00:00.000000+00:00",
 *     "rawRoot": "s3://floe-raw-123456789012/raw",
 *     "runTime": "2025-11-05T12:00:00Z"
 *   }
 * }
 * ```
 * @see ../shared/DESIGN.md, "The choreography"
 */
export const GlueStartedSchema = FloeDetailSchema.extend({
  /** Glue job name, e.g. `floe-extract`. */
  jobName: z.string().min(1),
  /** Glue's id for this job run (`jr_…`). */
  jobRunId: z.string().min(1),
  /** The mode actually used (configured, or the request's override). */
  mode: IngestModeSchema,
  /** Lower bound handed to the job as `--watermark`; `null` on a first or full run. */
  watermark: WatermarkSchema,
  /** Root the job writes under (`--raw-root`); the manifest lands at `{rawRoot}/_manifests/{runId}.json`. */
  rawRoot: LocationSchema,
  /** The run's logical time (`--run-time`), which fixes the data file paths so a rerun overwrites them. */
  runTime: z.iso.datetime({ offset: true }),
});

export type GlueStarted = z.infer<typeof GlueStartedSchema>;
