import { STAGE_MERGED } from '../../events/index.js';
import { checkAfterMerge, type CheckAfterMergeDeps as CoreDeps } from '../../pipeline/check-after-merge.js';
import { publishAll, type EventHandler, type Publisher } from '../../pipeline/ports.js';

export interface CheckAfterMergeDeps extends CoreDeps {
  publisher: Publisher;
}

/** StageMerged → the core's check-after-merge (pipeline/check-after-merge.ts) → CheckCompleted, for tables that ask for it. */
export function createCheckAfterMerge(deps: CheckAfterMergeDeps): EventHandler {
  return async (event) => {
    if (event['detail-type'] !== STAGE_MERGED) return;
    await publishAll(deps.publisher, await checkAfterMerge(deps, event));
  };
}
