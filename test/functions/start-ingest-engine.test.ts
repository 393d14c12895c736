import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { TableConfig } from '../../config/index.js';
import { parseEvent } from '../../events/index.js';
import { createStartIngest } from '../../functions/start-ingest/handler.js';
import type { JobCapacity, JobStarter, TableSizer } from '../../pipeline/ports.js';
import { LocalStateStore } from '../../state/index.js';
import { LocalRawStorage } from '../../storage/local.js';

const FIXTURES = join(process.cwd(), 'test', 'fixtures');
const TABLE: TableConfig = {
  source: 'clr', table: 'clr.events', engine: 'postgres', primaryKey: ['id'], mode: 'incremental', incrementalColumn: 'updated_at',
  partitionColumn: 'id', partitions: 1, lookbackSeconds: 0, maxConnections: 16,
};

/** A job starter that records the runs it is asked to start. */
function recordingJob(jobName: string) {
  const started: { args: Record<string, string>; capacity: JobCapacity | undefined }[] = [];
  const job: JobStarter = { jobName, startJobRun: async (args, capacity) => (started.push({ args, capacity }), { jobRunId: `${jobName}-run` }) };
  return { job, started };
}

async function startIngest(config: TableConfig, options: { spark?: boolean; sizer?: TableSizer } = {}) {
  const folder = await mkdtemp(join(tmpdir(), 'floe-start-engine-'));
  const state = new LocalStateStore(join(folder, 'state'));
  await state.putTableConfigs([config]);
  const python = recordingJob('floe-extract');
  const spark = recordingJob('floe-extract-spark');
  const published: { detailType: string; detail: object }[] = [];
  const handler = createStartIngest({
    state,
    publisher: { publish: async (detailType, detail) => void published.push({ detailType, detail }) },
    jobs: python.job,
    ...(options.spark === false ? {} : { sparkJobs: spark.job }),
    ...(options.sizer ? { sizer: options.sizer } : {}),
    raw: new LocalRawStorage(join(folder, 'raw')),
    connectionFor: () => 'postgresql://127.0.0.1/db',
    leaseTtlMs: 60_000,
  });
  const fixture = JSON.parse(await readFile(join(FIXTURES, 'events', 'ingest-requested.json'), 'utf8')) as { detail: object };
  await handler(parseEvent({ ...fixture, detail: { ...fixture.detail, runId: 'r-1', source: config.source, table: config.table } }));
  return { state, python: python.started, spark: spark.started, published, run: await state.getRun('r-1') };
}

describe('Handler: start-ingest picks the job of the table\'s engine', () => {
  it('starts a Spark table on the Spark job with its workers, and records why', async () => {
    // Act
    const { python, spark, published, run } = await startIngest({ ...TABLE, extractionEngine: 'spark' }, { sizer: async () => ({ rows: 1e9, bytes: 120e9 }) });

    // Assess: 120 GB gives 1 + 3 workers; the Spark job gets the partition column without partitions
    expect(python).toHaveLength(0);
    expect(spark).toEqual([{ args: expect.objectContaining({ '--partition-column': 'id', '--table': 'clr.events' }), capacity: { workerType: 'G.1X', workers: 4 } }]);
    expect(spark[0]?.args).not.toHaveProperty('--partitions');
    expect(published).toEqual([{ detailType: 'GlueStarted', detail: expect.objectContaining({ jobName: 'floe-extract-spark', jobRunId: 'floe-extract-spark-run' }) }]);
    expect(run).toMatchObject({ extractionEngine: 'spark', engineReason: 'engine: spark; 4 × G.1X', jobRunId: 'floe-extract-spark-run' });
  });

  it('starts an auto table below its threshold on the Python job, without capacity', async () => {
    // Act
    const { python, spark, run } = await startIngest(TABLE, { sizer: async () => ({ rows: 1000, bytes: 2e6 }) });

    // Assess
    expect(spark).toHaveLength(0);
    expect(python).toEqual([{ args: expect.objectContaining({ '--table': 'clr.events' }), capacity: undefined }]);
    expect(python[0]?.args).not.toHaveProperty('--partition-column');
    expect(run).toMatchObject({ extractionEngine: 'python', engineReason: 'auto: ~2 MB < 20 GB' });
  });

  it('fails a Spark table\'s run where the runtime has no Spark job, saying so, and starts nothing', async () => {
    // Act
    const { python, published, run } = await startIngest({ ...TABLE, extractionEngine: 'spark' }, { spark: false });

    // Assess
    expect(python).toHaveLength(0);
    expect(published).toEqual([{ detailType: 'IngestFailed', detail: expect.objectContaining({ step: 'start-ingest', retryable: false }) }]);
    expect(run).toMatchObject({ status: 'failed', error: { name: 'NoSparkJob', message: expect.stringContaining('this runtime has no Spark job') } });
  });
});
