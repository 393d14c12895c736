/**
 * The warehouse a Lambda entry works on: Snowflake, configured from the function's environment.
 * Opened on the first event that needs it, so a cold start that handles a duplicate (dropped
 * before any warehouse work) never connects.
 */
import type { Warehouse } from '../warehouse/warehouse.js';
import { NotBuiltError, type LambdaEnvironment } from './lambda-environment.js';

export type OpenWarehouse = () => Promise<Warehouse>;

/** The Snowflake warehouse from the function's environment. */
export function warehouseFromEnvironment(_env: LambdaEnvironment, service: string): OpenWarehouse {
  return async () => {
    throw new NotBuiltError(`${service}: the Snowflake warehouse adapter is not built yet (issue 5); events end in the dead-letter queue.`);
  };
}

/**
 * A Warehouse that opens the real one on first use and keeps it. A failed open is not kept, so the
 * next event (Lambda's retry) tries again.
 */
export function lazyWarehouse(open: OpenWarehouse): Warehouse {
  let opening: Promise<Warehouse> | undefined;
  const get = (): Promise<Warehouse> => {
    opening ??= open().catch((error: unknown) => {
      opening = undefined;
      throw error;
    });
    return opening;
  };
  return {
    loadRaw: async (...args) => (await get()).loadRaw(...args),
    mergeStaging: async (...args) => (await get()).mergeStaging(...args),
    replaceStaging: async (...args) => (await get()).replaceStaging(...args),
    buildGold: async (...args) => (await get()).buildGold(...args),
    query: async (...args) => (await get()).query(...args),
    close: async () => {
      const current = opening;
      opening = undefined;
      if (current) await (await current).close();
    },
  };
}
