import { FloeError } from '../errors/floe-error.js';

/** `floe check` cannot compare a table: a person must fix the config, the source or the warehouse first. */
export class CheckError extends FloeError {
  override readonly name = 'CheckError';
}
