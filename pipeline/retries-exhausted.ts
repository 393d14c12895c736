import { GLUE_JOB_STATE_CHANGE, type FloeEvent, type HandlerName, type IngestStep } from '../events/index.js';
import type { StateStore } from '../state/index.js';
import { failRun } from './fail-run.js';
import type { Published } from './ports.js';

/** The run step each handler performs, as IngestFailed names it; check-after-merge ends no run. */
const STEP_OF: Readonly<Record<HandlerName, IngestStep | null>> = {
  'start-ingest': 'start-ingest',
  'glue-finished': 'extract',
  'load-and-merge': 'load-and-merge',
  'build-gold': 'build-gold',
  'check-after-merge': null,
};

/**
 * A handler's step kept failing with an error a retry might have fixed, and the runtime's attempts
 * are spent (Lambda's retry policy, then its on-failure destination; the local bus's attempts):
 * the run ends here, once, with the last error (IngestFailed). Until now its lease and state were
 * left as a retry needs them. An event that names no run floe knows ends nothing.
 */
export async function failAfterRetries(state: StateStore, handler: HandlerName, event: FloeEvent, error: unknown): Promise<Published[]> {
  const step = STEP_OF[handler];
  if (step === null) return [];
  const run = event['detail-type'] === GLUE_JOB_STATE_CHANGE
    ? ((await state.findRunsByJobRunId(event.detail.jobRunId))[0] ?? null)
    : event.detail.runId === null ? null : await state.getRun(event.detail.runId);
  if (run === null || run.status !== 'running') return [];
  return [await failRun(state, { runId: run.runId, source: run.source, table: run.table }, step, error)];
}
