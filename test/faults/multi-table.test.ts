import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { assess, formatReport, problemsIn, reportRow, type ReportRow } from './assess.js';
import { describeFaulted } from './crash-cycle.js';
import { floeRun, projectIn, statusesOf, unlock, writeProject, type Project } from './project.js';
import { MySqlSourceTable, PostgresSourceTable, uniqueName } from './source-table.js';

/**
 * A `floe run` of two tables (one PostgreSQL, one MariaDB) killed at a point: the first table to
 * reach it dies there, the other wherever it was. Every lease left is found with `floe status
 * --json` and freed with `floe unlock`, and the next run must finish both tables.
 */
const POINTS = ['start-ingest:after-job-started', 'extract:before-manifest', 'load-and-merge:after-merge', 'build-gold:before-build'];
const postgres = new PostgresSourceTable(uniqueName('floe_fault_multi'));
const mariadb = new MySqlSourceTable(uniqueName('floe_fault_multi'));
const report: ReportRow[] = [];
let root: string;
let baseline: Project[];

const tablesIn = (folder: string): Project[] => [
  projectIn(folder, postgres, { sourceName: 'pg' }),
  projectIn(folder, mariadb, { sourceName: 'maria' }),
];

beforeAll(async () => {
  await Promise.all([postgres.create(300), mariadb.create(300)]);
  root = await mkdtemp(join(tmpdir(), 'floe-faults-multi-'));
  baseline = tablesIn(join(root, 'baseline'));
  await writeProject(baseline);
  const first = await floeRun(baseline[0]!);
  if (first.code !== 0) throw new Error(`the first run failed: ${first.stdout}${first.stderr}`);
});

afterAll(async () => {
  process.stdout.write(`\n${formatReport('Kill points, a run of two tables (pg: PostgreSQL, maria: MariaDB)', report)}\n\n`);
  await Promise.all([postgres.drop(), mariadb.drop()]);
  await Promise.all([postgres.close(), mariadb.close()]);
  await rm(root, { recursive: true, force: true });
});

describe('A floe run of two tables killed at a kill point', () => {
  it.each(POINTS)('at %s leaves leases floe unlock frees, and the next run finishes both tables', async (point) => {
    // Prepare
    const tables = tablesIn(join(root, point.replace(/[^a-z0-9]+/gi, '-')));
    await cp(baseline[0]!.folder, tables[0]!.folder, { recursive: true });
    await Promise.all([postgres.change(), mariadb.change()]);

    // Act
    const faulted = await floeRun(tables[0]!, { FLOE_FAULT: point });
    await Promise.all([postgres.change(), mariadb.change()]);
    const held = (await statusesOf(tables[0]!)).flatMap((status) => (status.activeRun ? [status.activeRun.runId] : []));
    const unlocked = await Promise.all(held.map((runId) => unlock(tables[0]!, runId)));
    const recovery = await floeRun(tables[0]!);
    const assessments = await Promise.all(tables.map((table) => assess(table)));
    tables.forEach((table, i) => {
      report.push(reportRow(`${point} → ${table.sourceName}`, {
        faulted: describeFaulted(faulted),
        leftBehind: `${held.length} lease(s) held in the run`,
        unlock: unlocked.map((u) => (u.code === 0 ? 'unlocked' : `exit ${u.code}`)).join(', ') || '-',
        recovery: recovery.code === 0 ? 'ok' : describeFaulted(recovery),
      }, assessments[i]!));
    });

    // Assess
    expect(faulted.code).not.toBe(0);
    expect(unlocked.map((u) => u.code)).toEqual(held.map(() => 0));
    expect(recovery.code).toBe(0);
    expect(assessments.map((assessment) => problemsIn(assessment))).toEqual([[], []]);
  });
});
