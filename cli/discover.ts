import { parseArgs } from 'node:util';

import { ConfigError, loadConfig } from '../config/index.js';
import { configSnippet } from '../discover/config-snippet.js';
import { discoverSource } from '../discover/discover-source.js';

/**
 * Prints config entries for the source's base tables to stdout and
 * "N tables, M without a key (A appended, F in full mode), U keyed by a unique index" to stderr. A source that cannot be reached or read is
 * one line naming the source, never its connection string (exit 1, cli/error-report.ts).
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

  const tables = await discoverSource(source, { schema: values.schema });
  process.stdout.write(configSnippet(tables));
  const withoutKey = tables.filter((table) => table.primaryKey.length === 0).length;
  const byIndex = tables.filter((table) => table.keyEvidence !== null).length;
  const appended = tables.filter((table) => table.mode === 'append').length;
  process.stderr.write(
    `${tables.length} ${tables.length === 1 ? 'table' : 'tables'}, ${withoutKey} without a key (${appended} appended, ${withoutKey - appended} in full mode), ` +
      `${byIndex} keyed by a unique index\n`,
  );
  return 0;
}
