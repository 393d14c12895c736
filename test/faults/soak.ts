/**
 * The fault soak: the crash-and-recover cycle of the fault suite, round after round on ONE project
 * with a bigger table, so raw, the run history and the event log grow as they would over weeks,
 * kills land at random points of random-sized runs, and some dead leases are left to expire rather
 * than unlocked. Run by `scripts/soak`; settings come from the environment:
 *
 *   SOAK_ROUNDS  rounds to run (default 40)
 *   SOAK_ROWS    rows in the source table (default 200000)
 *   SOAK_ENGINE  postgres | mysql (default postgres)
 *   SOAK_SEED    seed of the random choices, to repeat a soak (default: the time)
 *
 * It stops at the first round that leaves anything wrong, prints what, and keeps the project
 * folder for a look; otherwise it removes it. Exit code 0 when every round recovered, 1 otherwise.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { formatReport, problemsIn, type ReportRow } from './assess.js';
import { crashAndRecover } from './crash-cycle.js';
import { allKillPoints } from './kill-points.js';
import { floeRun, projectIn, writeProject } from './project.js';
import { MySqlSourceTable, PostgresSourceTable, type SourceTable, uniqueName } from './source-table.js';

function setting(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number above 0, got ${JSON.stringify(text)}`);
  return value;
}

/** mulberry32: a small seeded generator, so a failing soak can be repeated with its seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rounds = setting('SOAK_ROUNDS', 40);
const rows = setting('SOAK_ROWS', 200_000);
const seed = setting('SOAK_SEED', Date.now() % 2_147_483_647);
const engine = process.env['SOAK_ENGINE'] ?? 'postgres';
if (engine !== 'postgres' && engine !== 'mysql') throw new Error(`SOAK_ENGINE must be postgres or mysql, got ${JSON.stringify(engine)}`);
const next = random(seed);
const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;

const schema = uniqueName('floe_fault_soak');
const source: SourceTable = engine === 'postgres' ? new PostgresSourceTable(schema) : new MySqlSourceTable(schema);
const folder = await mkdtemp(join(tmpdir(), 'floe-soak-'));
const project = projectIn(join(folder, 'project'), source);
const points = await allKillPoints();
const report: ReportRow[] = [];
let failed = false;

process.stdout.write(`floe fault soak: ${rounds} rounds, ${rows} rows of ${engine}, seed ${seed}, project ${project.folder}\n`);
try {
  await source.create(rows);
  await writeProject(project, { partitions: 4 });
  const first = await floeRun(project);
  if (first.code !== 0) throw new Error(`the first run failed:\n${first.stdout}${first.stderr}`);
  for (let round = 1; round <= rounds && !failed; round += 1) {
    const point = pick(points);
    // Between a few rows and 2% of the table changes; one dead lease in four is left to expire.
    const updates = 1 + Math.floor(next() * rows * 0.02);
    const expire = next() < 0.25;
    const cycle = await crashAndRecover(project, point, { updates, ...(expire ? { expireLeaseAfterSeconds: 2 } : {}) });
    const problems = problemsIn(cycle.assessment);
    if (cycle.faulted.code === 0) problems.unshift(`the run never reached ${point}: it exited 0`);
    if (cycle.recovery.code !== 0) problems.unshift(`the next run exited ${cycle.recovery.code}:\n${cycle.recovery.stdout}${cycle.recovery.stderr}`);
    const row = { ...cycle.report, point: `${round}. ${point} (${updates} updates)` };
    report.push(row);
    process.stdout.write(`${Object.values(row).join(' | ')}\n`);
    if (problems.length > 0) {
      failed = true;
      process.stdout.write(`\nround ${round} (${point}) left problems:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
    }
  }
  process.stdout.write(`\n${formatReport(`Soak, seed ${seed}`, report)}\n`);
} catch (error) {
  failed = true;
  process.stdout.write(`\nthe soak stopped: ${error instanceof Error ? error.message : String(error)}\n`);
} finally {
  if (failed) {
    process.stdout.write(`\nThe project is kept at ${project.folder}, and the source table ${source.table}; repeat with SOAK_SEED=${seed}.\n`);
  } else {
    await source.drop();
    await rm(folder, { recursive: true, force: true });
  }
  await source.close();
}
process.exitCode = failed ? 1 : 0;
