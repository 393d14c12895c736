import { checkTable } from '../../check/check-table.js';
import { openSourceSide } from '../../check/source-side.js';
import { selectTables, type FloeConfig } from '../../config/index.js';
import type { TableChecker } from '../../pipeline/index.js';
import type { StateStore } from '../../state/index.js';
import type { Warehouse } from '../../warehouse/warehouse.js';

/**
 * The automatic check for `floe run` (tables with `check: after-merge`): `floe check` of one table,
 * reading the source with its configured connection (opened per check, closed after) and staging
 * in the local DuckDB warehouse.
 */
export function localChecker(config: FloeConfig, warehouse: Warehouse, state: StateStore): TableChecker {
  return async ({ source, table }) => {
    const [selected] = selectTables(config, { source, table });
    if (!selected) throw new Error(`table ${source}/${table} is not in the config`);
    const side = await openSourceSide(selected.source);
    try {
      return await checkTable(selected, { source: side, warehouse, state });
    } finally {
      await side.close().catch(() => undefined);
    }
  };
}
