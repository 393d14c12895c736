import type { QualifiedName } from './quote.js';
import type { SnowflakeSession } from './snowflake-connection.js';
import { asPrefix } from './snowflake-ddl.js';
import { snowflakeDialectIn, snowflakeIdentifier, snowflakeStoredName } from './snowflake-dialect.js';
import { DEFAULT_STAGE_NAMES, quoteSnowflakeString } from './snowflake-sql.js';
import { WarehouseError } from './warehouse-error.js';

/**
 * On an `s3://` raw root, Snowflake reads the files through the external stage `floe snowflake apply`
 * creates on it, with its storage integration. A missing stage, one on another location, or one
 * with no way into a private bucket would fail every table's COPY after its extraction; each is
 * named before anything runs. SHOW STAGES lists a stage's schema, `url`, `storage_integration` and
 * `has_credentials` (https://docs.snowflake.com/en/sql-reference/sql/show-stages); it is asked of the
 * whole database, which answers even before `apply` made floe's schema.
 */
export async function requireRawStage(session: SnowflakeSession, rawRoot: string, stage: QualifiedName = DEFAULT_STAGE_NAMES.stage): Promise<string> {
  const { database } = session.settings;
  const name = snowflakeDialectIn(database).qualified(stage);
  const sql = `show stages like ${quoteSnowflakeString(stage.name)} in database ${snowflakeIdentifier(database)}`;
  const { rows } = await session.run({ sql, params: [] }, JSON.stringify({ app: 'floe', step: 'open' }));
  // LIKE is without case, and its `_` matches any character: only the stage of exactly this name counts.
  const found = rows.find((row) => row['schema_name'] === snowflakeStoredName(stage.schema) && row['name'] === snowflakeStoredName(stage.name));
  const url = typeof found?.['url'] === 'string' ? found['url'] : '';
  const apply = `run \`floe snowflake apply\` with this config first, which creates it on raw: ${rawRoot}`;
  if (found === undefined) throw new WarehouseError(`raw is ${rawRoot}, read by Snowflake through the external stage ${name}, which does not exist or is not visible to this role: ${apply}.`);
  if (url === '') throw new WarehouseError(`raw is ${rawRoot}, but ${name} is an internal stage: ${apply}.`);
  if (asPrefix(url) !== asPrefix(rawRoot)) throw new WarehouseError(`raw is ${rawRoot}, but the external stage ${name} reads ${url}: ${apply}.`);
  const integration = typeof found['storage_integration'] === 'string' ? found['storage_integration'] : '';
  if (integration === '' && found['has_credentials'] !== 'Y') {
    throw new WarehouseError(`the external stage ${name} reads ${url} with neither a storage integration nor credentials, so Snowflake cannot read a private bucket: set snowflake.storageRoleArn and run \`floe snowflake apply\`.`);
  }
  return `${url} through ${integration === '' ? 'the stage\'s credentials' : `storage integration ${integration}`}`;
}
