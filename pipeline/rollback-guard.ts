import { FloeError } from '../errors/floe-error.js';
import { succeededStep, type RunRecord, type StateStore } from '../state/index.js';

/** A replay that would roll staging back to an older run's rows. */
export class ReplayRefused extends FloeError {
  override readonly name = 'ReplayRefused';
}

/**
 * The rollback guard: a replayed run older than one already merged would put older versions
 * back (and, in full mode, drop rows added since). Throws ReplayRefused naming the newer run.
 */
export async function refuseRollback(state: StateStore, run: RunRecord | null): Promise<void> {
  if (!run) return;
  const newer = (await state.listRuns({ source: run.source, table: run.table, limit: 1000 })).find(
    (other) => other.runId !== run.runId && other.requestedAt > run.requestedAt && succeededStep(other, 'load-and-merge') !== undefined,
  );
  if (newer) {
    throw new ReplayRefused(
      `run ${run.runId} is older than run ${newer.runId}, already merged into staging; replaying it would roll ` +
        'staging back. Run the table again (floe run, or replay its IngestRequested) instead.',
      { context: { runId: run.runId, source: run.source, table: run.table, step: 'load-and-merge' } },
    );
  }
}
