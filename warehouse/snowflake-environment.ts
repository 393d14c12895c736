/** Kept apart from the adapter so the CDK app can name the variables without loading snowflake-sdk. */

/**
 * The variables `createSnowflakeWarehouse` reads. Credentials: `FLOE_SNOWFLAKE_SECRET_ARN` (a
 * secret holding `{"privateKey"}` or `{"password"}`), else `FLOE_SNOWFLAKE_PRIVATE_KEY` (PEM,
 * with `FLOE_SNOWFLAKE_PRIVATE_KEY_PASSPHRASE` when encrypted), else `FLOE_SNOWFLAKE_PASSWORD`.
 */
export const SNOWFLAKE_ENV = {
  account: 'FLOE_SNOWFLAKE_ACCOUNT',
  user: 'FLOE_SNOWFLAKE_USER',
  database: 'FLOE_SNOWFLAKE_DATABASE',
  warehouse: 'FLOE_SNOWFLAKE_WAREHOUSE',
  role: 'FLOE_SNOWFLAKE_ROLE',
  secretArn: 'FLOE_SNOWFLAKE_SECRET_ARN',
  privateKey: 'FLOE_SNOWFLAKE_PRIVATE_KEY',
  privateKeyPassphrase: 'FLOE_SNOWFLAKE_PRIVATE_KEY_PASSPHRASE',
  password: 'FLOE_SNOWFLAKE_PASSWORD',
  /** `schema.name` of the raw stage; default `floe.raw_stage`. */
  stage: 'FLOE_SNOWFLAKE_STAGE',
  /** `http://host:port` of an emulator or private endpoint, instead of the account's own URL. */
  endpoint: 'FLOE_SNOWFLAKE_ENDPOINT',
  /** STATEMENT_TIMEOUT_IN_SECONDS of the session; default 840, below the Lambdas' 15 minutes. */
  statementTimeoutSeconds: 'FLOE_SNOWFLAKE_STATEMENT_TIMEOUT_SECONDS',
} as const;
