import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, parseSnowflakeWarehouseUrl, printable, type FloeConfig } from '../config/index.js';
import { SnowflakeSession, type SnowflakeCredentials } from '../warehouse/snowflake-connection.js';
import { formatDdlScript } from '../warehouse/snowflake-ddl.js';
import { floeQueryTag } from '../warehouse/snowflake.js';
import { wrapSnowflakeError } from '../warehouse/snowflake-error.js';
import { readManifests, snowflakeDdlFor } from './snowflake-plan.js';

export const SNOWFLAKE_USAGE = 'floe snowflake ddl|apply [--config floe.config.yaml] [--manifest FILE]... [--raw-url s3://bucket/prefix]';

/** Credentials from the variables the config's `snowflake:` section names; never from the file itself. */
function credentialsFrom(config: FloeConfig): SnowflakeCredentials {
  const privateKeyEnv = config.snowflake?.privateKeyEnv ?? 'FLOE_SNOWFLAKE_PRIVATE_KEY';
  const passwordEnv = config.snowflake?.passwordEnv ?? 'FLOE_SNOWFLAKE_PASSWORD';
  const privateKey = process.env[privateKeyEnv];
  if (privateKey !== undefined && privateKey !== '') return { privateKey: privateKey.replaceAll('\\n', '\n') };
  const password = process.env[passwordEnv];
  if (password !== undefined && password !== '') return { password };
  throw new ConfigError(`floe snowflake apply needs credentials: set ${privateKeyEnv} (key-pair) or ${passwordEnv}`);
}

/**
 * `ddl` prints everything the Snowflake account needs; `apply` runs it. Both are idempotent.
 * Tables come from the config, their columns from each table's newest manifest (the local raw
 * root's `_manifests/`, or `--manifest` files); tables with no run yet are listed and left out.
 */
export async function snowflakeCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', default: 'floe.config.yaml' },
      manifest: { type: 'string', multiple: true, default: [] },
      'raw-url': { type: 'string' },
    },
  });
  const action = positionals[0];
  if (action !== 'ddl' && action !== 'apply') {
    process.stderr.write(`usage: ${SNOWFLAKE_USAGE}\n`);
    return 2;
  }
  const config = await loadConfig(values.config, { ignoreConnections: true });
  const localRaw = /^[a-z][a-z0-9+.-]*:\/\//i.test(config.raw) ? undefined : config.raw;
  const manifests = await readManifests(values.manifest, localRaw);
  const { statements, waiting } = snowflakeDdlFor(config, manifests, values['raw-url']);
  for (const table of waiting) process.stderr.write(`${printable(table)}: no manifest yet, so no tables or procedure; run an extraction, then apply again\n`);
  if (action === 'ddl') {
    process.stdout.write(formatDdlScript(statements));
    return 0;
  }
  const url = parseSnowflakeWarehouseUrl(config.warehouse);
  if (url === null || url.user === undefined) throw new ConfigError('floe snowflake apply needs warehouse: snowflake://<account>/<database>?user=<user>');
  const session = await SnowflakeSession.open({
    account: url.account,
    username: url.user,
    database: url.database,
    ...(url.warehouse === undefined ? {} : { warehouse: url.warehouse }),
    ...(url.role === undefined ? {} : { role: url.role }),
    credentials: credentialsFrom(config),
  });
  try {
    for (const statement of statements) {
      process.stderr.write(`-- ${printable(statement.purpose)}\n`);
      await session.run({ sql: statement.sql, params: [] }, floeQueryTag('apply')).catch((error: unknown) => {
        throw wrapSnowflakeError(`Applying "${statement.purpose}"`, error);
      });
    }
  } finally {
    await session.close();
  }
  process.stdout.write(`${statements.length} statement(s) applied to Snowflake database ${url.database}\n`);
  return 0;
}
