/**
 * AWS Lambda entry for request-ingest (bundled by infra/, see HandlerFunction; called by API
 * Gateway's proxy integration for Snowflake's external function, infra/snowflake-entry.ts).
 *
 * Wires {@link createRequestIngest} to DynamoDB (state, and batches in the idempotency table) and
 * EventBridge. A malformed request is answered 400 by the handler; a failure of the state store or
 * the bus is answered 500 so Snowflake retries the batch (same batch id: what was published is
 * not published again).
 */
import type { Context } from 'aws-lambda';
import { coreAdapters, required, type CoreClients, type LambdaEnvironment } from '../lambda-environment.js';
import { DynamoDbBatchStore } from '../../../functions/request-ingest/batch-store.js';
import { createRequestIngest } from '../../../functions/request-ingest/handler.js';
import { BATCH_ID_HEADER, header, respond, type ProxyRequest, type ProxyResponse } from '../../../functions/request-ingest/wire-format.js';

const SERVICE = 'floe-request-ingest';

export type RequestIngestLambda = (event: unknown, context: Context) => Promise<ProxyResponse>;

function asProxyRequest(raw: unknown): ProxyRequest {
  if (typeof raw !== 'object' || raw === null) return {};
  const { httpMethod, headers, body, isBase64Encoded } = raw as Record<string, unknown>;
  const request: ProxyRequest = {};
  if (typeof httpMethod === 'string') request.httpMethod = httpMethod;
  if (typeof headers === 'object' && headers !== null) request.headers = headers as Record<string, string | undefined>;
  if (typeof body === 'string') request.body = body;
  if (isBase64Encoded === true) request.isBase64Encoded = true;
  return request;
}

/**
 * Builds the adapters from `env` (throwing a LambdaConfigError naming the first missing variable)
 * and returns the Lambda handler. Clients not given are created with the SDK's defaults.
 */
export function createLambdaHandler(env: LambdaEnvironment, clients: CoreClients = {}): RequestIngestLambda {
  const idempotencyTable = required(env, SERVICE, 'FLOE_IDEMPOTENCY_TABLE');
  const { logger, dynamodb, state, publisher } = coreAdapters(env, SERVICE, clients);
  const handle = createRequestIngest({ state, publisher, batches: new DynamoDbBatchStore(dynamodb, idempotencyTable) });

  return async (raw, context) => {
    logger.resetKeys();
    logger.addContext(context);
    const request = asProxyRequest(raw);
    logger.appendKeys({ batchId: header(request, BATCH_ID_HEADER), httpMethod: request.httpMethod });
    try {
      const response = await handle(request);
      if (response.statusCode >= 400) logger.warn('request refused', { statusCode: response.statusCode, body: response.body });
      else logger.info('answered', { statusCode: response.statusCode });
      return response;
    } catch (error) {
      logger.error('request-ingest failed', { error: error as Error });
      return respond(500, { error: `request-ingest failed: ${(error as Error).message ?? String(error)}; the call can be retried` });
    }
  };
}

let cached: RequestIngestLambda | undefined;

/** The Lambda entry: adapters are built on the first invocation and reused by the container. */
export async function handler(event: unknown, context: Context): Promise<ProxyResponse> {
  cached ??= createLambdaHandler(process.env);
  return await cached(event, context);
}
