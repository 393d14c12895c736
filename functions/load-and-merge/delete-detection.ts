import type { Deletes } from '../../config/index.js';
import type { TableDescription } from '../../warehouse/table-description.js';
import type { Warehouse } from '../../warehouse/warehouse.js';

/**
 * Finds the live staging keys the source no longer holds, up to `watermark` (see
 * check/deleted-keys.ts): one text per primary-key column, as the warehouse reads them back.
 * Locally it reads the source directly (runtime/local-delete-finder.ts).
 */
export type FindDeletedKeys = (request: { source: string; table: string; description: TableDescription; watermark: string; runId: string }) => Promise<string[][]>;

/** Delete detection is configured, but this deployment cannot run it: a person must act. */
export class DeleteDetectionError extends Error {
  override readonly name = 'DeleteDetectionError';
  readonly retryable = false;
}

/**
 * One run's delete detection, after its MERGE and before its watermark commit: marks (`detect`)
 * or removes (`detect-hard`) the staging rows whose keys are gone from the source, up to the
 * watermark the run commits (every row up to it is in staging by then). Returns the rows changed.
 * Safe to repeat: a kill anywhere leaves the watermark uncommitted, and the next run finds only
 * the keys still live in staging, so nothing is marked or removed twice.
 */
export async function detectDeletes(
  deps: { warehouse: Warehouse; findDeletedKeys?: FindDeletedKeys | undefined },
  run: { runId: string; source: string; table: string },
  description: TableDescription,
  deletes: Deletes,
  watermark: string | null,
): Promise<number> {
  const find = requireDeleteFinder(deps, run, deletes);
  // No watermark yet: nothing was merged, so nothing can be judged.
  if (watermark === null) return 0;
  if (!(await deps.warehouse.prepareDeleteDetection(description, run.runId))) return 0;
  const keys = await find({ ...run, description, watermark });
  if (keys.length === 0) return 0;
  return deps.warehouse.applyDetectedDeletes(description, keys, deletes === 'detect' ? 'mark' : 'remove', new Date().toISOString(), run.runId);
}

/**
 * The key finder, or DeleteDetectionError when this deployment has none: load-and-merge calls it
 * before anything of the run lands, so a run it cannot finish changes nothing.
 */
export function requireDeleteFinder(
  deps: { findDeletedKeys?: FindDeletedKeys | undefined },
  run: { source: string; table: string },
  deletes: Deletes,
): FindDeletedKeys {
  if (deps.findDeletedKeys !== undefined) return deps.findDeletedKeys;
  throw new DeleteDetectionError(
    `table ${run.source}/${run.table} has deletes: ${deletes}, but this deployment's load-and-merge cannot read the source ` +
      '(delete detection runs with floe run only, so far); remove deletes from its config, or run it with floe run',
  );
}
