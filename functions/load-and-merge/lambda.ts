/**
 * AWS Lambda entry for load-and-merge (bundled by infra/, see HandlerFunction).
 *
 * Not built yet: on AWS this step runs against Snowflake, and the Snowflake warehouse adapter is
 * issue 5. The state store, raw storage and publisher it will use exist (state/dynamodb.ts,
 * storage/s3.ts, runtime/eventbridge-publisher.ts).
 */
import { NotBuiltError } from '../lambda-environment.js';

export async function handler(): Promise<never> {
  throw new NotBuiltError(
    'load-and-merge Lambda is not built yet: it needs the Snowflake warehouse adapter (issue 5). ' +
      'Deploying it now delivers events to its dead-letter queue.',
  );
}
