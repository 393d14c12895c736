import { INGEST_FAILED, RAW_LANDED, STAGE_MERGED, type FloeEvent, type IngestFailed, type StageMerged } from '../../events/index.js';
import { faultPoint } from '../../fault/fault-point.js';
import type { Publisher } from '../../runtime/local-bus.js';
import type { RunRecord, StateStore } from '../../state/index.js';
import type { RawStorage } from '../../storage/raw-storage.js';
import { describeTable, rejectsLoadFor, type TableDescription } from '../../warehouse/table-description.js';
import type { StagingResult, Warehouse } from '../../warehouse/warehouse.js';
import { manifestMismatch, onRawLanded } from '../expected-run.js';
import { failRun } from '../publish-failure.js';
import { RefusedEvent, refuseEvent } from '../refuse-event.js';
import { detectDeletes, requireDeleteFinder, type FindDeletedKeys } from './delete-detection.js';
import { schemaChangesOf } from './schema-changes.js';

class LeaseLost extends Error {
  override readonly name = 'LeaseLost';
  readonly retryable = false;
}

/**
 * A run may load and commit only while it holds its table: one that outlived its lease (or was
 * `floe unlock`ed while it was in fact alive) must not move the watermark under the run that took
 * the table over. Replays run without a lease by design; `refuseRollback` guards them.
 */
async function requireLease(state: StateStore, ref: { runId: string; source: string; table: string }): Promise<void> {
  const holder = (await state.getTableState(ref.source, ref.table)).activeRun;
  if (holder?.runId === ref.runId) return;
  const now = holder === null ? 'no run holds it now' : `run ${holder.runId} holds it since ${holder.since}`;
  throw new LeaseLost(
    `run ${ref.runId} no longer holds table ${ref.source}/${ref.table} (${now}): its lease expired or was freed by floe unlock, ` +
      'so nothing more of it lands and the watermark stays; the next run reads its rows again',
  );
}

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

const succeededStep = (run: RunRecord, name: string) => run.steps.find((step) => step.name === name && !step.error);

/**
 * Whether gold lags staging: an earlier run changed staging and no gold build followed (it was
 * killed in between). Without this, a run that brings nothing would leave gold stale until the
 * source changes again.
 */
function goldIsBehind(runsNewestFirst: readonly RunRecord[], detectsDeletes: boolean): boolean {
  for (const run of runsNewestFirst) {
    const gold = succeededStep(run, 'build-gold');
    if (gold && gold.details?.['skipped'] !== true) return false;
    const merge = succeededStep(run, 'load-and-merge');
    // A run killed after committing its watermark merged, though it never recorded the step. With
    // delete detection, a run killed anywhere after its raw landed may have marked or removed rows
    // that the next run, finding them already gone, does not count again.
    const changedStaging = merge
      ? merge.details?.['noChange'] !== true
      : (run.watermarkCommittedAt !== undefined && run.rowsExtracted !== 0) || (detectsDeletes && run.manifestUrl !== undefined);
    if (changedStaging && !gold) return true;
  }
  return false;
}

/**
 * Ends earlier runs that merged, released the table, and never ended (killed before or during
 * gold): one whose gold was built succeeded; the others failed, their gold built by this run.
 * Were one still building gold, its own end would replace this (a later finish wins).
 */
async function endRunsLeftOpen(state: StateStore, earlierRuns: readonly RunRecord[], runId: string): Promise<void> {
  for (const run of earlierRuns) {
    if (run.status !== 'running' || !succeededStep(run, 'load-and-merge')) continue;
    if (succeededStep(run, 'build-gold')) await state.finishRun(run.runId, 'succeeded');
    else {
      await state.finishRun(run.runId, 'failed', {
        name: 'Abandoned',
        message: `stopped after merging into staging and before its gold build ended; run ${runId} brings gold up to date`,
        retryable: false,
      });
    }
  }
}

/**
 * A repair run (`floe check --repair`, the manifest's `keys`): staging's rows of the requested keys
 * are removed, then the run's rows (what the source holds of those keys) are merged back, so
 * missing, different and extra rows all end up as at the source, whichever version staging held.
 * Killed in between, the keys' rows are absent until the run is replayed or checked and repaired
 * again; nothing else is touched. Counts: `deleted` the rows removed, `inserted` those written back.
 */
