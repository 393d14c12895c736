/**
 * AWS Lambda entry for glue-finished (bundled by infra/, see HandlerFunction).
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
    'glue-finished Lambda is not built yet: functions/glue-finished/lambda.ts still needs the AWS adapters ' +
      '(state/dynamodb.ts and friends). Deploying it now delivers events to its dead-letter queue.',
  );
}
