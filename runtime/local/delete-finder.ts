import { randomUUID } from 'node:crypto';

import { findDeletedKeysInStaging } from '../../check/deleted-keys.js';
import { quoteSourceTable } from '../../check/canonical-sql.js';
import { openSourceSide } from '../../check/source-side.js';
import type { FloeConfig } from '../../config/index.js';
import type { DeleteFinder } from '../../pipeline/index.js';
import type { Warehouse } from '../../warehouse/warehouse.js';
import { LocalOnlyError } from './local-only.js';
import type { SourceGate } from './source-gate.js';

/**
 * Delete detection for `floe run`: reads the source with its configured connection (one connection
 * per detection, closed after, one of the source's maxConnections) and staging in the local warehouse.
 */
export function localDeleteFinder(config: FloeConfig, warehouse: Warehouse, gate: SourceGate): DeleteFinder {
  return async ({ source, table, description, watermark }) => {
    const sourceConfig = config.sources.find((candidate) => candidate.name === source);
    if (!sourceConfig) throw new LocalOnlyError(`source ${source} is not in the config`);
    return gate.hold(source, `delete detection of ${source}/${table} (${randomUUID().slice(0, 8)})`, { want: 1 }, async () => {
      const side = await openSourceSide(sourceConfig);
      try {
        const found = await findDeletedKeysInStaging({
          where: `table ${source}/${table}`,
          description,
          source: { side, dialect: side.dialect, from: quoteSourceTable(side.dialect, table) },
          warehouse,
          watermark,
        });
        return found.keys;
      } finally {
        await side.close().catch(() => undefined);
      }
    });
  };
}
