import { FloeError } from '../errors/floe-error.js';
import { EVENT_REFUSED, type FloeEvent, type HandlerName } from '../events/index.js';
import { published, type Published } from './ports.js';

/**
 * An event whose run is not in the state the event implies (see expected-run.ts). Never
 * retryable: the same event is refused again. A step that finds out only part-way (the manifest
 * it reads names another run) throws it, and catches it to refuse before anything is written.
 */
export class RefusedEvent extends FloeError {
  override readonly name = 'RefusedEvent';
}

/** The run a refused event named, as far as it named one. */
export interface NamedRun {
  runId: string | null;
  source: string | null;
  table: string | null;
}

/**
 * The refusal of `event`: an EventRefused naming the handler, the event and `reason`, and nothing
 * else. No step is recorded, no run ended, no lease released, no IngestFailed published, so the
 * run the event named goes on as if the event had never come. The Lambda entries log each
 * EventRefused they publish as a warning; `floe run` keeps it in its event log.
 */
export function refusal(handler: HandlerName, event: FloeEvent, run: NamedRun, reason: string): Published {
  const jobRunId = 'jobRunId' in event.detail && typeof event.detail.jobRunId === 'string' ? event.detail.jobRunId : undefined;
  return published(EVENT_REFUSED, {
    ...run,
    publishedAt: new Date().toISOString(),
    handler,
    refusedDetailType: event['detail-type'],
    refusedEventId: event.id,
    ...(event['replay-name'] !== undefined ? { replayName: event['replay-name'] } : {}),
    ...(jobRunId !== undefined ? { jobRunId } : {}),
    reason,
  });
}
