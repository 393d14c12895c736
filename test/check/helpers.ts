import { loadConfig } from '../../config/index.js';
import { runLocally } from '../../runtime/local/run.js';
import { DuckDbWarehouse } from '../../warehouse/duckdb.js';

/** Runs statements on the project's DuckDB file: staging changed behind floe's back. */
export async function inWarehouse(path: string, statements: string[]): Promise<void> {
  const warehouse = await DuckDbWarehouse.open(path);
  try {
    for (const sql of statements) await warehouse.query(sql);
  } finally {
    await warehouse.close();
  }
}

/** Loads every table of the config with `floe run`, expecting each to succeed; returns the DuckDB file. */
export async function loadAll(configFile: string): Promise<string> {
  const config = await loadConfig(configFile);
  const outcomes = await runLocally(config);
  expect(outcomes.map((outcome) => [outcome.table, outcome.failure])).toEqual(outcomes.map((outcome) => [outcome.table, null]));
  return config.warehouse.slice('duckdb://'.length);
}
