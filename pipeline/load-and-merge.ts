import type { Deletes } from '../config/index.js';
import { FloeError, isRetryable } from '../errors/floe-error.js';
import { INGEST_FAILED, STAGE_MERGED, type Manifest, type RawLandedEvent, type SchemaChange, type StageMerged } from '../events/index.js';
import { faultPoint } from '../fault/fault-point.js';
import type { RunRecord, StateStore } from '../state/index.js';
import type { RawStorage } from '../storage/raw-storage.js';
import { describeTable, rejectsLoadFor, type TableDescription } from '../warehouse/table-description.js';
import type { StagingResult, Warehouse } from '../warehouse/warehouse.js';
import { detectDeletes, requireDeleteFinder } from './delete-detection.js';
import { manifestMismatch, onRawLanded } from './expected-run.js';
import { failRun } from './fail-run.js';
import { endRunsLeftOpen, goldIsBehind } from './gold-behind.js';
import { requireLease } from './lease.js';
import { published, type DeleteFinder, type Published } from './ports.js';
import { RefusedEvent, refusal } from './refusal.js';
import { repairStaging } from './repair.js';
import { ReplayRefused, refuseRollback } from './rollback-guard.js';
import { readsPastWatermark, readsWindow, runKindOf, type RunKind, type RunRef } from './run.js';
import { schemaChangesOf } from './schema-changes.js';

export interface LoadAndMergeDeps {
  state: StateStore;
  raw: RawStorage;
  warehouse: Warehouse;
  /** Reads the source's keys for tables with `deletes` set; without it such a table's run fails (DeleteDetectionError). */
  findDeletedKeys?: DeleteFinder | undefined;
}

/** A manifest the job should have written is not there. */
export class ManifestMissing extends FloeError {
  override readonly name = 'ManifestMissing';
}

/** Everything decided about a run before any of it lands. */
interface RunPlan {
  readonly ref: RunRef;
  readonly record: RunRecord | null;
  readonly replayed: boolean;
  readonly manifest: Manifest;
  readonly kind: RunKind;
  readonly description: TableDescription;
  /** Judged for incremental runs of tables with `deletes`; a repair removes its own keys' rows instead. */
  readonly deletes: Deletes | undefined;
  readonly schemaChanges: SchemaChange[];
  /** A window or key run that read nothing: no raw load, no merge. */
  readonly noRows: boolean;
}

/**
 * RawLanded → loads the manifest's files into raw, updates staging as the run's kind says (merge,
 * replace, repair), judges deletes, and only then commits the watermark: a MERGE that fails or is
 * killed leaves the watermark where it was, so the next run reads those rows again (MERGE makes
 * re-reading harmless), and a replay of this RawLanded completes the run. Then ends the runs left
 * open before it, frees the lease and returns StageMerged.
 *
 * A RawLanded its run cannot have caused is refused before anything is read or written
 * (expected-run.ts). The lease is checked before each durable effect (fencing, lease.ts); a replay
 * that would roll staging back is refused (rollback-guard.ts). An error a retry may fix is thrown
 * for the runtime to retry; any other ends the run (IngestFailed).
 */
export async function loadAndMerge(deps: LoadAndMergeDeps, event: RawLandedEvent): Promise<Published[]> {
  const { runId, source, table } = event.detail;
  const ref: RunRef = { runId, source, table };
  const record = await deps.state.getRun(runId);
  const replayed = event['replay-name'] !== undefined;
  const verdict = onRawLanded(record, ref, event.detail.manifestUrl, replayed);
  if (verdict === 'duplicate') return [];
  if (verdict !== 'act') return [refusal('load-and-merge', event, ref, verdict.refused)];
  const startedAt = new Date().toISOString();
  try {
    const plan = await planRun(deps, ref, record, replayed);
    const result = await landRun(deps, plan);
    return [published(STAGE_MERGED, await commitRun(deps, plan, result, startedAt))];
  } catch (error) {
    if (error instanceof RefusedEvent) return [refusal('load-and-merge', event, ref, error.message)];
    // The run itself ended long ago and stays as it was; only the replay is refused.
    if (error instanceof ReplayRefused) return [published(INGEST_FAILED, { ...ref, publishedAt: new Date().toISOString(), step: 'load-and-merge', error: error.message, retryable: false, errorName: error.name })];
    if (isRetryable(error)) throw error;
    return [await failRun(deps.state, ref, 'load-and-merge', error)];
  }
}

