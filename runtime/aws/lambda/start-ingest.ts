/**
 * AWS Lambda entry for start-ingest (bundled by infra/, see HandlerFunction).
 *
 * Wires {@link createStartIngest} to the AWS adapters, built once per container from the
 * environment infra/floe-stack.ts gives this function, inside {@link createSqsEventLambda}.
 * The connection (`secretsmanager:<arn>`) is never logged.
 *
 * IngestRequested reaches it through the ingest queue (the bus's rule targets the queue), read by
 * an SQS event source that gathers a burst of requests (a `floe` request for 300 tables, an
 * external function's batch) into one invocation: the tables of one source start as one job run.
 * Each record is its own event: one that fails is named in the partial batch response and retried
 * alone, the others done.
 *
 * A start Glue refuses for its limit of concurrent runs, or the source's maxConnections, is not a
 * failure: the event goes to the start-later queue (FLOE_START_LATER_QUEUE_URL,
 * runtime/aws/start-later.ts) and comes back to this function from there, as a record of that
 * queue (FLOE_START_LATER_QUEUE_ARN), after a delay that doubles each time; requests deferred
 * together come back together, and start as one job run again.
 */
import { GlueClient } from '@aws-sdk/client-glue';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { GlueJobStarter } from '../glue-job-starter.js';
import { recordedSizer } from '../recorded-sizer.js';
import { keysOf, RUN_REQUEST_KEY } from '../event-lambda.js';
import { createSqsEventLambda, type DeliveryFailure, type SqsDelivery, type SqsEventLambda } from '../sqs-event-lambda.js';
import { coreAdapters, LambdaConfigError, required, type CoreClients, type LambdaEnvironment } from '../lambda-environment.js';
import { SourceSlotsJobStarter } from '../source-slots.js';
import { isConcurrencyLimit, StartLater, StartLaterMessageSchema } from '../start-later.js';
import { createStartIngest } from '../../../functions/start-ingest/handler.js';
import { createRetriesExhausted } from '../../../functions/retries-exhausted/handler.js';
import { FloeError } from '../../../errors/floe-error.js';
import { LEASE_TTL_MS, markQueued } from '../../../pipeline/index.js';
import type { RunQueued } from '../../../state/index.js';
import { parseEvent, type FloeEvent } from '../../../events/index.js';
import { describeIssues } from '../../../events/errors.js';
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

/** A record that is not a request start-ingest can act on: it fails alone, and never succeeds on a retry. */
export class InvalidRecord extends FloeError {
  override readonly name = 'InvalidRecord';
}

/** One record: an IngestRequested, and which attempt at starting its run this is. */
interface StartDelivery extends SqsDelivery {
  /** 1 from the ingest queue; from the start-later queue, what its message says. */
  readonly attempt: number;
  /** When Glue (or the source's connections) first refused the run's start; null on the first attempt. */
  readonly waitingSince: Date | null;
  /** The event as the bus delivered it: what goes back to the start-later queue. */
  readonly raw: unknown;
}

/** A record's body as JSON, or an InvalidRecord naming the record and its queue. */
function bodyOf(record: SQSRecord): unknown {
  try {
    return JSON.parse(record.body) as unknown;
  } catch (error) {
    throw new InvalidRecord(`record ${record.messageId} from ${record.eventSourceARN}: the body is not JSON (${(error as Error).message})`, { cause: error });
  }
}

/** `work` on a record's content; its error, if any, as an InvalidRecord naming the record. */
function decoding<T>(record: SQSRecord, what: string, work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof InvalidRecord) throw error;
    const detail = error instanceof z.ZodError ? describeIssues(error) : (error as Error).message;
    throw new InvalidRecord(`record ${record.messageId} from ${record.eventSourceARN}: ${what}: ${detail}`, { cause: error });
  }
}

/**
 * A record → its delivery. A start-later record (from `laterArn`) carries the event and its
 * attempt, and is keyed per attempt (START_LATER_KEY); any other is the bus's event itself, keyed
 * per run (RUN_REQUEST_KEY), as the bus's delivery was before the ingest queue.
 */
