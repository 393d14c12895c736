import { RAW_LANDED } from '../../events/index.js';
import { loadAndMerge, type LoadAndMergeDeps as CoreDeps } from '../../pipeline/load-and-merge.js';
import { publishAll, type EventHandler, type Publisher } from '../../pipeline/ports.js';

export interface LoadAndMergeDeps extends CoreDeps {
  publisher: Publisher;
}

/** RawLanded → the core's load-and-merge (pipeline/load-and-merge.ts) → StageMerged, or why not. */
export function createLoadAndMerge(deps: LoadAndMergeDeps): EventHandler {
  return async (event) => {
    if (event['detail-type'] !== RAW_LANDED) return;
    await publishAll(deps.publisher, await loadAndMerge(deps, event));
  };
}