async function repairStaging(
  warehouse: Warehouse,
  description: TableDescription,
  keys: readonly (readonly (string | null)[])[],
  runId: string,
  noRows: boolean,
): Promise<StagingResult> {
  // Repair keys carry times with a zone in UTC without an offset (check/repair-keys.ts); the cast needs one.
  const zoned = description.primaryKey.map((name) => /^TIMESTAMP(TZ| WITH TIME ZONE)$/i.test(description.columns.find((column) => column.name === name)?.warehouseType ?? ''));
  const complete = keys
    .filter((key): key is string[] => key.every((value) => value !== null))
    .map((key) => key.map((value, index) => (zoned[index] === true ? `${value}+00:00` : value)));
  // A staging key never holds NULL (check refuses such keys), so keys with one match no staged row.
  const deleted = (await warehouse.prepareDeleteDetection(description, runId))
    ? await warehouse.applyDetectedDeletes(description, complete, 'remove', new Date().toISOString(), runId)
    : 0;
  const merged = noRows ? { inserted: 0, updated: 0, deleted: 0 } : await warehouse.mergeStaging(description, runId);
  return { inserted: merged.inserted + merged.updated, updated: 0, deleted };
}

export interface LoadAndMergeDeps {
  state: StateStore;
  publisher: Publisher;
  raw: RawStorage;
  warehouse: Warehouse;
  /** Reads the source's keys for tables with `deletes` set; without it such a table's run fails (DeleteDetectionError). */
  findDeletedKeys?: FindDeletedKeys;
}

/**
 * RawLanded → loads the manifest's files into the raw table, MERGEs staging (or replaces it in full
 * mode), and only then commits the watermark: a MERGE that fails or is killed leaves the watermark
 * where it was, so the next run reads those rows again (MERGE makes re-reading harmless), and a
 * replay of this RawLanded completes the run. Then frees the lease and publishes StageMerged.
 * An incremental run that extracted nothing touches no warehouse table, unless its columns changed.
 * Columns are compared with the table's last known schema first (schema-changes.ts): a change that
 * would lose data fails the run before anything lands; the others are applied to raw and staging
 * (Warehouse.evolveSchema), recorded in the run and announced in StageMerged.
 * Loading is idempotent per file and MERGE per run, so even a replayed RawLanded changes nothing
 * that is already right; a duplicate delivery is dropped before it touches the warehouse.
 * A RawLanded that its run cannot have caused (an unknown run, another table's, no manifest
 * recorded by glue-finished, an ended run unless replayed, a manifest naming another run, database
 * or table) is refused (EventRefused) before anything is loaded or recorded (expected-run.ts).
 * A table with `deletes: detect | detect-hard` then has the rows gone from the source marked or
 * removed (delete-detection.ts), every run, even one that extracted nothing, before the watermark
 * commit; they count as `deleted` in the run, the step and StageMerged.
 */
