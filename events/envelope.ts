import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas/eventbridge';
import { z } from 'zod';
import { FLOE_EVENT_SOURCE, GLUE_EVENT_SOURCE, MAX_EVENT_BYTES } from './bus.js';
import { EventValidationError, describeIssues } from './errors.js';
import { GLUE_JOB_STATE_CHANGE, GlueJobStateChangeSchema } from './glue-job-state-change.js';
import { GLUE_STARTED, GlueStartedSchema } from './glue-started.js';
import { GOLD_BUILT, GoldBuiltSchema } from './gold-built.js';
import { INGEST_FAILED, IngestFailedSchema } from './ingest-failed.js';
import { CHECK_COMPLETED, CheckCompletedSchema } from './check-completed.js';
import { EVENT_REFUSED, EventRefusedSchema } from './event-refused.js';
import { INGEST_REQUESTED, IngestRequestedSchema } from './ingest-requested.js';
import { RAW_LANDED, RawLandedSchema } from './raw-landed.js';
import { STAGE_MERGED, StageMergedSchema } from './stage-merged.js';

/**
 * The EventBridge envelope around every event, as a rule target receives it: Powertools'
 * EventBridgeSchema (so Lambda entries parse exactly what Powertools' EventBridge envelope
 * accepts), with an id that is never empty and a time that may carry an offset.
 * `replay-name` is set by EventBridge on events re-sent by an archive replay.
 * @see https://docs.aws.amazon.com/eventbridge/latest/ref/overiew-event-structure.html
 * @see https://docs.powertools.aws.dev/lambda/typescript/latest/features/parser/#built-in-schemas
 */
export const EnvelopeSchema = EventBridgeSchema.extend({
  id: z.string().min(1),
  'detail-type': z.string().min(1),
  source: z.string().min(1),
  time: z.iso.datetime({ offset: true }),
});

/**
 * Schema of a whole event: the envelope with `detail-type` and `source` pinned
 * to literals and `detail` checked by `detail`.
 */
export function eventOf<const T extends string, const S extends string, D extends z.ZodType>(
  detailType: T,
  source: S,
  detail: D,
) {
  return EnvelopeSchema.extend({
    'detail-type': z.literal(detailType),
    source: z.literal(source),
    detail,
  });
}

export const IngestRequestedEventSchema = eventOf(INGEST_REQUESTED, FLOE_EVENT_SOURCE, IngestRequestedSchema);
export const GlueStartedEventSchema = eventOf(GLUE_STARTED, FLOE_EVENT_SOURCE, GlueStartedSchema);
export const GlueJobStateChangeEventSchema = eventOf(GLUE_JOB_STATE_CHANGE, GLUE_EVENT_SOURCE, GlueJobStateChangeSchema);
export const RawLandedEventSchema = eventOf(RAW_LANDED, FLOE_EVENT_SOURCE, RawLandedSchema);
export const StageMergedEventSchema = eventOf(STAGE_MERGED, FLOE_EVENT_SOURCE, StageMergedSchema);
export const GoldBuiltEventSchema = eventOf(GOLD_BUILT, FLOE_EVENT_SOURCE, GoldBuiltSchema);
export const IngestFailedEventSchema = eventOf(INGEST_FAILED, FLOE_EVENT_SOURCE, IngestFailedSchema);
export const CheckCompletedEventSchema = eventOf(CHECK_COMPLETED, FLOE_EVENT_SOURCE, CheckCompletedSchema);
export const EventRefusedEventSchema = eventOf(EVENT_REFUSED, FLOE_EVENT_SOURCE, EventRefusedSchema);

export type IngestRequestedEvent = z.infer<typeof IngestRequestedEventSchema>;
export type GlueStartedEvent = z.infer<typeof GlueStartedEventSchema>;
export type GlueJobStateChangeEvent = z.infer<typeof GlueJobStateChangeEventSchema>;
export type RawLandedEvent = z.infer<typeof RawLandedEventSchema>;
export type StageMergedEvent = z.infer<typeof StageMergedEventSchema>;
export type GoldBuiltEvent = z.infer<typeof GoldBuiltEventSchema>;
export type IngestFailedEvent = z.infer<typeof IngestFailedEventSchema>;
export type CheckCompletedEvent = z.infer<typeof CheckCompletedEventSchema>;
export type EventRefusedEvent = z.infer<typeof EventRefusedEventSchema>;

