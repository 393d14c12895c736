import { FloeError, isRetryable } from '../errors/floe-error.js';
import { RAW_LANDED, type GlueJobStateChangeEvent, type Manifest } from '../events/index.js';
import { faultPoint } from '../fault/fault-point.js';
import type { StateStore } from '../state/index.js';
import type { RawStorage } from '../storage/raw-storage.js';
import { onGlueJobEnded, unknownJobRun } from './expected-run.js';
import { failRun } from './fail-run.js';
import { published, type Published } from './ports.js';
import { refusal } from './refusal.js';
import type { RunRef } from './run.js';

export interface FinishExtractionDeps {
  state: StateStore;
  raw: RawStorage;
}

/** The extraction job ended without a complete result; `retryable` says whether requesting the run again may work. */
export class ExtractionFailed extends FloeError {
  override readonly name = 'ExtractionFailed';
}

/**
 * Glue Job State Change → maps the job run back to floe's run and reads its manifest: RawLanded
 * when the job succeeded and wrote one, IngestFailed otherwise. The end of a job run no run
 * recorded, or of a run that already ended, is refused; a second end of the same run is a duplicate.
 */
export async function finishExtraction(deps: FinishExtractionDeps, event: GlueJobStateChangeEvent): Promise<Published[]> {
  const { jobRunId, state: jobState, message } = event.detail;
  const run = await deps.state.findRunByJobRunId(jobRunId);
  if (run === null) return [refusal('glue-finished', event, { runId: null, source: null, table: null }, unknownJobRun(jobRunId))];
  const ref: RunRef = { runId: run.runId, source: run.source, table: run.table };
  const verdict = onGlueJobEnded(run, event['replay-name'] !== undefined);
  if (verdict === 'duplicate') return [];
  if (verdict !== 'act') return [refusal('glue-finished', event, ref, verdict.refused)];
  try {
    // TIMEOUT and STOPPED say nothing about the data: requesting the run again may work. FAILED carries the job's own verdict.
    if (jobState !== 'SUCCEEDED') return [await failRun(deps.state, ref, 'extract', new ExtractionFailed(message, { retryable: jobState !== 'FAILED', context: ref }))];
    const manifestUrl = deps.raw.manifestUrl(ref.runId);
    const manifest = await deps.raw.readManifest(ref.runId);
    if (!manifest) return [await failRun(deps.state, ref, 'extract', new ExtractionFailed(`the job succeeded but wrote no manifest at ${manifestUrl}`, { retryable: true, context: ref }))];
    faultPoint('glue-finished:after-manifest-read');
    await recordExtraction(deps.state, ref.runId, manifestUrl, manifest);
    faultPoint('glue-finished:before-raw-landed');
    return [published(RAW_LANDED, {
      ...ref,
      publishedAt: new Date().toISOString(),
      manifestUrl,
      mode: manifest.mode,
      totalRows: manifest.totalRows,
      fileCount: manifest.files.length,
      newWatermark: manifest.newWatermark,
      previousWatermark: manifest.previousWatermark,
    })];
  } catch (error) {
    // Whatever else went wrong (an unreadable manifest, the state store), the run must end, not hang.
    if (isRetryable(error)) throw error;
    return [await failRun(deps.state, ref, 'extract', error)];
  }
}

/** The run's manifest, rows and extract step, and what the job saw of the source's open transactions. */
async function recordExtraction(state: StateStore, runId: string, manifestUrl: string, manifest: Manifest): Promise<void> {
  const unseen = manifest.openTransactions?.unseen;
  await state.updateRun(runId, {
    manifestUrl,
    rowsExtracted: manifest.totalRows,
    ...(manifest.watermarkHeld ? { watermarkHeld: manifest.watermarkHeld } : {}),
    ...(unseen !== undefined && unseen !== 0 ? { unseenTransactions: { count: unseen, privilege: manifest.openTransactions?.privilege ?? 'the privilege to see them' } } : {}),
  });
  await state.recordStep(runId, { name: 'extract', startedAt: manifest.startedAt, finishedAt: manifest.finishedAt, rows: manifest.totalRows });
}
