import { parseArgs } from 'node:util';

import { loadConfig, toTableConfigs } from '../config/index.js';
import { openStateStore } from './state-store.js';
import { printTable } from './table-output.js';

/**
 * Validates the config and writes its table configs to the state store it names (on AWS the
 * stack's DynamoDB table, which start-ingest and request-ingest read). Tables no longer in the
 * file are left in the store (and `FLOE_INGEST(source, NULL)` still requests them). Connections
 * are not pushed: on AWS they live in Secrets Manager.
 */
export async function pushCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string', default: 'floe.config.yaml' } } });
  // Connections stay out of the store, so their variables need not be set to push.
  const config = await loadConfig(values.config, { ignoreConnections: true });
  const tables = toTableConfigs(config);
  await openStateStore(config).putTableConfigs(tables);
  printTable(
    ['table', 'mode', 'primary key', 'incremental column', 'partitions'],
    tables.map((t) => [`${t.source}/${t.table}`, t.mode, t.primaryKey.length === 0 ? '(none)' : t.primaryKey.join(', '), t.incrementalColumn ?? '-', String(t.partitions)]),
  );
  process.stdout.write(`${tables.length} table config(s) pushed to ${config.state}\n`);
  return 0;
}
