/**
 * AWS Lambda entry for request-ingest (bundled by infra/, see HandlerFunction).
 *
 * Not built yet: the handler (Snowflake's external-function format, issue 4) and the
 * DynamoDB state adapter (state/dynamodb.ts) did not exist when the stack was written.
 * Until then every call from Snowflake fails with this message.
 */
class NotBuiltError extends Error {
  override readonly name = 'NotBuiltError';
  readonly retryable = false;
}

export async function handler(): Promise<never> {
  throw new NotBuiltError(
    'request-ingest Lambda is not built yet: its handler and the DynamoDB state adapter ' +
      '(state/dynamodb.ts) do not exist yet.',
  );
}
