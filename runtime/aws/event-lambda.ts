/**
 * What every EventBridge-triggered Lambda entry does around its handler: parse the event with its
 * contract, drop a delivery already handled (Powertools idempotency on DynamoDB), log with the
 * run's keys, and let failures through so Lambda retries them and the DLQ catches the rest.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IdempotencyAlreadyInProgressError, IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';

import { parseEvent, type FloeEvent } from '../../events/index.js';
import { required, type LambdaEnvironment } from './lambda-environment.js';

/**
 * EventBridge redelivers an event with the same `id`; an archive replay keeps the id and adds
 * `replay-name`, and must run the step again. So both make the key.
 */
export const EVENT_DELIVERY_KEY = '[id, "replay-name"]';

/**
 * For IngestRequested: one per run, however many times it was published (request-ingest may
 * publish again after a failure), so one run never starts two Glue jobs.
 */
export const RUN_REQUEST_KEY = '[detail.runId, "replay-name"]';

/** Longer than any retry window (Lambda's maximum event age, 6 h), so a late retry still finds its record. */
export const IDEMPOTENCY_SECONDS = 24 * 60 * 60;

/** Lambda always passes a context: its remaining time bounds how long a crashed delivery blocks the key. */
export type EventLambda = (event: unknown, context: Context) => Promise<void>;

export interface EventLambdaOptions {
  service: string;
  env: LambdaEnvironment;
  logger: Logger;
  dynamodb: DynamoDBClient;
  handle: (event: FloeEvent) => Promise<void>;
}

/** Keys every log line of one event carries, so a person can follow one run or one Glue job run. */
export function keysOf(event: FloeEvent): Record<string, string> {
  const detail = event.detail as Record<string, unknown>;
  const keys: Record<string, string> = {};
  for (const name of ['runId', 'source', 'table', 'jobName', 'jobRunId'] as const) {
    const value = detail[name];
    if (typeof value === 'string') keys[name] = value;
  }
  return keys;
}

/**
 * Wraps `handle` as a Lambda handler. Guarantees: an event that breaks its contract is logged and
 * thrown as a non-retryable EventValidationError before anything is written (it ends in the DLQ);
 * the same delivery twice runs `handle` once, and a copy arriving while the first still runs is
 * dropped (the first's own retries cover its failure); a failure of `handle` is thrown (its
 * idempotency record is removed, so Lambda's retry runs it again).
 */
export function createEventLambda(options: EventLambdaOptions): EventLambda {
  const { logger, service } = options;
  const config = new IdempotencyConfig({ eventKeyJmesPath: EVENT_DELIVERY_KEY, expiresAfterSeconds: IDEMPOTENCY_SECONDS, throwOnNoIdempotencyKey: true });
  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName: required(options.env, service, 'FLOE_IDEMPOTENCY_TABLE'),
    awsSdkV3Client: options.dynamodb,
  });
  const handleOnce = makeIdempotent(
    async (_raw: unknown, event: FloeEvent): Promise<{ handled: string }> => {
      await options.handle(event);
      return { handled: event.id };
    },
    { persistenceStore, config },
  );

  return async (raw, context) => {
    logger.resetKeys();
    logger.addContext(context);
    config.registerLambdaContext(context);
    let event: FloeEvent;
    try {
      event = parseEvent(raw);
    } catch (error) {
      // The message names the detail-type and key path; the ZodError cause would only repeat it.
      logger.error('invalid event', { errorName: (error as Error).name, errorMessage: (error as Error).message });
      throw error;
    }
    logger.appendKeys(keysOf(event));
    logger.info('handling event', { detailType: event['detail-type'], eventId: event.id });
    try {
      await handleOnce(raw, event);
    } catch (error) {
      if (error instanceof IdempotencyAlreadyInProgressError) {
        logger.info('dropped: the same event is being handled by another invocation');
        return;
      }
      logger.error(`${service} failed`, { error: error as Error });
      throw error;
    }
    logger.info('handled event');
  };
}
