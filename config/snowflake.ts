import { z } from 'zod';

/**
 * `warehouse: snowflake://<account>/<database>?user=…&warehouse=…&role=…` and the optional
 * `snowflake:` section: what `floe snowflake ddl|apply` and the Snowflake adapter need to know.
 * No secret is ever written here: the section names the environment variables (or the Secrets
 * Manager secret) that hold the password or private key.
 */

/** The parts of a `snowflake://` warehouse URL. */
export interface SnowflakeWarehouseUrl {
  readonly account: string;
  readonly database: string;
  readonly user: string | undefined;
  readonly warehouse: string | undefined;
  readonly role: string | undefined;
}

const ACCOUNT = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Parses `snowflake://account/database?user=…`; null when the URL is not of that form. */
export function parseSnowflakeWarehouseUrl(url: string): SnowflakeWarehouseUrl | null {
  const match = /^snowflake:\/\/([^/?#]+)\/([^/?#]+)(?:\?([^#]*))?$/.exec(url);
  const account = match?.[1];
  const database = match?.[2];
  if (match === null || account === undefined || database === undefined || !ACCOUNT.test(account)) return null;
  const query = new URLSearchParams(match[3] ?? '');
  if (query.has('password') || query.has('privateKey')) return null;
  return { account, database: decodeURIComponent(database), user: query.get('user') ?? undefined, warehouse: query.get('warehouse') ?? undefined, role: query.get('role') ?? undefined };
}

const ENV_NAME = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'expected the name of an environment variable' });
const ROLE_ARN = z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, { message: 'expected an IAM role ARN' });

/** The `snowflake:` section. */
export const SnowflakeSettingsSchema = z.strictObject({
  /** Storage integration the raw stage reads S3 through; its IAM role trusts the integration's external id. */
  storageIntegration: z.string().min(1).default('floe_raw'),
  storageRoleArn: ROLE_ARN.optional(),
  /** API integration and API Gateway URL of request-ingest, behind `FLOE.FLOE_INGEST`. */
  apiIntegration: z.string().min(1).default('floe_api'),
  apiRoleArn: ROLE_ARN.optional(),
  ingestUrl: z.url({ protocol: /^https$/ }).optional(),
  /**
   * The role `floe snowflake apply` creates the database and the integrations as, and grants floe's
   * role (the URL's `role`) what its steps need: ACCOUNTADMIN, or a role with CREATE INTEGRATION and
   * CREATE DATABASE on the account. Absent: floe's role does it all, and needs those itself.
   */
  adminRole: z.string().min(1).optional(),
  /**
   * STATEMENT_TIMEOUT_IN_SECONDS of every session floe opens (`floe run`, `floe snowflake …`); the
   * Lambdas read FLOE_SNOWFLAKE_STATEMENT_TIMEOUT_SECONDS. Default 840, below the Lambdas' 15 minutes.
   */
  statementTimeoutSeconds: z.number().int().min(1).max(604_800).optional(),
  /** Where the credentials are: a Secrets Manager secret, or environment variables (their names). */
  secretArn: z.string().regex(/^arn:aws[a-z-]*:secretsmanager:/, { message: 'expected a Secrets Manager secret ARN' }).optional(),
  privateKeyEnv: ENV_NAME.default('FLOE_SNOWFLAKE_PRIVATE_KEY'),
  passwordEnv: ENV_NAME.default('FLOE_SNOWFLAKE_PASSWORD'),
});
export type SnowflakeSettings = z.infer<typeof SnowflakeSettingsSchema>;
