import { INGEST_REQUESTED, type FloeEvent, type IngestRequestedEvent } from '../../events/index.js';
import { startRuns, type StartRunDeps } from '../../pipeline/start-run.js';
import { publishAll, type EventHandler, type Publisher } from '../../pipeline/ports.js';

export interface StartIngestDeps extends StartRunDeps {
  publisher: Publisher;
}

/**
 * IngestRequested → the core's start-run (pipeline/start-run.ts) → GlueStarted, or why not. Given
 * several at once (`batch`), the tables of one source start as one job run.
 */
export function createStartIngest(deps: StartIngestDeps): EventHandler & { batch: (events: readonly FloeEvent[]) => Promise<void> } {
  const batch = async (events: readonly FloeEvent[]): Promise<void> => {
    const requests = events.filter((event): event is IngestRequestedEvent => event['detail-type'] === INGEST_REQUESTED);
    if (requests.length > 0) await publishAll(deps.publisher, await startRuns(deps, requests));
  };
  return Object.assign((event: FloeEvent) => batch([event]), { batch });
}
