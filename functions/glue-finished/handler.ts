import { GLUE_JOB_STATE_CHANGE } from '../../events/index.js';
import { finishExtraction, type FinishExtractionDeps } from '../../pipeline/finish-extraction.js';
import { publishAll, type EventHandler, type Publisher } from '../../pipeline/ports.js';

export interface GlueFinishedDeps extends FinishExtractionDeps {
  publisher: Publisher;
}

/** Glue Job State Change → the core's finish-extraction (pipeline/finish-extraction.ts) → RawLanded, or why not. */
export function createGlueFinished(deps: GlueFinishedDeps): EventHandler {
  return async (event) => {
    if (event['detail-type'] !== GLUE_JOB_STATE_CHANGE) return;
    await publishAll(deps.publisher, await finishExtraction(deps, event));
  };
}
