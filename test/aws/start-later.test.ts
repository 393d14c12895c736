import { randomUUID } from 'node:crypto';
import { GetJobRunCommand, GetJobRunsCommand } from '@aws-sdk/client-glue';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';

import { createLambdaHandler as createStartIngestLambda } from '../../runtime/aws/lambda/start-ingest.js';
import { delayBefore, MAX_DELAY_SECONDS, StartLaterMessageSchema } from '../../runtime/aws/start-later.js';
import { lambdaContext } from './lambda-harness.js';
import { drainQueue, sqsEvent } from './queues.js';
import { motoJobRunsProgress, startIngestAccount, type StartIngestAccount } from './start-ingest-account.js';

const JOB = 'floe-later-extract';

function requested(runId: string, table: string): object {
  return {
    version: '0', id: randomUUID(), 'detail-type': 'IngestRequested', source: 'floe.pipeline', account: '123456789012',
    time: new Date().toISOString(), region: 'us-east-1', resources: [],
    detail: { runId, source: 'clr', table, publishedAt: new Date().toISOString(), requestedBy: 'test' },
  };
}

describe('Concurrency on AWS APIs (moto): a start past the job\'s maxConcurrentRuns waits in the start-later queue, never fails', () => {
  let account: StartIngestAccount;

  beforeAll(async () => {
    // One run at a time, so the second table meets Glue's ConcurrentRunsExceededException; runs held
    // in STARTING until the test lets them end. Every floe event reaches `published`, as a downstream
    // subscriber would see them (GlueStarted and IngestFailed have no handler).
    account = await startIngestAccount({ name: 'later', jobs: [[JOB, 1]], sources: ['clr'], manualJobRuns: true, ingestRule: 'sink', publishedDetailTypes: 'all' });
    await account.state.putTableConfigs(['a', 'b'].map((name) => ({
      source: 'clr', table: `shop.${name}`, engine: 'postgres' as const, primaryKey: ['id'], mode: 'full' as const, partitions: 1, lookbackSeconds: 0,
    })));
  });

  afterAll(async () => {
    await account?.stop();
  });

  it('queues the second table while the first runs, then starts it from the queue once the first run ended', async () => {
    // Prepare
    const { clients, env, state, ingest, later, published, moto } = account;
    const startIngest = createStartIngestLambda(env, clients);

    // Act: two tables requested; Glue takes one
    expect(await startIngest(sqsEvent(ingest, JSON.stringify(requested('r-later-a', 'shop.a'))), lambdaContext('floe-start-ingest'))).toEqual({ batchItemFailures: [] });
    expect(await startIngest(sqsEvent(ingest, JSON.stringify(requested('r-later-b', 'shop.b'))), lambdaContext('floe-start-ingest'))).toEqual({ batchItemFailures: [] });

    // Assess: b waits, holding its table, with no job and no failure
    const { Messages: waiting = [] } = await clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: later.url, MaxNumberOfMessages: 10, AttributeNames: ['All'], MessageAttributeNames: ['All'] }));
    expect(waiting).toHaveLength(1);
    const message = StartLaterMessageSchema.parse(JSON.parse(waiting[0]!.Body!) as unknown);
    expect(message).toMatchObject({ attempt: 2, event: { detail: { runId: 'r-later-b' } } });
    expect(await state.getRun('r-later-b')).toMatchObject({ status: 'running' });
    expect((await state.getRun('r-later-b'))?.jobRunId).toBeUndefined();
    expect((await state.getTableState('clr', 'shop.b')).activeRun).toMatchObject({ runId: 'r-later-b' });
    const announced = (await drainQueue(clients.sqs, published)) as { 'detail-type': string; detail: { runId: string } }[];
    expect(announced.map((event) => [event['detail-type'], event.detail.runId])).toEqual([['GlueStarted', 'r-later-a']]);

    // Act: while a still runs, the queued attempt is refused again and goes back, one attempt further
    expect(await startIngest(sqsEvent(later, waiting[0]!.Body!), lambdaContext('floe-start-ingest'))).toEqual({ batchItemFailures: [] });
    const again = (await drainQueue(clients.sqs, later)).map((body) => StartLaterMessageSchema.parse(body));
    expect(again.map((next) => next.attempt)).toEqual([3]);
    expect(again[0]?.waitingSince).toBe(message.waitingSince);

    // Act: a's job run ends, and the queued request comes back
    await motoJobRunsProgress(moto, { progression: 'immediate' });
    const [first] = (await clients.glue.send(new GetJobRunsCommand({ JobName: JOB }))).JobRuns ?? [];
    expect((await clients.glue.send(new GetJobRunCommand({ JobName: JOB, RunId: first!.Id! }))).JobRun?.JobRunState).toBe('SUCCEEDED');
    expect(await startIngest(sqsEvent(later, JSON.stringify(again[0])), lambdaContext('floe-start-ingest'))).toEqual({ batchItemFailures: [] });

    // Assess: b's job started, recorded, announced; nothing failed
    const runB = await state.getRun('r-later-b');
    expect(runB).toMatchObject({ status: 'running' });
    expect(runB?.jobRunId).toEqual(expect.stringMatching(/^jr_/));
    const events = (await drainQueue(clients.sqs, published)) as { 'detail-type': string; detail: { runId: string } }[];
    expect(events.map((event) => [event['detail-type'], event.detail.runId])).toEqual([['GlueStarted', 'r-later-b']]);
    expect(await drainQueue(clients.sqs, later)).toEqual([]);
  }, 60_000);

  it('waits longer each time, up to SQS\'s 15-minute limit per message', () => {
    // Assess
    expect([2, 3, 4, 5, 6, 7, 8].map((attempt) => delayBefore(attempt, 30))).toEqual([30, 60, 120, 240, 480, 900, 900]);
    expect(MAX_DELAY_SECONDS).toBe(900);
  });
});
