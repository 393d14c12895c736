import { FloeError } from '../errors/floe-error.js';

/**
 * The state store could not do what was asked. `retryable` says whether the same
 * call may succeed later (a lock held by a live process) or never will (a run
 * id that does not exist, a state file that is not floe's).
 */
export class StateError extends FloeError {
  override readonly name = 'StateError';

  constructor(message: string, options: { retryable: boolean; cause?: unknown }) {
    super(message, options);
  }
}
