import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { assess, formatReport, problemsIn, type ReportRow } from './assess.js';
import { crashAndRecover } from './crash-cycle.js';
import { allKillPoints, extractFaultPoints, isExtractPoint, leavesLease } from './kill-points.js';
import { floeRun, projectIn, writeProject, type Project } from './project.js';
import { MySqlSourceTable, PostgresSourceTable, type SourceTable, uniqueName } from './source-table.js';

/**
 * Kills `floe run` with SIGKILL at every kill point (FLOE_FAULT), then checks that the next run
 * finishes the work: staging equals the source row by row, raw holds nothing twice, the watermark
 * is the source's largest value, no lease is left. Each point starts from a copy of a project that
 * has already loaded the table once, so the killed run is an incremental run with changes.
 *
 * PostgreSQL goes through every point, and its recovery finds no new rows at the source, so it
 * must finish the dead run's work from what that run left (gold included). MariaDB goes through
 * the points where the engine makes a difference (the job's own, and the steps that load its
 * files and commit its watermark), since the other handlers never see the engine.
 */

const POINTS = await allKillPoints();
const MARIADB_POINTS = [
  'start-ingest:after-job-started',
  ...(await extractFaultPoints()),
  'glue-finished:before-raw-landed',
  'load-and-merge:after-raw-load',
  'load-and-merge:after-merge',
  'load-and-merge:after-watermark',
];

interface Engine {
  name: string;
  source: SourceTable;
  points: string[];
  report: ReportRow[];
  baseline?: Project;
  baselineWatermark?: string | null;
}

const ENGINES: Engine[] = [
  { name: 'PostgreSQL', source: new PostgresSourceTable(uniqueName('floe_fault_kill')), points: POINTS, report: [] },
  { name: 'MariaDB', source: new MySqlSourceTable(uniqueName('floe_fault_kill')), points: MARIADB_POINTS, report: [] },
];
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'floe-faults-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('Kill points', () => {
  it('enumerate at least 20 points, with the extraction job points in their place in the run', async () => {
    // Prepare
    const extract = await extractFaultPoints();

    // Assess
    expect(POINTS.length).toBeGreaterThanOrEqual(20);
    expect(extract).toEqual(['extract:after-connect', 'extract:after-first-file', 'extract:before-manifest', 'extract:after-manifest', 'extract:after-log']);
    // The job's points run between GlueStarted and Glue's state change.
    expect(POINTS.slice(POINTS.indexOf('bus:after-log:GlueStarted') + 1, POINTS.indexOf('bus:after-log:Glue Job State Change'))).toEqual(extract);
  });
});

/** The job's points after its manifest: glue-finished lands a table whose manifest exists, whatever became of the job (pipeline/finish-extraction.ts). */
const JOB_DIED_AFTER_ITS_MANIFEST = ['extract:after-manifest', 'extract:after-log'];

describe.each(ENGINES)('A floe run from $name killed at a kill point', (engine) => {
  const { source } = engine;

  beforeAll(async () => {
    await source.create(400);
    const baseline = projectIn(join(root, `${engine.name}-baseline`), source);
    await writeProject(baseline);
    const first = await floeRun(baseline);
    if (first.code !== 0) throw new Error(`the baseline run failed: ${first.stdout}${first.stderr}`);
    engine.baseline = baseline;
    engine.baselineWatermark = (await baseline.state.getTableState(baseline.sourceName, baseline.table)).watermark;
  });

  afterAll(async () => {
    const title = `Kill points, ${engine.name} ${source.table} (${engine.report.length} of ${engine.points.length} run)`;
    process.stdout.write(`\n${formatReport(title, engine.report)}\n\n`);
    await source.drop();
    await source.close();
  });

  it.each(engine.points)('at %s is finished by the next run, with staging equal to the source and nothing in raw twice', async (point) => {
    // Prepare
    const baseline = engine.baseline!;
    const project = projectIn(join(root, `${engine.name}-${point.replace(/[^a-z0-9]+/gi, '-')}`), source);
    await cp(baseline.folder, project.folder, { recursive: true });

    // Act
    const cycle = await crashAndRecover(project, point, { changeBeforeRecovery: engine.name !== 'PostgreSQL' });
    engine.report.push(cycle.report);

    // Assess: the run died exactly there (a job's death is a failed run, not a dead floe)
    if (JOB_DIED_AFTER_ITS_MANIFEST.includes(point)) {
      // The manifest is written last, so its table landed whole: the run goes on as if the job had ended well.
      expect(cycle.faulted).toMatchObject({ code: 0, signal: null });
      expect(cycle.faulted.stdout).not.toContain('FAILED');
    } else if (isExtractPoint(point)) {
      expect(cycle.faulted).toMatchObject({ code: 1, signal: null });
      expect(cycle.faulted.stdout).toContain('FAILED extract: the job was killed by SIGKILL');
    } else {
      expect(cycle.faulted).toMatchObject({ code: null, signal: 'SIGKILL' });
    }
    expect(cycle.remains.lease).toBe(leavesLease(point));
    // The watermark moves only once the dead run's rows are in raw, exactly once.
    if (cycle.remains.watermark !== engine.baselineWatermark) {
      expect(cycle.assessment.rawRowsByRun.get(cycle.remains.deadRunId)).toBe(cycle.deadRunRows);
    }
    if (cycle.unlocked !== null) {
      expect(cycle.unlocked.code).toBe(0);
      expect(cycle.unlocked.stdout).toContain(`unlocked ${project.sourceName}/${project.table}: released the lease of run ${cycle.remains.deadRunId}`);
    }
    expect(cycle.recovery.code).toBe(0);
    expect(problemsIn(cycle.assessment)).toEqual([]);
    // No run is left "running" for ever: unlock, the job's end or the next run's merge ended it.
    const runs = await project.state.listRuns({ source: project.sourceName, table: project.table, limit: 100 });
    expect(runs.filter((run) => run.status === 'running').map((run) => run.runId)).toEqual([]);
  });

  it('is judged by an assessment that sees a source change staging has not had yet', async () => {
    // Prepare: the baseline project as its one run left it, then the source moves on
    const baseline = engine.baseline!;
    await source.change();

    // Act
    const problems = problemsIn(await assess(baseline));

    // Assess
    expect(problems).toEqual([
      expect.stringMatching(/^staging has \d+ rows, the source \d+$/),
      expect.stringMatching(/^rows differ from the source, keys: /),
      expect.stringMatching(/^the watermark is .*, the source's largest updated_at 2026-/),
    ]);
  });
});
