import { STAGE_MERGED } from '../../events/index.js';
import { buildGold, type BuildGoldDeps as CoreDeps } from '../../pipeline/build-gold.js';
import { publishAll, type EventHandler, type Publisher } from '../../pipeline/ports.js';

export interface BuildGoldDeps extends CoreDeps {
  publisher: Publisher;
}

/** StageMerged → the core's build-gold (pipeline/build-gold.ts) → GoldBuilt, or why not. */
export function createBuildGold(deps: BuildGoldDeps): EventHandler {
  return async (event) => {
    if (event['detail-type'] !== STAGE_MERGED) return;
    await publishAll(deps.publisher, await buildGold(deps, event));
  };
}
