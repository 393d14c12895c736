/**
 * `floe check` of an in-sync table against the full extraction of the same table, in one run.
 *
 *   scripts/setup && .venv/bin/python glue/bench/seed.py --rows 2000000 --only pg && npx tsx bench/check.bench.ts
 *   .venv/bin/python glue/bench/seed.py --rows 2000000 --only mysql && npx tsx bench/check.bench.ts mysql
 *
 * Loads `public.floe_bench` with `floe run`, then times the extraction job alone (full) and a
 * whole `floe check` of the table (counts and row-hash digests in PostgreSQL and DuckDB).
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { checkCommand } from '../cli/check.js';
import { loadConfig } from '../config/index.js';
import { runLocally } from '../runtime/local/run.js';
import { timed } from './timed.js';

/** Where glue/bench/seed.py puts floe_bench on each engine. */
const ENGINES = {
  postgres: { title: 'PostgreSQL', url: 'postgresql://postgres@127.0.0.1:5432/postgres', table: 'public.floe_bench' },
  mysql: { title: 'MariaDB', url: 'mysql://root@127.0.0.1:3306/test', table: 'test.floe_bench' },
} as const;

async function main(): Promise<void> {
  const engine = process.argv[2] === 'mysql' ? 'mysql' : 'postgres';
  const { title, url, table } = ENGINES[engine];
  const folder = await mkdtemp(join(tmpdir(), 'floe-check-bench-'));
  const configFile = join(folder, 'floe.config.yaml');
  await writeFile(configFile, [
    'gold: ./gold', 'sources:', '  - name: bench', `    engine: ${engine}`, `    connection: ${url}`, '    tables:',
    `      - name: ${table}`, '        primaryKey: [id]', '        incrementalColumn: updated_at',
  ].join('\n'));
  const [load, outcomes] = await timed(async () => runLocally(await loadConfig(configFile)));
  if (outcomes[0]?.failure) throw new Error(`load failed: ${outcomes[0].failure}`);
  const rows = outcomes[0]?.run?.rowsExtracted ?? 0;
  const [extractOnly] = await timed(() => execFileSync('.venv/bin/python', ['glue/extract.py', '--run-id', 'bench-extract',
    '--engine', engine, '--database', 'bench', '--connection', url, '--table', table,
    '--primary-key', 'id', '--raw-root', join(folder, 'extract-only')], { stdio: 'ignore' }));
  const [check, code] = await timed(() => checkCommand(['--config', configFile]));
  await rm(folder, { recursive: true, force: true });
  if (code !== 0) throw new Error('floe check found drift on a table it had just loaded');
  console.log(`| what | seconds | ratio | target |  (${rows.toLocaleString()} rows, ${title} floe_bench; load took ${load.toFixed(1)} s)`);
  console.log('|---|---|---|---|');
  console.log(`| extraction job alone, full | ${extractOnly.toFixed(2)} | 1.00 | |`);
  console.log(`| floe check, in sync | ${check.toFixed(2)} | ${(check / extractOnly).toFixed(2)} × extraction | < 1 |`);
}

await main();
