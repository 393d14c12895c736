import { Token } from 'aws-cdk-lib';

/**
 * Source database name (as in `floe.config.yaml`) → the Secrets Manager ARN holding its connection.
 * Only ARNs reach the template; the secret values never do.
 */
export type SourceSecrets = Readonly<Record<string, string>>;

const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;

/** Context key read by `infra/app.ts`, e.g. `cdk synth -c 'floe:sourceSecrets={"clr":"arn:aws:secretsmanager:…"}'`. */
export const SOURCE_SECRETS_CONTEXT = 'floe:sourceSecrets';

/**
 * Reads the source → secret ARN map from CDK context (an object in cdk.json, or a JSON string on the
 * command line) and checks every value is a full Secrets Manager ARN, so a typo fails at synth, not at 3 a.m.
 */
export function parseSourceSecrets(value: unknown): SourceSecrets {
  if (value === undefined || value === null) return {};
  const parsed: unknown = typeof value === 'string' ? JSON.parse(value) : value;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`context ${SOURCE_SECRETS_CONTEXT} must be an object {"<source>": "<secret ARN>"}`);
  }
  const secrets: Record<string, string> = {};
  for (const [source, arn] of Object.entries(parsed)) {
    if (typeof arn !== 'string' || (!Token.isUnresolved(arn) && !SECRET_ARN.test(arn))) {
      throw new Error(
        `context ${SOURCE_SECRETS_CONTEXT}.${source}: expected a full Secrets Manager ARN ` +
          '(arn:aws:secretsmanager:<region>:<account>:secret:<name>-<suffix>), not a name or a secret value',
      );
    }
    secrets[source] = arn;
  }
  return secrets;
}
