import { parseArgs } from 'node:util';

import { checkTable, type TableCheck } from '../check/check-table.js';
import { keyValues } from '../check/compare.js';
import { openSourceSide, type SourceSide } from '../check/source-side.js';
import { ConfigError, loadConfig, selectTables } from '../config/index.js';
import { DuckDbWarehouse } from '../warehouse/duckdb.js';
import { openStateStore } from './state-store.js';
import { printTable } from './table-output.js';

export const CHECK_USAGE = 'floe check [--config floe.config.yaml] [--source S] [--table T] [--json]';

/** Keys shown per kind of difference; --json lists them all. */
const SAMPLE = 5;

/**
 * Compares each selected table's source with its staging table (counts and key-range checksums
 * computed in each database, narrowed down to the rows that differ) and reports per table.
 * Exit codes: 0 every table in sync (or not loaded yet); 1 some drift; 2 usage or config.
 */
export async function checkCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', default: 'floe.config.yaml' },
      source: { type: 'string' },
      table: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const config = await loadConfig(values.config);
  if (!config.warehouse.startsWith('duckdb://')) throw new ConfigError(`warehouse ${config.warehouse}: floe check compares with a DuckDB warehouse only, so far`);
  const selected = selectTables(config, { source: values.source, table: values.table });
  const state = openStateStore(config);
  const warehouse = await DuckDbWarehouse.open(config.warehouse.slice('duckdb://'.length));
  const sides = new Map<string, SourceSide>();
  const checks: TableCheck[] = [];
  try {
    for (const item of selected) {
      let side = sides.get(item.source.name);
      if (!side) {
        side = await openSourceSide(item.source);
        sides.set(item.source.name, side);
      }
      if (!values.json) process.stderr.write(`checking ${item.source.name}/${item.table.name}\n`);
      checks.push(await checkTable(item, { source: side, warehouse, state }));
    }
  } finally {
    for (const side of sides.values()) await side.close().catch(() => undefined);
    await warehouse.close();
  }
  if (values.json) process.stdout.write(`${JSON.stringify(checks, null, 2)}\n`);
  else printReport(checks);
  return checks.some((check) => check.status === 'drift') ? 1 : 0;
}

function sample(keys: readonly string[]): string {
  if (keys.length === 0) return '';
  const shown = keys.slice(0, SAMPLE).map((key) => keyValues(key).map((value) => value ?? 'NULL').join('/'));
  return `${shown.join(', ')}${keys.length > SAMPLE ? ', …' : ''}`;
}

function printReport(checks: readonly TableCheck[]): void {
  printTable(
    ['table', 'result', 'source rows', 'staging rows', 'missing', 'extra', 'different', 'changed since watermark', 'seconds'],
    checks.map((check) => [
      `${check.source}/${check.table}`,
      check.status,
      String(check.drift?.sourceRows ?? '-'),
      String(check.drift?.stagingRows ?? '-'),
      String(check.drift?.missing.length ?? '-'),
      String(check.drift?.extra.length ?? '-'),
      String(check.drift?.different.length ?? '-'),
      String(check.drift?.changedSinceWatermark ?? '-'),
      check.seconds.toFixed(2),
    ]),
  );
  for (const check of checks.filter((c) => c.status === 'drift' && c.drift)) {
    const drift = check.drift!;
    for (const [kind, keys] of [['missing', drift.missing], ['extra', drift.extra], ['different', drift.different]] as const) {
      if (keys.length > 0) process.stdout.write(`${check.source}/${check.table} ${kind} keys: ${sample(keys)}\n`);
    }
  }
  const drifted = checks.filter((check) => check.status === 'drift').length;
  process.stdout.write(`${checks.length} table(s) checked, ${drifted} with drift\n`);
}
