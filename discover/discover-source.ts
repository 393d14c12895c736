import { ConfigError, type SourceConfig } from '../config/index.js';
import type { DiscoveredTable, DiscoverOptions } from './discovered-table.js';
import { discoverMysql } from './mysql.js';
import { discoverPostgres } from './postgres.js';

/**
 * The base tables of one configured source, through the engine's catalogs.
 * Throws {@link ConfigError} for what the config must change (a `secretsmanager:`
 * connection, `--schema` on MySQL) and `SourceError` when the database cannot
 * be reached or read.
 */
export async function discoverSource(source: SourceConfig, options: DiscoverOptions = {}): Promise<DiscoveredTable[]> {
  if (source.connection.startsWith('secretsmanager:')) {
    throw new ConfigError(`source '${source.name}': discover needs a connection URL, not secretsmanager:; set connection to \${VARIABLE} holding the URL when running locally`);
  }
  switch (source.engine) {
    case 'postgres':
      return discoverPostgres(source, options);
    case 'mysql':
      if (options.schema !== undefined) {
        throw new ConfigError(`source '${source.name}': --schema applies to PostgreSQL sources; a MySQL source is discovered in its connection's database`);
      }
      return discoverMysql(source);
  }
}
