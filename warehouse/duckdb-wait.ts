import { setTimeout as sleep } from 'node:timers/promises';
import { DuckDbWarehouse } from './duckdb.js';
import { WarehouseBusy } from './warehouse-busy.js';

/** How long to wait for a DuckDB file another process holds, and what to say meanwhile. */
export interface OpenWithWaitOptions {
  /** Give up after this long (0: try once). */
  readonly waitMs: number;
  /** Called once, when the file is first found busy, before waiting: to say who holds it and that floe waits. */
  readonly onWaiting?: (busy: WarehouseBusy) => void;
  /** Between attempts; default 250 ms. */
  readonly pollMs?: number;
}

/**
 * Opens the DuckDB warehouse, waiting while another process holds the file (DuckDB lets one
 * process open it at a time), up to `waitMs`. Resolves as soon as the holder lets go.
 *
 * Throws WarehouseBusy (retryable) when the file is still held after `waitMs`, naming the file,
 * the holder's PID when DuckDB gives it, and how long floe waited; any other error at once.
 */
export async function openWithWait(path: string, options: OpenWithWaitOptions): Promise<DuckDbWarehouse> {
  const started = Date.now();
  let told = false;
  for (;;) {
    try {
      return await DuckDbWarehouse.open(path);
    } catch (error) {
      if (!(error instanceof WarehouseBusy)) throw error;
      const waited = Date.now() - started;
      if (waited >= options.waitMs) {
        if (options.waitMs <= 0) throw error;
        throw new WarehouseBusy(error.file, error.holder, { cause: error.cause, waitedMs: waited, ...(error.detail === undefined ? {} : { detail: error.detail }) });
      }
      if (!told) {
        told = true;
        options.onWaiting?.(error);
      }
      await sleep(Math.min(options.pollMs ?? 250, options.waitMs - waited));
    }
  }
}
