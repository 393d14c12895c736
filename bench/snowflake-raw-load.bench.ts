/**
 * Snowflake's raw load, per file (one COPY and one stamping UPDATE per file, as floe did before
 * issue 15) against per run (one COPY naming the run's files, one UPDATE), on the fakesnow
 * emulator. Emulator timings are only indicative: fakesnow runs DuckDB in one process on this
 * machine, where Snowflake runs a warehouse; what carries over is the count of statements and scans.
 *
 *   scripts/setup && .venv/bin/python glue/bench/seed.py --rows 2000000 --only pg && npx tsx bench/snowflake-raw-load.bench.ts
 *
 * Extracts `public.floe_bench` four times (files of 8 MB), PUTs them into the internal stage, and
 * times loading a run into an empty raw table and into one that already holds a run, each way.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startFakesnow } from '../test/fakesnow.js';
import { SnowflakeSession } from '../warehouse/snowflake-connection.js';
import { copyRunIntoRawSql, DEFAULT_STAGE_NAMES, LOCAL_RAW_STAGE, stampRunRowsSql } from '../warehouse/snowflake-sql.js';
import { floeQueryTag, SnowflakeDriver, SnowflakeWarehouse } from '../warehouse/snowflake.js';
import { describeTable, type ManifestLike } from '../warehouse/table-description.js';
import type { Execute } from '../warehouse/warehouse-driver.js';
import { timed } from './timed.js';

const PG_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';
const FILE_MB = 8;

function extract(rawRoot: string, runId: string): void {
  execFileSync('.venv/bin/python', ['glue/extract.py', '--run-id', runId, '--engine', 'postgres', '--database', 'bench', '--connection', PG_URL,
    '--table', 'public.floe_bench', '--primary-key', 'id', '--raw-root', rawRoot, '--target-file-mb', String(FILE_MB)], { stdio: 'ignore' });
}

/** The load as floe did it before: per file, a COPY of that file and an UPDATE stamping the rows without a run. */
async function loadPerFile(driver: SnowflakeDriver, manifest: ManifestLike): Promise<void> {
  const description = describeTable(manifest);
  await driver.transaction({ step: 'bench' }, async (execute: Execute) => {
    for (const file of manifest.files) {
      await execute({ sql: copyRunIntoRawSql(driver.dialect, description, [file.path], { ...DEFAULT_STAGE_NAMES, stage: LOCAL_RAW_STAGE }), params: [] });
      await execute(stampRunRowsSql(driver.dialect, description, manifest.runId, manifest.startedAt));
    }
  });
}

/** The load as floe does it: one COPY of the run's files, one UPDATE (SnowflakeDriver.loadFiles). */
async function loadPerRun(driver: SnowflakeDriver, manifest: ManifestLike, rawRoot: string): Promise<void> {
  await driver.transaction({ step: 'bench' }, (execute) => driver.loadFiles(execute, { description: describeTable(manifest), manifest, files: manifest.files, rawRoot }));
}

async function main(): Promise<void> {
  const folder = await mkdtemp(join(tmpdir(), 'floe-sf-raw-bench-'));
  const rawRoot = join(folder, 'raw');
  const server = await startFakesnow();
  try {
    const runs = ['history-a', 'history-b', 'per-run', 'per-file'];
    for (const runId of runs) extract(rawRoot, runId);
    const manifests = new Map<string, ManifestLike>();
    for (const runId of runs) manifests.set(runId, JSON.parse(await readFile(join(rawRoot, '_manifests', `${runId}.json`), 'utf8')) as ManifestLike);
    const rows = manifests.get('per-run')?.totalRows ?? 0;
    const files = manifests.get('per-run')?.files.length ?? 0;
    const results: string[] = [];
    for (const [database, history, measured, way] of [
      ['EMPTY_RUN', null, 'per-run', 'per run'], ['EMPTY_FILE', null, 'per-file', 'per file'],
      ['FULL_RUN', 'history-a', 'per-run', 'per run'], ['FULL_FILE', 'history-b', 'per-file', 'per file'],
    ] as const) {
      const setup = await SnowflakeSession.open(server.settings(database));
      await setup.run({ sql: `create database if not exists "${database}"`, params: [] }, floeQueryTag('bench'));
      await setup.close();
      const session = await SnowflakeSession.open(server.settings(database), { statementTimeoutSeconds: 3600 });
      const warehouse = await SnowflakeWarehouse.open(session);
      const driver = new SnowflakeDriver(session);
      if (history !== null) {
        const manifest = manifests.get(history)!;
        await warehouse.loadRaw(describeTable(manifest), manifest, rawRoot);
      }
      const manifest = manifests.get(measured)!;
      const description = describeTable(manifest);
      // The files are put into the stage (and the raw table made) first: only the load is timed.
      await driver.stageFiles((statement) => driver.run(statement, { step: 'bench' }), { description, manifest, files: manifest.files, rawRoot });
      if (history === null) await warehouse.loadRaw(describeTable({ ...manifest, files: [], totalRows: 0 }), { ...manifest, files: [], totalRows: 0 }, rawRoot);
      const [seconds] = await timed(() => (way === 'per run' ? loadPerRun(driver, manifest, rawRoot) : loadPerFile(driver, manifest)));
      const [count] = await warehouse.query('select count(*) as "n" from raw.bench__public__floe_bench');
      results.push(`| ${history === null ? 'empty raw table' : `raw holding ${rows.toLocaleString()} rows`} | ${way} | ${way === 'per run' ? Math.ceil(files / 1000) : files} COPY + ${way === 'per run' ? 1 : files} UPDATE | ${seconds.toFixed(2)} | ${String(count?.['n'])} |`);
      await warehouse.close();
    }
    console.log(`| raw table before | load | statements | seconds | rows after |  (${rows.toLocaleString()} rows in ${files} files of ≤ ${FILE_MB} MB, public.floe_bench)`);
    console.log('|---|---|---|---|---|');
    for (const line of results) console.log(line);
  } finally {
    await server.stop();
    await rm(folder, { recursive: true, force: true });
  }
}

await main();
