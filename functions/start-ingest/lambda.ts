/**
 * AWS Lambda entry for start-ingest (bundled by infra/, see HandlerFunction).
 *
 * Not built yet: it will wire the handler to the AWS adapters (state/dynamodb.ts,
 * storage/s3.ts, runtime/eventbridge-publisher.ts, runtime/glue-job-starter.ts), and
 * state/dynamodb.ts did not exist when the stack was written. Until then every
 * invocation fails loudly, and EventBridge's retries end in this function's DLQ.
 */
class NotBuiltError extends Error {
  override readonly name = 'NotBuiltError';
  readonly retryable = false;
}

export async function handler(): Promise<never> {
  throw new NotBuiltError(
    'start-ingest Lambda is not built yet: functions/start-ingest/lambda.ts still needs the AWS adapters ' +
      '(state/dynamodb.ts and friends). Deploying it now delivers events to its dead-letter queue.',
  );
}
