import { FloeError } from '../../errors/floe-error.js';

/** The config asks the local runtime for something it does not do (yet): a person must change the config or deploy. */
export class LocalOnlyError extends FloeError {
  override readonly name = 'LocalOnlyError';
}
