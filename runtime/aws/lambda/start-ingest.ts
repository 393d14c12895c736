/**
 * AWS Lambda entry for start-ingest (bundled by infra/, see HandlerFunction).
 *
 * Wires {@link createStartIngest} to the AWS adapters, built once per container from the
 * environment infra/floe-stack.ts gives this function, inside {@link createEventLambda}.
 * The connection (`secretsmanager:<arn>`) is never logged.
 *
 * A start Glue refuses for its limit of concurrent runs is not a failure: the event goes to the
 * start-later queue (FLOE_START_LATER_QUEUE_URL, runtime/aws/start-later.ts) and comes back to
 * this function from there, as an SQS record, after a delay that doubles each time.
 */
import { GlueClient } from '@aws-sdk/client-glue';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import { GlueJobStarter } from '../glue-job-starter.js';
import { recordedSizer } from '../recorded-sizer.js';
import { createEventLambda, RUN_REQUEST_KEY, type EventLambda } from '../event-lambda.js';
import { coreAdapters, LambdaConfigError, required, type CoreClients, type LambdaEnvironment } from '../lambda-environment.js';
import { SourceSlotsJobStarter } from '../source-slots.js';
import { isConcurrencyLimit, StartLater, StartLaterMessageSchema } from '../start-later.js';
import { createStartIngest } from '../../../functions/start-ingest/handler.js';
import { createRetriesExhausted } from '../../../functions/retries-exhausted/handler.js';
import { FloeError } from '../../../errors/floe-error.js';
import { LEASE_TTL_MS } from '../../../pipeline/index.js';
import type { FloeEvent } from '../../../events/index.js';
import { S3RawStorage } from '../../../storage/s3.js';

const SERVICE = 'floe-start-ingest';

/** The SDK clients the entry uses; tests inject clients pointed at moto. */
export interface StartIngestClients extends CoreClients {
  glue?: GlueClient;
  sqs?: SQSClient;
  /** Writes a job run's batch of tables under FLOE_RAW_ROOT (`_batches/`). */
  s3?: S3Client;
}

/**
 * The key of a delivery from the start-later queue: the run and the attempt, so each attempt runs
 * once (SQS may deliver a message twice) while the first delivery's key stays spent.
 */
export const START_LATER_KEY = '[detail.runId, "replay-name", "floe-start-attempt"]';

/** FLOE_SOURCE_SECRETS: `{"<source>": "<secret ARN>[?host=…&port=…&dbname=…]"}` (infra/source-secrets.ts). */
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
class UnknownSourceError extends FloeError {
  override readonly name = 'UnknownSourceError';
}

/**
 * Builds the adapters from `env` (throwing a LambdaConfigError naming the first missing variable)
 * and returns the Lambda handler. Clients not given are created with the SDK's defaults.
 */
export function createLambdaHandler(env: LambdaEnvironment, clients: StartIngestClients = {}): EventLambda {
  const rawRoot = required(env, SERVICE, 'FLOE_RAW_ROOT');
  const jobName = required(env, SERVICE, 'FLOE_GLUE_JOB_NAME');
  // The Spark job (infra/spark-extraction-job.ts); a stack without one leaves Spark tables unable to start, saying so.
  const sparkJobName = env['FLOE_GLUE_SPARK_JOB_NAME'];
  const secrets = parseSourceSecrets(required(env, SERVICE, 'FLOE_SOURCE_SECRETS'));
  const { logger, dynamodb, state, publisher } = coreAdapters(env, SERVICE, clients);
  const start = createStartIngest({
    state,
    publisher,
    // Each job run holds its share of the source's maxConnections (source-slots.ts); none free, it waits in the start-later queue.
    jobs: new SourceSlotsJobStarter(new GlueJobStarter({ client: clients.glue ?? new GlueClient({}), jobName }), state),
    ...(sparkJobName ? { sparkJobs: new SourceSlotsJobStarter(new GlueJobStarter({ client: clients.glue ?? new GlueClient({}), jobName: sparkJobName }), state, true) } : {}),
    sizer: recordedSizer(state),
    raw: new S3RawStorage({ client: clients.s3 ?? new S3Client({}), root: rawRoot }),
    connectionFor: (source) => {
      const arn = secrets.get(source);
      if (arn === undefined) {
        throw new UnknownSourceError(`source ${source} has no secret in FLOE_SOURCE_SECRETS; add it to context floe:sourceSecrets and redeploy`);
      }
      return `secretsmanager:${arn}`;
    },
    leaseTtlMs: LEASE_TTL_MS,
  });
  const queueUrl = env['FLOE_START_LATER_QUEUE_URL'];
  const later = queueUrl === undefined || queueUrl === ''
    ? undefined
    : new StartLater({ sqs: clients.sqs ?? new SQSClient({}), queueUrl, firstDelaySeconds: Number(env['FLOE_START_LATER_FIRST_DELAY_SECONDS'] ?? 30) });
  const endRun = createRetriesExhausted({ state, publisher });

  /** The attempt being handled: 1 from the bus; from the queue, what its message says. */
  let attempt = { number: 1, waitingSince: null as Date | null, raw: null as unknown };
  const handle = async (event: FloeEvent): Promise<void> => {
    try {
      await start(event);
    } catch (error) {
      if (later === undefined || !isConcurrencyLimit(error)) throw error;
      const waitingSince = attempt.waitingSince ?? new Date();
      const { queued, delaySeconds } = await later.defer(attempt.raw, attempt.number + 1, waitingSince);
      if (queued) {
        logger.info(`Glue is at its limit of concurrent runs: the start waits ${delaySeconds} s in the start-later queue`, { attempt: attempt.number + 1, waitingSince: waitingSince.toISOString() });
        return;
      }
      logger.warn('Glue refused the start for longer than the job timeout: the run ends', { waitingSince: waitingSince.toISOString() });
      await endRun({ handler: 'start-ingest', event, error: new Error(`${error.message} (refused since ${waitingSince.toISOString()}, longer than the job's timeout: other jobs hold the account's concurrent runs; raise the quota or the job's maxConcurrentRuns)`) });
    }
  };
  const fromBus = createEventLambda({ service: SERVICE, env, logger, dynamodb, handle, idempotencyKey: RUN_REQUEST_KEY });
  const fromQueue = createEventLambda({ service: SERVICE, env, logger, dynamodb, handle, idempotencyKey: START_LATER_KEY });

  return async (event, context) => {
    if (!isSqsEvent(event)) {
      attempt = { number: 1, waitingSince: null, raw: event };
      await fromBus(event, context);
      return;
    }
    for (const record of event.Records) {
      const message = StartLaterMessageSchema.parse(JSON.parse(record.body) as unknown);
      attempt = { number: message.attempt, waitingSince: new Date(message.waitingSince), raw: message.event };
      await fromQueue({ ...message.event, 'floe-start-attempt': message.attempt }, context);
    }
  };
}

/** A delivery from the start-later queue (Lambda's SQS event source) rather than from the bus. */
function isSqsEvent(event: unknown): event is SQSEvent {
  const records = (event as { Records?: unknown } | null)?.Records;
  return Array.isArray(records) && records.every((record) => (record as { eventSource?: unknown }).eventSource === 'aws:sqs');
}

let cached: EventLambda | undefined;

/** The Lambda entry: adapters are built on the first invocation and reused by the container. */
export async function handler(event: unknown, context: Context): Promise<void> {
  cached ??= createLambdaHandler(process.env);
  await cached(event, context);
}
