import { GLUE_JOB_STATE_CHANGE, RAW_LANDED, type FloeEvent, type RawLanded } from '../../events/index.js';
import { faultPoint } from '../../fault/fault-point.js';
import type { Publisher } from '../../runtime/local-bus.js';
import type { StateStore } from '../../state/index.js';
import type { RawStorage } from '../../storage/raw-storage.js';
import { onGlueJobEnded, unknownJobRun } from '../expected-run.js';
import { failRun } from '../publish-failure.js';
import { refuseEvent } from '../refuse-event.js';

export interface GlueFinishedDeps {
  state: StateStore;
  publisher: Publisher;
  raw: RawStorage;
}

class ExtractionFailed extends Error {
  override readonly name = 'ExtractionFailed';
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/**
 * Glue Job State Change → maps the job run back to floe's run and reads its manifest:
 * RawLanded when the job succeeded and wrote one, IngestFailed otherwise.
 * A job run no run recorded, or of a run that already ended, is refused (EventRefused), changing
 * nothing; an end already seen (a duplicate) is dropped. A replay runs the step again.
 */
export function createGlueFinished(deps: GlueFinishedDeps): (event: FloeEvent) => Promise<void> {
  return async (event) => {
    if (event['detail-type'] !== GLUE_JOB_STATE_CHANGE) return;
    const { jobRunId, state: jobState, message } = event.detail;
    const run = await deps.state.findRunByJobRunId(jobRunId);
    if (run === null) return refuseEvent(deps.publisher, 'glue-finished', event, { runId: null, source: null, table: null }, unknownJobRun(jobRunId));
    const ref = { runId: run.runId, source: run.source, table: run.table };
    const verdict = onGlueJobEnded(run, event['replay-name'] !== undefined);
    if (verdict === 'duplicate') return;
    if (verdict !== 'act') return refuseEvent(deps.publisher, 'glue-finished', event, ref, verdict.refused);
    try {
      await finish(deps, ref, jobState, message);
    } catch (error) {
      // Whatever went wrong (an unreadable manifest, the state store), the run must end, not hang.
      await failRun(deps.state, deps.publisher, ref, 'extract', error);
    }
  };
}

async function finish(
  deps: GlueFinishedDeps,
  ref: { runId: string; source: string; table: string },
  jobState: string,
  message: string,
): Promise<void> {
  if (jobState !== 'SUCCEEDED') {
    // TIMEOUT and STOPPED say nothing about the data: trying again may work. FAILED carries the job's own verdict.
    await failRun(deps.state, deps.publisher, ref, 'extract', new ExtractionFailed(message, jobState !== 'FAILED'));
    return;
  }
  const manifestUrl = deps.raw.manifestUrl(ref.runId);
  const manifest = await deps.raw.readManifest(ref.runId);
  if (!manifest) {
    await failRun(deps.state, deps.publisher, ref, 'extract', new ExtractionFailed(`the job succeeded but wrote no manifest at ${manifestUrl}`, true));
    return;
  }
  faultPoint('glue-finished:after-manifest-read');
  const unseen = manifest.openTransactions?.unseen;
  await deps.state.updateRun(ref.runId, {
    manifestUrl,
    rowsExtracted: manifest.totalRows,
    ...(manifest.watermarkHeld ? { watermarkHeld: manifest.watermarkHeld } : {}),
    ...(unseen !== undefined && unseen !== 0 ? { unseenTransactions: { count: unseen, privilege: manifest.openTransactions?.privilege ?? 'the privilege to see them' } } : {}),
  });
  await deps.state.recordStep(ref.runId, {
    name: 'extract', startedAt: manifest.startedAt, finishedAt: manifest.finishedAt, rows: manifest.totalRows,
  });
  const detail: RawLanded = {
    ...ref,
    publishedAt: new Date().toISOString(),
    manifestUrl,
    mode: manifest.mode,
    totalRows: manifest.totalRows,
    fileCount: manifest.files.length,
    newWatermark: manifest.newWatermark,
    previousWatermark: manifest.previousWatermark,
  };
  faultPoint('glue-finished:before-raw-landed');
  await deps.publisher.publish(RAW_LANDED, detail);
}
