import { snowflakeDialectIn, snowflakeIdentifier as q } from './snowflake-dialect.js';
import { createProcessProcedureSql, createProcessTableProcedureSql } from './snowflake-procedure.js';
import { createLoadedFilesTableSql, createSchemasSql } from './loaded-files-sql.js';
import { DEFAULT_STAGE_NAMES, PARQUET_FORMAT_OPTIONS, quoteSnowflakeString, type SnowflakeStageNames } from './snowflake-sql.js';
import { createRawTableSql, createStagingTableSql } from './table-sql.js';
import { stagingWriteOf, type TableDescription } from './table-description.js';
import { WAREHOUSE_SCHEMAS } from './naming.js';
import { printable } from '../config/printable.js';
import { FLOE_INGEST_MAX_BATCH_ROWS } from '../events/index.js';

/** A storage integration: Snowflake's access to the raw bucket, through an IAM role. */
export interface StorageIntegrationSettings {
  readonly name: string;
  readonly roleArn: string;
}

/** An API integration and the endpoint behind `FLOE_INGEST`. */
export interface IngestSettings {
  readonly apiIntegration: string;
  readonly roleArn: string;
  readonly url: string;
}

/** What the account needs beyond the tables: where raw lives, how Snowflake reaches AWS, and who does what. */
export interface SnowflakeAccountSettings {
  /** floe's database. */
  readonly database: string;
  /**
   * floe's role: it runs every step (the Lambdas, `floe run`) and owns floe's schemas, tables,
   * stage, file format, procedures and function. Absent: the session's role, and no grants.
   */
  readonly role?: string;
  /**
   * The role that creates the database and the integrations and grants floe's role what its
   * steps need: ACCOUNTADMIN, or a role with CREATE INTEGRATION and CREATE DATABASE on the account.
   * Absent: floe's role does it all.
   */
  readonly adminRole?: string;
  /** The raw root the external stage reads: `s3://bucket/prefix/` (or `file:///…` on an emulator). Absent: no external stage (a local raw folder is PUT to an internal stage). */
  readonly rawUrl?: string;
  /** The storage integration the stage uses to read S3; absent only on an emulator. */
  readonly storageIntegration?: StorageIntegrationSettings;
  /** The API integration and endpoint behind `FLOE_INGEST`; absent: no external function. */
  readonly ingest?: IngestSettings;
  readonly stageNames?: SnowflakeStageNames;
}

/**
 * One statement of the account's DDL and why it is there (printed as a comment by `floe snowflake
 * ddl`). `admin` statements run as the admin role, the others as floe's role.
 */
export interface DdlStatement {
  readonly purpose: string;
  readonly sql: string;
  readonly admin?: boolean;
}

/** `s3://bucket/prefix` with the trailing `/` Snowflake needs to read below it. */
export const asPrefix = (url: string): string => (url.endsWith('/') ? url : `${url}/`);

/** The external function posting `{source, tables, options}` to request-ingest. */
export const INGEST_FUNCTION = { schema: WAREHOUSE_SCHEMAS.floe, name: 'floe_ingest' } as const;

/**
 * Creating an integration needs ACCOUNTADMIN or CREATE INTEGRATION on the account
 * (https://docs.snowflake.com/en/sql-reference/sql/create-storage-integration#access-control-requirements,
 * https://docs.snowflake.com/en/sql-reference/sql/create-api-integration#access-control-requirements).
 * `if not exists`: replacing one would give it a new external id, which the IAM role trusts; a
 * changed role ARN, URL or allowed location is altered in place by `floe snowflake apply`
 * (snowflake-integrations.ts).
 */
export function createStorageIntegrationSql(integration: StorageIntegrationSettings, rawUrl: string): string {
  return [
    `create storage integration if not exists ${q(integration.name)}`,
    '  type = external_stage',
    "  storage_provider = 'S3'",
    '  enabled = true',
    `  storage_aws_role_arn = ${quoteSnowflakeString(integration.roleArn)}`,
    `  storage_allowed_locations = (${quoteSnowflakeString(asPrefix(rawUrl))})`,
  ].join('\n');
}

export function createApiIntegrationSql(ingest: IngestSettings): string {
  return [
    `create api integration if not exists ${q(ingest.apiIntegration)}`,
    '  api_provider = aws_api_gateway',
    `  api_aws_role_arn = ${quoteSnowflakeString(ingest.roleArn)}`,
    `  api_allowed_prefixes = (${quoteSnowflakeString(ingest.url)})`,
    '  enabled = true',
  ].join('\n');
}

/**
 * What the admin role does: the database, the integrations, and the grants floe's role needs for
 * what it does not own. A stage on a storage integration needs USAGE on the integration
 * (https://docs.snowflake.com/en/sql-reference/sql/create-stage#access-control-requirements); an
 * external function, USAGE on its API integration
 * (https://docs.snowflake.com/en/sql-reference/sql/create-external-function#access-control-requirements);
 * creating floe's schemas, USAGE and CREATE SCHEMA on the database
 * (https://docs.snowflake.com/en/sql-reference/sql/create-schema#access-control-requirements).
 * Without a separate admin role, floe's role owns all of these and nothing is granted.
 */
