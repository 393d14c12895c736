import { GLUE_JOB_STATE_CHANGE, RAW_LANDED, type FloeEvent, type RawLanded } from '../../events/index.js';
import { faultPoint } from '../../runtime/fault.js';
import type { Publisher } from '../../runtime/local-bus.js';
import type { StateStore } from '../../state/index.js';
import type { RawStorage } from '../../storage/raw-storage.js';
import { failRun } from '../publish-failure.js';

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
 * Job runs floe did not start, and runs already past this step, are ignored.
 */
export function createGlueFinished(deps: GlueFinishedDeps): (event: FloeEvent) => Promise<void> {
  return async (event) => {
    if (event['detail-type'] !== GLUE_JOB_STATE_CHANGE) return;
    const { jobRunId, state: jobState, message } = event.detail;
    const run = await deps.state.findRunByJobRunId(jobRunId);
    if (!run) return;
    const replayed = event['replay-name'] !== undefined;
    if (!replayed && (run.status !== 'running' || run.manifestUrl !== undefined)) return;
    const ref = { runId: run.runId, source: run.source, table: run.table };
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
  await deps.state.updateRun(ref.runId, { manifestUrl, rowsExtracted: manifest.totalRows });
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
