/**
 * AWS Lambda entry for request-ingest (bundled by infra/, see HandlerFunction; called by API
 * Gateway's proxy integration for Snowflake's external function, infra/snowflake-entry.ts).
 *
 * Wires {@link createRequestIngest} to DynamoDB and EventBridge, built once per container from the
 * environment infra/floe-stack.ts gives this function. A malformed request is answered 400 by the
 * handler; a failure of the state store or the bus is answered 500 so Snowflake retries the batch
 * (same batch id: runs already recorded are not requested again).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Context } from 'aws-lambda';
import { EventBridgePublisher } from '../../runtime/eventbridge-publisher.js';
import type { Publisher } from '../../runtime/local-bus.js';
import { DynamoDbStateStore } from '../../state/dynamodb.js';
import { loggerFrom, required, stateTablesFrom, type LambdaEnvironment } from '../lambda-environment.js';
import { BATCH_ID_HEADER, createRequestIngest, type ProxyRequest, type ProxyResponse } from './handler.js';

const SERVICE = 'floe-request-ingest';

/** The SDK clients the entry uses; tests inject clients pointed at moto. */
export interface RequestIngestClients {
  dynamodb?: DynamoDBClient;
  eventbridge?: EventBridgeClient;
}


function asProxyRequest(raw: unknown): ProxyRequest {
  if (typeof raw !== 'object' || raw === null) return {};
  const { headers, body, isBase64Encoded } = raw as { headers?: unknown; body?: unknown; isBase64Encoded?: unknown };
  const request: ProxyRequest = {};
  if (typeof headers === 'object' && headers !== null) request.headers = headers as Record<string, string | undefined>;
  if (typeof body === 'string') request.body = body;
  if (isBase64Encoded === true) request.isBase64Encoded = true;
  return request;
}

/**
 * Builds the adapters from `env` (throwing a LambdaConfigError naming the first missing variable)
 * and returns the Lambda handler. Clients not given are created with the SDK's defaults.
 */
export function createLambdaHandler(
  env: LambdaEnvironment,
  clients: RequestIngestClients = {},
): (event: unknown, context?: Context) => Promise<ProxyResponse> {
  const busName = required(env, SERVICE, 'FLOE_BUS_NAME');
  const tables = stateTablesFrom(env, SERVICE);

  const logger = loggerFrom(env, SERVICE);
  const bus = new EventBridgePublisher({ client: clients.eventbridge ?? new EventBridgeClient({}), busName });
  const publisher: Publisher = {
    async publish(detailType, detail) {
      await bus.publish(detailType, detail);
      const { runId, source, table } = detail as { runId?: unknown; source?: unknown; table?: unknown };
      logger.info(`published ${detailType}`, { detailType, runId, source, table });
    },
  };
  const handle = createRequestIngest({
    state: new DynamoDbStateStore(clients.dynamodb ?? new DynamoDBClient({}), tables),
    publisher,
  });

  return async (raw, context) => {
    logger.resetKeys();
    if (context) logger.addContext(context);
    const request = asProxyRequest(raw);
    const batchId = Object.entries(request.headers ?? {}).find(([key]) => key.toLowerCase() === BATCH_ID_HEADER)?.[1];
    logger.appendKeys({ batchId });
    try {
      const response = await handle(request);
      if (response.statusCode >= 400) logger.warn('request refused', { statusCode: response.statusCode, body: response.body });
      else logger.info('answered', { statusCode: response.statusCode });
      return response;
    } catch (error) {
      logger.error('request-ingest failed', { error: error as Error });
      return {
        statusCode: 500,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ error: `request-ingest failed: ${(error as Error).message ?? String(error)}; the call can be retried` }),
      };
    }
  };
}

let cached: ((event: unknown, context?: Context) => Promise<ProxyResponse>) | undefined;

/** The Lambda entry: adapters are built on the first invocation and reused by the container. */
export async function handler(event: unknown, context?: Context): Promise<ProxyResponse> {
  cached ??= createLambdaHandler(process.env);
  return await cached(event, context);
}
