import { snowflakeDialect as dialect, snowflakeIdentifier as q } from './snowflake-dialect.js';
import { createProcessProcedureSql, createProcessTableProcedureSql } from './snowflake-procedure.js';
import { createLoadedFilesTableSql, createSchemasSql } from './loaded-files-sql.js';
import { DEFAULT_STAGE_NAMES, quoteSnowflakeString, type SnowflakeStageNames } from './snowflake-sql.js';
import { createRawTableSql, createStagingTableSql } from './table-sql.js';
import type { TableDescription } from './table-description.js';
import { WAREHOUSE_SCHEMAS } from './naming.js';
import { printable } from '../config/printable.js';
import { FLOE_INGEST_MAX_BATCH_ROWS } from '../events/index.js';

/** What the account needs beyond the tables: where raw lives, and how Snowflake reaches AWS. */
export interface SnowflakeAccountSettings {
  /** floe's database. */
  readonly database: string;
  /** The raw root the stage reads: `s3://bucket/prefix/` (or `file:///…` on an emulator). */
  readonly rawUrl: string;
  /** The storage integration the stage uses to read S3; absent only on an emulator. */
  readonly storageIntegration?: { readonly name: string; readonly roleArn: string };
  /** The API integration and endpoint behind `FLOE_INGEST`; absent: no external function. */
  readonly ingest?: { readonly apiIntegration: string; readonly roleArn: string; readonly url: string };
  readonly stageNames?: SnowflakeStageNames;
}

/** One statement of the account's DDL and why it is there (printed as a comment by `floe snowflake ddl`). */
export interface DdlStatement {
  readonly purpose: string;
  readonly sql: string;
}

/** `s3://bucket/prefix` with the trailing `/` Snowflake needs to read below it. */
const asPrefix = (url: string): string => (url.endsWith('/') ? url : `${url}/`);

/** The external function posting `{source, tables, options}` to request-ingest. */
export const INGEST_FUNCTION = { schema: WAREHOUSE_SCHEMAS.floe, name: 'floe_ingest' } as const;

/**
 * Everything the account needs, in order, each statement safe to run again:
 * `if not exists` where replacing would break something (integrations keep
 * their external id, which the IAM role trusts), `or replace` where the
 * latest definition must win (stage, file format, procedures, function).
 * Tables are created if missing; new columns are added by the adapter itself.
 */
export function snowflakeAccountDdl(settings: SnowflakeAccountSettings, descriptions: readonly TableDescription[]): DdlStatement[] {
  const names = settings.stageNames ?? DEFAULT_STAGE_NAMES;
  const rawUrl = asPrefix(settings.rawUrl);
  const statements: DdlStatement[] = [
    { purpose: 'floe database', sql: `create database if not exists ${q(settings.database)}` },
    { purpose: 'work in it', sql: `use database ${q(settings.database)}` },
    ...createSchemasSql(dialect).map((sql) => ({ purpose: 'raw, staging, gold and floe schemas', sql })),
    { purpose: "floe's loaded-files bookkeeping", sql: createLoadedFilesTableSql(dialect) },
    {
      purpose: 'Parquet as the extraction job writes it: logical types keep decimals, timestamps and dates exact; binary stays binary',
      sql: `create or replace file format ${dialect.qualified(names.fileFormat)} type = parquet use_logical_type = true binary_as_text = false`,
    },
  ];
  const integration = settings.storageIntegration;
  if (integration !== undefined) {
    statements.push({
      purpose: 'read access to the raw bucket, through an IAM role (give it DESC INTEGRATION’s external id)',
      sql: [
        `create storage integration if not exists ${q(integration.name)}`,
        '  type = external_stage',
        "  storage_provider = 'S3'",
        '  enabled = true',
        `  storage_aws_role_arn = ${quoteSnowflakeString(integration.roleArn)}`,
        `  storage_allowed_locations = (${quoteSnowflakeString(rawUrl)})`,
      ].join('\n'),
    });
  }
  statements.push({
    purpose: 'the stage on the raw root; manifest paths are relative to it',
    sql: [
      `create or replace stage ${dialect.qualified(names.stage)}`,
      `  url = ${quoteSnowflakeString(rawUrl)}`,
      ...(integration === undefined ? [] : [`  storage_integration = ${q(integration.name)}`]),
    ].join('\n'),
  });
  for (const description of descriptions) {
    const table = `${description.source}.${description.table}`;
    statements.push(
      { purpose: `raw table of ${table}`, sql: createRawTableSql(dialect, description) },
      { purpose: `staging table of ${table}`, sql: createStagingTableSql(dialect, description) },
      { purpose: `the ${description.mode} staging update of ${table}`, sql: createProcessProcedureSql(description) },
    );
  }
  statements.push({ purpose: 'PROCESS_TABLE(table, run_id): dispatches to the table’s procedure', sql: createProcessTableProcedureSql(descriptions) });
  const ingest = settings.ingest;
  if (ingest !== undefined) {
    statements.push(
      {
        purpose: 'Snowflake’s access to the request-ingest API (give the IAM role DESC INTEGRATION’s external id)',
        sql: [
          `create api integration if not exists ${q(ingest.apiIntegration)}`,
          '  api_provider = aws_api_gateway',
          `  api_aws_role_arn = ${quoteSnowflakeString(ingest.roleArn)}`,
          `  api_allowed_prefixes = (${quoteSnowflakeString(ingest.url)})`,
          '  enabled = true',
        ].join('\n'),
      },
      {
        purpose: 'FLOE_INGEST(source, tables, options): asks floe for a run from SQL',
        sql: [
          `create or replace external function ${dialect.qualified(INGEST_FUNCTION)}(source varchar, tables array, options object)`,
          '  returns variant',
          `  api_integration = ${q(ingest.apiIntegration)}`,
          // request-ingest refuses a call of more rows (functions/request-ingest/limits.ts); Snowflake
          // otherwise picks the batch size. The clause's place in the grammar:
          // https://docs.snowflake.com/en/sql-reference/sql/create-external-function
          `  max_batch_rows = ${FLOE_INGEST_MAX_BATCH_ROWS}`,
          `  as ${quoteSnowflakeString(ingest.url)}`,
        ].join('\n'),
      },
    );
  }
  return statements;
}

/**
 * The DDL as one script: each statement after a comment saying why. The comment names tables, so
 * it is made printable (config/printable.ts): a name holding a newline cannot end the comment and
 * start a statement, nor an ESC sequence reach the terminal.
 */
export function formatDdlScript(statements: readonly DdlStatement[]): string {
  return statements.map((statement) => `-- ${printable(statement.purpose)}\n${statement.sql};\n`).join('\n');
}
