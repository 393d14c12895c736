import { parseArgs } from 'node:util';
import { loadConfig, parseSnowflakeWarehouseUrl, printable } from '../config/index.js';
import { formatDdlScript } from '../warehouse/snowflake-ddl.js';
import { openSnowflakeSession } from '../warehouse/snowflake-from-config.js';
import { EXIT } from './error-report.js';
import { planApply, runApply } from './snowflake-apply.js';
import { catalogColumns } from './snowflake-catalog.js';
import { accountSettingsFor, readManifests, snowflakeDdlFor, tablesWithoutManifest } from './snowflake-plan.js';
import { verifyCommand } from './snowflake-verify.js';
import { USAGE } from './usage.js';

/**
 * `ddl` prints everything the Snowflake account needs; `apply` checks the roles' privileges, then
 * runs it; `verify` runs floe's statements in a scratch schema and reports each. `ddl` and `apply`
 * are idempotent. Every configured table gets its tables and procedure: columns from its newest
 * manifest (the local raw root's `_manifests/`, or `--manifest` files), or, before its first run,
 * from its source's catalog, typed as the extraction job types them.
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
  if (action !== 'ddl' && action !== 'apply' && action !== 'verify') {
    process.stderr.write(`usage: ${USAGE.snowflake}\n`);
    return EXIT.usage;
  }
  const write = (line: string): void => void process.stdout.write(`${line}\n`);
  if (action === 'verify') return verifyCommand(await loadConfig(values.config, { ignoreConnections: true }), write);

  let config = await loadConfig(values.config, { ignoreConnections: true });
  const localRaw = /^[a-z][a-z0-9+.-]*:\/\//i.test(config.raw) ? undefined : config.raw;
  const manifests = await readManifests(values.manifest, localRaw);
  const fromCatalog = tablesWithoutManifest(config, manifests);
  // Tables never extracted take their columns from the source: only then are connections read.
  if (fromCatalog.length > 0) config = await loadConfig(values.config);
  for (const table of fromCatalog) process.stderr.write(`${printable(`${table.source}/${table.table}`)}: no run yet; columns from the source's catalog\n`);
  const statements = await snowflakeDdlFor(config, manifests, (table) => catalogColumns(config, table), values['raw-url']);
  const settings = accountSettingsFor(config, values['raw-url']);
  if (action === 'ddl') {
    process.stdout.write(formatDdlScript(statements, { ...(settings.role === undefined ? {} : { role: settings.role }), ...(settings.adminRole === undefined ? {} : { adminRole: settings.adminRole }) }));
    return EXIT.ok;
  }
  const session = await openSnowflakeSession(config);
  try {
    const plan = await planApply(session, settings, statements, parseSnowflakeWarehouseUrl(config.warehouse)?.warehouse);
    if (plan.missing.length > 0) {
      for (const line of plan.missing) process.stderr.write(`floe: ${printable(line)}\n`);
      process.stderr.write(`floe: nothing was changed in Snowflake database ${printable(settings.database)}; grant the above (or set snowflake.adminRole), then apply again\n`);
      return EXIT.failed;
    }
    await runApply(session, settings, plan, (line) => process.stderr.write(`${printable(line)}\n`));
    write(`${plan.statements.length} statement(s) applied to Snowflake database ${printable(settings.database)}`);
    return EXIT.ok;
  } finally {
    await session.close();
  }
}
