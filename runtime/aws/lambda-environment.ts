/**
 * What every Lambda entry reads from the environment infra/floe-stack.ts gives it: required
 * variables, the state tables, the logger. One place, so the entries cannot drift apart.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { Logger } from '@aws-lambda-powertools/logger';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';

import { FloeError } from '../../errors/floe-error.js';
import { EVENT_REFUSED } from '../../events/index.js';
import { EventBridgePublisher } from './eventbridge-publisher.js';
import type { Publisher } from '../../pipeline/index.js';
import { DynamoDbStateStore } from '../../state/dynamodb.js';
import type { StateTableNames } from '../../state/dynamodb-tables.js';

export type LambdaEnvironment = Readonly<Record<string, string | undefined>>;

/** A configuration problem of the deployment: retrying the same invocation cannot fix it. */
export class LambdaConfigError extends FloeError {
  override readonly name = 'LambdaConfigError';
}

export function required(env: LambdaEnvironment, service: string, name: string): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new LambdaConfigError(`${service}: environment variable ${name} is not set (infra/floe-stack.ts sets it on the deployed function)`);
  }
  return value;
}

export function stateTablesFrom(env: LambdaEnvironment, service: string): StateTableNames {
  return {
    tableConfig: required(env, service, 'FLOE_TABLE_CONFIG_TABLE'),
    runtime: required(env, service, 'FLOE_RUNTIME_TABLE'),
    runs: required(env, service, 'FLOE_RUNS_TABLE'),
  };
}

export function loggerFrom(env: LambdaEnvironment, service: string): Logger {
  const logLevel = env['POWERTOOLS_LOG_LEVEL'] as LogLevel | undefined;
  return new Logger({ serviceName: env['POWERTOOLS_SERVICE_NAME'] ?? service, ...(logLevel ? { logLevel } : {}) });
}

/** The SDK clients every entry needs; tests inject clients pointed at moto, Lambda gets the SDK's defaults. */
export interface CoreClients {
  dynamodb?: DynamoDBClient;
  eventbridge?: EventBridgeClient;
}

/** What every entry is built on: its logger, the state store and a publisher that logs what it publishes. */
export interface CoreAdapters {
  logger: Logger;
  dynamodb: DynamoDBClient;
  state: DynamoDbStateStore;
  publisher: Publisher;
}

/**
 * Builds the core adapters from `env`, throwing a LambdaConfigError naming the first missing
 * variable. Published details never hold a connection, so logging their keys is safe. IngestFailed
 * and EventRefused (an event a handler would not act on, and why) are logged as warnings.
 */
export function coreAdapters(env: LambdaEnvironment, service: string, clients: CoreClients): CoreAdapters {
  const busName = required(env, service, 'FLOE_BUS_NAME');
  const tables = stateTablesFrom(env, service);
  const logger = loggerFrom(env, service);
  const dynamodb = clients.dynamodb ?? new DynamoDBClient({});
  const bus = new EventBridgePublisher({ client: clients.eventbridge ?? new EventBridgeClient({}), busName });
  const publisher: Publisher = {
    async publish(detailType, detail) {
      await bus.publish(detailType, detail);
      const { runId, source, table, error, reason, refusedDetailType, refusedEventId } = detail as Record<string, unknown>;
      if (detailType === 'IngestFailed') logger.warn('published IngestFailed', { detailType, runId, source, table, reason: error });
      else if (detailType === EVENT_REFUSED) logger.warn(`refused ${String(refusedDetailType)}`, { detailType, runId, source, table, refusedEventId, reason });
      else logger.info(`published ${detailType}`, { detailType, runId, source, table });
    },
  };
  return { logger, dynamodb, state: new DynamoDbStateStore(dynamodb, tables), publisher };
}
