import { WarehouseError } from './warehouse-error.js';

/**
 * Snowflake failures a retry can get past: a statement aborted by a lock wait
 * or deadlock (000625, 000630), a transaction conflict, an overloaded or
 * unreachable service, a dropped session.
 */
const TRANSIENT = [/\b000625\b/, /\b000630\b/, /deadlock/i, /lock wait/i, /Request to Snowflake failed/i, /ECONNRESET|ETIMEDOUT|ECONNREFUSED|socket hang up/i, /session .* expired/i];

/** Wraps a driver error into a WarehouseError saying what floe was doing; never includes connection secrets. */
export function wrapSnowflakeError(doing: string, error: unknown): WarehouseError {
  if (error instanceof WarehouseError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  const code = typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : '';
  const retryable = TRANSIENT.some((pattern) => pattern.test(`${code} ${detail}`));
  return new WarehouseError(`${doing} failed: ${detail}`, { cause: error, retryable });
}
