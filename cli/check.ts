import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';

import { CheckError } from '../check/check-error.js';
import { checkTable, type TableCheck } from '../check/check-table.js';
import { keyValues } from '../check/compare.js';
import { checkAsJson } from '../check/key-object.js';
import { repairBatches } from '../check/repair-keys.js';
import { openSourceSide, type SourceSide } from '../check/source-side.js';
import { loadConfig, printable, printableJson, selectTables, type FloeConfig, type SelectedTable } from '../config/index.js';
import { knownColumnsOf } from '../runtime/local/checker.js';
import { rawLayer, type RawLayer } from '../runtime/local/pipeline.js';
import { repairLocally, type RepairRequest } from '../runtime/local/repair.js';
import { SourceGate } from '../runtime/local/source-gate.js';
import { DuckDbWarehouse } from '../warehouse/duckdb.js';
import type { Warehouse } from '../warehouse/warehouse.js';
import { openStateStore } from './state-store.js';
import { printTable } from './table-output.js';

/** Keys shown per kind of difference; --json lists them all. */
const SAMPLE = 5;

/**
 * Compares each selected table's source with its staging table (counts and row-hash checksums
 * computed in each database, narrowed down to the rows that differ) and reports per table.
 * With --repair, the drifted keys are re-extracted through the pipeline (repair runs) and every
 * table is checked again; --json then prints `{ before, repairs, after }`.
 * Exit codes: 0 every table in sync (or not loaded yet), after the repair with --repair; 1 some
 * drift, or a repair run failed; 2 usage or config.
 */
export async function checkCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', default: 'floe.config.yaml' },
      source: { type: 'string' },
      table: { type: 'string' },
      json: { type: 'boolean', default: false },
      repair: { type: 'boolean', default: false },
    },
  });
  const config = await loadConfig(values.config);
  const selected = selectTables(config, { source: values.source, table: values.table });
  const checks = await checkSelected(config, selected, values.json);
  if (!values.repair) {
    if (values.json) process.stdout.write(`${printableJson(JSON.stringify(checks.map(checkAsJson), null, 2))}\n`);
    else printReport(checks);
    return checks.some((check) => check.status === 'drift') ? 1 : 0;
  }
  if (!values.json) printReport(checks);
  const repairs = await repair(config, selected, checks, values.json);
  const after = repairs.some((run) => run.runId !== null) ? await checkSelected(config, selected, values.json) : checks;
  if (values.json) process.stdout.write(`${printableJson(JSON.stringify({ before: checks.map(checkAsJson), repairs, after: after.map(checkAsJson) }, null, 2))}\n`);
  else if (repairs.some((run) => run.runId !== null)) {
    process.stdout.write('after the repair:\n');
    printReport(after);
  }
  const failed = repairs.some((run) => run.failure !== null);
  return failed || after.some((check) => check.status === 'drift') ? 1 : 0;
}

/** The config's warehouse, DuckDB or Snowflake (whose SDK is loaded only for it, as floe run loads it). */
async function openWarehouse(config: FloeConfig): Promise<Warehouse> {
  if (config.warehouse.startsWith('snowflake://')) return (await import('../warehouse/snowflake-from-config.js')).openSnowflakeWarehouse(config, { loadsRaw: false });
  return DuckDbWarehouse.open(config.warehouse.slice('duckdb://'.length));
}

/** One check of every selected table; the warehouse and source connections are closed after. */
async function checkSelected(config: FloeConfig, selected: readonly SelectedTable[], quiet: boolean): Promise<TableCheck[]> {
  const state = openStateStore(config);
  const warehouse = await openWarehouse(config);
  // A Snowflake ARRAY's elements are known from the runs' manifests; DuckDB's staging types say them.
  let raw: RawLayer | null = null;
  try {
    if (config.warehouse.startsWith('snowflake://')) raw = await rawLayer(config, true);
  } catch (error) {
    await warehouse.close().catch(() => undefined);
    throw error;
  }
  const sides = new Map<string, SourceSide>();
  const held: { release(): Promise<void> }[] = [];
  // One connection per source, one of its maxConnections: a check beside a floe run waits its turn.
  const gate = new SourceGate({
    state,
    limits: new Map(config.sources.map((source) => [source.name, source.maxConnections])),
    ...(quiet ? {} : { onQueued: (line: string) => process.stderr.write(`${printable(line)}\n`) }),
  });
  const checks: TableCheck[] = [];
  try {
    for (const item of selected) {
      let side = sides.get(item.source.name);
      if (!side) {
        held.push(await gate.take(item.source.name, `floe check (${randomUUID().slice(0, 8)})`, { want: 1 }));
        side = await openSourceSide(item.source);
        sides.set(item.source.name, side);
      }
      if (!quiet) process.stderr.write(`checking ${printable(`${item.source.name}/${item.table.name}`)}\n`);
      const progress = quiet ? undefined : (line: string) => process.stderr.write(`  ${printable(line)}\n`);
      const knownColumns = raw === null ? [] : await knownColumnsOf(raw.landing, state, item.source.name, item.table.name);
      checks.push(await checkTable(item, { source: side, warehouse, state, knownColumns, ...(progress ? { progress } : {}) }));
    }
  } finally {
    for (const side of sides.values()) await side.close().catch(() => undefined);
    for (const share of held) await share.release().catch(() => undefined);
    await raw?.close().catch(() => undefined);
    await warehouse.close();
  }
  return checks;
}

