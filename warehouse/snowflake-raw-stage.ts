import type { QualifiedName } from './quote.js';
import type { SnowflakeSession } from './snowflake-connection.js';
import { asPrefix } from './snowflake-ddl.js';
import { snowflakeDialectIn, snowflakeIdentifier, snowflakeStoredName } from './snowflake-dialect.js';
import { DEFAULT_STAGE_NAMES, quoteSnowflakeString } from './snowflake-sql.js';
import { WarehouseError } from './warehouse-error.js';

/**
 * On an `s3://` raw root, Snowflake reads the files through the external stage `floe snowflake apply`
 * creates on it. A missing stage, or one on another location, would fail every table's COPY after
 * its extraction; it is named before anything runs. SHOW STAGES lists a stage's `url`
 * (https://docs.snowflake.com/en/sql-reference/sql/show-stages); LIKE matches without case.
 */
export async function requireRawStage(session: SnowflakeSession, rawRoot: string, stage: QualifiedName = DEFAULT_STAGE_NAMES.stage): Promise<string> {
  const { database } = session.settings;
  const name = snowflakeDialectIn(database).qualified(stage);
  const sql = `show stages like ${quoteSnowflakeString(stage.name)} in schema ${snowflakeIdentifier(database)}.${snowflakeIdentifier(stage.schema)}`;
  const { rows } = await session.run({ sql, params: [] }, JSON.stringify({ app: 'floe', step: 'open' }));
  // LIKE's `_` matches any character: only the stage of exactly this name counts.
  const url = rows.find((row) => String(row['name'] ?? '') === snowflakeStoredName(stage.name))?.['url'];
  const apply = `run \`floe snowflake apply\` with this config first, which creates it on raw: ${rawRoot}`;
  if (typeof url !== 'string' || url === '') throw new WarehouseError(`raw is ${rawRoot}, read by Snowflake through the external stage ${name}, which does not exist or is not visible to this role: ${apply}.`);
  if (asPrefix(url) !== asPrefix(rawRoot)) throw new WarehouseError(`raw is ${rawRoot}, but the external stage ${name} reads ${url}: ${apply}.`);
  return url;
}
