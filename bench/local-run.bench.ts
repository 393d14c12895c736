/**
 * `floe run` on embedded defaults against the extraction alone, on the extraction benchmark's table.
 *
 *   scripts/setup && .venv/bin/python glue/bench/seed.py --rows 3000000 && npx tsx bench/local-run.bench.ts
 *
 * Measures, in one run: the extraction job alone (full), a full `floe run` (extract, raw load,
 * MERGE into an empty staging, gold), an incremental run after 1% of rows changed, and a run
 * where nothing changed, checking that the last one did not write the DuckDB file.
 * `BENCH_TRACE=1` prints each event of the first and the 1% run with the seconds since that run began.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pg from 'pg';

import { loadConfig } from '../config/index.js';
import { runLocally } from '../runtime/local/run.js';
import { timed } from './timed.js';

const PG_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';

async function main(): Promise<void> {
  const folder = await mkdtemp(join(tmpdir(), 'floe-local-bench-'));
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  const [{ rows }] = [await client.query<{ n: string }>('select count(*) as n from public.floe_bench')];
  const total = Number(rows[0]?.n);
  await writeFile(join(folder, 'floe.config.yaml'), [
    'gold: ./gold', 'sources:', '  - name: bench', '    engine: postgres', `    connection: ${PG_URL}`, '    tables:',
    '      - name: public.floe_bench', '        primaryKey: [id]', '        incrementalColumn: updated_at',
  ].join('\n'));
  const config = await loadConfig(join(folder, 'floe.config.yaml'));

  // Earlier versions of this benchmark moved rows into the future; they would be read again by every run.
  await client.query("update public.floe_bench set updated_at = localtimestamp - interval '1 day' where updated_at > localtimestamp - interval '1 day'");
  const [extractOnly] = await timed(() => execFileSync('.venv/bin/python', ['glue/extract.py', '--run-id', 'bench-extract',
    '--engine', 'postgres', '--database', 'bench', '--connection', PG_URL, '--table', 'public.floe_bench',
    '--primary-key', 'id', '--raw-root', join(folder, 'extract-only')], { stdio: 'ignore' }));
  const trace = (started: number) => (process.env['BENCH_TRACE'] === '1' ? { onEvent: (e: { 'detail-type': string }) => console.error(((performance.now() - started) / 1000).toFixed(3), e['detail-type']) } : {});
  const [full, fullOutcome] = await timed(() => runLocally(config, trace(performance.now())));
  const warehouseFile = config.warehouse.slice('duckdb://'.length);
  const afterFull = (await stat(warehouseFile)).size;
  // Stamped in the past second, not in the future: a watermark never passes the whole second its run
  // started in, so a row stamped later is read again by the next run (and 'nothing changed' would write).
  await client.query("update public.floe_bench set updated_at = date_trunc('second', localtimestamp) - interval '1 second' where id % 100 = 0");
  const [incremental, incrementalOutcome] = await timed(() => runLocally(config, trace(performance.now())));
  const before = await stat(warehouseFile);
  const [unchanged, unchangedOutcome] = await timed(() => runLocally(config));
  const after = await stat(warehouseFile);
  await client.end();
  await rm(folder, { recursive: true, force: true });

  for (const outcome of [fullOutcome, incrementalOutcome, unchangedOutcome]) {
    if (outcome[0]?.failure) throw new Error(`run failed: ${outcome[0].failure}`);
  }
  const changedRows = incrementalOutcome[0]?.run?.rowsExtracted ?? 0;
  const written = before.mtimeMs !== after.mtimeMs || before.size !== after.size;
  console.log(`| what | seconds | ratio | target |  (${total.toLocaleString()} rows, PostgreSQL floe_bench)`);
  console.log('|---|---|---|---|');
  console.log(`| extraction job alone, full | ${extractOnly.toFixed(2)} | 1.00 | |`);
  console.log(`| floe run, first (full load into DuckDB) | ${full.toFixed(2)} | ${(full / extractOnly).toFixed(2)} × extraction | ≤ 1.5 |`);
  console.log(`| floe run, ${changedRows.toLocaleString()} rows changed (${((100 * changedRows) / total).toFixed(1)}%) | ${incremental.toFixed(2)} | ${(incremental / full).toFixed(3)} × full run | ≤ 0.05 |`);
  console.log(`| DuckDB file after the first run, after the 1% run | ${(afterFull / 1e6).toFixed(0)} MB, ${(before.size / 1e6).toFixed(0)} MB | | |`);
  // A window read again (the watermark held behind a transaction open elsewhere on the source) lands its rows again, harmlessly.
  const reread = unchangedOutcome[0]?.run?.rowsExtracted ?? 0;
  console.log(`| floe run, nothing changed | ${unchanged.toFixed(2)} | warehouse file ${written ? `WRITTEN (${reread.toLocaleString()} rows read again)` : 'untouched'} | ≤ 2 s, no writes |`);
}

await main();
