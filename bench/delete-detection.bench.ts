/**
 * Delete detection's cost on a larger table: the key comparison alone (source keys against
 * staging's live keys, digested per hash range in each database), in sync and with 100 rows
 * deleted, against the full extraction of the same table, in one run.
 *
 *   npx tsx bench/delete-detection.bench.ts [rows]     # default 1 000 000
 *
 * Makes its own table (public.floe_deletes_bench), loads it with floe run, and drops it at the end.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pg from 'pg';

import { loadConfig } from '../config/index.js';
import { runLocally } from '../runtime/local/run.js';
import { localDeleteFinder } from '../runtime/local/delete-finder.js';
import { SourceGate } from '../runtime/local/source-gate.js';
import { LocalStateStore } from '../state/index.js';
import { DuckDbWarehouse } from '../warehouse/duckdb.js';
import { describeTable } from '../warehouse/table-description.js';
import { LocalRawStorage } from '../storage/local.js';
import { timed } from './timed.js';

const PG_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';
const TABLE = 'public.floe_deletes_bench';

async function main(): Promise<void> {
  const rows = Number(process.argv[2] ?? 1_000_000);
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`drop table if exists ${TABLE}`);
  await client.query(`create table ${TABLE} (id bigint primary key, amount numeric(12,2), label text, updated_at timestamptz(6) not null)`);
  await client.query(`insert into ${TABLE} select g, g * 0.01, 'row ' || g, timestamptz '2025-01-01 00:00:00+00' + g * interval '1 millisecond' from generate_series(1, $1::int) g`, [rows]);
  await client.query(`analyze ${TABLE}`);
  const folder = await mkdtemp(join(tmpdir(), 'floe-deletes-bench-'));
  const configFile = join(folder, 'floe.config.yaml');
  await writeFile(configFile, [
    'gold: ./gold', 'sources:', '  - name: bench', '    engine: postgres', `    connection: ${PG_URL}`, '    tables:',
    `      - name: ${TABLE}`, '        primaryKey: [id]', '        incrementalColumn: updated_at', '        deletes: detect',
  ].join('\n'));
  const config = await loadConfig(configFile);
  try {
    const [load, outcomes] = await timed(() => runLocally(config));
    const run = outcomes[0]?.run;
    if (!run || outcomes[0]?.failure) throw new Error(`load failed: ${outcomes[0]?.failure}`);
    const manifest = await new LocalRawStorage(config.raw).readManifest(run.runId);
    if (!manifest?.newWatermark) throw new Error('no manifest');
    const description = { ...describeTable(manifest), softDelete: true };
    const [extractOnly] = await timed(() => execFileSync('.venv/bin/python', ['glue/extract.py', '--run-id', 'bench-extract',
      '--engine', 'postgres', '--database', 'bench', '--connection', PG_URL, '--table', TABLE,
      '--primary-key', 'id', '--raw-root', join(folder, 'extract-only')], { stdio: 'ignore' }));
    const warehouse = await DuckDbWarehouse.open(config.warehouse.slice('duckdb://'.length));
    const gate = new SourceGate({ state: new LocalStateStore(config.state), limits: new Map(config.sources.map((source) => [source.name, source.maxConnections])) });
    const find = localDeleteFinder(config, warehouse, gate);
    const request = { source: 'bench', table: TABLE, description, watermark: manifest.newWatermark, runId: 'bench' };
    try {
      const [inSync, none] = await timed(() => find(request));
      await client.query(`delete from ${TABLE} where id % ($1::int / 100) = 7`, [rows]);
      const [deleted, found] = await timed(() => find(request));
      console.log(`| what | seconds | ratio |  (${rows.toLocaleString()} rows, PostgreSQL → DuckDB; load took ${load.toFixed(1)} s)`);
      console.log('|---|---|---|');
      console.log(`| extraction job alone, full | ${extractOnly.toFixed(2)} | 1.00 |`);
      console.log(`| delete detection, nothing deleted (${none.length} keys) | ${inSync.toFixed(2)} | ${(inSync / extractOnly).toFixed(2)} × extraction |`);
      console.log(`| delete detection, ${found.length} rows deleted | ${deleted.toFixed(2)} | ${(deleted / extractOnly).toFixed(2)} × extraction |`);
    } finally {
      await warehouse.close();
    }
  } finally {
    await rm(folder, { recursive: true, force: true });
    await client.query(`drop table if exists ${TABLE}`);
    await client.end();
  }
}

await main();