/** Every event on the floe bus that a floe handler may receive, by `detail-type`. */
export const FloeEventSchema = z.discriminatedUnion('detail-type', [
  IngestRequestedEventSchema,
  GlueStartedEventSchema,
  GlueJobStateChangeEventSchema,
  RawLandedEventSchema,
  StageMergedEventSchema,
  GoldBuiltEventSchema,
  IngestFailedEventSchema,
  CheckCompletedEventSchema,
  EventRefusedEventSchema,
]);

export type FloeEvent = z.infer<typeof FloeEventSchema>;
export type FloeDetailType = FloeEvent['detail-type'];

const SCHEMAS_BY_DETAIL_TYPE = new Map<string, z.ZodType<FloeEvent>>(
  FloeEventSchema.options.map((schema) => [schema.shape['detail-type'].value, schema]),
);

/** Every `detail-type` {@link parseEvent} accepts. */
export const DETAIL_TYPES: readonly FloeDetailType[] = FloeEventSchema.options.map(
  (schema) => schema.shape['detail-type'].value,
);

/**
 * Check an event (an object, or its JSON text) against its contract.
 *
 * Guarantees: the result matches the schema of its `detail-type`; anything
 * else throws {@link EventValidationError} (never retryable) whose message
 * names the detail-type and the key path, e.g.
 * `RawLanded: detail.totalRows: expected number, received string`.
 * Unknown detail-types are rejected, and so are events over EventBridge's 256 KiB, naming their
 * detail-type and size: `RawLanded: event is 300112 bytes, over EventBridge's limit …`. Only the
 * detail-type (cut to {@link SHOWN_DETAIL_TYPE_CHARS} characters) and key paths are quoted from
 * the event, never its values, so a rejected event cannot put its contents in a log line.
 */
export function parseEvent(raw: unknown): FloeEvent {
  const { value, bytes } = measure(raw);
  const detailType = isRecord(value) ? value['detail-type'] : undefined;
  if (bytes > MAX_EVENT_BYTES) {
    const named = typeof detailType === 'string' ? `${shown(detailType)}: event` : 'event';
    throw new EventValidationError(
      `${named} is ${bytes} bytes, over EventBridge's limit of ${MAX_EVENT_BYTES} bytes (256 KiB); ` +
        'put large data in S3 and send its location instead',
    );
  }
  if (typeof detailType !== 'string') {
    throw new EventValidationError('event has no "detail-type" string; is this an EventBridge event?');
  }
  const schema = SCHEMAS_BY_DETAIL_TYPE.get(detailType);
  if (schema === undefined) {
    throw new EventValidationError(
      `unknown detail-type "${shown(detailType)}"; floe handles ${DETAIL_TYPES.map((t) => `"${t}"`).join(', ')}`,
    );
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new EventValidationError(`${detailType}: ${describeIssues(result.error)}`, { cause: result.error });
  }
  return result.data;
}

/** The longest detail-type an error quotes whole; a longer (hostile) one is cut. */
export const SHOWN_DETAIL_TYPE_CHARS = 64;

function shown(detailType: string): string {
  return detailType.length > SHOWN_DETAIL_TYPE_CHARS ? `${detailType.slice(0, SHOWN_DETAIL_TYPE_CHARS)}…` : detailType;
}

function measure(raw: unknown): { value: unknown; bytes: number } {
  if (typeof raw === 'string') {
    const bytes = Buffer.byteLength(raw, 'utf8');
    try {
      return { value: JSON.parse(raw) as unknown, bytes };
    } catch (error) {
      if (bytes > MAX_EVENT_BYTES) return { value: undefined, bytes };
      throw new EventValidationError('event is not valid JSON', { cause: error });
    }
  }
  let text: string | undefined;
  try {
    text = JSON.stringify(raw);
  } catch (error) {
    throw new EventValidationError('event cannot be serialised to JSON', { cause: error });
  }
  return { value: raw, bytes: text === undefined ? 0 : Buffer.byteLength(text, 'utf8') };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
