import { parseArgs } from 'node:util';

import { ConfigError, loadConfig } from '../config/index.js';
import { configSnippet } from '../discover/config-snippet.js';
import { discoverSource } from '../discover/discover-source.js';
import { SourceError } from '../discover/source-error.js';

export const DISCOVER_USAGE = 'floe discover --source S [--config floe.config.yaml] [--schema X]';

/**
 * Prints config entries for the source's base tables to stdout and
 * "N tables, M without a primary key" to stderr. Exit 3 when the source cannot
 * be reached or read: one line naming the source, never its connection string.
 */
export async function discoverCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', default: 'floe.config.yaml' },
      source: { type: 'string' },
      schema: { type: 'string' },
    },
  });
  const config = await loadConfig(values.config);
  const known = config.sources.map((s) => s.name).join(', ');
  if (values.source === undefined) throw new ConfigError(`discover needs --source S; configured sources: ${known}`);
  const source = config.sources.find((s) => s.name === values.source);
  if (source === undefined) throw new ConfigError(`no source named '${values.source}'; configured sources: ${known}`);

  try {
    const tables = await discoverSource(source, { schema: values.schema });
    process.stdout.write(configSnippet(tables));
    const withoutKey = tables.filter((table) => table.primaryKey.length === 0).length;
    process.stderr.write(`${tables.length} ${tables.length === 1 ? 'table' : 'tables'}, ${withoutKey} without a primary key\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof SourceError)) throw error;
    process.stderr.write(`floe: ${error.message}${error.retryable ? ' (retry when the database is reachable)' : ''}\n`);
    return 3;
  }
}
