import { Token } from 'aws-cdk-lib';

import { SNOWFLAKE_ENV } from '../warehouse/snowflake-environment.js';

/**
 * Where load-and-merge and build-gold find Snowflake (context `floe:snowflake`). Credentials only
 * by the ARN of a secret holding `{"privateKey": …}` or `{"password": …}`: never in the template.
 */
export interface SnowflakeSettings {
  account: string;
  user: string;
  database: string;
  warehouse?: string;
  role?: string;
  /** The secret with the user's key or password. */
  secretArn: string;
  /** `schema.name` of the stage on the raw bucket; default `floe.raw_stage`. */
  stage?: string;
}

export const SNOWFLAKE_CONTEXT = 'floe:snowflake';

const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;

/** Reads and checks the context value (an object in cdk.json, or JSON on the command line); absent is undefined. */
export function parseSnowflakeSettings(value: unknown): SnowflakeSettings | undefined {
  if (value === undefined || value === null) return undefined;
  const parsed: unknown = typeof value === 'string' ? JSON.parse(value) : value;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`context ${SNOWFLAKE_CONTEXT} must be an object {"account", "user", "database", "secretArn", "warehouse"?, "role"?, "stage"?}`);
  }
  const fields = parsed as Record<string, unknown>;
  const text = (name: string, required: boolean): string | undefined => {
    const field = fields[name];
    if (field === undefined && !required) return undefined;
    if (typeof field !== 'string' || field.trim() === '') throw new Error(`context ${SNOWFLAKE_CONTEXT}.${name} must be a non-empty string`);
    return field;
  };
  const known = new Set(['account', 'user', 'database', 'warehouse', 'role', 'secretArn', 'stage']);
  const unknown = Object.keys(fields).filter((key) => !known.has(key));
  if (unknown.length > 0) throw new Error(`context ${SNOWFLAKE_CONTEXT}: unknown key(s) ${unknown.join(', ')}; credentials go in the secret named by secretArn`);
  const secretArn = text('secretArn', true)!;
  if (!Token.isUnresolved(secretArn) && !SECRET_ARN.test(secretArn)) {
    throw new Error(`context ${SNOWFLAKE_CONTEXT}.secretArn: expected a full Secrets Manager ARN, not a name or a secret value`);
  }
  const optional = (name: 'warehouse' | 'role' | 'stage') => {
    const field = text(name, false);
    return field === undefined ? {} : { [name]: field };
  };
  return { account: text('account', true)!, user: text('user', true)!, database: text('database', true)!, secretArn, ...optional('warehouse'), ...optional('role'), ...optional('stage') };
}

/** The environment the Snowflake adapter reads (warehouse/snowflake-from-env.ts). */
export function snowflakeEnvironment(settings: SnowflakeSettings): Record<string, string> {
  return {
    [SNOWFLAKE_ENV.account]: settings.account,
    [SNOWFLAKE_ENV.user]: settings.user,
    [SNOWFLAKE_ENV.database]: settings.database,
    [SNOWFLAKE_ENV.secretArn]: settings.secretArn,
    ...(settings.warehouse === undefined ? {} : { [SNOWFLAKE_ENV.warehouse]: settings.warehouse }),
    ...(settings.role === undefined ? {} : { [SNOWFLAKE_ENV.role]: settings.role }),
    ...(settings.stage === undefined ? {} : { [SNOWFLAKE_ENV.stage]: settings.stage }),
  };
}
