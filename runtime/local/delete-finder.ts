import { findDeletedKeys, liveStagingFrom } from '../../check/deleted-keys.js';
import { quoteSourceTable } from '../../check/canonical-sql.js';
import { openSourceSide } from '../../check/source-side.js';
import type { FloeConfig } from '../../config/index.js';
import type { DeleteFinder } from '../../pipeline/index.js';
import { quoteQualifiedName } from '../../warehouse/quote.js';
import { DELETED_AT } from '../../warehouse/table-sql.js';
import type { Warehouse } from '../../warehouse/warehouse.js';
import { duckDbDialect } from '../../warehouse/duckdb-dialect.js';
import type { TableDescription } from '../../warehouse/table-description.js';
import { LocalOnlyError } from './local-only.js';

/**
 * Delete detection for `floe run`: reads the source with its configured connection (one connection
 * per detection, closed after) and staging in the local DuckDB warehouse.
 */
export function localDeleteFinder(config: FloeConfig, warehouse: Warehouse): DeleteFinder {
  return async ({ source, table, description, watermark }) => {
    const sourceConfig = config.sources.find((candidate) => candidate.name === source);
    if (!sourceConfig) throw new LocalOnlyError(`source ${source} is not in the config`);
    const incremental = description.columns.find((column) => column.name === description.incrementalColumn);
    if (!incremental) throw new LocalOnlyError(`table ${source}/${table} has no incremental column to judge deletes up to`);
    const side = await openSourceSide(sourceConfig);
    try {
      const found = await findDeletedKeys({
        where: `table ${source}/${table}`,
        key: description.primaryKey.map((name) => ({ name, warehouseType: stagingType(description, name) })),
        source: { side, dialect: side.dialect, from: quoteSourceTable(side.dialect, table) },
        staging: {
          side: { query: ({ sql, params }) => warehouse.query(sql, params) },
          dialect: 'duckdb',
          from: liveStagingFrom(quoteQualifiedName(description.stagingTable), description.softDelete === true ? DELETED_AT : null),
        },
        watermark: { column: incremental.name, value: watermark, warehouseType: stagingType(description, incremental.name) },
      });
      return found.keys;
    } finally {
      await side.close().catch(() => undefined);
    }
  };
}

/** The staging column's DuckDB type, as the local warehouse stores it. */
function stagingType(description: TableDescription, name: string): string {
  const column = description.columns.find((candidate) => candidate.name === name);
  return column === undefined ? '' : duckDbDialect.columnType(column, 'staging');
}
