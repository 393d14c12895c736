/**
 * AWS Lambda entry for build-gold (bundled by infra/, see HandlerFunction).
 *
 * Wires {@link createBuildGold} to DynamoDB, EventBridge and the warehouse (Snowflake, from the
 * environment; see warehouseFromEnvironment), inside {@link createEventLambda}. The gold models
 * travel with the function: infra/ copies `sql/gold/` into the bundle, at FLOE_GOLD_DIR.
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { createEventLambda, type EventLambda } from '../event-lambda.js';
import { coreAdapters, required, type CoreClients, type LambdaEnvironment } from '../lambda-environment.js';
import { InvocationDeadline, lazyWarehouse, warehouseFromEnvironment, type OpenWarehouse } from '../warehouse-from-env.js';
import { createBuildGold } from '../../../functions/build-gold/handler.js';

const SERVICE = 'floe-build-gold';

/** What the entry uses; tests inject clients pointed at moto and a local warehouse. */
export interface BuildGoldClients extends CoreClients {
  /** Reads the Snowflake credentials' secret (FLOE_SNOWFLAKE_SECRET_ARN). */
  secretsmanager?: SecretsManagerClient;
  /** Instead of Snowflake from the environment: tests give a local warehouse. */
  openWarehouse?: OpenWarehouse;
}

/**
 * Builds the adapters from `env` (throwing a LambdaConfigError naming the first missing variable)
 * and returns the Lambda handler. Clients not given are created with the SDK's defaults.
 */
export function createLambdaHandler(env: LambdaEnvironment, clients: BuildGoldClients = {}): EventLambda {
  const goldDir = required(env, SERVICE, 'FLOE_GOLD_DIR');
  const { logger, dynamodb, state, publisher } = coreAdapters(env, SERVICE, clients);
  const deadline = new InvocationDeadline();
  const warehouse = lazyWarehouse(clients.openWarehouse ?? warehouseFromEnvironment(env, clients.secretsmanager, deadline.get));
  const handle = createBuildGold({ state, publisher, warehouse, goldDir });
  const lambda = createEventLambda({ service: SERVICE, env, logger, dynamodb, handle });
  return (event, context) => deadline.during(context, () => lambda(event, context));
}

let cached: EventLambda | undefined;

/** The Lambda entry: adapters are built on the first invocation and reused by the container. */
export async function handler(event: unknown, context: Context): Promise<void> {
  cached ??= createLambdaHandler(process.env);
  await cached(event, context);
}
