import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { assess, formatReport, problemsIn, reportRow, type ReportRow } from './assess.js';
import { describeFaulted } from './crash-cycle.js';
import { deadRunOf, eventCount, type DeadRun } from './dead-run.js';
import { floeRun, projectIn, unlock, writeProject, type FloeResult, type Project } from './project.js';
import { MySqlSourceTable, PostgresSourceTable, uniqueName } from './source-table.js';

/**
 * A `floe run` of two tables (one PostgreSQL, one MariaDB) killed at a point. At floe's own points
 * the first table to reach it kills the process there, the other table's run stops wherever it
 * was; at the job's point each table's job dies there and floe fails both runs. The test checks
 * that the kill happened at the named point, from what each run left; that exactly the runs still
 * in their lease hold one; that `floe unlock` frees every lease held; and that the next run
 * finishes both tables: staging equal to the source row by row, the watermark at the source's
 * largest value, gold fresh, no lease and no run left running.
 */
const POINTS = ['start-ingest:after-job-started', 'extract:before-manifest', 'load-and-merge:after-merge', 'build-gold:before-build'] as const;
type Point = (typeof POINTS)[number];
const postgres = new PostgresSourceTable(uniqueName('floe_fault_multi'));
const mariadb = new MySqlSourceTable(uniqueName('floe_fault_multi'));
const report: ReportRow[] = [];
let root: string;
let baseline: Project[];
let baselineWatermarks: (string | null)[];

const tablesIn = (folder: string): Project[] => [
  projectIn(folder, postgres, { sourceName: 'pg' }),
  projectIn(folder, mariadb, { sourceName: 'maria' }),
];

/**
 * The tables whose run `point` stopped, told from what they left; the others stopped wherever
 * they were. Only one run of floe's can reach one of its points first; each job reads FLOE_FAULT.
 */
const STOPPED_THERE: Record<Point, (runs: DeadRun[]) => DeadRun[]> = {
  // pg's request is the first on the bus, so its start-ingest runs first.
  'start-ingest:after-job-started': (runs) => runs.slice(0, 1),
  'extract:before-manifest': (runs) => runs,
  // The run whose staging already holds what it read; the other may have loaded raw, not merged yet.
  'load-and-merge:after-merge': (runs) => runs.filter((run) => run.rawRows > 0 && run.assessment.stagingRows === run.assessment.sourceRows),
  'build-gold:before-build': (runs) => runs.filter((run) => run.events.includes('StageMerged')),
};

/** Checks that `faulted` died at `point`: how it ended, and what each run left there. */
function expectKilledAt(point: Point, faulted: FloeResult, runs: DeadRun[]): void {
  const stopped = STOPPED_THERE[point](runs);
  switch (point) {
    case 'start-ingest:after-job-started': {
      // The run recorded and its job started (the job's log shows it planned the read), the job
      // run id not recorded, no GlueStarted. maria's start-ingest never ran.
      const [pg, maria] = runs as [DeadRun, DeadRun];
      expect(faulted).toMatchObject({ code: null, signal: 'SIGKILL' });
      expect(pg.record).toMatchObject({ status: 'running' });
      expect(pg.record?.jobRunId).toBeUndefined();
      expect(pg.events).toEqual(['IngestRequested']);
      expect(pg.jobLog).toContain('plan');
      expect(maria.record).toBeNull();
      return;
    }
    case 'extract:before-manifest':
      // Each job died after publishing its data files, before the manifest; floe saw both die.
      expect(faulted).toMatchObject({ code: 1, signal: null });
      expect(faulted.stdout.match(/FAILED extract: the job was killed by SIGKILL/g)).toHaveLength(2);
      for (const run of stopped) {
        expect(run.record).toMatchObject({ status: 'failed', error: { message: 'the job was killed by SIGKILL' } });
        expect(run.dataFiles).toBeGreaterThan(0);
        expect(run.manifest).toBe(false);
      }
      return;
    case 'load-and-merge:after-merge': {
      // One table's rows in raw and merged (staging equals the source it read), its watermark not
      // committed; the other has not merged yet (its rows may be in raw).
      expect(faulted).toMatchObject({ code: null, signal: 'SIGKILL' });
      expect(stopped).toHaveLength(1);
      for (const run of stopped) {
        expect(run.assessment.checksumMismatches).toEqual([]);
        expect(run.assessment.stagingRows).toBe(run.assessment.sourceRows);
        expect(run.assessment.watermark).toBe(baselineWatermarks[runs.indexOf(run)]);
        expect(run.record).toMatchObject({ status: 'running' });
      }
      return;
    }
    case 'build-gold:before-build':
      // A table whose StageMerged build-gold received: watermark committed, lease released,
      // staging merged, gold not rebuilt, the run not ended. No table reached GoldBuilt.
      expect(faulted).toMatchObject({ code: null, signal: 'SIGKILL' });
      expect(stopped.length).toBeGreaterThanOrEqual(1);
      expect(runs.filter((run) => run.events.includes('GoldBuilt'))).toEqual([]);
      for (const run of stopped) {
        expect(run.assessment.checksumMismatches).toEqual([]);
        expect(run.assessment.watermark).toBe(run.assessment.sourceWatermark);
        expect(run.assessment.goldFresh).toBe(false);
        expect(run.record).toMatchObject({ status: 'running' });
      }
  }
}

