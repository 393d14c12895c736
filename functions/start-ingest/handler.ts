import { INGEST_REQUESTED, type FloeEvent, type IngestRequestedEvent } from '../../events/index.js';
import { startRuns, type StartRunDeps } from '../../pipeline/start-run.js';
import { publishAll, type BatchEventHandler, type EventFailure, type Publisher } from '../../pipeline/ports.js';

export interface StartIngestDeps extends StartRunDeps {
  publisher: Publisher;
}

/**
 * IngestRequested → the core's start-run (pipeline/start-run.ts) → GlueStarted, or why not. Given
 * several at once (`batch`), the tables of one source start as one job run, and each request that
 * could not start (or whose event could not be published) comes back with its own error, the
 * others done; one alone throws its error.
 */
export function createStartIngest(deps: StartIngestDeps): BatchEventHandler {
  const batch = async (events: readonly FloeEvent[]): Promise<EventFailure[]> => {
    const requests = events.filter((event): event is IngestRequestedEvent => event['detail-type'] === INGEST_REQUESTED);
    const failures: EventFailure[] = [];
    for (const outcome of await startRuns(deps, requests)) {
      if ('error' in outcome) {
        failures.push(outcome);
        continue;
      }
      try {
        if (outcome.published !== null) await publishAll(deps.publisher, [outcome.published]);
      } catch (error) {
        failures.push({ event: outcome.event, error });
      }
    }
    return failures;
  };
  const one = async (event: FloeEvent): Promise<void> => {
    const [failure] = await batch([event]);
    if (failure !== undefined) throw failure.error;
  };
  return Object.assign(one, { batch });
}
