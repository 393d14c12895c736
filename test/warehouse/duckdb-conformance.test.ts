import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { duckDbDialect } from '../../warehouse/duckdb-dialect.js';
import { DuckDbWarehouse } from '../../warehouse/duckdb.js';
import { writeFixtureRun } from '../fixtures/warehouse/parquet-run.js';
import { describeWarehouse } from './conformance.js';

describeWarehouse('DuckDB', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'floe-conf-duckdb-'));
  const rawRoot = join(dir, 'raw');
  const warehouse = await DuckDbWarehouse.open(join(dir, 'warehouse.duckdb'));
  return {
    warehouse,
    dialect: duckDbDialect,
    rawRoot,
    writeRun: (run) => writeFixtureRun(warehouse, rawRoot, run),
    close: async () => {
      await warehouse.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