function decodeRecord(record: SQSRecord, laterArn: string | undefined): StartDelivery {
  const body = bodyOf(record);
  if (laterArn !== undefined && record.eventSourceARN === laterArn) {
    const message = decoding(record, 'not a start-later message', () => StartLaterMessageSchema.parse(body));
    return {
      messageId: record.messageId,
      event: decoding(record, 'its event breaks its contract', () => parseEvent(message.event)),
      payload: { ...message.event, 'floe-start-attempt': message.attempt },
      idempotencyKey: START_LATER_KEY,
      attempt: message.attempt,
      waitingSince: new Date(message.waitingSince),
      raw: message.event,
    };
  }
  const event = decoding(record, 'not an EventBridge event floe knows', () => parseEvent(body));
  return { messageId: record.messageId, event, payload: body, idempotencyKey: RUN_REQUEST_KEY, attempt: 1, waitingSince: null, raw: body };
}

/**
 * Builds the adapters from `env` (throwing a LambdaConfigError naming the first missing variable)
 * and returns the Lambda handler. Clients not given are created with the SDK's defaults.
 */
export function createLambdaHandler(env: LambdaEnvironment, clients: StartIngestClients = {}): SqsEventLambda {
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
  const laterArn = later === undefined ? undefined : required(env, SERVICE, 'FLOE_START_LATER_QUEUE_ARN');
  const endRun = createRetriesExhausted({ state, publisher });

  /**
   * Marks the deliveries' runs as waiting to start (`floe status` says queued), or as started
   * (null). Only status reads the mark, so a failure to write it is logged, not the delivery's:
   * the request is already where it belongs, and a retry would queue it twice.
   */
  const mark = async (deliveries: readonly StartDelivery[], queued: RunQueued | null): Promise<void> => {
    const runIds = deliveries.map((delivery) => keysOf(delivery.event)['runId']).filter((runId) => runId !== undefined);
    await markQueued(state, runIds, queued).catch((error: unknown) => logger.warn('could not record whether the runs wait to start', { runIds, error: error as Error }));
  };

  /** A start refused for a limit on concurrent runs waits in the start-later queue; past the job's timeout, its run ends. */
  const waitOrFail = async (failure: DeliveryFailure<StartDelivery>): Promise<DeliveryFailure<StartDelivery> | null> => {
    const { delivery, error } = failure;
    if (later === undefined || !isConcurrencyLimit(error)) return failure;
    const waitingSince = delivery.waitingSince ?? new Date();
    const keys = { ...keysOf(delivery.event), attempt: delivery.attempt + 1, waitingSince: waitingSince.toISOString() };
    try {
      const { queued, delaySeconds } = await later.defer(delivery.raw, delivery.attempt + 1, waitingSince);
      if (queued) {
        logger.info(`${error.message}: the start waits ${delaySeconds} s in the start-later queue`, keys);
        await mark([delivery], { since: waitingSince.toISOString(), reason: error.message });
        return null;
      }
      logger.warn('Glue refused the start for longer than the job timeout: the run ends', keys);
      await endRun({ handler: 'start-ingest', event: delivery.event, error: new Error(`${error.message} (refused since ${waitingSince.toISOString()}, longer than the job's timeout: other jobs hold the account's concurrent runs; raise the quota or the job's maxConcurrentRuns)`) });
      return null;
    } catch (deferError) {
      return { delivery, error: deferError };
    }
  };

  return createSqsEventLambda<StartDelivery>({
    service: SERVICE, env, logger, dynamodb,
    decode: (record) => decodeRecord(record, laterArn),
    handle: async (deliveries) => {
      const byEvent = new Map<FloeEvent, StartDelivery>(deliveries.map((delivery) => [delivery.event, delivery]));
      const failures = (await start.batch(deliveries.map((delivery) => delivery.event)))
        .map(({ event, error }) => ({ delivery: byEvent.get(event)!, error }));
      const failed = new Set(failures.map((failure) => failure.delivery));
      // Requests back from the start-later queue that started (or ended) wait no more.
      await mark(deliveries.filter((delivery) => delivery.attempt > 1 && !failed.has(delivery)), null);
      return (await Promise.all(failures.map(waitOrFail))).filter((failure) => failure !== null);
    },
  });
}

let cached: SqsEventLambda | undefined;

/** The Lambda entry: adapters are built on the first invocation and reused by the container. */
export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  cached ??= createLambdaHandler(process.env);
  return cached(event, context);
}