/**
 * Reads the run's manifest (it must be this run's before anything else, the lease included, is
 * judged) and decides what the run does. Refused schema changes and a missing delete finder throw
 * here, before any warehouse work: nothing of the run lands.
 */
async function planRun(deps: LoadAndMergeDeps, ref: RunRef, record: RunRecord | null, replayed: boolean): Promise<RunPlan> {
  const manifest = await deps.raw.readManifest(ref.runId);
  const mismatch = manifest === null ? null : manifestMismatch(manifest, ref, deps.raw.manifestUrl(ref.runId));
  if (mismatch !== null) throw new RefusedEvent(mismatch, { context: ref });
  if (!replayed) await requireLease(deps.state, ref);
  if (!manifest) throw new ManifestMissing(`no manifest at ${deps.raw.manifestUrl(ref.runId)}`, { context: ref });
  const kind = runKindOf(manifest);
  const configured = kind.kind === 'full' ? undefined : (await deps.state.getTableConfig(ref.source, ref.table))?.deletes;
  // A repair run is not an incremental run: it judges no deletes (it removes its own keys' rows).
  const deletes = kind.kind === 'incremental' ? configured : undefined;
  if (deletes !== undefined) requireDeleteFinder(deps, ref, deletes);
  return {
    ref, record, replayed, manifest, kind, deletes,
    description: { ...describeTable(manifest), ...(configured === 'detect' ? { softDelete: true } : {}) },
    schemaChanges: await schemaChangesOf(deps.state, deps.raw, ref, manifest),
    noRows: readsWindow(kind) && manifest.totalRows === 0,
  };
}

/** What landing a run did: rows loaded into raw, and staging's counts (deletes included). */
interface Landed {
  readonly rowsLoaded: number;
  readonly counts: StagingResult;
}

/** Raw, then staging, then deletes: each behind the lease (a long load may outlast it). */
async function landRun(deps: LoadAndMergeDeps, plan: RunPlan): Promise<Landed> {
  const { ref, manifest, description } = plan;
  faultPoint('load-and-merge:before-load');
  // Even a run without rows evolves the tables: its manifest becomes the last known schema.
  await deps.warehouse.evolveSchema(description, plan.schemaChanges, ref.runId);
  const rowsLoaded = plan.noRows ? 0 : (await deps.warehouse.loadRaw(description, manifest, deps.raw.root)).rowsLoaded;
  const rejects = rejectsLoadFor(manifest);
  if (rejects !== null) await deps.warehouse.loadRaw(rejects.description, rejects.manifest, deps.raw.root);
  faultPoint('load-and-merge:after-raw-load');
  if (!plan.replayed) await requireLease(deps.state, ref);
  // A replayed repair removes its keys' rows even when it read none: it too must not roll staging back.
  if (plan.replayed && (!plan.noRows || plan.kind.kind === 'repair')) await refuseRollback(deps.state, plan.record);
  let counts = await updateStaging(deps.warehouse, plan);
  faultPoint('load-and-merge:after-merge');
  if (plan.deletes !== undefined) {
    const watermark = manifest.newWatermark ?? (await deps.state.getTableState(ref.source, ref.table)).watermark;
    counts = { ...counts, deleted: counts.deleted + (await detectDeletes(deps, ref, description, plan.deletes, watermark)) };
  }
  faultPoint('load-and-merge:after-deletes');
  return { rowsLoaded, counts };
}

