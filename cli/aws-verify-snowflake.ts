import { randomBytes } from 'node:crypto';

import { ConfigError, parseSnowflakeWarehouseUrl, type FloeConfig } from '../config/index.js';
import { SnowflakeSession, type SnowflakeCredentials } from '../warehouse/snowflake-connection.js';
import { credentialsFromSecret, secretReader } from '../warehouse/snowflake-credentials.js';
import { INGEST_FUNCTION } from '../warehouse/snowflake-ddl.js';
import { snowflakeDialect } from '../warehouse/snowflake-dialect.js';
import { SNOWFLAKE_ENV } from '../warehouse/snowflake-environment.js';
import { fail, ok, skipped, type VerifyLine } from './verify-line.js';
import type { StackOutputs } from './aws-verify-stack.js';

/** Calls FLOE_INGEST once, for `source`, and returns its answer as text. */
export type IngestCall = (source: string) => Promise<string>;

/** Opens a Snowflake session from the config and its credentials, and gives its FLOE_INGEST call; the caller closes it. */
export type OpenIngestCall = (config: FloeConfig) => Promise<{ call: IngestCall; close: () => Promise<void> }>;

const ROUND_TRIP = "Snowflake's API integration: FLOE_INGEST round trip";

/** The `snowflake:` settings the stack's outputs give, by the config key that takes each. */
const FROM_OUTPUTS = [['ingestUrl', 'IngestUrl'], ['apiRoleArn', 'SnowflakeRoleArn'], ['storageRoleArn', 'SnowflakeStorageRoleArn']] as const;

/**
 * The config's `snowflake:` section against the stack's outputs, then (when it names the ingest URL)
 * one FLOE_INGEST call for a source that does not exist: Snowflake → its API integration (the
 * stack's role, trusting Snowflake's user and external id) → API Gateway (its resource policy) →
 * request-ingest, whose answer names the unknown source. Nothing is requested.
 */
export async function checkSnowflake(config: FloeConfig, configFile: string, outputs: StackOutputs, open: OpenIngestCall): Promise<VerifyLine[]> {
  const settings = config.snowflake;
  if (settings === undefined) return [skipped(ROUND_TRIP, `no snowflake section in ${configFile}`)];
  const lines: VerifyLine[] = [];
  const check = `${configFile}: snowflake section`;
  const wrong = FROM_OUTPUTS.filter(([key, output]) => settings[key] !== undefined && outputs[output] !== undefined && settings[key] !== outputs[output]);
  const unset = FROM_OUTPUTS.filter(([key]) => settings[key] === undefined).map(([key]) => key);
  if (wrong.length > 0) {
    lines.push(fail(check, wrong.map(([key, output]) => `snowflake.${key} is not the stack's ${output}`).join('; '),
      `${wrong.map(([key, output]) => `set snowflake.${key}: ${outputs[output]}`).join(', ')}; then floe snowflake apply --config ${configFile}`));
  } else {
    lines.push(ok(check, `names the stack's ${FROM_OUTPUTS.filter(([key]) => settings[key] !== undefined).map(([, output]) => output).join(', ') || 'nothing'}${unset.length > 0 ? `; unset: ${unset.join(', ')}` : ''}`));
  }
  if (settings.ingestUrl === undefined) return [...lines, skipped(ROUND_TRIP, `no snowflake.ingestUrl in ${configFile}: FLOE_INGEST is not configured`)];

  const source = `floe-verify-no-such-source-${randomBytes(3).toString('hex')}`;
  let session: Awaited<ReturnType<OpenIngestCall>>;
  try {
    session = await open(config);
  } catch (error) {
    if (error instanceof ConfigError) return [...lines, skipped(ROUND_TRIP, error.message)];
    return [...lines, fail(ROUND_TRIP, 'could not connect to Snowflake', `check warehouse: in ${configFile} and the credentials snowflake: names`, { by: 'Snowflake', error })];
  }
  try {
    const answer = await session.call(source);
    if (!answer.includes(source)) {
      return [...lines, fail(ROUND_TRIP, `answered ${answer}, not request-ingest's refusal naming source ${source}`, `run floe snowflake apply --config ${configFile}: FLOE_INGEST must call the stack's IngestUrl`)];
    }
    return [...lines, ok(ROUND_TRIP, `request-ingest answered for source ${source} (which does not exist, so nothing was requested): ${answer}`)];
  } catch (error) {
    return [...lines, fail(ROUND_TRIP, 'the call failed',
      `run floe snowflake apply --config ${configFile} (it creates FLOE_INGEST and the API integration), then deploy the stack with the integration's API_AWS_IAM_USER_ARN and API_AWS_EXTERNAL_ID (DESCRIBE INTEGRATION) as parameters SnowflakeIamUserArn and SnowflakeExternalId`,
      { by: 'Snowflake', error })];
  } finally {
    await session.close().catch(() => undefined);
  }
}

/** Credentials where the config's `snowflake:` section says (a Secrets Manager secret, else the variables it names); never from the file. */
async function credentialsFor(config: FloeConfig, env: NodeJS.ProcessEnv): Promise<SnowflakeCredentials> {
  const settings = config.snowflake;
  if (settings?.secretArn !== undefined) return credentialsFromSecret(settings.secretArn, await secretReader()(settings.secretArn));
  const privateKey = env[settings?.privateKeyEnv ?? SNOWFLAKE_ENV.privateKey];
  if (privateKey !== undefined && privateKey !== '') return { privateKey: privateKey.replaceAll('\\n', '\n') };
  const password = env[settings?.passwordEnv ?? SNOWFLAKE_ENV.password];
  if (password !== undefined && password !== '') return { password };
  throw new ConfigError(`no Snowflake credentials here: set ${settings?.privateKeyEnv ?? SNOWFLAKE_ENV.privateKey} or ${settings?.passwordEnv ?? SNOWFLAKE_ENV.password}, or snowflake.secretArn`);
}

/** FLOE_INGEST through a snowflake-sdk session (warehouse/snowflake-connection.ts); FLOE_SNOWFLAKE_ENDPOINT points at an emulator. */
export function openIngestCall(env: NodeJS.ProcessEnv = process.env): OpenIngestCall {
  return async (config) => {
    const url = parseSnowflakeWarehouseUrl(config.warehouse);
    if (url === null || url.user === undefined) throw new ConfigError('the round trip needs warehouse: snowflake://<account>/<database>?user=<user>');
    const endpointText = env[SNOWFLAKE_ENV.endpoint]?.trim();
    const endpoint = endpointText === undefined || endpointText === '' ? undefined : new URL(endpointText);
    const protocol = endpoint?.protocol === 'http:' ? 'http' : 'https';
    const session = await SnowflakeSession.open({
      account: url.account, username: url.user, database: url.database,
      ...(url.warehouse === undefined ? {} : { warehouse: url.warehouse }),
      ...(url.role === undefined ? {} : { role: url.role }),
      ...(endpoint === undefined ? {} : { endpoint: { host: endpoint.hostname, port: Number(endpoint.port || (protocol === 'http' ? 80 : 443)), protocol } }),
      credentials: await credentialsFor(config, env),
    });
    const call: IngestCall = async (source) => {
      const { rows } = await session.run({ sql: `select ${snowflakeDialect.qualified(INGEST_FUNCTION)}($1, null, null) as "answer"`, params: [source] }, JSON.stringify({ app: 'floe', step: 'aws-verify' }));
      const answer = rows[0]?.['answer'];
      return typeof answer === 'string' ? answer : JSON.stringify(answer);
    };
    return { call, close: () => session.close() };
  };
}
