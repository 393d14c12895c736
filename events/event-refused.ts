import { z } from 'zod';
import { FloeDetailSchema, RunIdSchema } from './floe-detail.js';
import { HANDLER_NAMES } from './routes.js';

/** `detail-type` of {@link EventRefusedSchema}. */
export const EVENT_REFUSED = 'EventRefused';

/**
 * A handler would not act on an event: the run it names is unknown, belongs to another table, or
 * is not in the state the event implies (a StageMerged for a run that never merged, a RawLanded
 * whose manifest names another run or table). The handler changed nothing: no step, no end of the
 * run, no lease released. Published by whichever handler refused; no floe handler reacts to it,
 * and it is not an IngestFailed (the run it names goes on as it was), so it raises no run alarm:
 * a subscriber that wants to hear of forged or stray events subscribes to it.
 * `runId`, `source` and `table` are the run the refused event named, or, for a Glue state change
 * of a job run floe has no run for, null (`jobRunId` names the job run then).
 *
 * @example
 * ```json
 * {
 *   "version": "0",
 *   "id": "5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d8e",
 *   "detail-type": "EventRefused",
 *   "source": "floe.pipeline",
 *   "account": "123456789012",
 *   "time": "2025-11-05T12:01:07Z",
 *   "region": "eu-west-1",
 *   "resources": [],
 *   "detail": {
 *     "runId": "r-20251105T120000Z-7f3a",
 *     "source": "clr",
 *     "table": "clr.availed_coupon_snapshots",
 *     "publishedAt": "2025-11-05T12:01:07.311Z",
 *     "handler": "build-gold",
 *     "refusedDetailType": "StageMerged",
 *     "refusedEventId": "e2f3a4b5-c6d7-4e8f-9a0b-1c2d3e4f5a6b",
 *     "reason": "run r-20251105T120000Z-7f3a has not merged (it is running; steps: start-ingest), so no StageMerged of it can be true"
 *   }
 * }
 * ```
 * @see ../README.md, "Hostile input"
 */
export const EventRefusedSchema = FloeDetailSchema.extend({
  runId: RunIdSchema.nullable(),
  source: z.string().min(1).nullable(),
  table: z.string().min(1).nullable(),
  /** The handler that refused the event. */
  handler: z.enum(HANDLER_NAMES),
  /** The refused event's `detail-type`. */
  refusedDetailType: z.string().min(1),
  /** The refused event's `id`, to find it in the archive or the local event log. */
  refusedEventId: z.string().min(1),
  /** The refused event's `replay-name`, when it was a replay. */
  replayName: z.string().min(1).optional(),
  /** For a refused Glue state change: the job run it was about. */
  jobRunId: z.string().min(1).optional(),
  /** What did not match, naming the run, the table or the manifest field; no secrets. */
  reason: z.string().min(1),
});

export type EventRefused = z.infer<typeof EventRefusedSchema>;