beforeAll(async () => {
  await Promise.all([postgres.create(300), mariadb.create(300)]);
  root = await mkdtemp(join(tmpdir(), 'floe-faults-multi-'));
  baseline = tablesIn(join(root, 'baseline'));
  await writeProject(baseline);
  const first = await floeRun(baseline[0]!);
  if (first.code !== 0) throw new Error(`the first run failed: ${first.stdout}${first.stderr}`);
  baselineWatermarks = await Promise.all(baseline.map(async (table) => (await table.state.getTableState(table.sourceName, table.table)).watermark));
});

afterAll(async () => {
  process.stdout.write(`\n${formatReport('Kill points, a run of two tables (pg: PostgreSQL, maria: MariaDB)', report)}\n\n`);
  await Promise.all([postgres.drop(), mariadb.drop()]);
  await Promise.all([postgres.close(), mariadb.close()]);
  await rm(root, { recursive: true, force: true });
});

describe('A floe run of two tables killed at a kill point', () => {
  it.each(POINTS)('dies at %s; floe unlock frees the leases of the runs it stopped, and the next run finishes both tables', async (point) => {
    // Prepare
    const tables = tablesIn(join(root, point.replace(/[^a-z0-9]+/gi, '-')));
    await cp(baseline[0]!.folder, tables[0]!.folder, { recursive: true });
    await Promise.all([postgres.change(), mariadb.change()]);
    const logged = await eventCount(tables[0]!);

    // Act
    const faulted = await floeRun(tables[0]!, { FLOE_FAULT: point });
    const runs = await Promise.all(tables.map((table) => deadRunOf(table, logged)));
    await Promise.all([postgres.change(), mariadb.change()]);
    const held = runs.flatMap((run) => (run.leaseHolder === null ? [] : [run.leaseHolder]));
    const unlocked = await Promise.all(held.map((runId) => unlock(tables[0]!, runId)));
    const recovery = await floeRun(tables[0]!);
    const assessments = await Promise.all(tables.map((table) => assess(table)));
    const leftRunning = await Promise.all(tables.map(async (table) =>
      (await table.state.listRuns({ source: table.sourceName, table: table.table, limit: 100 })).filter((run) => run.status === 'running').map((run) => run.runId)));
    tables.forEach((table, i) => {
      report.push(reportRow(`${point} → ${table.sourceName}`, {
        faulted: `${describeFaulted(faulted)}${STOPPED_THERE[point](runs).includes(runs[i]!) ? ' here' : ''}`,
        leftBehind: `${runs[i]!.leaseHolder === null ? 'no lease' : 'lease'}, run ${runs[i]!.record?.status ?? 'none'}`,
        unlock: runs[i]!.leaseHolder === null ? '-' : unlocked[held.indexOf(runs[i]!.leaseHolder!)]?.code === 0 ? 'unlocked' : 'FAILED',
        recovery: recovery.code === 0 ? 'ok' : describeFaulted(recovery),
      }, assessments[i]!));
    });

    // Assess: it died there; a table's lease is held exactly while its run is inside it (started,
    // not failed, StageMerged not yet published); the next run leaves nothing to do and nothing running
    expectKilledAt(point, faulted, runs);
    expect(runs.map((run) => run.leaseHolder)).toEqual(runs.map((run) =>
      run.record?.status === 'running' && !run.events.includes('StageMerged') ? run.runId : null));
    unlocked.forEach((result, i) => {
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`released the lease of run ${held[i]}`);
    });
    expect(recovery.code).toBe(0);
    expect(assessments.map((assessment) => problemsIn(assessment))).toEqual([[], []]);
    expect(leftRunning).toEqual([[], []]);
  });
});
