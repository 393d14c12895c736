import { z } from 'zod';
import { ModeSchema } from '../config/schema.js';
import { RunIdSchema } from '../events/floe-detail.js';
import { ManifestSourceSizeSchema, WatermarkHeldSchema } from '../events/manifest.js';
import { ExtractionEngineSchema } from '../config/extraction-engine.js';
import { SchemaChangeSchema } from '../events/schema-change.js';

/**
 * The items the state store keeps: the same shapes in the local store's files
 * (one file per item, `local-layout.ts`) and in DynamoDB (one item each,
 * `dynamodb-tables.ts`). Table config items are {@link ../config/table-config.ts}.
 */

/** Run ids name files and manifests, so they follow the extraction job's rule (one rule, with the events'). */
export { RunIdSchema };
const InstantSchema = z.iso.datetime({ offset: true });

/** Why a run or step failed, in the shape of floe's error classes. */
export const RunErrorSchema = z.object({
  name: z.string().min(1),
  message: z.string(),
  retryable: z.boolean(),
});
export type RunError = z.infer<typeof RunErrorSchema>;

/** The lease on a table: at most one run extracts a table at a time. */
export const ActiveRunSchema = z.object({ runId: RunIdSchema, since: InstantSchema, expiresAt: InstantSchema });
export type ActiveRun = z.infer<typeof ActiveRunSchema>;

export const RunStatusSchema = z.enum(['running', 'succeeded', 'failed']);
export type RunStatus = z.infer<typeof RunStatusSchema>;

/** The newest run of a table, kept on the table's state item for `floe status`. */
export const RunSummarySchema = z.object({
  runId: RunIdSchema,
  status: RunStatusSchema,
  requestedAt: InstantSchema,
  finishedAt: InstantSchema.optional(),
});
export type RunSummary = z.infer<typeof RunSummarySchema>;

/**
 * Runtime state of one table.
 *
 * @example
 * {"source":"clr","table":"clr.availed_coupon_snapshots","watermark":"2025-11-05 12:00:00.000000+00:00",
 *  "watermarkRunId":"r-20251105-1200","activeRun":null,
 *  "lastRun":{"runId":"r-20251105-1200","status":"succeeded","requestedAt":"2025-11-05T12:00:00.000Z","finishedAt":"2025-11-05T12:03:10.000Z"}}
 */
export const TableStateSchema = z.object({
  source: z.string().min(1),
  table: z.string().min(1),
  /** The committed watermark as text in the column's own type, exactly as the manifest gave it; never parsed. */
  watermark: z.string().nullable(),
  /** The run that committed {@link watermark}; null before the first commit. */
  watermarkRunId: RunIdSchema.nullable(),
  activeRun: ActiveRunSchema.nullable(),
  lastRun: RunSummarySchema.optional(),
});
export type TableState = z.infer<typeof TableStateSchema>;

/** What every step record holds: when it ran, its rows, and its error when it failed. */
const StepTimesShape = {
  startedAt: InstantSchema,
  finishedAt: InstantSchema.optional(),
  rows: z.int().min(0).optional(),
  error: RunErrorSchema.optional(),
};

/** What load-and-merge did to staging. Fields added over time are optional, so older runs still read. */
export const LoadAndMergeDetailsSchema = z.object({
  inserted: z.int().min(0).optional(),
  updated: z.int().min(0).optional(),
  deleted: z.int().min(0).optional(),
  /** Nothing new, nothing deleted, no column changed: staging is as gold last saw it. */
  noChange: z.boolean().optional(),
  schemaChanges: z.int().min(0).optional(),
  rejects: z.int().min(0).optional(),
});
export type LoadAndMergeDetails = z.infer<typeof LoadAndMergeDetailsSchema>;

/**
 * One step of a run, by name: start-ingest (the job started), extract (the job's manifest read),
 * load-and-merge (raw loaded, staging merged, watermark committed), build-gold (gold rebuilt, or
 * `skipped` when nothing changed). A step that failed carries its error. Recorded again, a step
 * replaces its earlier record. No secrets.
 */
export const RunStepSchema = z.discriminatedUnion('name', [
  z.object({ name: z.literal('start-ingest'), ...StepTimesShape, details: z.object({ repairKeys: z.int().min(0).optional() }).optional() }),
  z.object({ name: z.literal('extract'), ...StepTimesShape }),
  z.object({ name: z.literal('load-and-merge'), ...StepTimesShape, details: LoadAndMergeDetailsSchema.optional() }),
  z.object({ name: z.literal('build-gold'), ...StepTimesShape, details: z.object({ models: z.int().min(0).optional(), skipped: z.boolean().optional() }).optional() }),
]);
export type RunStep = z.infer<typeof RunStepSchema>;
export type StepName = RunStep['name'];

/** The run's record of `name` when that step succeeded; undefined when it never ran or failed. */
export function succeededStep<N extends StepName>(run: RunRecord, name: N): Extract<RunStep, { name: N }> | undefined {
  return run.steps.find((step): step is Extract<RunStep, { name: N }> => step.name === name && step.error === undefined);
}

/** What start-ingest knows when a run begins. */
export const NewRunSchema = z.object({
  runId: RunIdSchema,
  source: z.string().min(1),
  table: z.string().min(1),
  mode: ModeSchema,
  requestedAt: InstantSchema,
  jobRunId: z.string().min(1).optional(),
});
export type NewRun = z.infer<typeof NewRunSchema>;

/**
 * Why a run waits for its job run to start, and since when: its source's connections
 * (`maxConnections`) or Glue's concurrent runs are all taken.
 *
 * @example
 * {"since":"2025-11-05T12:00:00.000Z","reason":"source clr: its 4 connection(s) (maxConnections) are taken (run r-1 holds 4)"}
 */
