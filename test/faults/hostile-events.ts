import { MAX_EVENT_BYTES } from '../../events/index.js';

/** A word planted in hostile events: no error message or log line may repeat it. */
export const PLANTED_SECRET = 'hunter2-planted-secret';

/** An event that must be refused before anything is written, and the start of the error it gets. */
export interface HostileEvent {
  name: string;
  event: unknown;
  /** The EventValidationError's message starts with this. */
  error: string;
}

/**
 * Events a floe handler must refuse, made from a good RawLanded (one that would be handled) and
 * marked as a replay, so that accepting any of them would really run load-and-merge again.
 */
export function hostileEvents(good: Record<string, unknown> & { detail: Record<string, unknown> }): HostileEvent[] {
  const replay = { ...structuredClone(good), 'replay-name': 'hostile-replay' };
  const withDetail = (detail: Record<string, unknown>) => ({ ...replay, detail: { ...replay.detail, ...detail } });
  const oversized = withDetail({ padding: `${PLANTED_SECRET} `.repeat(Math.ceil(MAX_EVENT_BYTES / PLANTED_SECRET.length)) });
  return [
    {
      name: 'a detail breaking its schema',
      event: withDetail({ totalRows: 'many' }),
      error: 'RawLanded: detail.totalRows: expected number, received string',
    },
    {
      name: 'a run id climbing out of the raw folder',
      event: withDetail({ runId: '../../../etc/passwd' }),
      error: 'RawLanded: detail.runId: expected a letter or digit, then at most 127 letters, digits and _ . = -',
    },
    {
      name: 'a location carrying credentials',
      event: withDetail({ manifestUrl: `s3://floe:${PLANTED_SECRET}@bucket/_manifests/run.json` }),
      error: 'RawLanded: detail.manifestUrl: must not contain credentials (user:password@); events carry facts, never secrets',
    },
    {
      name: 'a floe event claiming to come from Glue',
      event: { ...replay, source: 'aws.glue' },
      error: 'RawLanded: source: expected "floe.pipeline"',
    },
    {
      name: 'an unknown detail-type',
      event: { ...replay, 'detail-type': 'RawLanding' },
      error: 'unknown detail-type "RawLanding"; floe handles "IngestRequested"',
    },
    {
      name: 'an event over 256 KiB',
      event: oversized,
      error: `RawLanded: event is ${Buffer.byteLength(JSON.stringify(oversized), 'utf8')} bytes, over EventBridge's limit of ${MAX_EVENT_BYTES} bytes`,
    },
    { name: 'a list instead of an event', event: [replay], error: 'event has no "detail-type" string' },
    { name: 'JSON text cut short', event: JSON.stringify(replay).slice(0, 100), error: 'event is not valid JSON' },
  ];
}
