import { INGEST_FAILED, type IngestFailed, type IngestStep } from '../events/index.js';
import type { Publisher } from '../runtime/local-bus.js';
import type { StateStore } from '../state/index.js';
import { runErrorFrom } from '../state/index.js';

export interface RunRef {
  runId: string;
  source: string;
  table: string;
}

/**
 * Ends a run that failed at `step`: records the error in run history, frees the table's lease
 * (only if this run holds it), and publishes IngestFailed for alerting and retries.
 */
export async function failRun(
  state: StateStore,
  publisher: Publisher,
  run: RunRef,
  step: IngestStep,
  error: unknown,
): Promise<void> {
  const runError = runErrorFrom(error);
  const now = new Date().toISOString();
  if (await state.getRun(run.runId)) {
    await state.recordStep(run.runId, { name: step, startedAt: now, finishedAt: now, error: runError });
    await state.finishRun(run.runId, 'failed', runError);
  }
  await state.releaseLease(run.source, run.table, run.runId);
  const detail: IngestFailed = {
    runId: run.runId,
    source: run.source,
    table: run.table,
    publishedAt: now,
    step,
    error: runError.message,
    retryable: runError.retryable,
    errorName: runError.name,
  };
  await publisher.publish(INGEST_FAILED, detail);
}
