/**
 * AWS Lambda entry for check-after-merge (bundled by infra/, see HandlerFunction).
 *
 * Wires {@link createCheckAfterMerge} to DynamoDB and EventBridge inside {@link createEventLambda}.
 * Its own Lambda rather than a step of load-and-merge or build-gold: a check that fails or runs
 * long must neither fail nor delay a run that has already merged, nor hold back gold; and it alone
 * would need the sources' network and secrets, which the warehouse steps must not get.
 *
 * Not built yet: reaching the sources from Lambda (floe check compares a source with DuckDB or
 * Snowflake staging from one machine). So every check here publishes CheckCompleted with status
 * `failed` saying so, for tables configured `check: after-merge`, and the function is granted
 * nothing beyond state and the bus. Assumption for when it is built: the function runs in the
 * sources' VPC (subnets and a security group the source admits), resolves `secretsmanager:`
 * connections as start-ingest's job does, and is granted GetSecretValue on those secrets only.
 */
import type { Context } from 'aws-lambda';
import { CheckError } from '../../../check/check-error.js';
import { createEventLambda, type EventLambda } from '../event-lambda.js';
import { coreAdapters, type CoreClients, type LambdaEnvironment } from '../lambda-environment.js';
import { createCheckAfterMerge } from '../../../functions/check-after-merge/handler.js';
import type { TableChecker } from '../../../pipeline/index.js';

const SERVICE = 'floe-check-after-merge';

/** The check this deployment can run, so far: none (see above). */
const notBuiltOnAws: TableChecker = async ({ source, table }) => {
  throw new CheckError(
    `table ${source}/${table}: the automatic check does not run on AWS yet (the check Lambda cannot reach the sources); ` +
      'run floe check from a machine that reaches the source and the warehouse, or remove check: after-merge',
  );
};

/** Builds the adapters from `env` and returns the Lambda handler; tests inject clients pointed at moto. */
export function createLambdaHandler(env: LambdaEnvironment, clients: CoreClients = {}, check: TableChecker = notBuiltOnAws): EventLambda {
  const { logger, dynamodb, state, publisher } = coreAdapters(env, SERVICE, clients);
  const handle = createCheckAfterMerge({ state, publisher, check });
  return createEventLambda({ service: SERVICE, env, logger, dynamodb, handle });
}

let cached: EventLambda | undefined;

/** The Lambda entry: adapters are built on the first invocation and reused by the container. */
export async function handler(event: unknown, context: Context): Promise<void> {
  cached ??= createLambdaHandler(process.env);
  await cached(event, context);
}
