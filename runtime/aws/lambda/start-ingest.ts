/**
 * AWS Lambda entry for start-ingest (bundled by infra/, see HandlerFunction).
 *
 * Wires {@link createStartIngest} to the AWS adapters, built once per container from the
 * environment infra/floe-stack.ts gives this function, inside {@link createEventLambda}.
 * The connection (`secretsmanager:<arn>`) is never logged.
 */
import { GlueClient } from '@aws-sdk/client-glue';
import type { Context } from 'aws-lambda';
import { GlueJobStarter } from '../glue-job-starter.js';
import { createEventLambda, RUN_REQUEST_KEY, type EventLambda } from '../event-lambda.js';
import { coreAdapters, LambdaConfigError, required, type CoreClients, type LambdaEnvironment } from '../lambda-environment.js';
import { createStartIngest } from '../../../functions/start-ingest/handler.js';
import { LEASE_TTL_MS } from '../../../pipeline/index.js';

const SERVICE = 'floe-start-ingest';

/** The SDK clients the entry uses; tests inject clients pointed at moto. */
export interface StartIngestClients extends CoreClients {
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
export function createLambdaHandler(env: LambdaEnvironment, clients: StartIngestClients = {}): EventLambda {
  const rawRoot = required(env, SERVICE, 'FLOE_RAW_ROOT');
  const jobName = required(env, SERVICE, 'FLOE_GLUE_JOB_NAME');
  const secrets = parseSourceSecrets(required(env, SERVICE, 'FLOE_SOURCE_SECRETS'));
  const { logger, dynamodb, state, publisher } = coreAdapters(env, SERVICE, clients);
  const handle = createStartIngest({
    state,
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
  return createEventLambda({ service: SERVICE, env, logger, dynamodb, handle, idempotencyKey: RUN_REQUEST_KEY });
}

let cached: EventLambda | undefined;

/** The Lambda entry: adapters are built on the first invocation and reused by the container. */
export async function handler(event: unknown, context: Context): Promise<void> {
  cached ??= createLambdaHandler(process.env);
  await cached(event, context);
}
