import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { assess, problemsIn } from './assess.js';
import { deadRunOf, eventCount } from './dead-run.js';
import { eventsOf, floeRun, projectIn, writeProject, type Project } from './project.js';
import { PostgresSourceTable, uniqueName } from './source-table.js';

/**
 * Two tables of one source start as one job run (a batch). The job is killed at one of its points
 * while extracting them: floe ends each table's run by what that table left, not by the job's
 * fate alone (a table whose manifest was written landed whole and goes on; a table without one
 * fails with the job's end), and the next `floe run` finishes both, table by table.
 */
const first = new PostgresSourceTable(uniqueName('floe_fault_batch_a'));
const second = new PostgresSourceTable(uniqueName('floe_fault_batch_b'));
let root: string;
let baseline: Project[];

const tablesIn = (folder: string): Project[] => [projectIn(folder, first, { sourceName: 'pg' }), projectIn(folder, second, { sourceName: 'pg' })];

beforeAll(async () => {
  await Promise.all([first.create(2000), second.create(40_000)]);
  root = await mkdtemp(join(tmpdir(), 'floe-faults-batch-'));
  baseline = tablesIn(join(root, 'baseline'));
  await writeProject(baseline);
  const run = await floeRun(baseline[0]!);
  if (run.code !== 0) throw new Error(`the first run failed: ${run.stdout}${run.stderr}`);
});

afterAll(async () => {
  await Promise.all([first.drop(), second.drop()]);
  await Promise.all([first.close(), second.close()]);
  await rm(root, { recursive: true, force: true });
});

describe('A job run of two tables killed mid-run', () => {
  it.each(['extract:before-manifest', 'extract:after-manifest'] as const)('at %s: each table\'s run ends by what it left, and the next run finishes both', async (point) => {
    // Prepare
    const tables = tablesIn(join(root, point.replace(/[^a-z0-9]+/gi, '-')));
    await cp(baseline[0]!.folder, tables[0]!.folder, { recursive: true });
    // The second table's window is far larger, so the first table reaches the point first: with
    // windows alike, both tables of the job could write their manifests before the kill lands.
    await Promise.all([first.change(), second.change(20_000)]);
    const logged = await eventCount(tables[0]!);

    // Act
    const faulted = await floeRun(tables[0]!, { FLOE_FAULT: point });
    const runs = await Promise.all(tables.map((table) => deadRunOf(table, logged)));
    const recovery = await floeRun(tables[0]!);
    const assessments = await Promise.all(tables.map((table) => assess(table)));
    const leftRunning = await Promise.all(tables.map(async (table) =>
      (await table.state.listRuns({ source: table.sourceName, table: table.table, limit: 100 })).filter((run) => run.status === 'running')));

    // Assess: one job run for both; a table with its manifest went on to succeed, one without failed with the job's end
    const jobRunIds = runs.map((run) => run.record?.jobRunId);
    expect(jobRunIds[0]).toBeDefined();
    expect(jobRunIds[1]).toBe(jobRunIds[0]);
    const landed = runs.filter((run) => run.manifest).length;
    // The job's death fails the run only through a table it left without a manifest.
    expect(faulted.code).toBe(landed < runs.length ? 1 : 0);
    for (const run of runs) {
      if (run.manifest) {
        expect(run.record).toMatchObject({ status: 'succeeded' });
      } else {
        expect(run.record).toMatchObject({ status: 'failed', error: { message: 'the job was killed by SIGKILL' } });
        expect(run.leaseHolder).toBeNull();
      }
    }
    if (point === 'extract:before-manifest') expect(landed).toBe(0);
    else expect(landed).toBeGreaterThanOrEqual(1);
    expect(recovery.code).toBe(0);
    expect(assessments.map((assessment) => problemsIn(assessment))).toEqual([[], []]);
    expect(leftRunning).toEqual([[], []]);
  });
});

describe('A job run of several tables where one fails', () => {
  it('fails that table alone, with its own cause, and lands the others', async () => {
    // Prepare: the second table is gone from the source after the config named it
    const gone = new PostgresSourceTable(uniqueName('floe_fault_batch_gone'));
    await gone.create(10);
    const tables = [projectIn(join(root, 'one-fails'), first, { sourceName: 'pg' }), projectIn(join(root, 'one-fails'), gone, { sourceName: 'pg' })];
    await writeProject(tables);
    await gone.drop();

    // Act
    const result = await floeRun(tables[0]!);
    const requested = (await eventsOf(tables[0]!)).filter((event) => event['detail-type'] === 'IngestRequested');
    const [landed, failed] = await Promise.all(tables.map(async (table) => {
      const runId = requested.find((event) => event.detail['table'] === table.table)?.detail.runId ?? '';
      return table.state.getRun(runId);
    }));
    await gone.close();

    // Assess
    expect(result.code).toBe(1);
    expect(landed?.jobRunId).toBeDefined();
    expect(failed?.jobRunId).toBe(landed?.jobRunId);
    expect(landed).toMatchObject({ status: 'succeeded' });
    expect(failed).toMatchObject({ status: 'failed', error: { name: 'ExtractionFailed', retryable: false } });
    expect(failed?.error?.message).toBe(`table ${gone.table} not found in database postgres`);
    expect(result.stdout).toContain(`table ${gone.table} not found`);
    expect(problemsIn(await assess(tables[0]!))).toEqual([]);
  });
});
