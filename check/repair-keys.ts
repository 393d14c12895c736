/**
 * `floe check --repair`: the keys a drifted table's repair runs re-extract, in batches of at most
 * {@link REPAIR_KEYS_PER_RUN} (one IngestRequested each). Missing, extra and different rows are all
 * re-extracted: the run writes back what the source holds of those keys and removes the rest.
 */
import { REPAIR_KEYS_PER_RUN } from '../events/index.js';
import type { Warehouse } from '../warehouse/warehouse.js';
import { stagingTableFor } from '../warehouse/naming.js';
import { CheckError } from './check-error.js';
import type { TableCheck } from './check-table.js';
import { keyValues } from './compare.js';
import { stagingColumnsOf, warehouseCheckSide } from './warehouse-side.js';

/** Key kinds whose canonical text both the source (its session in UTC) and the warehouse read back as the same value. */
const REPAIRABLE = new Set(['integer', 'decimal', 'text', 'date', 'timestamp', 'timestamptz']);

/**
 * The drifted keys of one checked table, as one text per key column, in batches. Throws CheckError
 * for a key column whose values floe cannot bind back (float, binary, time, boolean) or a NULL key.
 */
export async function repairBatches(check: TableCheck, primaryKey: readonly string[], warehouse: Warehouse): Promise<string[][][]> {
  const drift = check.drift;
  if (check.status !== 'drift' || drift === null) return [];
  const where = `table ${check.source}/${check.table}`;
  if (primaryKey.length === 0) {
    throw new CheckError(
      `${where} has no primary key, and floe check --repair re-extracts rows by key, so it cannot repair it; ` +
        `a full run replaces its staging table with the source's rows (floe run --full --source ${check.source} --table ${check.table})`,
    );
  }
  if (drift.sampled === true) {
    throw new CheckError(`${where}: more rows differ than floe check lists, so it knows a sample of their keys only; reload the table instead (floe run --full)`);
  }
  const side = warehouseCheckSide(warehouse);
  const columns = await stagingColumnsOf(warehouse, side, stagingTableFor(check.source, check.table));
  const kinds = primaryKey.map((name) => {
    const type = columns.find((column) => side.warehouse.nameKey(column.name) === side.warehouse.nameKey(name))?.type;
    const kind = type === undefined ? null : side.valueKindOf(type);
    if (kind === null || !REPAIRABLE.has(kind)) {
      throw new CheckError(`${where}: primary key column ${name} is ${String(type)} in staging, which floe check --repair cannot re-extract by key yet; run the table in full mode instead (floe run --full)`);
    }
    return kind;
  });
  const keys = [...new Set([...drift.missing, ...drift.extra, ...drift.different])].sort().map((text) =>
    keyValues(text).map((value, index) => {
      if (value === null) throw new CheckError(`${where}: a row has a NULL in primary key column ${primaryKey[index]}, which a repair cannot address`);
      // Repair keys carry times with a zone as bare UTC: MariaDB reads no offset in a literal.
      return kinds[index] === 'timestamptz' ? value.replace(/\+00$/, '') : value;
    }),
  );
  const batches: string[][][] = [];
  for (let start = 0; start < keys.length; start += REPAIR_KEYS_PER_RUN) batches.push(keys.slice(start, start + REPAIR_KEYS_PER_RUN));
  return batches;
}