/** Staging as the run's kind says: replaced by a full run, merged by an incremental one, appended to by an append run, repaired by keys. */
async function updateStaging(warehouse: Warehouse, plan: RunPlan): Promise<StagingResult> {
  const { description, ref, kind, noRows } = plan;
  if (kind.kind === 'repair') return repairStaging(warehouse, description, kind.keys, ref.runId, noRows);
  if (noRows) return { inserted: 0, updated: 0, deleted: 0 };
  switch (kind.kind) {
    case 'full':
      return warehouse.replaceStaging(description, ref.runId);
    case 'incremental':
      return warehouse.mergeStaging(description, ref.runId);
    case 'append':
      return warehouse.appendStaging(description, ref.runId);
  }
}

/** Nothing new, nothing deleted and no column changed: staging is as gold last saw it. */
function noChange(plan: RunPlan, result: Landed): boolean {
  return plan.noRows && result.counts.deleted === 0 && plan.schemaChanges.length === 0;
}

/**
 * Ends the runs left open before this one, then commits the watermark (behind the lease: the MERGE
 * may have outlasted it), records the run's counts and its load-and-merge step and frees the lease,
 * as one state write (StateStore.commitLoad), and describes the run for StageMerged. A full run of
 * a table without an incremental column reports no watermark, and a repair run read a few keys,
 * not everything up to a point: neither moves it.
 */
async function commitRun(deps: LoadAndMergeDeps, plan: RunPlan, result: Landed, startedAt: string): Promise<StageMerged> {
  const { ref, record, manifest, description, kind } = plan;
  const { counts } = result;
  if (!plan.replayed) await requireLease(deps.state, ref);
  const earlierRuns = (await deps.state.listRuns({ source: ref.source, table: ref.table, limit: 100 })).filter(
    (other) => other.runId !== ref.runId && (record === null || other.requestedAt <= record.requestedAt),
  );
  const unchanged = noChange(plan, result);
  const goldBehind = unchanged && goldIsBehind(earlierRuns, plan.deletes !== undefined);
  // Before the commit: once the lease is free, another run may start and end these itself.
  await endRunsLeftOpen(deps.state, earlierRuns, ref.runId);
  const commitsWatermark = kind.kind !== 'repair' && (manifest.newWatermark !== null || readsPastWatermark(kind));
  const rejects = manifest.rejects?.rows ?? 0;
  await deps.state.commitLoad(ref.runId, {
    ...(commitsWatermark ? { watermark: { value: manifest.newWatermark } } : {}),
    update: {
      inserted: counts.inserted, updated: counts.updated,
      ...(counts.deleted > 0 ? { deleted: counts.deleted } : {}),
      ...(plan.schemaChanges.length > 0 ? { schemaChanges: plan.schemaChanges } : {}),
      ...(rejects > 0 ? { rejects } : {}),
    },
    step: {
      name: 'load-and-merge', startedAt, finishedAt: new Date().toISOString(), rows: result.rowsLoaded,
      details: { ...counts, noChange: unchanged, schemaChanges: plan.schemaChanges.length, rejects },
    },
    // Only if this run holds it: a replay of a run that died holding it frees it too.
    releaseLease: true,
  });
  faultPoint('load-and-merge:after-watermark');
  faultPoint('load-and-merge:before-stage-merged');
  return {
    ...ref,
    publishedAt: new Date().toISOString(),
    rawTable: `${description.rawTable.schema}.${description.rawTable.name}`,
    stagingTable: `${description.stagingTable.schema}.${description.stagingTable.name}`,
    rowsLoaded: result.rowsLoaded,
    ...result.counts,
    watermark: kind.kind === 'repair' ? (await deps.state.getTableState(ref.source, ref.table)).watermark : manifest.newWatermark,
    noChange: unchanged,
    ...(goldBehind ? { goldBehind } : {}),
    ...(plan.schemaChanges.length > 0 ? { schemaChanges: plan.schemaChanges } : {}),
    ...(rejects > 0 ? { rejects } : {}),
    ...(kind.kind === 'repair' ? { repairedKeys: kind.keys.length } : {}),
  };
}
