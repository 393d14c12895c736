import type { FloeEvent, HandlerName } from '../../events/index.js';
import { publishAll, type Publisher } from '../../pipeline/ports.js';
import { failAfterRetries } from '../../pipeline/retries-exhausted.js';
import type { StateStore } from '../../state/index.js';

export interface RetriesExhaustedDeps {
  state: StateStore;
  publisher: Publisher;
}

/** A handler's event whose every attempt failed, and the last error. */
export interface ExhaustedDelivery {
  handler: HandlerName;
  event: FloeEvent;
  error: unknown;
}

/** The last failure of a handler's event → the core ends its run (pipeline/retries-exhausted.ts) → IngestFailed. */
export function createRetriesExhausted(deps: RetriesExhaustedDeps): (delivery: ExhaustedDelivery) => Promise<void> {
  return async ({ handler, event, error }) => {
    await publishAll(deps.publisher, await failAfterRetries(deps.state, handler, event, error));
  };
}
