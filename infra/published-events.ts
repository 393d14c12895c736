import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import {
  CHECK_COMPLETED, EVENT_REFUSED, FLOE_EVENT_SOURCE, GLUE_STARTED, GOLD_BUILT, INGEST_FAILED, INGEST_REQUESTED, RAW_LANDED, STAGE_MERGED,
  type HandlerName,
} from '../events/index.js';

/** Every Lambda that publishes on the bus: the routed handlers, the end of spent retries, and Snowflake's entry. */
export type PublisherName = HandlerName | 'retries-exhausted' | 'request-ingest';

/** What any routed handler may publish besides its own events: the refusal of an event it will not act on (refuse-event.ts). */
const EVERY_HANDLER = [EVENT_REFUSED] as const;

/**
 * The detail-types each function publishes, and so the only ones its role may put on the bus.
 * request-ingest, the one function reachable from outside AWS, may publish IngestRequested only.
 * test/infra/published-events.test.ts reads each function's code and fails when it publishes a
 * type missing here.
 */
export const PUBLISHED_DETAIL_TYPES: Readonly<Record<PublisherName, readonly string[]>> = {
  'request-ingest': [INGEST_REQUESTED],
  'start-ingest': [GLUE_STARTED, INGEST_FAILED, ...EVERY_HANDLER],
  'glue-finished': [RAW_LANDED, INGEST_FAILED, ...EVERY_HANDLER],
  'load-and-merge': [STAGE_MERGED, INGEST_FAILED, ...EVERY_HANDLER],
  'build-gold': [GOLD_BUILT, INGEST_FAILED, ...EVERY_HANDLER],
  'check-after-merge': [CHECK_COMPLETED, ...EVERY_HANDLER],
  'retries-exhausted': [INGEST_FAILED],
};

/**
 * Lets `grantee` put on `bus` only events with floe's source and one of `detailTypes`.
 *
 * EventBridge authorizes each PutEvents entry on its own against `events:source` and
 * `events:detail-type` (values of one key are alternatives); an entry outside them fails alone,
 * with `NotAuthorizedForSourceException` or `NotAuthorizedForDetailTypeException`, while the
 * request's other entries go through. floe's publisher sends one entry per call, so a refused type
 * fails exactly the publish that asked for it.
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-conditions.html
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridge.html
 * @see https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEventsResultEntry.html
 */
export function grantPublishing(bus: { readonly eventBusArn: string }, grantee: IGrantable, detailTypes: readonly string[]): void {
  if (detailTypes.length === 0) throw new Error('grantPublishing needs at least one detail-type (an empty list would grant every type)');
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['events:PutEvents'],
      resources: [bus.eventBusArn],
      conditions: {
        StringEquals: { 'events:source': FLOE_EVENT_SOURCE, 'events:detail-type': [...detailTypes] },
      },
    }),
  );
}