function adminStatements(settings: SnowflakeAccountSettings): DdlStatement[] {
  const statements: DdlStatement[] = [{ purpose: 'floe database', sql: `create database if not exists ${q(settings.database)}`, admin: true }];
  const storage = settings.storageIntegration;
  if (storage !== undefined && settings.rawUrl !== undefined) {
    statements.push({ purpose: 'read access to the raw bucket, through an IAM role (give it DESC INTEGRATION’s external id)', sql: createStorageIntegrationSql(storage, settings.rawUrl), admin: true });
  }
  const ingest = settings.ingest;
  if (ingest !== undefined) {
    statements.push({ purpose: 'Snowflake’s access to the request-ingest API (give the IAM role DESC INTEGRATION’s external id)', sql: createApiIntegrationSql(ingest), admin: true });
  }
  const role = settings.role;
  if (role === undefined || settings.adminRole === undefined || q(settings.adminRole) === q(role)) return statements;
  const grant = (privileges: string, on: string): DdlStatement => ({ purpose: `what floe's role ${role} needs and does not own`, sql: `grant ${privileges} on ${on} to role ${q(role)}`, admin: true });
  statements.push(grant('usage, create schema', `database ${q(settings.database)}`));
  if (storage !== undefined && settings.rawUrl !== undefined) statements.push(grant('usage', `integration ${q(storage.name)}`));
  if (ingest !== undefined) statements.push(grant('usage', `integration ${q(ingest.apiIntegration)}`));
  return statements;
}

/**
 * Everything the account needs, in order, each statement safe to run again, and none dropping
 * the grants others gave (`create or replace` does: https://docs.snowflake.com/en/sql-reference/sql/create#general-usage-notes):
 * tables and schemas `if not exists`; the file format and the stage `if not exists` and then
 * altered to the latest definition; procedures `or replace … copy grants`; the external function
 * `create or alter`, which keeps its grants
 * (https://docs.snowflake.com/en/sql-reference/sql/create-external-function#create-or-alter-external-function-usage-notes).
 * Every name is qualified with the database. New columns are added by the steps themselves.
 */
export function snowflakeAccountDdl(settings: SnowflakeAccountSettings, descriptions: readonly TableDescription[]): DdlStatement[] {
  const dialect = snowflakeDialectIn(settings.database);
  const names = settings.stageNames ?? DEFAULT_STAGE_NAMES;
  const fileFormat = dialect.qualified(names.fileFormat);
  const statements: DdlStatement[] = [
    ...adminStatements(settings),
    ...createSchemasSql(dialect).map((sql) => ({ purpose: 'raw, staging, gold and floe schemas', sql })),
    { purpose: "floe's loaded-files bookkeeping", sql: createLoadedFilesTableSql(dialect) },
    { purpose: 'Parquet as the extraction job writes it', sql: `create file format if not exists ${fileFormat} type = parquet ${PARQUET_FORMAT_OPTIONS}` },
    {
      purpose: 'logical types keep decimals, timestamps and dates exact; binary stays binary; no text becomes NULL',
      sql: `alter file format ${fileFormat} set ${PARQUET_FORMAT_OPTIONS}`,
    },
  ];
  if (settings.rawUrl !== undefined) {
    const stage = dialect.qualified(names.stage);
    const location = [
      `url = ${quoteSnowflakeString(asPrefix(settings.rawUrl))}`,
      ...(settings.storageIntegration === undefined ? [] : [`storage_integration = ${q(settings.storageIntegration.name)}`]),
    ];
    statements.push(
      { purpose: 'the stage on the raw root; manifest paths are relative to it', sql: [`create stage if not exists ${stage}`, ...location.map((line) => `  ${line}`)].join('\n') },
      { purpose: 'the stage reads the configured raw root', sql: `alter stage ${stage} set ${location.join(' ')}` },
    );
  }
  for (const description of descriptions) {
    const table = `${description.source}.${description.table}`;
    statements.push(
      { purpose: `raw table of ${table}`, sql: createRawTableSql(dialect, description) },
      { purpose: `staging table of ${table}`, sql: createStagingTableSql(dialect, description) },
      { purpose: `the ${stagingWriteOf(description) === 'append' ? 'append' : description.mode} staging update of ${table}`, sql: createProcessProcedureSql(description, settings.database) },
    );
  }
  statements.push({ purpose: 'PROCESS_TABLE(table, run_id): dispatches to the table’s procedure', sql: createProcessTableProcedureSql(descriptions, settings.database) });
  const ingest = settings.ingest;
  if (ingest !== undefined) {
    statements.push({
      purpose: 'FLOE_INGEST(source, tables, options): asks floe for a run from SQL',
      sql: [
        `create or alter external function ${dialect.qualified(INGEST_FUNCTION)}(source varchar, tables array, options object)`,
        '  returns variant',
        `  api_integration = ${q(ingest.apiIntegration)}`,
        // request-ingest refuses a call of more rows (functions/request-ingest/limits.ts); Snowflake
        // otherwise picks the batch size. The clause's place in the grammar:
        // https://docs.snowflake.com/en/sql-reference/sql/create-external-function
        `  max_batch_rows = ${FLOE_INGEST_MAX_BATCH_ROWS}`,
        `  as ${quoteSnowflakeString(ingest.url)}`,
      ].join('\n'),
    });
  }
  return statements;
}

/**
 * The DDL as one script: each statement after a comment saying why, and `use role` wherever the
 * role changes (when the settings name roles). The comment names tables, so it is made printable
 * (config/printable.ts): a name holding a newline cannot end the comment and start a statement,
 * nor an ESC sequence reach the terminal.
 */
export function formatDdlScript(statements: readonly DdlStatement[], roles: { readonly role?: string; readonly adminRole?: string } = {}): string {
  let current: string | undefined;
  const parts: string[] = [];
  for (const statement of statements) {
    const role = statement.admin === true ? (roles.adminRole ?? roles.role) : roles.role;
    if (role !== undefined && role !== current) {
      parts.push(`-- as ${printable(role)}\nuse role ${q(role)};\n`);
      current = role;
    }
    parts.push(`-- ${printable(statement.purpose)}\n${statement.sql};\n`);
  }
  return parts.join('\n');
}
