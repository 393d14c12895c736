/**
 * `floe run` over many small tables: the fixed cost per table, the source connections it opens, and
 * the memory of the `floe` process, for 10, 100 and 300 tables (issue 20's schema: 100 to 3,100 rows
 * each, about 470,000 rows for 300 tables).
 *
 *   scripts/setup && npx tsx bench/many-tables.bench.ts [tables ...]     (default: 10 100 300)
 *   FLOE_BENCH_SUFFIX=_b npx tsx bench/many-tables.bench.ts 300          (schema floe_many_b, role floe_many_bench_b)
 *
 * For each count: a fresh project with one source, `floe run` as its own process (the installed
 * command, so start-up is counted) for the first load, then again with nothing changed. Peak RSS is
 * the `floe` process's own high-water mark (VmHWM in /proc, read every 50 ms while it runs), and
 * apart from it the largest extraction job process's (GNU time's maximum resident set would mix the
 * two: Linux reports the largest waited-for descendant's peak with the process's own); connections
 * are the most backends of the benchmark's role open at once, sampled from pg_stat_activity every
 * 20 ms while the run lasts.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import pg from 'pg';

const ADMIN_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';
// FLOE_BENCH_SUFFIX keeps two benchmarks on one PostgreSQL server (other sessions' work) from
// dropping each other's schema or counting each other's connections.
const SUFFIX = (process.env['FLOE_BENCH_SUFFIX'] ?? '').replace(/[^a-z0-9_]/g, '');
const ROLE = `floe_many_bench${SUFFIX}`;
const SCHEMA = `floe_many${SUFFIX}`;
const FLOE = resolve('bin/floe.js');

/** Table i holds 100 + (i * 10) % 3000 rows: 100 to 3,100, about 1,570 on average. */
const rowsOf = (i: number): number => 100 + ((i * 10) % 3001);

async function seed(client: pg.Client, tables: number): Promise<number> {
  await client.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  await client.query(`CREATE SCHEMA ${SCHEMA}`);
  await client.query(`DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${ROLE}') THEN CREATE ROLE ${ROLE} LOGIN; END IF; END $$`);
  await client.query(`GRANT USAGE ON SCHEMA ${SCHEMA} TO ${ROLE}`);
  let total = 0;
  for (let i = 0; i < tables; i++) {
    const name = `${SCHEMA}.t${String(i).padStart(3, '0')}`;
    await client.query(`CREATE TABLE ${name} (id bigint PRIMARY KEY, customer text NOT NULL, amount numeric(12,2), status text, note text,
      created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now())`);
    await client.query(`CREATE INDEX ON ${name} (updated_at)`);
    await client.query(`INSERT INTO ${name} (id, customer, amount, status, note)
      SELECT g, 'customer ' || g, (g * 7 % 100000) / 100.0, (ARRAY['new','paid','shipped'])[1 + g % 3], repeat('x', g % 40)
      FROM generate_series(1, $1) g`, [rowsOf(i)]);
    total += rowsOf(i);
  }
  await client.query(`GRANT SELECT ON ALL TABLES IN SCHEMA ${SCHEMA} TO ${ROLE}`);
  await client.query(`ANALYZE`);
  return total;
}

interface Measured { seconds: number; peakRssMb: number; jobPeakRssMb: number; maxConnections: number; failed: number }

/** A process's high-water mark of resident memory in kB (0 once it is gone). */
function highWaterKb(pid: number | string): number {
  try {
    return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** The pids whose parent is `pid`. */
function childrenOf(pid: number): string[] {
  return readdirSync('/proc').filter((entry) => {
    if (!/^\d+$/.test(entry)) return false;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
    } catch {
      return false;
    }
  });
}

async function floeRun(folder: string, client: pg.Client): Promise<Measured> {
  let maxConnections = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE usename = $1', [ROLE]);
      maxConnections = Math.max(maxConnections, Number(rows[0]?.n));
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const started = performance.now();
  const peaks = { floe: 0, job: 0 };
  const code = await new Promise<number>((resolveExit) => {
    const child = spawn(process.execPath, [FLOE, 'run'], { cwd: folder, stdio: ['ignore', 'pipe', 'pipe'] });
    const pid = child.pid ?? 0;
    const watch = setInterval(() => {
      peaks.floe = Math.max(peaks.floe, highWaterKb(pid));
      for (const job of childrenOf(pid)) peaks.job = Math.max(peaks.job, highWaterKb(job));
    }, 50);
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { out += chunk.toString(); });
    child.on('close', (exit) => {
      clearInterval(watch);
      if (exit !== 0) process.stderr.write(`${out.split('\n').filter((line) => / failed|error/i.test(line)).slice(0, 10).join('\n')}\n`);
      resolveExit(exit ?? 1);
    });
  });
  const seconds = (performance.now() - started) / 1000;
  sampling = false;
  await sampler;
  return { seconds, peakRssMb: peaks.floe / 1024, jobPeakRssMb: peaks.job / 1024, maxConnections, failed: code };
}

async function main(): Promise<void> {
  const counts = process.argv.slice(2).map(Number).filter((n) => n > 0);
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  console.log('| tables | rows | run | seconds | per table (ms) | peak RSS of floe (MB) | largest job process (MB) | most source connections at once | exit |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const tables of counts.length > 0 ? counts : [10, 100, 300]) {
    const rows = await seed(client, tables);
    const folder = await mkdtemp(join(tmpdir(), 'floe-many-bench-'));
    const entries = Array.from({ length: tables }, (_, i) =>
      `      - name: ${SCHEMA}.t${String(i).padStart(3, '0')}\n        primaryKey: [id]\n        incrementalColumn: updated_at`);
    await writeFile(join(folder, 'floe.config.yaml'), [
      'sources:', '  - name: many', '    engine: postgres', `    connection: postgresql://${ROLE}@127.0.0.1:5432/postgres`, '    tables:', ...entries, '',
    ].join('\n'));
    for (const run of ['first (full load)', 'nothing changed']) {
      const m = await floeRun(folder, client);
      console.log(`| ${tables} | ${rows.toLocaleString('en-US')} | ${run} | ${m.seconds.toFixed(1)} | ${((1000 * m.seconds) / tables).toFixed(0)} | ${m.peakRssMb.toFixed(0)} | ${m.jobPeakRssMb.toFixed(0)} | ${m.maxConnections} | ${m.failed} |`);
    }
    await rm(folder, { recursive: true, force: true });
  }
  await client.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  await client.end();
}

await main();
