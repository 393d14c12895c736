import type { Manifest, SchemaChange } from '../events/index.js';
import { succeededStep, type RunRecord, type StateStore } from '../state/index.js';
import type { RawStorage } from '../storage/raw-storage.js';
import { compareSchemas, incompatibleChangeMessage, SchemaChangeError, type KnownColumn } from '../warehouse/schema-evolution.js';

/** How many of the table's newest runs are searched for the last merged one. */
const HISTORY_SEARCHED = 100;

/**
 * The table's last known schema: the columns of the manifest of its newest run, before `run`,
 * whose load-and-merge succeeded; null when there is none (a first run) or its manifest is gone.
 *
 * Why a stored schema (that manifest, kept in raw storage and found through run history) rather
 * than the warehouse table's columns: the manifest keeps the source and Arrow types, while the
 * warehouse keeps only its own, which lose what the comparison needs (varchar lengths; Snowflake
 * stores float and double both as FLOAT), so both warehouses see and report the same change. And
 * a dropped column stays in the warehouse forever, so the warehouse cannot tell a column dropped
 * by this run from one dropped long ago: each change is reported once, by the run that merges it.
 * What DDL to run is still decided from the warehouse's own columns (Warehouse.evolveSchema), so
 * a run killed half way through its DDL is completed by the next.
 */
export async function lastKnownColumns(state: StateStore, raw: RawStorage, run: { runId: string; source: string; table: string }): Promise<KnownColumn[] | null> {
  const runs = await state.listRuns({ source: run.source, table: run.table, limit: HISTORY_SEARCHED });
  const self = runs.find((other) => other.runId === run.runId);
  const merged = (other: RunRecord): boolean =>
    other.runId !== run.runId &&
    (self === undefined || other.requestedAt <= self.requestedAt) &&
    succeededStep(other, 'load-and-merge') !== undefined;
  const previous = runs.find(merged);
  if (!previous) return null;
  const manifest = await raw.readManifest(previous.runId);
  return manifest ? manifest.columns.map(({ name, sourceType, arrowType }) => ({ name, sourceType, arrowType })) : null;
}

/**
 * The schema changes of a run: its manifest's columns against the table's last known schema.
 * Throws SchemaChangeError naming table, columns, old and new types when any change would lose
 * data; the caller has then touched nothing, so nothing of the run lands.
 */
export async function schemaChangesOf(
  state: StateStore,
  raw: RawStorage,
  run: { runId: string; source: string; table: string },
  manifest: Pick<Manifest, 'columns'>,
): Promise<SchemaChange[]> {
  const known = await lastKnownColumns(state, raw, run);
  if (known === null) return [];
  const { changes, incompatible } = compareSchemas(known, manifest.columns);
  if (incompatible.length > 0) throw new SchemaChangeError(incompatibleChangeMessage(run.table, run.source, run.runId, incompatible));
  return changes;
}
