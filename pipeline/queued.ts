import type { RunQueued, StateStore } from '../state/index.js';
import { inParallel, STATE_PARALLELISM } from './in-parallel.js';

/**
 * Records that `runIds` wait for their job run to start (`queued`), or that it started (null), so
 * `floe status` shows a table waiting its turn as `queued` rather than running. Called by what
 * makes them wait: the local job runner while its source gate holds the job run back, and on AWS
 * start-ingest when it puts a request in the start-later queue, and when a waiting one starts.
 */
export async function markQueued(state: Pick<StateStore, 'updateRun'>, runIds: readonly string[], queued: RunQueued | null): Promise<void> {
  await inParallel(runIds, STATE_PARALLELISM, (runId) => state.updateRun(runId, { queued }));
}
