/**
 * AWS Lambda entry for start-ingest (bundled by infra/, see HandlerFunction).
 *
 * Wires {@link createStartIngest} to the AWS adapters, built once per container from the
 * environment infra/floe-stack.ts gives this function. An event that breaks its contract is
 * logged and thrown as a non-retryable EventValidationError (it ends in the DLQ); errors the
 * handler lets through (the state store, the bus) are thrown so Lambda retries them.
 * The connection (`secretsmanager:<arn>`) is never logged.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GlueClient } from '@aws-sdk/client-glue';
import type { Context } from 'aws-lambda';
import { parseEvent, type FloeEvent } from '../../events/index.js';
import { EventBridgePublisher } from '../../runtime/eventbridge-publisher.js';
import type { Publisher } from '../../runtime/local-bus.js';
import { GlueJobStarter } from '../../runtime/glue-job-starter.js';
import { DynamoDbStateStore } from '../../state/dynamodb.js';
import { LambdaConfigError, loggerFrom, required, stateTablesFrom, type LambdaEnvironment } from '../lambda-environment.js';
import { createStartIngest } from './handler.js';

/** How long a run holds its table's lease before another run may take it (the local runtime's value). */
const LEASE_TTL_MS = 6 * 60 * 60 * 1000;
const SERVICE = 'floe-start-ingest';

/** The SDK clients the entry uses; tests inject clients pointed at moto. */
export interface StartIngestClients {
  dynamodb?: DynamoDBClient;
  eventbridge?: EventBridgeClient;
  glue?: GlueClient;
}


/** FLOE_SOURCE_SECRETS: `{"<source>": "<secret ARN>"}`. */
function parseSourceSecrets(text: string): ReadonlyMap<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch (error) {
    throw new LambdaConfigError(`${SERVICE}: FLOE_SOURCE_SECRETS is not valid JSON`, { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new LambdaConfigError(`${SERVICE}: FLOE_SOURCE_SECRETS must be a JSON object {"<source>": "<secret ARN>"}`);
  }
  const secrets = new Map<string, string>();
  for (const [source, arn] of Object.entries(parsed)) {
    if (typeof arn !== 'string' || arn === '') throw new LambdaConfigError(`${SERVICE}: FLOE_SOURCE_SECRETS["${source}"] must be a non-empty secret ARN`);
    secrets.set(source, arn);
  }
  return secrets;
}

/** No secret for the source: the run fails (the handler's failure path), retrying will not help. */
class UnknownSourceError extends Error {
  override readonly name = 'UnknownSourceError';
  readonly retryable = false;
}

/**
 * Builds the adapters from `env` (throwing a LambdaConfigError naming the first missing variable)
 * and returns the Lambda handler. Clients not given are created with the SDK's defaults.
 */
export function createLambdaHandler(
  env: LambdaEnvironment,
  clients: StartIngestClients = {},
): (event: unknown, context?: Context) => Promise<void> {
  const busName = required(env, SERVICE, 'FLOE_BUS_NAME');
  const rawRoot = required(env, SERVICE, 'FLOE_RAW_ROOT');
  const tables = stateTablesFrom(env, SERVICE);
  const jobName = required(env, SERVICE, 'FLOE_GLUE_JOB_NAME');
  const secrets = parseSourceSecrets(required(env, SERVICE, 'FLOE_SOURCE_SECRETS'));

  const logger = loggerFrom(env, SERVICE);
  const bus = new EventBridgePublisher({ client: clients.eventbridge ?? new EventBridgeClient({}), busName });
  // Every event the handler publishes is logged (GlueStarted, IngestFailed); details never hold the connection.
  const publisher: Publisher = {
    async publish(detailType, detail) {
      await bus.publish(detailType, detail);
      const { error, jobRunId } = detail as { error?: unknown; jobRunId?: unknown };
      if (detailType === 'IngestFailed') logger.warn('published IngestFailed', { detailType, reason: error });
      else logger.info(`published ${detailType}`, { detailType, jobRunId });
    },
  };
  const handle = createStartIngest({
    state: new DynamoDbStateStore(clients.dynamodb ?? new DynamoDBClient({}), tables),
    publisher,
    jobs: new GlueJobStarter({ client: clients.glue ?? new GlueClient({}), jobName }),
    rawRoot,
    connectionFor: (source) => {
      const arn = secrets.get(source);
      if (arn === undefined) {
        throw new UnknownSourceError(`source ${source} has no secret in FLOE_SOURCE_SECRETS; add it to context floe:sourceSecrets and redeploy`);
      }
      return `secretsmanager:${arn}`;
    },
    leaseTtlMs: LEASE_TTL_MS,
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
    if (event['detail-type'] === 'IngestRequested') {
      const { runId, source, table } = event.detail;
      logger.appendKeys({ runId, source, table });
    }
    logger.info('handling event', { detailType: event['detail-type'], eventId: event.id });
    try {
      await handle(event);
    } catch (error) {
      logger.error('start-ingest failed', { error: error as Error });
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
