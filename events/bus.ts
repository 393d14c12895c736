/**
 * Where floe's events travel.
 *
 * Two meanings of "source" meet here: the EventBridge `source` field says who
 * published an event (`floe.pipeline` for floe's own, `aws.glue` for Glue's),
 * while `detail.source` in every floe event names the source database
 * (its logical name from `floe.config.yaml`).
 */

/** Name of the custom EventBridge bus that carries the choreography. */
export const BUS_NAME = 'floe';

/** EventBridge `source` of every event floe publishes itself. */
export const FLOE_EVENT_SOURCE = 'floe.pipeline';

/** EventBridge `source` of AWS Glue's own events ("Glue Job State Change"). */
export const GLUE_EVENT_SOURCE = 'aws.glue';

/**
 * EventBridge refuses a PutEvents entry above 256 KiB; floe checks the same
 * limit locally so the in-process bus fails where AWS would.
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html
 */
export const MAX_EVENT_BYTES = 256 * 1024;
