/**
 * AWS Lambda entry for glue-finished (bundled by infra/, see HandlerFunction).
 *
 * Wires {@link createGlueFinished} to the AWS adapters, built once per container from the
 * environment infra/floe-stack.ts gives this function. An event that breaks its contract is
 * logged and thrown as a non-retryable EventValidationError (it ends in the DLQ); errors the
 * handler lets through (the state store, the bus) are thrown so Lambda retries them.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { parseEvent, type FloeEvent } from '../../events/index.js';
import { EventBridgePublisher } from '../../runtime/eventbridge-publisher.js';
import type { Publisher } from '../../runtime/local-bus.js';
import { DynamoDbStateStore } from '../../state/dynamodb.js';
import { S3RawStorage } from '../../storage/s3.js';
import { loggerFrom, required, stateTablesFrom, type LambdaEnvironment } from '../lambda-environment.js';
import { createGlueFinished } from './handler.js';

const SERVICE = 'floe-glue-finished';

/** The SDK clients the entry uses; tests inject clients pointed at moto. */
export interface GlueFinishedClients {
  dynamodb?: DynamoDBClient;
  eventbridge?: EventBridgeClient;
  s3?: S3Client;
}


/**
 * Builds the adapters from `env` (throwing a LambdaConfigError naming the first missing variable)
 * and returns the Lambda handler. Clients not given are created with the SDK's defaults.
 */
export function createLambdaHandler(
  env: LambdaEnvironment,
  clients: GlueFinishedClients = {},
): (event: unknown, context?: Context) => Promise<void> {
  const busName = required(env, SERVICE, 'FLOE_BUS_NAME');
  const rawRoot = required(env, SERVICE, 'FLOE_RAW_ROOT');
  const tables = stateTablesFrom(env, SERVICE);

  const logger = loggerFrom(env, SERVICE);
  const bus = new EventBridgePublisher({ client: clients.eventbridge ?? new EventBridgeClient({}), busName });
  // The Glue event names only the job run; the run it belongs to is known once the handler publishes.
  const publisher: Publisher = {
    async publish(detailType, detail) {
      await bus.publish(detailType, detail);
      const { runId, source, table, error, totalRows, manifestUrl } = detail as Record<string, unknown>;
      logger.appendKeys({ runId: String(runId), source: String(source), table: String(table) });
      if (detailType === 'IngestFailed') logger.warn('published IngestFailed', { detailType, reason: error });
      else logger.info(`published ${detailType}`, { detailType, totalRows, manifestUrl });
    },
  };
  const handle = createGlueFinished({
    state: new DynamoDbStateStore(clients.dynamodb ?? new DynamoDBClient({}), tables),
    publisher,
    raw: new S3RawStorage({ client: clients.s3 ?? new S3Client({}), root: rawRoot }),
  });

  return async (raw, context) => {
    logger.resetKeys();
    if (context) logger.addContext(context);
    let event: FloeEvent;
    try {
      event = parseEvent(raw);
    } catch (error) {
      // EventValidationError: never retryable, so Lambda's retries end in the DLQ.
      // The message names the detail-type and key path; the ZodError cause would only repeat it.
      logger.error('invalid event', { errorName: (error as Error).name, errorMessage: (error as Error).message });
      throw error;
    }
    if (event['detail-type'] === 'Glue Job State Change') {
      const { jobName, jobRunId, state } = event.detail;
      logger.appendKeys({ jobName, jobRunId, jobState: state });
    }
    logger.info('handling event', { detailType: event['detail-type'], eventId: event.id });
    try {
      await handle(event);
    } catch (error) {
      logger.error('glue-finished failed', { error: error as Error });
      throw error;
    }
    logger.info('handled event');
  };
}

let cached: ((event: unknown, context?: Context) => Promise<void>) | undefined;

/** The Lambda entry: adapters are built on the first invocation and reused by the container. */
export async function handler(event: unknown, context?: Context): Promise<void> {
  cached ??= createLambdaHandler(process.env);
  await cached(event, context);
}
