import type { SnowflakeCredentials } from './snowflake-connection.js';
import { WarehouseError } from './warehouse-error.js';

/** Reads a Secrets Manager secret's string. Injected, so floe needs no Secrets Manager client of its own. */
export type ReadSecret = (secretId: string) => Promise<string>;

/**
 * Reads a secret through the AWS Parameters and Secrets Lambda Extension
 * (`localhost:2773`), which a Lambda function has when the extension layer is
 * attached. It caches, and spares the function a Secrets Manager client.
 */
export const readSecretFromLambdaExtension: ReadSecret = async (secretId) => {
  const token = process.env['AWS_SESSION_TOKEN'];
  if (token === undefined) {
    throw new WarehouseError('Reading the Snowflake secret needs the AWS Parameters and Secrets Lambda Extension (AWS_SESSION_TOKEN is not set); outside Lambda set FLOE_SNOWFLAKE_PRIVATE_KEY or FLOE_SNOWFLAKE_PASSWORD instead.');
  }
  const port = process.env['PARAMETERS_SECRETS_EXTENSION_HTTP_PORT'] ?? '2773';
  const response = await fetch(`http://localhost:${port}/secretsmanager/get?secretId=${encodeURIComponent(secretId)}`, {
    headers: { 'X-Aws-Parameters-Secrets-Token': token },
  }).catch((error: unknown) => {
    throw new WarehouseError(`Reading Snowflake secret ${secretId} through the Lambda extension failed; check the extension layer is attached.`, { cause: error, retryable: true });
  });
  if (!response.ok) {
    throw new WarehouseError(`Reading Snowflake secret ${secretId} returned HTTP ${response.status}; check the function may read it.`, { retryable: response.status >= 500 });
  }
  const body = (await response.json()) as { SecretString?: unknown };
  if (typeof body.SecretString !== 'string') throw new WarehouseError(`Snowflake secret ${secretId} has no SecretString; store it as JSON text.`);
  return body.SecretString;
};

/**
 * The credentials from a secret's JSON: `{"privateKey": "-----BEGIN…", "privateKeyPassphrase"?: "…"}`
 * (key-pair, preferred) or `{"password": "…"}`. The message never quotes the secret.
 */
export function credentialsFromSecret(secretId: string, text: string): SnowflakeCredentials {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new WarehouseError(`Snowflake secret ${secretId} is not JSON; store {"privateKey": "..."} or {"password": "..."}.`);
  }
  const fields = (parsed ?? {}) as Record<string, unknown>;
  if (typeof fields['privateKey'] === 'string') {
    const passphrase = fields['privateKeyPassphrase'];
    return { privateKey: fields['privateKey'], ...(typeof passphrase === 'string' ? { privateKeyPassphrase: passphrase } : {}) };
  }
  if (typeof fields['password'] === 'string') return { password: fields['password'] };
  throw new WarehouseError(`Snowflake secret ${secretId} has neither privateKey nor password; store {"privateKey": "..."} or {"password": "..."}.`);
}
