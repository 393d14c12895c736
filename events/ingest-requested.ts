import { z } from 'zod';
import { FloeDetailSchema, IngestModeSchema } from './floe-detail.js';

/**
 * Most keys one repair run re-extracts (`floe check --repair` asks for more runs beyond it): keeps
 * the event well under EventBridge's 256 KB and the job's arguments small.
 */
export const REPAIR_KEYS_PER_RUN = 500;

/** One primary key of a repair run: one text per key column, as `floe check` reports it. */
export const RepairKeySchema = z.array(z.string()).min(1);

/** `detail-type` of {@link IngestRequestedSchema}. */
export const INGEST_REQUESTED = 'IngestRequested';

/**
 * Asks floe to ingest one table: the first event of a run. Published by the
 * scheduler, `floe run`, or a Snowflake batch; `start-ingest` reacts to it.
 *
 * `requestId` is an idempotency key (the Snowflake batch id when there is one):
 * the same request delivered twice starts one run.
 *
 * @example
 * ```json
 * {
 *   "version": "0",
 *   "id": "6a7e8f95-1b2c-4d3e-8f90-a1b2c3d4e5f6",
 *   "detail-type": "IngestRequested",
 *   "source": "floe.pipeline",
 *   "account": "123456789012",
 *   "time": "2025-11-05T12:00:00Z",
 *   "region": "eu-west-1",
 *   "resources": [],
 *   "detail": {
 *     "runId": "r-20251105T120000Z-7f3a",
 *     "source": "clr",
 *     "table": "clr.availed_coupon_snapshots",
 *     "publishedAt": "2025-11-05T12:00:00.000Z",
 *     "mode": "incremental",
 *     "requestedBy": "schedule:hourly",
 *     "requestId": "batch-01JC9X4T5E"
 *   }
 * }
 * ```
 * @see ../shared/DESIGN.md, "The choreography"
 */
export const IngestRequestedSchema = FloeDetailSchema.extend({
  /** Overrides the table's configured mode for this run only. */
  mode: IngestModeSchema.optional(),
  /** Who asked: a person, `schedule:<name>`, `snowflake:<batch>`; for the logs. */
  requestedBy: z.string().min(1).optional(),
  /** Idempotency key; requests with the same key start one run. */
  requestId: z.string().min(1).optional(),
  /**
   * A repair run (`floe check --repair`): only these primary keys are extracted, whatever the
   * watermark and the mode; staging's rows of these keys are replaced by what the source holds
   * (removed when it holds none), and the watermark does not move. Optional: absent, a normal run.
   */
  keys: z.array(RepairKeySchema).min(1).max(REPAIR_KEYS_PER_RUN).optional(),
});

export type IngestRequested = z.infer<typeof IngestRequestedSchema>;
