/**
 * AWS Lambda entry for load-and-merge (bundled by infra/, see HandlerFunction).
 *
 * Wires {@link createLoadAndMerge} to DynamoDB, S3, EventBridge and the warehouse (Snowflake,
 * from the environment; see warehouseFromEnvironment), inside {@link createEventLambda}. The
 * warehouse connection is opened on the first event and kept by the container.
 */
import { S3Client } from '@aws-sdk/client-s3';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import type { RawStorage } from '../../../storage/raw-storage.js';
import { S3RawStorage } from '../../../storage/s3.js';
import { createEventLambda, type EventLambda } from '../event-lambda.js';
import { coreAdapters, required, type CoreClients, type LambdaEnvironment } from '../lambda-environment.js';
import { InvocationDeadline, lazyWarehouse, warehouseFromEnvironment, type OpenWarehouse } from '../warehouse-from-env.js';
import { createLoadAndMerge } from '../../../functions/load-and-merge/handler.js';

const SERVICE = 'floe-load-and-merge';

/** What the entry uses; tests inject clients pointed at moto and a local warehouse. */
export interface LoadAndMergeClients extends CoreClients {
  s3?: S3Client;
  /** Where the raw files are read from; defaults to S3 at FLOE_RAW_ROOT. */
  raw?: RawStorage;
  /** Reads the Snowflake credentials' secret (FLOE_SNOWFLAKE_SECRET_ARN). */
  secretsmanager?: SecretsManagerClient;
  /** Instead of Snowflake from the environment: tests give a local warehouse. */
  openWarehouse?: OpenWarehouse;
}

/**
 * Builds the adapters from `env` (throwing a LambdaConfigError naming the first missing variable)
 * and returns the Lambda handler. Clients not given are created with the SDK's defaults.
 */
export function createLambdaHandler(env: LambdaEnvironment, clients: LoadAndMergeClients = {}): EventLambda {
  const rawRoot = required(env, SERVICE, 'FLOE_RAW_ROOT');
  const { logger, dynamodb, state, publisher } = coreAdapters(env, SERVICE, clients);
  const raw = clients.raw ?? new S3RawStorage({ client: clients.s3 ?? new S3Client({}), root: rawRoot });
  const deadline = new InvocationDeadline();
  const warehouse = lazyWarehouse(clients.openWarehouse ?? warehouseFromEnvironment(env, clients.secretsmanager, deadline.get));
  const handle = createLoadAndMerge({ state, publisher, raw, warehouse });
  const lambda = createEventLambda({ service: SERVICE, env, logger, dynamodb, handle });
  return (event, context) => deadline.during(context, () => lambda(event, context));
}

let cached: EventLambda | undefined;

/** The Lambda entry: adapters are built on the first invocation and reused by the container. */
export async function handler(event: unknown, context: Context): Promise<void> {
  cached ??= createLambdaHandler(process.env);
  await cached(event, context);
}