export function createLoadAndMerge(deps: LoadAndMergeDeps): (event: FloeEvent) => Promise<void> {
  return async (event) => {
    if (event['detail-type'] !== RAW_LANDED) return;
    const { runId, source, table } = event.detail;
    const ref = { runId, source, table };
    const run = await deps.state.getRun(runId);
    const replayed = event['replay-name'] !== undefined;
    // Duplicates are dropped; a replay (EventBridge sets replay-name) runs the step again, harmlessly.
    const verdict = onRawLanded(run, ref, event.detail.manifestUrl, replayed);
    if (verdict === 'duplicate') return;
    if (verdict !== 'act') return refuseEvent(deps.publisher, 'load-and-merge', event, ref, verdict.refused);
    const startedAt = new Date().toISOString();
    try {
      // The manifest must be this run's before anything else (the lease included) is judged.
      const manifest = await deps.raw.readManifest(runId);
      const mismatch = manifest === null ? null : manifestMismatch(manifest, ref, deps.raw.manifestUrl(runId));
      if (mismatch !== null) throw new RefusedEvent(mismatch);
      if (!replayed) await requireLease(deps.state, ref);
      if (!manifest) throw new Error(`no manifest at ${deps.raw.manifestUrl(runId)}`);
      const repairKeys = manifest.keys;
      const configuredDeletes = manifest.mode === 'incremental' || repairKeys !== undefined ? (await deps.state.getTableConfig(source, table))?.deletes : undefined;
      // A repair run is not an incremental run: it judges no deletes (it removes its own keys' rows).
      const deletes = repairKeys === undefined ? configuredDeletes : undefined;
      const description = { ...describeTable(manifest), ...(configuredDeletes === 'detect' ? { softDelete: true } : {}) };
      // A table whose deletes this deployment cannot detect fails here, before anything lands.
      if (deletes !== undefined) requireDeleteFinder(deps, ref, deletes);
      // Refused changes throw here, before any warehouse work: nothing of the run lands.
      const schemaChanges = await schemaChangesOf(deps.state, deps.raw, ref, manifest);
      const noRows = (manifest.mode === 'incremental' || repairKeys !== undefined) && manifest.totalRows === 0;
      let rowsLoaded = 0;
      let counts = { inserted: 0, updated: 0, deleted: 0 };
      faultPoint('load-and-merge:before-load');
      // Even a run without rows evolves the tables: its manifest becomes the last known schema.
      await deps.warehouse.evolveSchema(description, schemaChanges, runId);
      if (!noRows) {
        rowsLoaded = (await deps.warehouse.loadRaw(description, manifest, deps.raw.root)).rowsLoaded;
      }
      const rejects = rejectsLoadFor(manifest);
      if (rejects !== null) await deps.warehouse.loadRaw(rejects.description, rejects.manifest, deps.raw.root);
      const rejectedValues = manifest.rejects?.rows ?? 0;
      faultPoint('load-and-merge:after-raw-load');
      // A long raw load may have outlasted the lease: staging is written only by the table's holder.
      if (!replayed) await requireLease(deps.state, ref);
      // A replayed repair removes its keys' rows even when it read none: it too must not roll staging back.
      if (replayed && (!noRows || repairKeys !== undefined)) await refuseRollback(deps.state, run);
      if (!noRows) {
        if (repairKeys === undefined) {
          counts = manifest.mode === 'full'
            ? await deps.warehouse.replaceStaging(description, runId)
            : await deps.warehouse.mergeStaging(description, runId);
        }
      }
      if (repairKeys !== undefined) counts = await repairStaging(deps.warehouse, description, repairKeys, runId, noRows);
      faultPoint('load-and-merge:after-merge');
      if (deletes !== undefined) {
        const watermark = manifest.newWatermark ?? (await deps.state.getTableState(source, table)).watermark;
        counts = { ...counts, deleted: counts.deleted + (await detectDeletes(deps, ref, description, deletes, watermark)) };
      }
      faultPoint('load-and-merge:after-deletes');
      // Nothing new, nothing deleted and no column changed: staging is as gold last saw it.
      const noChange = noRows && counts.deleted === 0 && schemaChanges.length === 0;
      // The MERGE may have outlasted the lease too: check again right before the commit.
      if (!replayed) await requireLease(deps.state, ref);
      // A full run of a table without an incremental column reports no watermark; keep the committed one.
      // A repair run read a few keys, not everything up to a point: it never moves the watermark.
      if (repairKeys === undefined && (manifest.newWatermark !== null || manifest.mode === 'incremental')) {
        await deps.state.commitWatermark(source, table, runId, manifest.newWatermark);
      }
      faultPoint('load-and-merge:after-watermark');
      await deps.state.updateRun(runId, {
        inserted: counts.inserted, updated: counts.updated,
        ...(counts.deleted > 0 ? { deleted: counts.deleted } : {}),
        ...(schemaChanges.length > 0 ? { schemaChanges } : {}),
        ...(rejectedValues > 0 ? { rejects: rejectedValues } : {}),
      });
      await deps.state.recordStep(runId, {
        name: 'load-and-merge', startedAt, finishedAt: new Date().toISOString(), rows: rowsLoaded,
        details: { inserted: counts.inserted, updated: counts.updated, deleted: counts.deleted, noChange, schemaChanges: schemaChanges.length, rejects: rejectedValues },
      });
      const earlierRuns = (await deps.state.listRuns({ source, table, limit: 100 })).filter(
        (other) => other.runId !== runId && (run === null || other.requestedAt <= run.requestedAt),
      );
      const goldBehind = noChange && goldIsBehind(earlierRuns, deletes !== undefined);
      await endRunsLeftOpen(deps.state, earlierRuns, runId);
      await deps.state.releaseLease(source, table, runId);
      faultPoint('load-and-merge:before-stage-merged');
      const detail: StageMerged = {
        ...ref,
        publishedAt: new Date().toISOString(),
        rawTable: `${description.rawTable.schema}.${description.rawTable.name}`,
        stagingTable: `${description.stagingTable.schema}.${description.stagingTable.name}`,
        rowsLoaded,
        ...counts,
        watermark: repairKeys === undefined ? manifest.newWatermark : (await deps.state.getTableState(source, table)).watermark,
        noChange,
        ...(goldBehind ? { goldBehind } : {}),
        ...(schemaChanges.length > 0 ? { schemaChanges } : {}),
        ...(rejectedValues > 0 ? { rejects: rejectedValues } : {}),
        ...(repairKeys !== undefined ? { repairedKeys: repairKeys.length } : {}),
      };
      await deps.publisher.publish(STAGE_MERGED, detail);
    } catch (error) {
      if (error instanceof RefusedEvent) return refuseEvent(deps.publisher, 'load-and-merge', event, ref, error.message);
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
