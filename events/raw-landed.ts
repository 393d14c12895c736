import { z } from 'zod';
import { CountSchema, FloeDetailSchema, IngestModeSchema, LocationSchema, WatermarkSchema } from './floe-detail.js';

/** `detail-type` of {@link RawLandedSchema}. */
export const RAW_LANDED = 'RawLanded';

/**
 * The extraction finished and its manifest is written: every file it lists is
 * complete. Published by `glue-finished`; `load-and-merge` reacts to it.
 * The event carries the manifest's location and headline figures; the file
 * list and column types are in the manifest itself (see `manifest.ts`).
 *
 * @example
 * ```json
 * {
 *   "version": "0",
 *   "id": "d1e2f3a4-b5c6-4d7e-8f9a-0b1c2d3e4f5a",
 *   "detail-type": "RawLanded",
 *   "source": "floe.pipeline",
 *   "account": "123456789012",
 *   "time": "2025-11-05T12:03:43Z",
 *   "region": "eu-west-1",
 *   "resources": [],
 *   "detail": {
 *     "runId": "r-20251105T120000Z-7f3a",
 *     "source": "clr",
 *     "table": "clr.availed_coupon_snapshots",
 *     "publishedAt": "2025-11-05T12:03:43.502Z",
 *     "manifestUrl": "s3://floe-raw-123456789012/raw/_manifests/r-20251105T120000Z-7f3a.json",
 *     "mode": "incremental",
 *     "totalRows": 1523,
 *     "fileCount": 1,
 *     "newWatermark": "2025-11-05 12:00:00.000000+00:00",
 *     "previousWatermark": "2025-11-05 11:00:00.000000+00:00"
 *   }
 * }
 * ```
 * @see ../glue/README.md, "Manifest"
 */
export const RawLandedSchema = FloeDetailSchema.extend({
  /** Where the manifest is, `s3://…/_manifests/{runId}.json` or a local path. */
  manifestUrl: LocationSchema,
  mode: IngestModeSchema,
  /** Rows extracted, the sum over the manifest's files. */
  totalRows: CountSchema,
  /** Parquet files listed in the manifest. */
  fileCount: CountSchema,
  /** Largest incremental value extracted; becomes the next run's watermark once merged. */
  newWatermark: WatermarkSchema,
  /** The watermark this run started from. */
  previousWatermark: WatermarkSchema,
});

export type RawLanded = z.infer<typeof RawLandedSchema>;
