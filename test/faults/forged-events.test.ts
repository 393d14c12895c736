import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadConfig } from '../../config/index.js';
import { INGEST_REQUESTED, STAGE_MERGED, type IngestRequested, type StageMerged } from '../../events/index.js';
import { openLocalPipeline } from '../../runtime/local/pipeline.js';
import { newRunId } from '../../runtime/local/run.js';
import { assess, problemsIn } from './assess.js';
import { eventsOf, projectIn, writeProject, type Project } from './project.js';
import { PostgresSourceTable, uniqueName } from './source-table.js';

/**
 * An event that breaks no contract but lies about its run, put on the local bus while the run is
 * under way (anyone allowed to publish on the bus could): the handler refuses it (EventRefused),
 * changes nothing, and the run goes on to finish with its real events.
 */
const source = new PostgresSourceTable(uniqueName('floe_fault_forged'));
let root: string;
let project: Project;

beforeAll(async () => {
  await source.create(50);
  root = await mkdtemp(join(tmpdir(), 'floe-faults-forged-'));
  project = projectIn(join(root, 'project'), source);
  await writeProject(project, { partitions: 1 });
});

afterAll(async () => {
  await source.execute('rollback').catch(() => undefined);
  await source.drop();
  await source.close();
  await rm(root, { recursive: true, force: true });
});

describe('A forged StageMerged { noChange: true } for a run still extracting', () => {
  it('is refused; the real Glue completion then lands, merges and ends the run, and the lease is released', async () => {
    // Prepare: the source table locked, so the run's job waits in its first read
    const config = await loadConfig(project.configFile);
    const pipeline = await openLocalPipeline(config, {});
    const ref = { runId: newRunId(), source: project.sourceName, table: project.table };
    const forged: StageMerged = {
      ...ref, publishedAt: new Date().toISOString(), rawTable: `raw.${project.warehouseTable}`, stagingTable: `staging.${project.warehouseTable}`,
      rowsLoaded: 0, inserted: 0, updated: 0, deleted: 0, watermark: null, noChange: true,
    };
    let whileExtracting;
    let outcome;
    try {
      await source.execute(`begin; lock table ${source.table} in access exclusive mode`);
      const request: IngestRequested = { ...ref, publishedAt: new Date().toISOString(), requestedBy: 'test' };
      await pipeline.bus.publish(INGEST_REQUESTED, request);
      await pipeline.bus.idle();

      // Act: the forged event, then the job let go
      await pipeline.bus.publish(STAGE_MERGED, forged);
      await pipeline.bus.idle();
      whileExtracting = {
        run: await pipeline.state.getRun(ref.runId),
        lease: (await pipeline.state.getTableState(ref.source, ref.table)).activeRun?.runId,
      };
      await source.execute('commit');
      await pipeline.settle();
      outcome = await pipeline.outcome(ref);
    } finally {
      await source.execute('rollback').catch(() => undefined);
      await pipeline.close();
    }

    // Assess: refused while the run was extracting, which it went on doing
    const jobRunId = whileExtracting.run?.jobRunId;
    const events = (await eventsOf(project)).filter((event) => event.detail.runId === ref.runId || event.detail['jobRunId'] === jobRunId);
    const refusals = events.filter((event) => event['detail-type'] === 'EventRefused');
    expect(refusals.map((event) => event.detail)).toEqual([expect.objectContaining({
      handler: 'build-gold', refusedDetailType: 'StageMerged',
      reason: `run ${ref.runId} has not merged (it is running; steps: start-ingest), so no StageMerged of it can be true`,
    })]);
    expect(whileExtracting.run).toMatchObject({ status: 'running' });
    expect(whileExtracting.run?.manifestUrl).toBeUndefined();
    expect(whileExtracting.lease).toBe(ref.runId);
    // Assess: the real events finished the run
    expect(events.map((event) => event['detail-type'])).toEqual([
      'IngestRequested', 'GlueStarted', 'StageMerged', 'EventRefused', 'Glue Job State Change', 'RawLanded', 'StageMerged', 'GoldBuilt',
    ]);
    expect(outcome.failure).toBeNull();
    expect(outcome.run).toMatchObject({ status: 'succeeded', rowsExtracted: 50, inserted: 50 });
    expect(outcome.run?.steps.map((step) => step.name)).toEqual(['start-ingest', 'extract', 'load-and-merge', 'build-gold']);
    const assessment = await assess(project);
    expect(assessment.activeRun).toBeNull();
    expect(problemsIn(assessment)).toEqual([]);
  });
});
