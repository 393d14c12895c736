import type { SqlDialect } from '../../../warehouse/sql-dialect.js';
import type { ManifestLike } from '../../../warehouse/table-description.js';
import type { Warehouse } from '../../../warehouse/warehouse.js';
import type { FixtureRun } from '../../fixtures/warehouse/parquet-run.js';

/** One warehouse under test, empty, with its own raw root. */
export interface WarehouseUnderTest {
  readonly warehouse: Warehouse;
  readonly dialect: SqlDialect;
  readonly rawRoot: string;
  /** Writes a run's Parquet files below `rawRoot`, as the extraction job would, and returns its manifest. */
  writeRun(run: FixtureRun): Promise<ManifestLike>;
  close(): Promise<void>;
}

/** Opens a fresh, empty warehouse of the kind under test. */
export type WarehouseFactory = () => Promise<WarehouseUnderTest>;
