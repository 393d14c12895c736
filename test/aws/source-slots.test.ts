import { randomUUID } from 'node:crypto';
import { GetJobRunsCommand } from '@aws-sdk/client-glue';

import { createLambdaHandler as createGlueFinishedLambda } from '../../runtime/aws/lambda/glue-finished.js';
import { createLambdaHandler as createStartIngestLambda } from '../../runtime/aws/lambda/start-ingest.js';
import { StartLaterMessageSchema } from '../../runtime/aws/start-later.js';
import { lambdaContext } from './lambda-harness.js';
import { drainQueue, sqsEvent } from './queues.js';
import { startIngestAccount, type StartIngestAccount } from './start-ingest-account.js';

const JOB = 'floe-slots-extract';

function envelope(detailType: string, source: string, detail: object): object {
  return { version: '0', id: randomUUID(), 'detail-type': detailType, source, account: '123456789012', time: new Date().toISOString(), region: 'us-east-1', resources: [], detail };
}

const requested = (runId: string, table: string) =>
  envelope('IngestRequested', 'floe.pipeline', { runId, source: 'clr', table, publishedAt: new Date().toISOString(), requestedBy: 'test' });

/**
 * Issue 20 on AWS: each Glue job run holds its share of its source's maxConnections in DynamoDB
 * (runtime/aws/source-slots.ts). Glue itself would start both tables at once (the job allows ten
 * concurrent runs); with the source's 2 connections held by the first table's 2 parts, the second
 * waits in the start-later queue, and starts once glue-finished has seen the first job run end.
 */
describe('Source connections on AWS APIs (moto): a job run past the source\'s maxConnections waits, never fails', () => {
  let account: StartIngestAccount;

  beforeAll(async () => {
    account = await startIngestAccount({ name: 'slots', jobs: [[JOB, 10]], sources: ['clr'], ingestRule: 'sink' });
    await account.state.putTableConfigs(['a', 'b'].map((name) => ({
      source: 'clr', table: `shop.${name}`, engine: 'postgres' as const, primaryKey: ['id'], mode: 'full' as const,
      partitionColumn: 'id', partitions: 2, lookbackSeconds: 0, maxConnections: 2,
    })));
  });

  afterAll(async () => {
    await account?.stop();
  });

  it('queues the second table while the first holds the source, and starts it once the first job run ended', async () => {
    // Prepare
    const { clients, env, state, ingest, later } = account;
    const startIngest = createStartIngestLambda(env, clients);
    const glueFinished = createGlueFinishedLambda(env, clients);
    const jobRuns = async () => (await clients.glue.send(new GetJobRunsCommand({ JobName: JOB }))).JobRuns ?? [];

    // Act: two tables of one source requested, each read in 2 parts
    expect(await startIngest(sqsEvent(ingest, JSON.stringify(requested('r-slots-a', 'shop.a'))), lambdaContext('floe-start-ingest'))).toEqual({ batchItemFailures: [] });
    expect(await startIngest(sqsEvent(ingest, JSON.stringify(requested('r-slots-b', 'shop.b'))), lambdaContext('floe-start-ingest'))).toEqual({ batchItemFailures: [] });

    // Assess: a holds both connections; b waits, holding its table, with no job and no failure
    expect((await jobRuns()).map((run) => run.Arguments?.['--run-id'])).toEqual(['r-slots-a']);
    const held = await state.acquireSourceSlots('clr', 'observer', 0, 2, new Date(), 1000);
    expect(held.holders).toEqual([expect.objectContaining({ holder: 'r-slots-a', slots: 2 })]);
    const waiting = (await drainQueue(clients.sqs, later)).map((body) => StartLaterMessageSchema.parse(body));
    expect(waiting).toEqual([expect.objectContaining({ attempt: 2, event: expect.objectContaining({ detail: expect.objectContaining({ runId: 'r-slots-b' }) }) })]);
    expect(await state.getRun('r-slots-b')).toMatchObject({ status: 'running' });
    expect((await state.getRun('r-slots-b'))?.jobRunId).toBeUndefined();

    // Act: a's job run ends (it failed: glue-finished ends the run and frees the source)
    const jobRunId = (await state.getRun('r-slots-a'))?.jobRunId ?? '';
    await glueFinished(envelope('Glue Job State Change', 'aws.glue', {
      jobName: JOB, severity: 'ERROR', state: 'FAILED', jobRunId, message: 'connection refused',
    }), lambdaContext('floe-glue-finished'));
    expect(await startIngest(sqsEvent(later, JSON.stringify(waiting[0])), lambdaContext('floe-start-ingest'))).toEqual({ batchItemFailures: [] });

    // Assess: b's job started with the source's connections; nothing is left waiting
    expect((await jobRuns()).map((run) => run.Arguments?.['--run-id']).sort()).toEqual(['r-slots-a', 'r-slots-b']);
    expect((await state.getRun('r-slots-b'))?.jobRunId).toEqual(expect.stringMatching(/^jr_/));
    expect((await state.acquireSourceSlots('clr', 'observer', 0, 2, new Date(), 1000)).holders).toEqual([expect.objectContaining({ holder: 'r-slots-b', slots: 2 })]);
    expect(await drainQueue(clients.sqs, later)).toEqual([]);
  }, 60_000);
});