/** A repair run's outcome, as --repair reports it. */
interface RepairRun {
  /** Null for a table whose repair was refused (see `failure`). */
  runId: string | null;
  source: string;
  table: string;
  keys: number;
  failure: string | null;
}

/**
 * Re-extracts the drifted keys of each drifted table through the pipeline (repair runs, see
 * runtime/local-repair.ts). The warehouse is closed while they run: the pipeline opens its own.
 */
async function repair(config: FloeConfig, selected: readonly SelectedTable[], checks: readonly TableCheck[], quiet: boolean): Promise<RepairRun[]> {
  const warehouse = await openWarehouse(config);
  const requests: RepairRequest[] = [];
  const refused: RepairRun[] = [];
  try {
    for (const check of checks.filter((c) => c.status === 'drift')) {
      const item = selected.find((s) => s.source.name === check.source && s.table.name === check.table)!;
      try {
        requests.push({ source: check.source, table: check.table, batches: await repairBatches(check, item.table.primaryKey, warehouse) });
      } catch (error) {
        // One table floe cannot repair by key does not hold back the others.
        if (!(error instanceof CheckError)) throw error;
        refused.push({ runId: null, source: check.source, table: check.table, keys: 0, failure: error.message });
      }
    }
  } finally {
    await warehouse.close();
  }
  if (!quiet) {
    for (const run of refused) process.stdout.write(`repair of ${printable(`${run.source}/${run.table} refused: ${run.failure}`)}\n`);
  }
  if (requests.length === 0) return refused;
  const keysOf = new Map<string, number[]>(requests.map((r) => [`${r.source}/${r.table}`, r.batches.map((batch) => batch.length)]));
  if (!quiet) process.stderr.write(`repairing ${printable(requests.map((r) => `${r.source}/${r.table}`).join(', '))}\n`);
  const outcomes = await repairLocally(config, requests);
  const runs = outcomes.map((outcome) => ({
    runId: outcome.runId, source: outcome.source, table: outcome.table,
    keys: keysOf.get(`${outcome.source}/${outcome.table}`)?.shift() ?? 0, failure: outcome.failure,
  }));
  if (!quiet) {
    for (const run of runs) {
      process.stdout.write(`${printable(`repair run ${run.runId} ${run.source}/${run.table}: ${run.keys} key(s) re-extracted${run.failure === null ? '' : `, failed: ${run.failure}`}`)}\n`);
    }
  }
  return [...refused, ...runs];
}

/** Up to {@link SAMPLE} keys, each its values joined by `/`, made printable: a key value is source data. */
function sample(keys: readonly string[]): string {
  if (keys.length === 0) return '';
  const shown = keys.slice(0, SAMPLE).map((key) => keyValues(key).map((value) => value ?? 'NULL').join('/'));
  return printable(`${shown.join(', ')}${keys.length > SAMPLE ? ', …' : ''}`);
}

function printReport(checks: readonly TableCheck[]): void {
  printTable(
    ['table', 'result', 'source rows', 'staging rows', 'missing', 'extra', 'different', 'changed since watermark', 'seconds'],
    checks.map((check) => [
      `${check.source}/${check.table}`,
      check.drift?.sampled === true ? 'drift (sample)' : check.status,
      String(check.drift?.sourceRows ?? '-'),
      String(check.drift?.stagingRows ?? '-'),
      String(check.drift?.missing.length ?? '-'),
      String(check.drift?.extra.length ?? '-'),
      String(check.drift?.different.length ?? '-'),
      check.drift?.sampled === true ? '-' : String(check.drift?.changedSinceWatermark ?? '-'),
      check.seconds.toFixed(2),
    ]),
  );
  for (const check of checks.filter((c) => c.status === 'drift' && c.drift)) {
    const drift = check.drift!;
    const table = printable(`${check.source}/${check.table}`);
    if (drift.sampled === true) {
      process.stdout.write(`${table}: the ranges that differ hold more rows than floe check lists, so the counts and keys are a sample's, and a row shown missing or extra may instead differ. Reload the table: floe run --full\n`);
    }
    // A table without a key lists whole rows, each value in column order.
    const listed = check.keyless === true ? `rows (${check.key.map((column) => column.name).join('/')})` : 'keys';
    for (const [kind, keys] of [['missing', drift.missing], ['extra', drift.extra], ['different', drift.different]] as const) {
      if (keys.length > 0) process.stdout.write(`${table} ${kind} ${printable(listed)}: ${sample(keys)}\n`);
    }
  }
  const drifted = checks.filter((check) => check.status === 'drift').length;
  process.stdout.write(`${checks.length} table(s) checked, ${drifted} with drift\n`);
}
