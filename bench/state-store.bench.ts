/**
 * The local state store under the state operations of `floe run`, for many tables with a long
 * history (issue 20).
 *
 *   npx tsx bench/state-store.bench.ts [--tables 300] [--history 100] [--running N] [--store state/local.ts]
 *
 * Seeds a version-1 state file (`state.json`, the layout floe wrote before issue 20) holding
 * `--tables` table configs and states and `--history` finished runs per table. Then, in a process
 * of its own (so its peak RSS is the store's), opens the store (a store that keeps another layout
 * migrates the file then: that is the first line) and, for `--running` tables at once (default
 * all), performs the operations one run performs, in its order, timing each; a run stops at an
 * operation that fails. `--store` names the module to load `LocalStateStore` from, so the same
 * benchmark measures another checkout's store (e.g. a `git worktree` of an earlier commit).
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

import type { LocalStateStore as Store } from '../state/local.js';

const { values } = parseArgs({
  options: {
    tables: { type: 'string', default: '300' },
    history: { type: 'string', default: '100' },
    running: { type: 'string' },
    store: { type: 'string', default: 'state/local.ts' },
    /** Set by the benchmark itself: measure the store in this seeded folder and answer on stdout. */
    measure: { type: 'string' },
  },
});
const TABLES = Number(values.tables);
const HISTORY = Number(values.history);
const RUNNING = Math.min(TABLES, Number(values.running ?? values.tables));
const SOURCE = 'bench';
const tableName = (i: number): string => `public.t${String(i).padStart(3, '0')}`;
const HOUR = 3_600_000;
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const iso = (ms: number): string => new Date(ms).toISOString();

/** A finished run as floe records one: four steps, counts, a Glue job run id, a committed watermark. */
function pastRun(table: string, n: number): Record<string, unknown> {
  const at = T0 + n * HOUR;
  const runId = `r-${table.slice('public.'.length)}-${String(n).padStart(4, '0')}`;
  return {
    runId, source: SOURCE, table, mode: 'incremental', requestedAt: iso(at), jobRunId: `jr_${runId}`,
    status: 'succeeded', finishedAt: iso(at + 40_000),
    steps: [
      { name: 'start-ingest', startedAt: iso(at), finishedAt: iso(at + 1_000) },
      { name: 'extract', startedAt: iso(at + 1_000), finishedAt: iso(at + 20_000), rows: 1523 },
      { name: 'load-and-merge', startedAt: iso(at + 20_000), finishedAt: iso(at + 35_000), rows: 1523, details: { inserted: 1200, updated: 323, deleted: 0, noChange: false, schemaChanges: 0, rejects: 0 } },
      { name: 'build-gold', startedAt: iso(at + 35_000), finishedAt: iso(at + 40_000), details: { models: 3, skipped: false } },
    ],
    manifestUrl: `file:///srv/floe/raw/_manifests/${runId}.json`, rowsExtracted: 1523, inserted: 1200, updated: 323, deleted: 0,
    watermarkCommittedAt: iso(at + 35_000),
  };
}

/** A version-1 `state.json`: every table configured, its watermark and last run, and its history. */
async function seed(folder: string): Promise<void> {
  const doc = { version: 1, tableConfigs: {} as Record<string, unknown>, tables: {} as Record<string, unknown>, runs: {} as Record<string, unknown> };
  for (let i = 0; i < TABLES; i += 1) {
    const table = tableName(i);
    const key = `${SOURCE}/${table}`;
    doc.tableConfigs[key] = { source: SOURCE, table, engine: 'postgres', primaryKey: ['id'], mode: 'incremental', incrementalColumn: 'updated_at', partitions: 1, lookbackSeconds: 0 };
    let last: Record<string, unknown> | undefined;
    for (let n = 0; n < HISTORY; n += 1) {
      last = pastRun(table, n);
      doc.runs[String(last['runId'])] = last;
    }
    doc.tables[key] = {
      source: SOURCE, table, watermark: last === undefined ? null : '2026-01-05 03:00:00.000000+00:00', watermarkRunId: last?.['runId'] ?? null, activeRun: null,
      ...(last === undefined ? {} : { lastRun: { runId: last['runId'], status: 'succeeded', requestedAt: last['requestedAt'], finishedAt: last['finishedAt'] } }),
    };
  }
  await writeFile(join(folder, 'state.json'), `${JSON.stringify(doc, null, 2)}\n`);
}

type Op = [name: string, call: (store: Store) => Promise<unknown>];

