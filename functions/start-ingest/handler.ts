import { INGEST_REQUESTED } from '../../events/index.js';
import { startRun, type StartRunDeps } from '../../pipeline/start-run.js';
import { publishAll, type EventHandler, type Publisher } from '../../pipeline/ports.js';

export interface StartIngestDeps extends StartRunDeps {
  publisher: Publisher;
}

/** IngestRequested → the core's start-run (pipeline/start-run.ts) → GlueStarted, or why not. */
export function createStartIngest(deps: StartIngestDeps): EventHandler {
  return async (event) => {
    if (event['detail-type'] !== INGEST_REQUESTED) return;
    await publishAll(deps.publisher, await startRun(deps, event));
  };
}
