import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

import type { SnowflakeCredentials } from './snowflake-connection.js';
import { WarehouseError } from './warehouse-error.js';

/** Reads a Secrets Manager secret's string. */
export type ReadSecret = (secretId: string) => Promise<string>;

/** Reads the secret with the AWS SDK's Secrets Manager client; the message never quotes the value. */
export function secretReader(client: SecretsManagerClient = new SecretsManagerClient({})): ReadSecret {
  return async (secretId) => {
    let text: string | undefined;
    try {
      ({ SecretString: text } = await client.send(new GetSecretValueCommand({ SecretId: secretId })));
    } catch (error) {
      const code = (error as { name?: unknown }).name;
      const terminal = code === 'ResourceNotFoundException' || code === 'AccessDeniedException';
      throw new WarehouseError(
        `Reading the Snowflake secret ${secretId} failed (${String(code)})${terminal ? '; check the ARN and that the function may read it' : ''}.`,
        { cause: error, retryable: !terminal },
      );
    }
    if (text === undefined) throw new WarehouseError(`The Snowflake secret ${secretId} has no SecretString; store it as JSON text.`);
    return text;
  };
}

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
