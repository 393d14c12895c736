/** `floe check` cannot compare a table: a person must fix the config, the source or the warehouse first. */
export class CheckError extends Error {
  override readonly name = 'CheckError';
  readonly retryable = false;
}
