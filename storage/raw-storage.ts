import { z } from 'zod';

import { RunIdSchema, type Manifest } from '../events/index.js';

/** The raw layer as the handlers see it: where the extraction job lands, and its manifests. */
export interface RawStorage {
  /** The `--raw-root` the job is given: a local folder or `s3://bucket/prefix`. */
  readonly root: string;
  manifestUrl(runId: string): string;
  /** The run's manifest, or null when the job wrote none (it failed, or has not finished). */
  readManifest(runId: string): Promise<Manifest | null>;
  /**
   * Writes a batch of tables for one job run (`_batches/<id>.json`, read by the job's `--batch`) and
   * returns where the job finds it: a file, not the job's arguments, so the number of tables is not
   * bounded by what a job run's arguments may hold.
   */
  writeBatch(batchId: string, batch: JobBatch): Promise<string>;
  /** The batch at `location` (what {@link writeBatch} returned): the local job runner reads which runs wait with it. */
  readBatch(location: string): Promise<JobBatch>;
  /**
   * The error the extraction job recorded last for a run (its log under `_logs/`), or null when it
   * recorded none (killed, or never started): in a job run of several tables, each table's own cause.
   */
  readJobError(run: { source: string; table: string; runId: string }): Promise<JobError | null>;
}

/**
 * The `--batch` file: each table's own job arguments (glue/floe_extract/batch.py).
 *
 * @example
 * {"batchVersion":1,"tables":[{"--run-id":"r-1","--table":"clr.users","--mode":"full"}]}
 */
export const JobBatchSchema = z.object({ batchVersion: z.literal(1), tables: z.array(z.record(z.string(), z.string())) });
export type JobBatch = z.infer<typeof JobBatchSchema>;

/** The batch in `text`, read from `location`; an Error naming the location when it is not one. */
export function parseJobBatch(text: string, location: string): JobBatch {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch (error) {
    throw new Error(`job batch ${location}: not valid JSON`, { cause: error });
  }
  const batch = JobBatchSchema.safeParse(parsed);
  if (!batch.success) throw new Error(`job batch ${location}: not a batch of tables (batchVersion 1, tables of job arguments)`, { cause: batch.error });
  return batch.data;
}

/** An `error` record of the job's log: the exception's class, its one-line message, and whether a retry may pass. */
export interface JobError {
  name: string;
  message: string;
  retryable: boolean;
}

/** The last `error` record in a job log's JSON lines, or null. Lines that are not such a record are skipped. */
export function lastJobError(lines: readonly string[]): JobError | null {
  for (let i = lines.length - 1; i >= 0; i -= 1) {
    let record: unknown;
    try {
      record = JSON.parse(lines[i] ?? '');
    } catch {
      continue;
    }
    const fields = record as { event?: unknown; error?: unknown; message?: unknown; retryable?: unknown } | null;
    if (fields?.event === 'error' && typeof fields.message === 'string') {
      return { name: typeof fields.error === 'string' ? fields.error : 'ExtractError', message: fields.message, retryable: fields.retryable === true };
    }
  }
  return null;
}

/** Where a batch lives under the raw root; its id is a run id (the batch's first), so one path segment. */
export function batchKey(batchId: string): string {
  return `_batches/${RunIdSchema.parse(batchId)}.json`;
}
