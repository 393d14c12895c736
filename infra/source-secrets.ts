import { Token } from 'aws-cdk-lib';

/**
 * One source's connection on AWS: the Secrets Manager secret holding it and, for what the secret
 * lacks, the database's address. An RDS-managed secret (`rds!db-…`, `rds!cluster-…`) holds only
 * `username` and `password`, so its `host`, `port` and `dbname` are given here. A secret
 * encrypted with a customer managed KMS key needs `kmsKeyArn`: reading the secret then needs
 * kms:Decrypt on that key too.
 * @see https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-secrets-manager.html
 * @see https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html
 */
export interface SourceSecret {
  secretArn: string;
  kmsKeyArn?: string;
  host?: string;
  port?: number;
  dbname?: string;
}

/**
 * Source database name (as in `floe.config.yaml`) → its secret. Only ARNs and addresses reach
 * the template; the secret values never do.
 */
export type SourceSecrets = Readonly<Record<string, SourceSecret>>;

/** Secret names may hold `!` (RDS-managed secrets are named `rds!db-<id>`). */
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@!-]+$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]+$/;
const HOST = /^[A-Za-z0-9.-]{1,253}$/;

/** Context key read by `infra/app.ts`, e.g. `cdk synth -c 'floe:sourceSecrets={"clr":"arn:aws:secretsmanager:…"}'`. */
export const SOURCE_SECRETS_CONTEXT = 'floe:sourceSecrets';

function fail(path: string, problem: string): never {
  throw new Error(`context ${SOURCE_SECRETS_CONTEXT}.${path}: ${problem}`);
}

function secretOf(source: string, value: unknown): SourceSecret {
  const arnProblem = 'expected a full Secrets Manager ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<suffix>), not a name or a secret value';
  const checkArn = (arn: unknown, path: string): string => {
    if (typeof arn !== 'string' || (!Token.isUnresolved(arn) && !SECRET_ARN.test(arn))) fail(path, arnProblem);
    return arn;
  };
  if (typeof value === 'string') return rdsManagedHasAddress(source, { secretArn: checkArn(value, source) });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(source, `${arnProblem}, or {"secretArn", "kmsKeyArn"?, "host"?, "port"?, "dbname"?}`);
  const fields = value as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((key) => !['secretArn', 'kmsKeyArn', 'host', 'port', 'dbname'].includes(key));
  if (unknown.length > 0) fail(`${source}.${unknown[0]!}`, 'unknown key; credentials belong in the secret');
  const secret: SourceSecret = { secretArn: checkArn(fields['secretArn'], `${source}.secretArn`) };
  const { kmsKeyArn, host, port, dbname } = fields;
  if (kmsKeyArn !== undefined) {
    if (typeof kmsKeyArn !== 'string' || !KMS_KEY_ARN.test(kmsKeyArn)) fail(`${source}.kmsKeyArn`, 'expected a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)');
    secret.kmsKeyArn = kmsKeyArn;
  }
  if (host !== undefined) {
    if (typeof host !== 'string' || !HOST.test(host)) fail(`${source}.host`, 'expected a host name, e.g. the RDS instance endpoint');
    secret.host = host;
  }
  if (port !== undefined) {
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) fail(`${source}.port`, 'expected a port number');
    secret.port = port;
  }
  if (dbname !== undefined) {
    if (typeof dbname !== 'string' || !/^[A-Za-z0-9_$-]{1,63}$/.test(dbname)) fail(`${source}.dbname`, 'expected a database name');
    secret.dbname = dbname;
  }
  return rdsManagedHasAddress(source, secret);
}

function rdsManagedHasAddress(source: string, secret: SourceSecret): SourceSecret {
  if (/:secret:rds!/.test(secret.secretArn) && (secret.host === undefined || secret.dbname === undefined)) {
    fail(source, 'an RDS-managed secret (rds!…) holds only username and password: give "host" and "dbname" (and "port" if not the default) beside "secretArn"');
  }
  return secret;
}

/**
 * Reads the source → secret map from CDK context (an object in cdk.json, or a JSON string on the
 * command line): each value an ARN, or an object with the ARN and what the secret lacks. A typo
 * fails at synth, not at 3 a.m.
 */
export function parseSourceSecrets(value: unknown): SourceSecrets {
  if (value === undefined || value === null) return {};
  const parsed: unknown = typeof value === 'string' ? JSON.parse(value) : value;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`context ${SOURCE_SECRETS_CONTEXT} must be an object {"<source>": "<secret ARN>" | {"secretArn", …}}`);
  }
  return Object.fromEntries(Object.entries(parsed).map(([source, entry]) => [source, secretOf(source, entry)]));
}

/**
 * The `--connection` start-ingest gives the job for a source: `secretsmanager:<arn>`, with the
 * address the secret lacks as `?host=…&port=…&dbname=…` (glue/floe_extract/connection.py).
 */
export function secretConnection(secret: SourceSecret): string {
  const address = new URLSearchParams();
  if (secret.host !== undefined) address.set('host', secret.host);
  if (secret.port !== undefined) address.set('port', String(secret.port));
  if (secret.dbname !== undefined) address.set('dbname', secret.dbname);
  const query = address.toString();
  return `secretsmanager:${secret.secretArn}${query === '' ? '' : `?${query}`}`;
}
