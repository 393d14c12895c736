import { INGEST_FAILED, type IngestStep } from '../events/index.js';
import { runErrorFrom, type StateStore } from '../state/index.js';
import { published, type Published } from './ports.js';
import type { RunRef } from './run.js';

/**
 * Ends a run that failed at `step`: records the error in run history, frees the table's lease
 * (only if this run holds it), and returns the IngestFailed to publish, for alerting and retries.
 * Called once a step's failure is final: at once for an error no retry can fix, after the
 * runtime's last attempt for one that could (see retries-exhausted.ts).
 */
export async function failRun(state: StateStore, run: RunRef, step: IngestStep, error: unknown): Promise<Published> {
  const runError = runErrorFrom(error);
  const now = new Date().toISOString();
  if (await state.getRun(run.runId)) {
    await state.finishRun(run.runId, 'failed', runError, { name: step, startedAt: now, finishedAt: now, error: runError });
  }
  await state.releaseLease(run.source, run.table, run.runId);
  return published(INGEST_FAILED, {
    ...run,
    publishedAt: now,
    step,
    error: runError.message,
    retryable: runError.retryable,
    errorName: runError.name,
  });
}
