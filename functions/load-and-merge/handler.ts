import { RAW_LANDED, STAGE_MERGED, type FloeEvent, type StageMerged } from '../../events/index.js';
import type { Publisher } from '../../runtime/local-bus.js';
import type { StateStore } from '../../state/index.js';
import type { RawStorage } from '../../storage/raw-storage.js';
import { describeTable } from '../../warehouse/table-description.js';
import type { Warehouse } from '../../warehouse/warehouse.js';
import { failRun } from '../publish-failure.js';

export interface LoadAndMergeDeps {
  state: StateStore;
  publisher: Publisher;
  raw: RawStorage;
  warehouse: Warehouse;
}

/**
 * RawLanded → loads the manifest's files into the raw table, commits the watermark (only now that
 * the rows are in the warehouse), MERGEs staging (or replaces it in full mode), frees the lease
 * and publishes StageMerged. An incremental run that extracted nothing touches no warehouse table.
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
      if (!noChange) {
        rowsLoaded = (await deps.warehouse.loadRaw(description, manifest, deps.raw.root)).rowsLoaded;
      }
      await deps.state.commitWatermark(source, table, runId, manifest.newWatermark);
      if (!noChange) {
        counts = manifest.mode === 'full'
          ? await deps.warehouse.replaceStaging(description, runId)
          : await deps.warehouse.mergeStaging(description, runId);
      }
      await deps.state.updateRun(runId, { inserted: counts.inserted, updated: counts.updated });
      await deps.state.recordStep(runId, {
        name: 'load-and-merge', startedAt, finishedAt: new Date().toISOString(), rows: rowsLoaded,
        details: { inserted: counts.inserted, updated: counts.updated, deleted: counts.deleted, noChange },
      });
      await deps.state.releaseLease(source, table, runId);
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
      await failRun(deps.state, deps.publisher, ref, 'load-and-merge', error);
    }
  };
}
