import { SnowflakeSession, type SnowflakeConnectionSettings, type SnowflakeCredentials, type SnowflakeTimeouts } from './snowflake-connection.js';
import { credentialsFromSecret, secretReader, type ReadSecret } from './snowflake-credentials.js';
import { DEFAULT_STAGE_NAMES } from './snowflake-sql.js';
import { SnowflakeWarehouse } from './snowflake.js';
import type { QualifiedName } from './quote.js';
import { SNOWFLAKE_ENV } from './snowflake-environment.js';
import { WarehouseError } from './warehouse-error.js';

export { SNOWFLAKE_ENV } from './snowflake-environment.js';

export type SnowflakeEnvironment = Readonly<Record<string, string | undefined>>;


const value = (env: SnowflakeEnvironment, name: string): string | undefined => {
  const text = env[name]?.trim();
  return text === undefined || text === '' ? undefined : text;
};

function required(env: SnowflakeEnvironment, name: string): string {
  const text = value(env, name);
  if (text === undefined) throw new WarehouseError(`Environment variable ${name} is not set; the Snowflake warehouse needs it (see docs/snowflake.md).`);
  return text;
}

async function credentialsFrom(env: SnowflakeEnvironment, readSecret: ReadSecret): Promise<SnowflakeCredentials> {
  const secretArn = value(env, SNOWFLAKE_ENV.secretArn);
  if (secretArn !== undefined) return credentialsFromSecret(secretArn, await readSecret(secretArn));
  const privateKey = value(env, SNOWFLAKE_ENV.privateKey);
  if (privateKey !== undefined) {
    const passphrase = value(env, SNOWFLAKE_ENV.privateKeyPassphrase);
    return { privateKey: privateKey.replaceAll('\\n', '\n'), ...(passphrase === undefined ? {} : { privateKeyPassphrase: passphrase }) };
  }
  const password = value(env, SNOWFLAKE_ENV.password);
  if (password !== undefined) return { password };
  throw new WarehouseError(
    `No Snowflake credentials: set ${SNOWFLAKE_ENV.secretArn}, ${SNOWFLAKE_ENV.privateKey} or ${SNOWFLAKE_ENV.password}.`,
  );
}

function stageFrom(env: SnowflakeEnvironment): QualifiedName {
  const text = value(env, SNOWFLAKE_ENV.stage);
  if (text === undefined) return DEFAULT_STAGE_NAMES.stage;
  const [schema, name, ...rest] = text.split('.');
  if (schema === undefined || name === undefined || rest.length > 0 || schema === '' || name === '') {
    throw new WarehouseError(`${SNOWFLAKE_ENV.stage} must be schema.name (e.g. floe.raw_stage).`);
  }
  return { schema, name };
}

function endpointFrom(env: SnowflakeEnvironment): SnowflakeConnectionSettings['endpoint'] {
  const text = value(env, SNOWFLAKE_ENV.endpoint);
  if (text === undefined) return undefined;
  const url = new URL(text);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return { host: url.hostname, port: Number(url.port || (protocol === 'http' ? 80 : 443)), protocol };
}

/** The connection settings from the environment; reads the secret when one is named. */
export async function snowflakeSettingsFromEnv(env: SnowflakeEnvironment, readSecret: ReadSecret = secretReader()): Promise<SnowflakeConnectionSettings> {
  const warehouse = value(env, SNOWFLAKE_ENV.warehouse);
  const role = value(env, SNOWFLAKE_ENV.role);
  const endpoint = endpointFrom(env);
  return {
    account: required(env, SNOWFLAKE_ENV.account),
    username: required(env, SNOWFLAKE_ENV.user),
    database: required(env, SNOWFLAKE_ENV.database),
    ...(warehouse === undefined ? {} : { warehouse }),
    ...(role === undefined ? {} : { role }),
    ...(endpoint === undefined ? {} : { endpoint }),
    credentials: await credentialsFrom(env, readSecret),
  };
}

/** The session's statement timeout from FLOE_SNOWFLAKE_STATEMENT_TIMEOUT_SECONDS (whole seconds), or the default. */
function statementTimeoutFrom(env: SnowflakeEnvironment): number | undefined {
  const text = value(env, SNOWFLAKE_ENV.statementTimeoutSeconds);
  if (text === undefined) return undefined;
  if (!/^[1-9][0-9]*$/.test(text)) throw new WarehouseError(`${SNOWFLAKE_ENV.statementTimeoutSeconds} must be a whole number of seconds, not ${JSON.stringify(text)}.`);
  return Number(text);
}

/**
 * The Snowflake warehouse the load-and-merge and build-gold Lambda entries use, built from their
 * environment (SNOWFLAKE_ENV). Connects, and creates floe's schemas and bookkeeping table if
 * missing. Throws a non-retryable WarehouseError naming the missing variable; a failed connection
 * is retryable when the driver says so.
 *
 * `deadline`: when the current invocation must be done (epoch ms; a Lambda's
 * `Date.now() + context.getRemainingTimeInMillis()`). A statement still running shortly before it
 * is cancelled, so none outlives the invocation and runs beside its retry (snowflake-connection.ts).
 */
export async function createSnowflakeWarehouse(
  env: SnowflakeEnvironment,
  options: { readSecret?: ReadSecret; deadline?: SnowflakeTimeouts['deadline'] } = {},
): Promise<SnowflakeWarehouse> {
  const settings = await snowflakeSettingsFromEnv(env, options.readSecret);
  const stage = stageFrom(env);
  const statementTimeoutSeconds = statementTimeoutFrom(env);
  const session = await SnowflakeSession.open(settings, {
    ...(statementTimeoutSeconds === undefined ? {} : { statementTimeoutSeconds }),
    ...(options.deadline === undefined ? {} : { deadline: options.deadline }),
  });
  try {
    return await SnowflakeWarehouse.open(session, { stageNames: { ...DEFAULT_STAGE_NAMES, stage } });
  } catch (error) {
    await session.close().catch(() => undefined);
    throw error;
  }
}
