/**
 * AWS Lambda entry for retries-exhausted (bundled by infra/, see HandlerFunction).
 *
 * Each handler's Lambda retries an event whose failure may pass (its error is retryable) under
 * its asynchronous-invocation retry policy; when the attempts are spent, Lambda sends an invocation
 * record to the handler's on-failure destination, an SQS queue this function reads. It names the
 * handler by that queue (FLOE_FAILURE_QUEUES), and ends the event's run with the last error.
 *
 * start-ingest reads its events from a queue instead (the ingest queue): a record it fails on
 * every receive is moved by SQS, as it was, to the same failures queue (the queue's redrive
 * policy). Such a message is the event itself, without the error, which is in start-ingest's log.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
 * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
 */
import type { Context, SQSEvent } from 'aws-lambda';
import { z } from 'zod';

import { FloeError } from '../../../errors/floe-error.js';
import { HANDLER_NAMES, parseEvent, type FloeEvent, type HandlerName } from '../../../events/index.js';
import { createRetriesExhausted } from '../../../functions/retries-exhausted/handler.js';
import { coreAdapters, LambdaConfigError, required, type CoreClients, type LambdaEnvironment } from '../lambda-environment.js';

const SERVICE = 'floe-retries-exhausted';

/**
 * The invocation record Lambda sends to an on-failure destination: the event as the function got
 * it, and the error of its last attempt. Only the fields floe reads are checked.
 */
export const InvocationRecordSchema = z.object({
  requestContext: z.object({ condition: z.string(), approximateInvokeCount: z.number().int().min(1) }),
  requestPayload: z.unknown(),
  responsePayload: z.object({ errorType: z.string().optional(), errorMessage: z.string().optional() }).nullable().optional(),
});

/** The error a handler's last attempt ended with, as Lambda recorded it. */
export class RetriesExhausted extends FloeError {
  override readonly name: string;

  constructor(errorType: string, message: string) {
    super(message, { retryable: true });
    this.name = errorType;
  }
}

/** FLOE_FAILURE_QUEUES: `{"<queue ARN>": "<handler>"}`. */
function parseFailureQueues(text: string): ReadonlyMap<string, HandlerName> {
  const parsed = z.record(z.string(), z.enum(HANDLER_NAMES)).safeParse(JSON.parse(text) as unknown);
  if (!parsed.success) throw new LambdaConfigError(`${SERVICE}: FLOE_FAILURE_QUEUES must be a JSON object {"<queue ARN>": "<handler>"}`);
  return new Map(Object.entries(parsed.data));
}

/**
 * The event and last error of a failures queue's message: Lambda's invocation record, or (from a
 * queue in front of the handler) the event itself, moved there after its last receive.
 */
function failureOf(handler: HandlerName, body: unknown): { event: FloeEvent; error: RetriesExhausted } {
  const record = InvocationRecordSchema.safeParse(body);
  if (!record.success) {
    return {
      event: parseEvent(body),
      error: new RetriesExhausted('Error', `${handler} failed on every delivery from its queue; its log has the errors (search the run id)`),
    };
  }
  const failure = record.data.responsePayload ?? {};
  const error = new RetriesExhausted(
    failure.errorType ?? 'Error',
    `${failure.errorMessage ?? 'no error message recorded'} (after ${record.data.requestContext.approximateInvokeCount} attempts; ${record.data.requestContext.condition})`,
  );
  return { event: parseEvent(record.data.requestPayload), error };
}

export type SqsLambda = (event: SQSEvent, context: Context) => Promise<void>;

/** Builds the adapters from `env` and returns the Lambda handler; tests inject clients pointed at moto. */
export function createLambdaHandler(env: LambdaEnvironment, clients: CoreClients = {}): SqsLambda {
  const queues = parseFailureQueues(required(env, SERVICE, 'FLOE_FAILURE_QUEUES'));
  const { logger, state, publisher } = coreAdapters(env, SERVICE, clients);
  const handle = createRetriesExhausted({ state, publisher });
  return async (event, context) => {
    logger.addContext(context);
    for (const message of event.Records) {
      const handler = queues.get(message.eventSourceARN);
      if (handler === undefined) throw new LambdaConfigError(`${SERVICE}: queue ${message.eventSourceARN} is not in FLOE_FAILURE_QUEUES`);
      const { event, error } = failureOf(handler, JSON.parse(message.body) as unknown);
      logger.warn('retries exhausted', { handler, errorType: error.name });
      await handle({ handler, event, error });
    }
  };
}

let cached: SqsLambda | undefined;

/** The Lambda entry: adapters are built on the first invocation and reused by the container. */
export async function handler(event: SQSEvent, context: Context): Promise<void> {
  cached ??= createLambdaHandler(process.env);
  await cached(event, context);
}
