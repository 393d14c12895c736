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
