import { StateError } from './errors.js';

/** Error names of DynamoDB and the SDK that mean "the same call may succeed later". */
const RETRYABLE_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'ThrottlingException',
  'InternalServerError',
  'ServiceUnavailable',
  'TransactionConflictException',
  'TransactionInProgressException',
  'LimitExceededException',
  'TimeoutError',
  'AbortError',
  'RequestTimeout',
  'RequestTimeoutException',
]);
const RETRYABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ECONNABORTED']);
/** The same codes inside a message: the SDK rewraps errors it does not recognize as `Error`s, keeping only their text. */
const RETRYABLE_CODE_IN_MESSAGE = /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EAI_AGAIN|ECONNABORTED)\b/;

/** Whether a DynamoDB or network error is transient: throttling, timeouts, 5xx, dropped connections. */
export function isRetryable(error: unknown): boolean {
  const detail = errorDetail(error);
  if (detail === undefined) return false;
  if (detail.$retryable !== undefined) return true;
  if (typeof detail.name === 'string' && RETRYABLE_NAMES.has(detail.name)) return true;
  if (typeof detail.code === 'string' && RETRYABLE_CODES.has(detail.code)) return true;
  if (typeof detail.message === 'string' && RETRYABLE_CODE_IN_MESSAGE.test(detail.message)) return true;
  const status = detail.$metadata?.httpStatusCode;
  return status !== undefined && status >= 500;
}

/** A {@link StateError} for a failed DynamoDB call: `what` names the call and its key; the fix depends on the cause. */
export function stateErrorFrom(error: unknown, what: string): StateError {
  if (error instanceof StateError) return error;
  const detail = errorDetail(error);
  if (detail?.name === 'ResourceNotFoundException') {
    return new StateError(`${what}: the DynamoDB table does not exist; deploy the stack or call createStateTables (${String(detail.message)})`, { retryable: false, cause: error });
  }
  const retryable = isRetryable(error);
  const reason = detail === undefined ? String(error) : `${String(detail.name)}${typeof detail.code === 'string' ? ` ${detail.code}` : ''}: ${String(detail.message)}`;
  return new StateError(`${what} failed (${reason})${retryable ? '; retry later' : ''}`, { retryable, cause: error });
}

/** Whether a write was refused by its condition (single write or transaction). */
export function isConditionFailure(error: unknown): boolean {
  const name = errorDetail(error)?.name;
  return name === 'ConditionalCheckFailedException' || name === 'TransactionCanceledException';
}

interface ErrorDetail {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/** The fields of a thrown SDK or Node error, read by shape: network errors may come from another realm, where `instanceof Error` fails. */
function errorDetail(error: unknown): ErrorDetail | undefined {
  return typeof error === 'object' && error !== null ? (error as ErrorDetail) : undefined;
}
