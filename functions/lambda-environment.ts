/**
 * What every Lambda entry reads from the environment infra/floe-stack.ts gives it: required
 * variables, the state tables, the logger. One place, so the entries cannot drift apart.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';

import type { StateTableNames } from '../state/dynamodb-tables.js';

export type LambdaEnvironment = Readonly<Record<string, string | undefined>>;

/** A configuration problem of the deployment: retrying the same invocation cannot fix it. */
export class LambdaConfigError extends Error {
  override readonly name = 'LambdaConfigError';
  readonly retryable = false;
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

/** An entry whose adapters do not exist yet: it fails loudly, and EventBridge's retries end in its DLQ. */
export class NotBuiltError extends Error {
  override readonly name = 'NotBuiltError';
  readonly retryable = false;
}
