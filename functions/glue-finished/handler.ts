import { GLUE_JOB_STATE_CHANGE, RAW_LANDED, type FloeEvent, type RawLanded } from '../../events/index.js';
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
    if (jobState !== 'SUCCEEDED') {
      // TIMEOUT and STOPPED say nothing about the data: trying again may work. FAILED carries the job's own verdict.
      await failRun(deps.state, deps.publisher, ref, 'extract', new ExtractionFailed(message, jobState !== 'FAILED'));
      return;
    }
    const manifest = await deps.raw.readManifest(run.runId);
    if (!manifest) {
      const missing = new ExtractionFailed(`the job succeeded but wrote no manifest at ${deps.raw.manifestUrl(run.runId)}`, true);
      await failRun(deps.state, deps.publisher, ref, 'extract', missing);
      return;
    }
    const now = new Date().toISOString();
    await deps.state.updateRun(run.runId, { manifestUrl: deps.raw.manifestUrl(run.runId), rowsExtracted: manifest.totalRows });
    await deps.state.recordStep(run.runId, {
      name: 'extract', startedAt: manifest.startedAt, finishedAt: manifest.finishedAt, rows: manifest.totalRows,
    });
    const detail: RawLanded = {
      ...ref,
      publishedAt: now,
      manifestUrl: deps.raw.manifestUrl(run.runId),
      mode: manifest.mode,
      totalRows: manifest.totalRows,
      fileCount: manifest.files.length,
      newWatermark: manifest.newWatermark,
      previousWatermark: manifest.previousWatermark,
    };
    await deps.publisher.publish(RAW_LANDED, detail);
  };
}
