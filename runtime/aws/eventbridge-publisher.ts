import { randomUUID } from 'node:crypto';
import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';

import { BUS_NAME, FLOE_EVENT_SOURCE, parseEvent } from '../../events/index.js';
import type { DetailOf, PublishedDetailType, Publisher } from '../../pipeline/index.js';
import { FloeError } from '../../errors/floe-error.js';

/**
 * The entry error codes EventBridge documents as retryable; every other code (access denied, a
 * source or detail-type the caller may not publish, a malformed detail) fails the same way again.
 * @see https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEventsResultEntry.html
 */
const RETRYABLE_ENTRY_ERRORS: ReadonlySet<string> = new Set(['InternalFailure', 'ThrottlingException']);

/** EventBridge accepted the request but refused the entry: retryable only for the codes it says so of. */
export class PublishError extends FloeError {
  override readonly name = 'PublishError';

  constructor(message: string, retryable: boolean) {
    super(message, { retryable });
  }
}

export interface EventBridgePublisherOptions {
  client: EventBridgeClient;
  /** Defaults to {@link BUS_NAME}. */
  busName?: string;
  now?: () => Date;
}

/**
 * Publishes floe's events on the EventBridge bus: the AWS twin of {@link LocalBus.publish}.
 * Guarantees: an event that breaks its contract is never sent (it throws EventValidationError,
 * not retryable, before any request); an entry EventBridge refuses throws {@link PublishError}.
 */
export class EventBridgePublisher implements Publisher {
  private readonly client: EventBridgeClient;
  private readonly busName: string;
  private readonly now: () => Date;

  constructor(options: EventBridgePublisherOptions) {
    this.client = options.client;
    this.busName = options.busName ?? BUS_NAME;
    this.now = options.now ?? (() => new Date());
  }

  async publish<T extends PublishedDetailType>(detailType: T, detail: DetailOf<T>): Promise<void> {
    // The same check the local bus makes, on the envelope EventBridge will build around the detail.
    parseEvent({
      version: '0',
      id: randomUUID(),
      'detail-type': detailType,
      source: FLOE_EVENT_SOURCE,
      account: '',
      time: this.now().toISOString(),
      region: '',
      resources: [],
      detail,
    });
    const output = await this.client.send(
      new PutEventsCommand({
        Entries: [{ EventBusName: this.busName, Source: FLOE_EVENT_SOURCE, DetailType: detailType, Detail: JSON.stringify(detail) }],
      }),
    );
    if ((output.FailedEntryCount ?? 0) > 0) {
      const failed = output.Entries?.find((entry) => entry.ErrorCode !== undefined);
      const runId = (detail as { runId?: unknown }).runId;
      // An entry refused without a code is taken as transient: retrying costs one more call.
      const retryable = failed?.ErrorCode === undefined || RETRYABLE_ENTRY_ERRORS.has(failed.ErrorCode);
      throw new PublishError(
        `EventBridge refused ${detailType}${typeof runId === 'string' ? ` of run ${runId}` : ''} on bus "${this.busName}": ` +
          `${failed?.ErrorCode ?? 'unknown error'}${failed?.ErrorMessage ? ` (${failed.ErrorMessage})` : ''}; ` +
          (retryable ? 'it can be retried' : 'retrying cannot help: check the function\'s permission to publish it'),
        retryable,
      );
    }
  }
}
