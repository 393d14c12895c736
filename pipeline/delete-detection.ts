import type { Deletes } from '../config/index.js';
import { FloeError } from '../errors/floe-error.js';
import type { TableDescription } from '../warehouse/table-description.js';
import type { Warehouse } from '../warehouse/warehouse.js';
import type { DeleteFinder } from './ports.js';
import type { RunRef } from './run.js';

/** Delete detection is configured, but this deployment cannot run it: a person must act. */
export class DeleteDetectionError extends FloeError {
  override readonly name = 'DeleteDetectionError';
}

/**
 * One run's delete detection, after its MERGE and before its watermark commit: marks (`detect`)
 * or removes (`detect-hard`) the staging rows whose keys are gone from the source, up to the
 * watermark the run commits (every row up to it is in staging by then). Returns the rows changed.
 * Safe to repeat: a kill anywhere leaves the watermark uncommitted, and the next run finds only
 * the keys still live in staging, so nothing is marked or removed twice.
 */
export async function detectDeletes(
  deps: { warehouse: Warehouse; findDeletedKeys?: DeleteFinder | undefined },
  run: RunRef,
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
  deps: { findDeletedKeys?: DeleteFinder | undefined },
  run: { source: string; table: string },
  deletes: Deletes,
): DeleteFinder {
  if (deps.findDeletedKeys !== undefined) return deps.findDeletedKeys;
  throw new DeleteDetectionError(
    `table ${run.source}/${run.table} has deletes: ${deletes}, but this deployment's load-and-merge cannot read the source ` +
      '(delete detection runs with floe run only, so far); remove deletes from its config, or run it with floe run',
    { context: { source: run.source, table: run.table } },
  );
}
