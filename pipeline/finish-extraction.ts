import { FloeError, isRetryable } from '../errors/floe-error.js';
import { RAW_LANDED, type GlueJobStateChangeEvent, type Manifest } from '../events/index.js';
import { faultPoint } from '../fault/fault-point.js';
import type { RunRecord, StateStore } from '../state/index.js';
import type { RawStorage } from '../storage/raw-storage.js';
import { onGlueJobEnded, unknownJobRun } from './expected-run.js';
import { failRun } from './fail-run.js';
import { inParallel, STATE_PARALLELISM } from './in-parallel.js';
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
 * Glue Job State Change → maps the job run back to floe's runs (one per table it extracted) and
 * reads each run's manifest: RawLanded for each table that wrote one, whatever became of the job
 * run (the manifest is written last, so its table landed whole), IngestFailed for each that did
 * not, with the cause the job recorded for that table (its log), else the job run's own message.
 * The end of a job run no run recorded is refused; a run that already ended is refused; a second
 * end of the same run is a duplicate.
 */
export async function finishExtraction(deps: FinishExtractionDeps, event: GlueJobStateChangeEvent): Promise<Published[]> {
  const runs = await deps.state.findRunsByJobRunId(event.detail.jobRunId);
  if (runs.length === 0) return [refusal('glue-finished', event, { runId: null, source: null, table: null }, unknownJobRun(event.detail.jobRunId))];
  return (await inParallel(runs, STATE_PARALLELISM, (run) => finishRun(deps, event, run))).flat();
}

async function finishRun(deps: FinishExtractionDeps, event: GlueJobStateChangeEvent, run: RunRecord): Promise<Published[]> {
  const { state: jobState, message } = event.detail;
  const ref: RunRef = { runId: run.runId, source: run.source, table: run.table };
  const verdict = onGlueJobEnded(run, event['replay-name'] !== undefined);
  if (verdict === 'duplicate') return [];
  if (verdict !== 'act') return [refusal('glue-finished', event, ref, verdict.refused)];
  try {
    const manifestUrl = deps.raw.manifestUrl(ref.runId);
    const manifest = await deps.raw.readManifest(ref.runId);
    if (!manifest) {
      if (jobState === 'SUCCEEDED') return [await failRun(deps.state, ref, 'extract', new ExtractionFailed(`the job succeeded but wrote no manifest at ${manifestUrl}`, { retryable: true, context: ref }))];
      // TIMEOUT and STOPPED say nothing about the data: requesting the run again may work. FAILED
      // carries the job's own verdict, per table in its log.
      const recorded = await deps.raw.readJobError(ref);
      const failure = recorded === null
        ? new ExtractionFailed(message, { retryable: jobState !== 'FAILED', context: ref })
        : new ExtractionFailed(recorded.message, { retryable: recorded.retryable, context: ref });
      return [await failRun(deps.state, ref, 'extract', failure)];
    }
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
    // What `engine: auto` decides the table's next run by, where the source is out of reach (runtime/aws/recorded-sizer.ts).
    ...(manifest.sourceSize ? { sourceSize: manifest.sourceSize } : {}),
  }, { name: 'extract', startedAt: manifest.startedAt, finishedAt: manifest.finishedAt, rows: manifest.totalRows });
}
