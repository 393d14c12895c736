import { INGEST_FAILED, RAW_LANDED, STAGE_MERGED, type FloeEvent, type IngestFailed, type StageMerged } from '../../events/index.js';
import { faultPoint } from '../../runtime/fault.js';
import type { Publisher } from '../../runtime/local-bus.js';
import type { RunRecord, StateStore } from '../../state/index.js';
import type { RawStorage } from '../../storage/raw-storage.js';
import { describeTable } from '../../warehouse/table-description.js';
import type { Warehouse } from '../../warehouse/warehouse.js';
import { failRun } from '../publish-failure.js';

class ReplayRefused extends Error {
  override readonly name = 'ReplayRefused';
  readonly retryable = false;
}

/**
 * A replayed run older than one already merged would put older versions back (and, in full mode,
 * drop rows added since): refuse it, and say which run is newer.
 */
async function refuseRollback(state: StateStore, run: RunRecord | null): Promise<void> {
  if (!run) return;
  const newer = (await state.listRuns({ source: run.source, table: run.table, limit: 1000 })).find(
    (other) =>
      other.runId !== run.runId &&
      other.requestedAt > run.requestedAt &&
      other.steps.some((step) => step.name === 'load-and-merge' && !step.error),
  );
  if (newer) {
    throw new ReplayRefused(
      `run ${run.runId} is older than run ${newer.runId}, already merged into staging; replaying it would roll ` +
        'staging back. Run the table again (floe run, or replay its IngestRequested) instead.',
    );
  }
}

export interface LoadAndMergeDeps {
  state: StateStore;
  publisher: Publisher;
  raw: RawStorage;
  warehouse: Warehouse;
}

/**
 * RawLanded → loads the manifest's files into the raw table, MERGEs staging (or replaces it in full
 * mode), and only then commits the watermark: a MERGE that fails or is killed leaves the watermark
 * where it was, so the next run reads those rows again (MERGE makes re-reading harmless), and a
 * replay of this RawLanded completes the run. Then frees the lease and publishes StageMerged.
 * An incremental run that extracted nothing touches no warehouse table.
 * Loading is idempotent per file and MERGE per run, so even a replayed RawLanded changes nothing
 * that is already right; a duplicate delivery is dropped before it touches the warehouse.
 */
export function createLoadAndMerge(deps: LoadAndMergeDeps): (event: FloeEvent) => Promise<void> {
  return async (event) => {
    if (event['detail-type'] !== RAW_LANDED) return;
    const { runId, source, table } = event.detail;
    const ref = { runId, source, table };
    const run = await deps.state.getRun(runId);
    const done = run?.steps.some((step) => step.name === 'load-and-merge' && !step.error) ?? false;
    // Duplicates are dropped; a replay (EventBridge sets replay-name) runs the step again, harmlessly.
    if (done && event['replay-name'] === undefined) return;
    const startedAt = new Date().toISOString();
    try {
      const manifest = await deps.raw.readManifest(runId);
      if (!manifest) throw new Error(`no manifest at ${deps.raw.manifestUrl(runId)}`);
      const description = describeTable(manifest);
      const noChange = manifest.mode === 'incremental' && manifest.totalRows === 0;
      let rowsLoaded = 0;
      let counts = { inserted: 0, updated: 0, deleted: 0 };
      faultPoint('load-and-merge:before-load');
      if (!noChange) {
        rowsLoaded = (await deps.warehouse.loadRaw(description, manifest, deps.raw.root)).rowsLoaded;
      }
      faultPoint('load-and-merge:after-raw-load');
      if (!noChange) {
        if (event['replay-name'] !== undefined) await refuseRollback(deps.state, run);
        counts = manifest.mode === 'full'
          ? await deps.warehouse.replaceStaging(description, runId)
          : await deps.warehouse.mergeStaging(description, runId);
      }
      faultPoint('load-and-merge:after-merge');
      // A full run of a table without an incremental column reports no watermark; keep the committed one.
      if (manifest.newWatermark !== null || manifest.mode === 'incremental') {
        await deps.state.commitWatermark(source, table, runId, manifest.newWatermark);
      }
      faultPoint('load-and-merge:after-watermark');
      await deps.state.updateRun(runId, { inserted: counts.inserted, updated: counts.updated });
      await deps.state.recordStep(runId, {
        name: 'load-and-merge', startedAt, finishedAt: new Date().toISOString(), rows: rowsLoaded,
        details: { inserted: counts.inserted, updated: counts.updated, deleted: counts.deleted, noChange },
      });
      await deps.state.releaseLease(source, table, runId);
      faultPoint('load-and-merge:before-stage-merged');
      const detail: StageMerged = {
        ...ref,
        publishedAt: new Date().toISOString(),
        rawTable: `${description.rawTable.schema}.${description.rawTable.name}`,
        stagingTable: `${description.stagingTable.schema}.${description.stagingTable.name}`,
        rowsLoaded,
        ...counts,
        watermark: manifest.newWatermark,
        noChange,
      };
      await deps.publisher.publish(STAGE_MERGED, detail);
    } catch (error) {
      if (error instanceof ReplayRefused) {
        // The run itself ended long ago and stays as it was; only the replay is refused.
        const refused: IngestFailed = {
          ...ref, publishedAt: new Date().toISOString(), step: 'load-and-merge', error: error.message, retryable: false, errorName: error.name,
        };
        await deps.publisher.publish(INGEST_FAILED, refused);
        return;
      }
      await failRun(deps.state, deps.publisher, ref, 'load-and-merge', error);
    }
  };
}
