import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DuckDBInstance } from '@duckdb/node-api';

import { loadConfig } from '../../config/index.js';
import { INGEST_REQUESTED, type IngestRequested } from '../../events/index.js';
import { LocalBus, type Redelivery } from '../../runtime/local/bus.js';
import { openLocalPipeline, type LocalPipeline } from '../../runtime/local/pipeline.js';
import { newRunId } from '../../runtime/local/run.js';
import { assess, problemsIn } from './assess.js';
import { eventsOf, projectIn, writeProject, type Project } from './project.js';
import { PostgresSourceTable, uniqueName } from './source-table.js';

/**
 * At-least-once delivery, as EventBridge does it: every event of two runs (a first full load, then
 * an incremental one after a change) is delivered twice, by the real local bus, to the real
 * handlers. `adjacent` repeats each delivery at once; `held` keeps every copy back until both runs
 * ended, then delivers them newest first, so each copy arrives late and out of order (run 1's
 * RawLanded after run 2 merged, its IngestRequested last of all). The end state must be the one a
 * run delivered once leaves.
 */
const source = new PostgresSourceTable(uniqueName('floe_fault_dup'));
let root: string;

beforeAll(async () => {
  await source.create(300);
  root = await mkdtemp(join(tmpdir(), 'floe-faults-dup-'));
});

afterAll(async () => {
  await source.drop();
  await source.close();
  await rm(root, { recursive: true, force: true });
});

interface Lane {
  project: Project;
  pipeline: LocalPipeline;
}

async function openLane(name: string, redelivery?: Redelivery): Promise<Lane> {
  const project = projectIn(join(root, name), source);
  await writeProject(project);
  const config = await loadConfig(project.configFile);
  return { project, pipeline: await openLocalPipeline(config, redelivery ? { redelivery } : {}) };
}

async function requestRun({ project, pipeline }: Lane): Promise<void> {
  const detail: IngestRequested = {
    runId: newRunId(), source: project.sourceName, table: project.table, publishedAt: new Date().toISOString(), requestedBy: 'test',
  };
  await pipeline.bus.publish(INGEST_REQUESTED, detail);
  await pipeline.settle();
}

/** What must not differ from a run delivered once: runs (ids and times aside), raw per run, gold, events published. */
async function endState(project: Project): Promise<unknown> {
  const runs = (await project.state.listRuns({ source: project.sourceName, table: project.table, limit: 100 }))
    .sort((a, b) => a.requestedAt.localeCompare(b.requestedAt));
  const assessment = await assess(project);
  const instance = await DuckDBInstance.create(project.warehouseFile, { access_mode: 'READ_ONLY' });
  const connection = await instance.connect();
  const gold = (await connection.runAndReadAll(`select row_count::varchar as r, amount_total::varchar as a from gold."${project.goldModel}"`)).getRowObjectsJS();
  connection.closeSync();
  instance.closeSync();
  const published = (await eventsOf(project)).map((event) => event['detail-type']);
  return {
    runs: runs.map((run) => ({
      status: run.status, mode: run.mode, rowsExtracted: run.rowsExtracted, inserted: run.inserted, updated: run.updated,
      steps: run.steps.map((step) => `${step.name}${step.error ? ` failed: ${step.error.message}` : ''} ${step.rows ?? ''}`),
      rawRows: assessment.rawRowsByRun.get(run.runId) ?? 0,
    })),
    watermark: assessment.watermark,
    gold,
    published: published.sort(),
    problems: problemsIn(assessment),
  };
}

describe('Every event delivered twice, as EventBridge may', () => {
  it('leaves the same end state as one delivery, whether the copy comes at once or late and out of order', async () => {
    // Prepare: three projects on one source, run in lockstep so each sees the same source
    const once = await openLane('once');
    const adjacent = await openLane('adjacent', { copies: 2, timing: 'adjacent' });
    const held = await openLane('held', { copies: 2, timing: 'held' });
    const lanes = [once, adjacent, held];

    // Act
    try {
      for (const lane of lanes) await requestRun(lane);
      await source.change(5);
      for (const lane of lanes) await requestRun(lane);
      const heldCopies = held.pipeline.bus.heldCount;
      await held.pipeline.bus.deliverHeld();
      await held.pipeline.settle();
      expect(heldCopies).toBe(held.pipeline.bus.heldCount + (await eventsOf(held.project)).length);
      for (const lane of lanes) expect([...lane.pipeline.failures]).toEqual([]);
    } finally {
      for (const lane of lanes) await lane.pipeline.close();
    }

    // Assess
    const expected = await endState(once.project);
    expect(expected).toMatchObject({ problems: [], runs: [{ status: 'succeeded', rawRows: 300 }, { status: 'succeeded', rawRows: 7 }] });
    expect(await endState(adjacent.project)).toEqual(expected);
    expect(await endState(held.project)).toEqual(expected);
  });
});

describe('LocalBus: redelivery', () => {
  async function deliveredTo(redelivery: Redelivery): Promise<{ beforeRelease: string[]; all: string[]; sameObject: boolean }> {
    const fixtures = join(process.cwd(), 'test', 'fixtures', 'events');
    const requested = JSON.parse(await readFile(join(fixtures, 'ingest-requested.json'), 'utf8')) as object;
    const landed = JSON.parse(await readFile(join(fixtures, 'raw-landed.json'), 'utf8')) as object;
    const seen: { type: string; event: object }[] = [];
    const bus = new LocalBus({
      redelivery,
      handlers: {
        'start-ingest': async (event) => void seen.push({ type: event['detail-type'], event }),
        'load-and-merge': async (event) => void seen.push({ type: event['detail-type'], event }),
      },
    });
    await bus.publishEvent(requested);
    await bus.publishEvent(landed);
    await bus.idle();
    const beforeRelease = seen.map((s) => s.type);
    await bus.deliverHeld();
    return { beforeRelease, all: seen.map((s) => s.type), sameObject: seen[0]?.event === seen[1]?.event };
  }

  it('delivers each copy right after the first, each as its own object', async () => {
    // Act
    const delivered = await deliveredTo({ copies: 2, timing: 'adjacent' });
    // Assess
    expect(delivered.beforeRelease).toEqual(['IngestRequested', 'IngestRequested', 'RawLanded', 'RawLanded']);
    expect(delivered.all).toEqual(delivered.beforeRelease);
    expect(delivered.sameObject).toBe(false);
  });

  it('holds the copies back until released, then delivers them newest first', async () => {
    // Act
    const delivered = await deliveredTo({ copies: 3, timing: 'held' });
    // Assess
    expect(delivered.beforeRelease).toEqual(['IngestRequested', 'RawLanded']);
    expect(delivered.all).toEqual(['IngestRequested', 'RawLanded', 'RawLanded', 'RawLanded', 'IngestRequested', 'IngestRequested']);
  });

  it('refuses fewer than two copies', () => {
    expect(() => new LocalBus({ handlers: {}, redelivery: { copies: 1, timing: 'adjacent' } })).toThrow(
      'redelivery.copies must be a whole number of 2 or more, got 1',
    );
  });
});
