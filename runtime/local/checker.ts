import { randomUUID } from 'node:crypto';

import { checkTable } from '../../check/check-table.js';
import { openSourceSide } from '../../check/source-side.js';
import { selectTables, type FloeConfig } from '../../config/index.js';
import type { TableChecker } from '../../pipeline/index.js';
import type { StateStore } from '../../state/index.js';
import type { Warehouse } from '../../warehouse/warehouse.js';
import type { SourceGate } from './source-gate.js';

/**
 * The automatic check for `floe run` (tables with `check: after-merge`): `floe check` of one table,
 * reading the source with its configured connection (opened per check, closed after, one of the
 * source's maxConnections) and staging
 * in the local DuckDB warehouse.
 */
export function localChecker(config: FloeConfig, warehouse: Warehouse, state: StateStore, gate: SourceGate): TableChecker {
  return async ({ source, table }) => {
    const [selected] = selectTables(config, { source, table });
    if (!selected) throw new Error(`table ${source}/${table} is not in the config`);
    return gate.hold(source, `check of ${source}/${table} (${randomUUID().slice(0, 8)})`, { want: 1 }, async () => {
      const side = await openSourceSide(selected.source);
      try {
        return await checkTable(selected, { source: side, warehouse, state });
      } finally {
        await side.close().catch(() => undefined);
      }
    });
  };
}
