import { FloeError } from '../errors/floe-error.js';

/**
 * The one error class the warehouse layer throws.
 *
 * The message names the table, column, file or model involved and what to do.
 * `retryable` tells the caller (Lambda/EventBridge locally or on AWS) whether a
 * retry can succeed: true for lock or transaction conflicts and I/O hiccups,
 * false for anything a retry would only repeat (bad data, schema conflicts).
 */
export class WarehouseError extends FloeError {
  override readonly name: string = 'WarehouseError';
}

/** DuckDB messages that mean "another writer got there first": retrying can succeed. */
const TRANSIENT_DUCKDB_ERRORS = [/Conflict on/i, /Could not set lock/i, /TransactionContext Error/i];

/** Wraps an error from DuckDB into a WarehouseError, with a message saying what floe was doing. */
export function wrapDuckDbError(doing: string, error: unknown): WarehouseError {
  if (error instanceof WarehouseError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  const retryable = TRANSIENT_DUCKDB_ERRORS.some((pattern) => pattern.test(detail));
  return new WarehouseError(`${doing} failed: ${detail}`, { cause: error, retryable });
}
