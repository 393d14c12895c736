/**
 * AWS Lambda entry for glue-finished (bundled by infra/, see HandlerFunction).
 *
 * Wires {@link createGlueFinished} to DynamoDB, S3 and EventBridge, built once per container from
 * the environment infra/floe-stack.ts gives this function, inside {@link createEventLambda}.
 */
import { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { S3RawStorage } from '../../../storage/s3.js';
import { createEventLambda, type EventLambda } from '../event-lambda.js';
import { coreAdapters, required, type CoreClients, type LambdaEnvironment } from '../lambda-environment.js';
import { createGlueFinished } from '../../../functions/glue-finished/handler.js';
import type { FloeEvent } from '../../../events/index.js';
import { releaseSlotsOfJobRun } from '../source-slots.js';

const SERVICE = 'floe-glue-finished';

/** The SDK clients the entry uses; tests inject clients pointed at moto. */
export interface GlueFinishedClients extends CoreClients {
  s3?: S3Client;
}

/**
 * Builds the adapters from `env` (throwing a LambdaConfigError naming the first missing variable)
 * and returns the Lambda handler. Clients not given are created with the SDK's defaults.
 */
export function createLambdaHandler(env: LambdaEnvironment, clients: GlueFinishedClients = {}): EventLambda {
  const rawRoot = required(env, SERVICE, 'FLOE_RAW_ROOT');
  const { logger, dynamodb, state, publisher } = coreAdapters(env, SERVICE, clients);
  const finish = createGlueFinished({
    state,
    publisher,
    raw: new S3RawStorage({ client: clients.s3 ?? new S3Client({}), root: rawRoot }),
  });
  const handle = async (event: FloeEvent): Promise<void> => {
    // The job run has ended, so its connections are closed: first of all, a waiting start may take them.
    await releaseSlotsOfJobRun(state, event);
    await finish(event);
  };
  return createEventLambda({ service: SERVICE, env, logger, dynamodb, handle });
}

let cached: EventLambda | undefined;

/** The Lambda entry: adapters are built on the first invocation and reused by the container. */
export async function handler(event: unknown, context: Context): Promise<void> {
  cached ??= createLambdaHandler(process.env);
  await cached(event, context);
}
