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
