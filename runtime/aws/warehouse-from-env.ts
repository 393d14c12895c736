/**
 * The warehouse a Lambda entry works on: Snowflake, configured from the function's environment
 * (warehouse/snowflake-from-env.ts lists the variables). Opened on the first event that needs it,
 * so a cold start that handles a duplicate (dropped before any warehouse work) never connects.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

import { secretReader } from '../../warehouse/snowflake-credentials.js';
import { createSnowflakeWarehouse } from '../../warehouse/snowflake-from-env.js';
import type { Warehouse } from '../../warehouse/warehouse.js';
import type { LambdaEnvironment } from './lambda-environment.js';

export type OpenWarehouse = () => Promise<Warehouse>;

/**
 * The Snowflake warehouse from the function's environment, its secret read through `secrets`.
 * `deadline` tells the driver when the current invocation must be done, so a statement is
 * cancelled (and its transaction rolled back) before Lambda stops the function mid-statement.
 */
export function warehouseFromEnvironment(
  env: LambdaEnvironment,
  secrets: SecretsManagerClient = new SecretsManagerClient({}),
  deadline: () => number | undefined = () => undefined,
): OpenWarehouse {
  const readSecret = secretReader(secrets);
  return () => createSnowflakeWarehouse(env, { readSecret, deadline });
}

/**
 * When the invocation in progress must be done (epoch ms), from its Lambda context: the
 * warehouse is kept by the container across invocations, each with its own time left.
 */
export class InvocationDeadline {
  private endsAt: number | undefined;

  readonly get = (): number | undefined => this.endsAt;

  /** Runs `invocation` with the deadline its context gives (none when the context cannot tell). */
  async during<T>(context: { getRemainingTimeInMillis?: () => number } | undefined, invocation: () => Promise<T>): Promise<T> {
    this.endsAt = typeof context?.getRemainingTimeInMillis === 'function' ? Date.now() + context.getRemainingTimeInMillis() : undefined;
    try {
      return await invocation();
    } finally {
      this.endsAt = undefined;
    }
  }
}

/**
 * A Warehouse that opens the real one on first use and keeps it for the container's next events.
 * A failed open is not kept, so the next event (Lambda's retry) tries again; after a retryable
 * failure (a dropped connection, an expired session) the connection is closed and the next call
 * opens a fresh one.
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
  const discard = async (): Promise<void> => {
    const current = opening;
    opening = undefined;
    if (current) await (await current.catch(() => null))?.close().catch(() => undefined);
  };
  const call = async <T>(work: (warehouse: Warehouse) => Promise<T>): Promise<T> => {
    const warehouse = await get();
    try {
      return await work(warehouse);
    } catch (error) {
      if ((error as { retryable?: unknown }).retryable === true) await discard();
      throw error;
    }
  };
  return {
    evolveSchema: (...args) => call((w) => w.evolveSchema(...args)),
    loadRaw: (...args) => call((w) => w.loadRaw(...args)),
    mergeStaging: (...args) => call((w) => w.mergeStaging(...args)),
    replaceStaging: (...args) => call((w) => w.replaceStaging(...args)),
    appendStaging: (...args) => call((w) => w.appendStaging(...args)),
    prepareDeleteDetection: (...args) => call((w) => w.prepareDeleteDetection(...args)),
    applyDetectedDeletes: (...args) => call((w) => w.applyDetectedDeletes(...args)),
    buildGold: (...args) => call((w) => w.buildGold(...args)),
    query: (...args) => call((w) => w.query(...args)),
    close: discard,
  };
}
