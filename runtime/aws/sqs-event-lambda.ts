/**
 * What a Lambda entry fed by an SQS queue of floe events does around its handler, the batch twin
 * of event-lambda.ts: each record is decoded and parsed with its event's contract, each event is
 * handled at most once (Powertools idempotency on DynamoDB, one record per event, as
 * {@link createEventLambda} keeps), the events not handled before go to the handler together, and
 * the records that failed are named in a partial batch response, so Lambda deletes the others and
 * only the failed ones come back after the queue's visibility timeout.
 *
 * The event source mapping must report batch item failures (`ReportBatchItemFailures`); without
 * it Lambda ignores the response and treats the batch as a success.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html#services-sqs-batchfailurereporting
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IdempotencyAlreadyInProgressError, IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

import { messageOf } from '../../errors/floe-error.js';
import type { FloeEvent } from '../../events/index.js';
import { IDEMPOTENCY_SECONDS, keysOf } from './event-lambda.js';
import { required, type LambdaEnvironment } from './lambda-environment.js';

/** One record, decoded: its event, and what its idempotency key is read from. */
export interface SqsDelivery {
  /** The record's `messageId`: what a partial batch response names. */
  readonly messageId: string;
  readonly event: FloeEvent;
  /** The JSON the idempotency key's JMESPath reads (the event as the bus delivered it, perhaps with more). */
  readonly payload: unknown;
  /** JMESPath over `payload`: the same key, the same effect (event-lambda.ts's keys). */
  readonly idempotencyKey: string;
}

/** A delivery the handler could not finish, and why. */
export interface DeliveryFailure<D extends SqsDelivery> {
  delivery: D;
  error: unknown;
}

export interface SqsEventLambdaOptions<D extends SqsDelivery> {
  service: string;
  env: LambdaEnvironment;
  logger: Logger;
  dynamodb: DynamoDBClient;
  /** A record → its delivery; throws, naming what is wrong, for a record that is not one. */
  decode: (record: SQSRecord) => D;
  /** The deliveries not handled before, together → those that failed. */
  handle: (deliveries: readonly D[]) => Promise<DeliveryFailure<D>[]>;
}

export type SqsEventLambda = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/** How a delivery ended: null when it was handled, else why not. */
type Outcome = { error: unknown } | null;

/** A delivery waiting, inside its idempotency record, for the batch it is part of. */
interface Entered<D> {
  delivery: D;
  /** The record's place in the batch: the handler gets the deliveries in the queue's order. */
  index: number;
  finish: (outcome: Outcome) => void;
}

/**
 * Wraps `handle` as an SQS-triggered Lambda handler. Guarantees: a record that cannot be decoded
 * fails alone, logged with its messageId and what is wrong; an event already handled is not
 * handled again, and one being handled by another invocation is dropped (its own retries cover
 * it); the others reach `handle` in one call; a delivery `handle` reports failed has its
 * idempotency record removed (so its retry runs it again) and is named in `batchItemFailures`.
 */
export function createSqsEventLambda<D extends SqsDelivery>(options: SqsEventLambdaOptions<D>): SqsEventLambda {
  const { logger, service } = options;
  const onceByKey = new Map<string, { config: IdempotencyConfig; once: (payload: unknown, entered: (finish: Entered<D>['finish']) => void) => Promise<unknown> }>();
  const onceFor = (idempotencyKey: string) => {
    let found = onceByKey.get(idempotencyKey);
    if (found === undefined) {
      const config = new IdempotencyConfig({ eventKeyJmesPath: idempotencyKey, expiresAfterSeconds: IDEMPOTENCY_SECONDS, throwOnNoIdempotencyKey: true });
      // One persistence layer per key: Powertools configures a layer once, with the first config it is given.
      const persistenceStore = new DynamoDBPersistenceLayer({ tableName: required(options.env, service, 'FLOE_IDEMPOTENCY_TABLE'), awsSdkV3Client: options.dynamodb });
      const once = makeIdempotent(
        (_payload: unknown, entered: (finish: Entered<D>['finish']) => void) => new Promise((resolve, reject) => {
          entered((outcome) => (outcome === null ? resolve({ handled: true }) : reject(outcome.error as Error)));
        }),
        { persistenceStore, config },
      );
      found = { config, once };
      onceByKey.set(idempotencyKey, found);
    }
    return found;
  };

  return async (event, context) => {
    logger.addContext(context);
    const failed: { itemIdentifier: string }[] = [];
    const deliveries: D[] = [];
    for (const record of event.Records) {
      try {
        deliveries.push(options.decode(record));
      } catch (error) {
        // The message names the key path; the record's body may hold anything, so it is not logged.
        logger.error('invalid record', { messageId: record.messageId, errorName: (error as Error).name, errorMessage: messageOf(error) });
        failed.push({ itemIdentifier: record.messageId });
      }
    }
    const entered: Entered<D>[] = [];
    const runs = deliveries.map((delivery, index) => {
      const { config, once } = onceFor(delivery.idempotencyKey);
      config.registerLambdaContext(context);
      let arrived!: () => void;
      const arrival = new Promise<void>((resolve) => (arrived = resolve));
      const done = once(delivery.payload, (finish) => {
        entered.push({ delivery, index, finish });
        arrived();
      });
      // Each delivery either enters (its idempotency record taken) or settles without entering (handled before, or in progress).
      return { delivery, done, ready: Promise.race([arrival, done.then(() => undefined, () => undefined)]) };
    });
    await Promise.all(runs.map((run) => run.ready));
    logger.info('handling events', { records: event.Records.length, new: entered.length });
    await handleEntered(options, entered.sort((a, b) => a.index - b.index));
    for (const { delivery, done } of runs) {
      const keys = { ...keysOf(delivery.event), messageId: delivery.messageId };
      try {
        await done;
      } catch (error) {
        if (error instanceof IdempotencyAlreadyInProgressError) {
          // Reported failed, not dropped: SQS may have given this message to two invocations, and a
          // deleted message could not be retried should the other one fail it. Its next delivery
          // finds the event handled, or handles it.
          // (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteMessage.html)
          logger.info('left for later: the same event is being handled by another invocation', keys);
          failed.push({ itemIdentifier: delivery.messageId });
          continue;
        }
        logger.error(`${service} failed`, { ...keys, error: error as Error });
        failed.push({ itemIdentifier: delivery.messageId });
      }
    }
    return { batchItemFailures: failed };
  };
}

/** Hands the entered deliveries to the handler at once, and ends each one's wait with its outcome. */
async function handleEntered<D extends SqsDelivery>(options: SqsEventLambdaOptions<D>, entered: readonly Entered<D>[]): Promise<void> {
  if (entered.length === 0) return;
  let failures: DeliveryFailure<D>[];
  try {
    failures = await options.handle(entered.map((one) => one.delivery));
  } catch (error) {
    failures = entered.map((one) => ({ delivery: one.delivery, error }));
  }
  const outcomes = new Map(failures.map((failure) => [failure.delivery, { error: failure.error }]));
  for (const one of entered) one.finish(outcomes.get(one.delivery) ?? null);
}
