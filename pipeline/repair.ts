import type { TableDescription } from '../warehouse/table-description.js';
import type { StagingResult, Warehouse } from '../warehouse/warehouse.js';
import type { RepairKeys } from './run.js';

/**
 * A repair run (`floe check --repair`, the manifest's `keys`): staging's rows of the requested keys
 * are removed, then the run's rows (what the source holds of those keys) are merged back, so
 * missing, different and extra rows all end up as at the source, whichever version staging held.
 * Killed in between, the keys' rows are absent until the run is replayed or checked and repaired
 * again; nothing else is touched. Counts: `deleted` the rows removed, `inserted` those written back.
 */
export async function repairStaging(
  warehouse: Warehouse,
  description: TableDescription,
  keys: RepairKeys,
  runId: string,
  noRows: boolean,
): Promise<StagingResult> {
  // Repair keys carry times with a zone in UTC without an offset (check/repair-keys.ts); the cast needs one.
  const zoned = description.primaryKey.map((name) => /^timestamp\[\w+, tz=/.test(description.columns.find((column) => column.name === name)?.arrowType ?? ''));
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
