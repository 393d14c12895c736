import { randomUUID } from 'node:crypto';

import { checkTable, type KnownColumn } from '../../check/check-table.js';
import { openSourceSide } from '../../check/source-side.js';
import { selectTables, type FloeConfig } from '../../config/index.js';
import type { TableChecker } from '../../pipeline/index.js';
import { lastKnownColumns } from '../../pipeline/schema-changes.js';
import type { StateStore } from '../../state/index.js';
import type { RawStorage } from '../../storage/raw-storage.js';
import type { Warehouse } from '../../warehouse/warehouse.js';
import type { SourceGate } from './source-gate.js';

/**
 * The columns of a table's last merged run, from its manifest where the job landed it: what floe
 * check needs to know of a column its warehouse does not say (a Snowflake ARRAY's elements).
 */
export async function knownColumnsOf(raw: RawStorage, state: StateStore, source: string, table: string): Promise<readonly KnownColumn[]> {
  return (await lastKnownColumns(state, raw, { runId: '', source, table })) ?? [];
}

/**
 * The automatic check for `floe run` (tables with `check: after-merge`): `floe check` of one table,
 * reading the source with its configured connection (opened per check, closed after, one of the
 * source's maxConnections) and staging in the run's warehouse.
 */
export function localChecker(config: FloeConfig, adapters: { warehouse: Warehouse; state: StateStore; gate: SourceGate; raw: RawStorage | null }): TableChecker {
  const { warehouse, state, gate, raw } = adapters;
  return async ({ source, table }) => {
    const [selected] = selectTables(config, { source, table });
    if (!selected) throw new Error(`table ${source}/${table} is not in the config`);
    // Only a warehouse whose catalog does not say an ARRAY's elements (Snowflake) is given the raw
    // layer: DuckDB's staging types say them, and its check reads no manifest.
    const knownColumns = raw === null ? [] : await knownColumnsOf(raw, state, source, table);
    return gate.hold(source, `check of ${source}/${table} (${randomUUID().slice(0, 8)})`, { want: 1 }, async () => {
      const side = await openSourceSide(selected.source);
      try {
        return await checkTable(selected, { source: side, warehouse, state, knownColumns });
      } finally {
        await side.close().catch(() => undefined);
      }
    });
  };
}
