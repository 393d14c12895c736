import { ConfigError, parseSnowflakeWarehouseUrl, type FloeConfig } from '../config/index.js';
import { SnowflakeSession, type SnowflakeConnectionSettings, type SnowflakeCredentials } from './snowflake-connection.js';
import { credentialsFromSecret, secretReader, type ReadSecret } from './snowflake-credentials.js';
import { SNOWFLAKE_ENV } from './snowflake-environment.js';
import { requireRawStage } from './snowflake-raw-stage.js';
import { SnowflakeWarehouse } from './snowflake.js';

type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Credentials from where the config's `snowflake:` section says: a Secrets Manager secret, else the
 * variables it names (key-pair first). Never from the file itself.
 */
async function credentialsFrom(config: FloeConfig, env: Environment, readSecret: () => ReadSecret): Promise<SnowflakeCredentials> {
  const settings = config.snowflake;
  if (settings?.secretArn !== undefined) return credentialsFromSecret(settings.secretArn, await readSecret()(settings.secretArn));
  const privateKeyEnv = settings?.privateKeyEnv ?? SNOWFLAKE_ENV.privateKey;
  const passwordEnv = settings?.passwordEnv ?? SNOWFLAKE_ENV.password;
  const privateKey = env[privateKeyEnv];
  if (privateKey !== undefined && privateKey !== '') return { privateKey: privateKey.replaceAll('\\n', '\n') };
  const password = env[passwordEnv];
  if (password !== undefined && password !== '') return { password };
  throw new ConfigError(`Snowflake needs credentials: set ${privateKeyEnv} (key-pair) or ${passwordEnv}, or snowflake.secretArn`);
}

/**
 * Where and as whom to connect, from the config's `snowflake://account/database?user=…&warehouse=…&role=…`
 * and `snowflake:` section. FLOE_SNOWFLAKE_ENDPOINT (`http://host:port`) points at an emulator or a
 * private endpoint instead of the account's own URL.
 */
export async function snowflakeSettingsFromConfig(config: FloeConfig, env: Environment = process.env, readSecret: () => ReadSecret = () => secretReader()): Promise<SnowflakeConnectionSettings> {
  const url = parseSnowflakeWarehouseUrl(config.warehouse);
  if (url === null || url.user === undefined) throw new ConfigError('Snowflake needs warehouse: snowflake://<account>/<database>?user=<user>');
  const endpointText = env[SNOWFLAKE_ENV.endpoint]?.trim();
  const endpoint = endpointText === undefined || endpointText === '' ? undefined : new URL(endpointText);
  const protocol = endpoint?.protocol === 'http:' ? 'http' : 'https';
  return {
    account: url.account,
    username: url.user,
    database: url.database,
    ...(url.warehouse === undefined ? {} : { warehouse: url.warehouse }),
    ...(url.role === undefined ? {} : { role: url.role }),
    ...(endpoint === undefined ? {} : { endpoint: { host: endpoint.hostname, port: Number(endpoint.port || (protocol === 'http' ? 80 : 443)), protocol } }),
    credentials: await credentialsFrom(config, env, readSecret),
  };
}

/** A session for the config, with its statement timeout; the caller closes it. */
export async function openSnowflakeSession(config: FloeConfig, env: Environment = process.env): Promise<SnowflakeSession> {
  const timeout = config.snowflake?.statementTimeoutSeconds;
  return SnowflakeSession.open(await snowflakeSettingsFromConfig(config, env), timeout === undefined ? {} : { statementTimeoutSeconds: timeout });
}

/**
 * The config's Snowflake warehouse: its account and database, floe's schemas created if missing.
 * `loadsRaw` (floe run): on an `s3://` raw root, the external stage is checked first (snowflake-raw-stage.ts).
 */
export async function openSnowflakeWarehouse(config: FloeConfig, options: { loadsRaw: boolean }, env: Environment = process.env): Promise<SnowflakeWarehouse> {
  const session = await openSnowflakeSession(config, env);
  try {
    if (options.loadsRaw && config.raw.startsWith('s3://')) await requireRawStage(session, config.raw);
    return await SnowflakeWarehouse.open(session);
  } catch (error) {
    await session.close().catch(() => undefined);
    throw error;
  }
}
