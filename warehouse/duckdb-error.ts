import { WarehouseBusy } from './warehouse-busy.js';
import { WarehouseError } from './warehouse-error.js';

/** DuckDB messages that mean "another writer got there first": retrying can succeed. */
const TRANSIENT = [/Conflict on/i, /Could not set lock/i, /TransactionContext Error/i];

/**
 * DuckDB's refusal to open a file another process holds, e.g.
 * `IO Error: Could not set lock on file "/p/floe.duckdb": Conflicting lock is held in /usr/bin/node (PID 4242). See also …`
 * (older versions add `by user …`).
 */
const LOCKED = /Could not set lock on file "(?:.*?)"(?::\s*Conflicting lock is held in (.*?) \(PID (\d+)\))?/;

/** The WarehouseBusy an error of DuckDB's means, naming the file and (when DuckDB says) the holder; else null. */
export function busyFromDuckDbError(file: string, error: unknown): WarehouseBusy | null {
  // Not `instanceof Error`: the driver's errors may come from another realm (a test runner's VM).
  const detail = typeof error === 'object' && error !== null && 'message' in error ? String(error.message) : String(error);
  const match = LOCKED.exec(detail);
  if (match === null) return null;
  const holder = match[2] === undefined ? null : { pid: Number(match[2]), program: match[1] ?? '' };
  return new WarehouseBusy(file, holder, { cause: error, detail });
}

/** Wraps an error from DuckDB into a WarehouseError, with a message saying what floe was doing. */
export function wrapDuckDbError(doing: string, error: unknown): WarehouseError {
  if (error instanceof WarehouseError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  const retryable = TRANSIENT.some((pattern) => pattern.test(detail));
  return new WarehouseError(`${doing} failed: ${detail}`, { cause: error, retryable });
}
