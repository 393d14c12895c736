import { describeDeletes } from './conformance/deletes.js';
import { describeKeyless } from './conformance/keyless.js';
import { describeRawAndStaging } from './conformance/raw-and-staging.js';
import { describeSchemaEvolution } from './conformance/schema-evolution.js';
import type { WarehouseFactory } from './conformance/warehouse-factory.js';

export type { WarehouseFactory, WarehouseUnderTest } from './conformance/warehouse-factory.js';

/**
 * Registers the suites every `Warehouse` must pass: DuckDB locally and Snowflake on AWS run the
 * same steps from the same descriptions, so the same inputs must leave the same staging contents.
 */
export function describeWarehouse(name: string, fresh: WarehouseFactory): void {
  describeRawAndStaging(name, fresh);
  describeSchemaEvolution(name, fresh);
  describeDeletes(name, fresh);
  describeKeyless(name, fresh);
}