export const RunQueuedSchema = z.object({ since: InstantSchema, reason: z.string().min(1) });
export type RunQueued = z.infer<typeof RunQueuedSchema>;

/** Facts learned during a run, set with `updateRun`. */
export const RunUpdateSchema = z.object({
  /** Set while the run waits for its job run to start (`floe status` says `queued`); null once it starts. */
  queued: RunQueuedSchema.nullable().optional(),
  jobRunId: z.string().min(1).optional(),
  manifestUrl: z.string().min(1).optional(),
  rowsExtracted: z.int().min(0).optional(),
  inserted: z.int().min(0).optional(),
  updated: z.int().min(0).optional(),
  /** Staging rows marked or removed because their keys were gone from the source (`deletes: detect | detect-hard`). */
  deleted: z.int().min(0).optional(),
  /** Values set aside under the table's `unrepresentable` policy (the manifest's rejects); absent when none. */
  rejects: z.int().min(0).optional(),
  /** How the run's columns differed from the table's last known schema, as load-and-merge applied them (events/schema-change.ts). */
  schemaChanges: z.array(SchemaChangeSchema).optional(),
  /** Set when a transaction still open at the source held the run's watermark back (the manifest's). */
  watermarkHeld: WatermarkHeldSchema.optional(),
  /** Set when floe's role could not see when the source's open transactions started: what to grant. */
  unseenTransactions: z.object({ count: z.int().min(0).nullable(), privilege: z.string().min(1) }).optional(),
  /** The job that extracted the run: the table's `engine`, or what `auto` chose (config/extraction-engine.ts). */
  extractionEngine: ExtractionEngineSchema.optional(),
  /** Why that engine, as `floe run` and `floe status` show it (`engine: spark`, `auto: ~42 GB ≥ 20 GB; 4 × G.1X`). */
  engineReason: z.string().min(1).optional(),
  /** The source catalog's estimate of the table when the run read it (the manifest's `sourceSize`). */
  sourceSize: ManifestSourceSizeSchema.optional(),
});
export type RunUpdate = z.infer<typeof RunUpdateSchema>;

/**
 * One run in the history.
 *
 * @example
 * {"runId":"r-20251105-1200","source":"clr","table":"clr.availed_coupon_snapshots","mode":"incremental",
 *  "status":"succeeded","requestedAt":"2025-11-05T12:00:00.000Z","finishedAt":"2025-11-05T12:03:10.000Z",
 *  "steps":[{"name":"extract","startedAt":"2025-11-05T12:00:01.000Z","finishedAt":"2025-11-05T12:02:40.000Z","rows":1523}],
 *  "rowsExtracted":1523,"inserted":1200,"updated":323,"jobRunId":"jr_0123","manifestUrl":"s3://bucket/raw/_manifests/r-20251105-1200.json"}
 */
export const RunRecordSchema = NewRunSchema.extend(RunUpdateSchema.shape).extend({
  status: RunStatusSchema,
  finishedAt: InstantSchema.optional(),
  steps: z.array(RunStepSchema),
  error: RunErrorSchema.optional(),
  /** Set when this run's watermark was committed, so a replayed commit never moves the watermark back. */
  watermarkCommittedAt: InstantSchema.optional(),
});
export type RunRecord = z.infer<typeof RunRecordSchema>;

/** The answer of `acquireLease`: the lease, or who holds it. */
export const LeaseResultSchema = z.discriminatedUnion('acquired', [
  z.object({ acquired: z.literal(true), since: InstantSchema, expiresAt: InstantSchema }),
  z.object({ acquired: z.literal(false), heldBy: RunIdSchema, since: InstantSchema, expiresAt: InstantSchema }),
]);
export type LeaseResult = z.infer<typeof LeaseResultSchema>;

/** One holder's share of a source's connection slots, until it expires. */
export const SlotHolderSchema = z.object({ holder: z.string().min(1), slots: z.int().min(1), expiresAt: InstantSchema });
export type SlotHolder = z.infer<typeof SlotHolderSchema>;

/**
 * The connection slots held on one source, so floe bounds the connections it opens on a source
 * across processes and Glue job runs. One item per source; `version` grows with every write, so
 * DynamoDB replaces the item only if nobody changed it since it was read (optimistic locking). A
 * holder whose `expiresAt` has passed holds nothing; writes drop such holders. Holders are
 * ordered by name. On DynamoDB the item is in the runtime table, key `pk` = `slots:<source>` (a
 * table's key always holds a `/`, a source name never does, so the two never meet).
 *
 * @example
 * {"source":"clr","version":7,"holders":[{"holder":"r20251105T120000Z-0a1b2c","slots":2,"expiresAt":"2025-11-05T12:15:00.000Z"}]}
 */
export const SourceSlotsSchema = z.object({
  source: z.string().min(1),
  version: z.int().min(0),
  holders: z.array(SlotHolderSchema),
});
export type SourceSlots = z.infer<typeof SourceSlotsSchema>;

/** The answer of `acquireSourceSlots`: what the caller now holds (0: none free), and every live holder after the call. */
export const SlotGrantSchema = z.object({ granted: z.int().min(0), holders: z.array(SlotHolderSchema) });
export type SlotGrant = z.infer<typeof SlotGrantSchema>;

/** A run error from anything thrown: floe errors keep their name and `retryable`; others count as not retryable. */
export function runErrorFrom(error: unknown): RunError {
  if (error instanceof Error) {
    const retryable = (error as { retryable?: unknown }).retryable;
    return { name: error.name, message: error.message, retryable: retryable === true };
  }
  return { name: 'Error', message: String(error), retryable: false };
}