/** The state operations of one run of `table`, in the order floe's handlers perform them. */
function runOps(table: string): Op[] {
  const runId = `r-${table.slice('public.'.length)}-now`;
  const now = T0 + HISTORY * HOUR;
  return [
    ['acquireLease', (s) => s.acquireLease(SOURCE, table, runId, new Date(now), 15 * 60_000)],
    ['startRun', (s) => s.startRun({ runId, source: SOURCE, table, mode: 'incremental', requestedAt: iso(now) })],
    ['updateRun', (s) => s.updateRun(runId, { jobRunId: `jr_${runId}` })],
    ['recordStep', (s) => s.recordStep(runId, { name: 'start-ingest', startedAt: iso(now), finishedAt: iso(now + 1_000) })],
    ['recordStep', (s) => s.recordStep(runId, { name: 'extract', startedAt: iso(now + 1_000), finishedAt: iso(now + 2_000), rows: 0 })],
    ['updateRun', (s) => s.updateRun(runId, { manifestUrl: `file:///srv/floe/raw/_manifests/${runId}.json`, rowsExtracted: 0 })],
    ['recordStep', (s) => s.recordStep(runId, { name: 'load-and-merge', startedAt: iso(now + 2_000), finishedAt: iso(now + 3_000), rows: 0, details: { noChange: true } })],
    ['updateRun', (s) => s.updateRun(runId, { inserted: 0, updated: 0 })],
    ['commitWatermark', (s) => s.commitWatermark(SOURCE, table, runId, '2026-01-05 04:00:00.000000+00:00')],
    ['recordStep', (s) => s.recordStep(runId, { name: 'build-gold', startedAt: iso(now + 3_000), finishedAt: iso(now + 3_000), details: { skipped: true } })],
    ['releaseLease', (s) => s.releaseLease(SOURCE, table, runId)],
    ['finishRun', (s) => s.finishRun(runId, 'succeeded')],
    ['getRun', (s) => s.getRun(runId)],
    ['getTableState', (s) => s.getTableState(SOURCE, table)],
  ];
}

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
const ms = (value: number): string => value.toFixed(value < 10 ? 2 : 0);

async function sizeOf(path: string): Promise<{ files: number; bytes: number }> {
  const info = await stat(path);
  if (!info.isDirectory()) return { files: 1, bytes: info.size };
  let files = 0;
  let bytes = 0;
  for (const name of await readdir(path)) {
    const inner = await sizeOf(join(path, name));
    files += inner.files;
    bytes += inner.bytes;
  }
  return { files, bytes };
}

interface Measured {
  openMs: number;
  wallSeconds: number;
  /** CPU time of the process (all threads: the fs calls in libuv's pool too) during the operations. */
  cpuSeconds: number;
  timings: [string, number[]][];
  failures: [string, number][];
  peakRssMb: number;
}

/** In its own process, so its peak RSS is the store's (and Node's), not the seeding's. */
async function measure(folder: string): Promise<Measured> {
  const { LocalStateStore } = (await import(pathToFileURL(resolve(values.store)).href)) as { LocalStateStore: typeof Store };
  const store = new LocalStateStore(folder);
  const openedAt = performance.now();
  await store.getTableState(SOURCE, tableName(0));
  const openMs = performance.now() - openedAt;
  // Measure the operations, not the kernel writing back what seeding and migrating left in memory.
  execFileSync('sync');

  const timings = new Map<string, number[]>();
  const failures = new Map<string, number>();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await Promise.all(Array.from({ length: RUNNING }, async (_, i) => {
    for (const [name, call] of runOps(tableName(i))) {
      const t = performance.now();
      try {
        await call(store);
      } catch (error) {
        // As floe's handlers would: the run stops at the operation that failed.
        const what = `${name}: ${(error as Error).name}${(error as { retryable?: boolean }).retryable === true ? ' (retryable)' : ''}`;
        failures.set(what, (failures.get(what) ?? 0) + 1);
        return;
      }
      const list = timings.get(name) ?? [];
      list.push(performance.now() - t);
      timings.set(name, list);
    }
  }));
  const wallSeconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return { openMs, wallSeconds, cpuSeconds, timings: [...timings], failures: [...failures], peakRssMb: process.resourceUsage().maxRSS / 1024 };
}

async function main(): Promise<void> {
  if (values.measure !== undefined) {
    process.stdout.write(JSON.stringify(await measure(values.measure)));
    return;
  }
  const root = await mkdtemp(join(tmpdir(), 'floe-state-bench-'));
  const folder = join(root, 'state');
  await mkdir(folder);
  await seed(folder);
  const seeded = await sizeOf(join(folder, 'state.json'));
  const args = ['--tables', String(TABLES), '--history', String(HISTORY), '--running', String(RUNNING), '--store', values.store, '--measure', folder];
  const output = execFileSync(process.execPath, [...process.execArgv, process.argv[1] ?? '', ...args], { maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'inherit'] });
  const m = JSON.parse(output.toString()) as Measured;
  const failed = m.failures.reduce((sum, [, n]) => sum + n, 0);
  const after = await sizeOf(folder);

  console.log(`store ${values.store}; ${TABLES} tables, ${HISTORY} past runs each (state.json seeded: ${(seeded.bytes / 1e6).toFixed(1)} MB); ${RUNNING} tables run at once`);
  console.log(`first operation (opens the store, migrating state.json if the store keeps another layout): ${ms(m.openMs)} ms`);
  console.log(`all ${RUNNING} runs' operations: ${m.wallSeconds.toFixed(2)} s wall (${m.cpuSeconds.toFixed(2)} s CPU), ${RUNNING - failed} runs completed${failed === 0 ? '' : `, ${failed} stopped by a failed operation (${m.failures.map(([what, n]) => `${n}× ${what}`).join(', ')})`}`);
  console.log(`peak RSS of the measuring process: ${m.peakRssMb.toFixed(0)} MB; state folder afterwards: ${after.files} files, ${(after.bytes / 1e6).toFixed(1)} MB`);
  console.log('');
  console.log('| operation | calls | median ms | p95 ms | max ms |');
  console.log('|---|---|---|---|---|');
  for (const [name, list] of m.timings) {
    const sorted = [...list].sort((a, b) => a - b);
    console.log(`| ${name} | ${list.length} | ${ms(quantile(sorted, 0.5))} | ${ms(quantile(sorted, 0.95))} | ${ms(sorted[sorted.length - 1] ?? NaN)} |`);
  }
  await rm(root, { recursive: true, force: true });
}

await main();
