import { randomUUID } from 'node:crypto';
import { GetJobRunCommand, GetJobRunsCommand, type JobRun } from '@aws-sdk/client-glue';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';

import { createLambdaHandler as createGlueFinishedLambda } from '../../runtime/aws/lambda/glue-finished.js';
import { createLambdaHandler as createRetriesExhaustedLambda } from '../../runtime/aws/lambda/retries-exhausted.js';
import { createLambdaHandler as createStartIngestLambda } from '../../runtime/aws/lambda/start-ingest.js';
import { START_INGEST_RECEIVES } from '../../infra/start-ingest-queues.js';
import type { DynamoDbStateStore } from '../../state/dynamodb.js';
import type { JobBatch } from '../../storage/raw-storage.js';
import type { MotoServer } from '../moto.js';
import { lambdaContext } from './lambda-harness.js';
import { createQueue, deliverBatch, drainQueue, sqsEvent, withAccount, type TestQueue } from './queues.js';
import { motoJobRunsProgress, startIngestAccount, type StartIngestAccount } from './start-ingest-account.js';

/** As startIngestAccount({ name: 'batch' }) names them. */
const BUS = 'floe-batch-events';
const BUCKET = 'floe-batch-raw';
/** Ten runs at once: every job run these tests start fits. */
const JOB = 'floe-batch-extract';
/** One run at a time: a second source's job run meets Glue's ConcurrentRunsExceededException. */
const NARROW_JOB = 'floe-batch-extract-narrow';
/** One run at a time, taken for good by the test that needs Glue to keep refusing. */
const BUSY_JOB = 'floe-batch-extract-busy';
const SOURCES = ['clr', 'crm', 'shop', 'ops', 'hr', 'fin', 'web', 'log', 'mkt'];

/** An IngestRequested as request-ingest puts it on the bus (the rule delivers it to the ingest queue). */
function requestEntry(runId: string, source: string, table: string) {
  return {
    EventBusName: BUS, Source: 'floe.pipeline', DetailType: 'IngestRequested',
    Detail: JSON.stringify({ runId, source, table, publishedAt: new Date().toISOString(), requestedBy: 'test', mode: 'full' }),
  };
}

/**
 * Issue 20 on AWS: IngestRequested reaches start-ingest through the ingest queue, in batches (the
 * stack's rule targets the queue; Lambda's SQS event source gathers a burst into one invocation),
 * and the tables of one source start as one Glue job run. Here the bus's rule delivers to a real
 * (moto) queue, and {@link deliverBatch} plays the event source mapping: it receives the queue's
 * messages into one batch of records, invokes the Lambda entry and deletes what it did not name.
 */
describe('start-ingest on AWS APIs (moto): a batch of requests from the ingest queue', () => {
  let account: StartIngestAccount;
  let moto: MotoServer;
  let clients: StartIngestAccount['clients'];
  let state: DynamoDbStateStore;
  let ingest: TestQueue;
  let later: TestQueue;
  let published: TestQueue;
  let env: Record<string, string>;

  const jobRuns = async (jobName = JOB): Promise<JobRun[]> => (await clients.glue.send(new GetJobRunsCommand({ JobName: jobName }))).JobRuns ?? [];
  const newJobRuns = async (before: readonly JobRun[], jobName = JOB) => (await jobRuns(jobName)).filter((run) => !before.some((seen) => seen.Id === run.Id));
  const request = async (...entries: ReturnType<typeof requestEntry>[]) => {
    const result = await clients.eventbridge.send(new PutEventsCommand({ Entries: entries }));
    expect(result.FailedEntryCount ?? 0).toBe(0);
  };
  const batchOf = async (jobRun: JobRun): Promise<string[]> => {
    const url = new URL(jobRun.Arguments?.['--batch'] ?? '');
    const object = await clients.s3.send(new GetObjectCommand({ Bucket: url.host, Key: url.pathname.slice(1) }));
    return (JSON.parse(await object.Body!.transformToString()) as JobBatch).tables.map((table) => table['--run-id'] ?? '');
  };
  const announced = async () => ((await drainQueue(clients.sqs, published)) as { 'detail-type': string; detail: { runId: string; jobRunId?: string } }[])
    .map((event) => [event['detail-type'], event.detail.runId, event.detail.jobRunId ?? null] as const);

  beforeAll(async () => {
    // The stack's rules, with start-ingest's target the ingest queue, as infra/floe-stack.ts has it;
    // job runs stay STARTING until a test lets them end.
    account = await startIngestAccount({
      name: 'batch', jobs: [[JOB, 10], [NARROW_JOB, 1], [BUSY_JOB, 1]], sources: SOURCES, manualJobRuns: true,
      ingestRule: 'ingest-queue', publishedDetailTypes: ['GlueStarted', 'IngestFailed'],
    });
    ({ moto, clients, state, ingest, later, published, env } = account);
    const table = (source: string, name: string, more: object = {}) => ({
      source, table: `${source}.${name}`, engine: 'postgres' as const, primaryKey: ['id'], mode: 'full' as const, partitions: 1, lookbackSeconds: 0, ...more,
    });
    // A source per test: a job run holds its source's connections until glue-finished sees it end.
    await state.putTableConfigs([
      ...['a', 'b', 'c'].map((name) => table('clr', name)),
      ...['d', 'e'].map((name) => table('crm', name)),
      table('shop', 'a'),
      ...['f', 'g'].map((name) => table('ops', name)),
      // hr has 2 connections: a table read in 2 parts holds both.
      table('hr', 'a', { partitionColumn: 'id', partitions: 2, maxConnections: 2 }),
      ...['b', 'c'].map((name) => table('hr', name, { maxConnections: 2 })),
      table('fin', 'a'),
      table('web', 'a'),
      table('log', 'a'),
      table('mkt', 'a'),
    ]);
  });

  afterAll(async () => {
    await account?.stop();
  });

  it('starts three requests of one source, arriving as one batch, as ONE Glue job run with --batch naming all three', async () => {
    // Prepare
    const startIngest = createStartIngestLambda(env, clients);
    const context = lambdaContext('floe-start-ingest');
    await request(requestEntry('r-one-a', 'clr', 'clr.a'), requestEntry('r-one-b', 'clr', 'clr.b'), requestEntry('r-one-c', 'clr', 'clr.c'));
    const before = await jobRuns();

    // Act
    const { records, response } = await deliverBatch(clients.sqs, ingest, (event) => startIngest(event, context));

    // Assess: one invocation of three records, no failure; one job run holding the three tables; each run announced with it
    expect(records).toHaveLength(3);
    expect(response).toEqual({ batchItemFailures: [] });
    const [jobRun, ...more] = await newJobRuns(before);
    expect(more).toEqual([]);
    expect(jobRun?.Arguments).toMatchObject({ '--database': 'clr', '--batch': expect.stringMatching(new RegExp(`^s3://${BUCKET}/_batches/`)) });
    expect((await batchOf(jobRun!)).sort()).toEqual(['r-one-a', 'r-one-b', 'r-one-c']);
    expect((await announced()).sort()).toEqual(['r-one-a', 'r-one-b', 'r-one-c'].map((runId) => ['GlueStarted', runId, jobRun?.Id]));
    expect(await drainQueue(clients.sqs, ingest)).toEqual([]);
  }, 60_000);

  it('starts the tables of two sources in one batch as two job runs, one per source', async () => {
    // Prepare
    const startIngest = createStartIngestLambda(env, clients);
    await request(requestEntry('r-two-crm-d', 'crm', 'crm.d'), requestEntry('r-two-shop-a', 'shop', 'shop.a'), requestEntry('r-two-crm-e', 'crm', 'crm.e'));
    const before = await jobRuns();

    // Act
    const { response } = await deliverBatch(clients.sqs, ingest, (event) => startIngest(event, lambdaContext('floe-start-ingest')));

    // Assess: crm's two tables in one job run (a batch), shop's one table in a job run of its own
    expect(response).toEqual({ batchItemFailures: [] });
    const started = await newJobRuns(before);
    expect(started.map((run) => run.Arguments?.['--database']).sort()).toEqual(['crm', 'shop']);
    const crmRun = started.find((run) => run.Arguments?.['--database'] === 'crm')!;
    const shopRun = started.find((run) => run.Arguments?.['--database'] === 'shop')!;
    expect((await batchOf(crmRun)).sort()).toEqual(['r-two-crm-d', 'r-two-crm-e']);
    expect(shopRun.Arguments).toMatchObject({ '--run-id': 'r-two-shop-a', '--table': 'shop.a' });
    expect(shopRun.Arguments).not.toHaveProperty('--batch');
    expect((await state.getRun('r-two-crm-e'))?.jobRunId).toBe(crmRun.Id);
    expect((await state.getRun('r-two-shop-a'))?.jobRunId).toBe(shopRun.Id);
    await announced();
  }, 60_000);

  it('names only the malformed records in batchItemFailures, saying what is wrong, and starts the others as one job run', async () => {
    // Prepare: two good requests by the bus, and beside them a body that is not JSON and an IngestRequested without its table
    // This entry logs its errors, which the test reads
    const startIngest = createStartIngestLambda({ ...env, POWERTOOLS_LOG_LEVEL: 'ERROR' }, clients);
    await request(requestEntry('r-bad-f', 'ops', 'ops.f'), requestEntry('r-bad-g', 'ops', 'ops.g'));
    const notJson = await clients.sqs.send(new SendMessageCommand({ QueueUrl: ingest.url, MessageBody: '{"detail-type": "IngestRequested", ' }));
    const noTable = await clients.sqs.send(new SendMessageCommand({
      QueueUrl: ingest.url,
      MessageBody: JSON.stringify({
        version: '0', id: randomUUID(), 'detail-type': 'IngestRequested', source: 'floe.pipeline', account: '123456789012', time: new Date().toISOString(),
        region: 'us-east-1', resources: [], detail: { runId: 'r-bad-no-table', source: 'ops', publishedAt: new Date().toISOString() },
      }),
    }));
    const errors: string[] = [];
    const { jest } = import.meta;
    const logged = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => errors.push(String(chunk)) > 0);
    const before = await jobRuns();

    // Act
    let delivered: Awaited<ReturnType<typeof deliverBatch>>;
    try {
      delivered = await deliverBatch(clients.sqs, ingest, (event) => startIngest(event, lambdaContext('floe-start-ingest')));
    } finally {
      logged.mockRestore();
    }

    // Assess: the two bad records fail, alone; the good ones start together
    expect(delivered.records).toHaveLength(4);
    expect(delivered.response.batchItemFailures.map((failure) => failure.itemIdentifier).sort()).toEqual([notJson.MessageId, noTable.MessageId].sort());
    const [jobRun, ...more] = await newJobRuns(before);
    expect(more).toEqual([]);
    expect((await batchOf(jobRun!)).sort()).toEqual(['r-bad-f', 'r-bad-g']);
    expect(await state.getRun('r-bad-no-table')).toBeNull();
    // The log says which record and what is wrong with it
    expect(errors.join('\n')).toContain(`record ${notJson.MessageId} from ${ingest.arn}: the body is not JSON`);
    expect(errors.join('\n')).toContain(`record ${noTable.MessageId} from ${ingest.arn}: not an EventBridge event floe knows: IngestRequested: detail.table`);
    // They stay in the queue, for SQS to move on after their last receive
    const { Messages: left = [] } = await clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: ingest.url, MaxNumberOfMessages: 10 }));
    expect(left.map((message) => message.MessageId).sort()).toEqual([notJson.MessageId, noTable.MessageId].sort());
    for (const message of left) await clients.sqs.send(new DeleteMessageCommand({ QueueUrl: ingest.url, ReceiptHandle: message.ReceiptHandle }));
    await announced();
  }, 60_000);

  it('handles a request delivered again (SQS delivers at least once) once: no second job run', async () => {
    // Prepare: r-one-a was started by the first test; its message arrives again
    const startIngest = createStartIngestLambda(env, clients);
    await request(requestEntry('r-one-a', 'clr', 'clr.a'));
    const before = await jobRuns();

    // Act
    const { response } = await deliverBatch(clients.sqs, ingest, (event) => startIngest(event, lambdaContext('floe-start-ingest')));

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(await newJobRuns(before)).toEqual([]);
    expect(await announced()).toEqual([]);
  }, 60_000);

  it("waits, together, the requests a source's connections refuse, and starts them from the start-later queue as one job run", async () => {
    // Prepare: hr.a's job run holds both of hr's connections
    const startIngest = createStartIngestLambda(env, clients);
    const glueFinished = createGlueFinishedLambda(env, clients);
    await request(requestEntry('r-hr-a', 'hr', 'hr.a'));
    await deliverBatch(clients.sqs, ingest, (event) => startIngest(event, lambdaContext('floe-start-ingest')));
    await request(requestEntry('r-hr-b', 'hr', 'hr.b'), requestEntry('r-hr-c', 'hr', 'hr.c'));
    const before = await jobRuns();

    // Act: hr.b and hr.c arrive together, and find no connection free
    const refused = await deliverBatch(clients.sqs, ingest, (event) => startIngest(event, lambdaContext('floe-start-ingest')));

    // Assess: no failure and no job run; both wait in the start-later queue, holding their tables, marked queued (floe status)
    expect(refused.response).toEqual({ batchItemFailures: [] });
    expect(await newJobRuns(before)).toEqual([]);
    expect((await state.getTableState('hr', 'hr.c')).activeRun).toMatchObject({ runId: 'r-hr-c' });
    for (const runId of ['r-hr-b', 'r-hr-c']) {
      expect((await state.getRun(runId))?.queued).toEqual({ since: expect.any(String), reason: expect.stringMatching(/^source hr: its 2 connection\(s\) \(maxConnections\) are taken \(run r-hr-a holds 2\)/) });
    }

    // Act: hr.a's job run ends (failed: glue-finished ends its run and frees hr's connections); the waiting requests come back
    const jobRunId = (await state.getRun('r-hr-a'))?.jobRunId ?? '';
    await glueFinished({
      version: '0', id: randomUUID(), 'detail-type': 'Glue Job State Change', source: 'aws.glue', account: '123456789012', time: new Date().toISOString(),
      region: 'us-east-1', resources: [], detail: { jobName: JOB, severity: 'ERROR', state: 'FAILED', jobRunId, message: 'connection refused' },
    }, lambdaContext('floe-glue-finished'));
    const back = await deliverBatch(clients.sqs, later, (event) => startIngest(event, lambdaContext('floe-start-ingest')));

    // Assess: the two records of the start-later queue start as one job run
    expect(back.records).toHaveLength(2);
    expect(back.response).toEqual({ batchItemFailures: [] });
    const [jobRun, ...more] = await newJobRuns(before);
    expect(more).toEqual([]);
    expect((await batchOf(jobRun!)).sort()).toEqual(['r-hr-b', 'r-hr-c']);
    expect(await drainQueue(clients.sqs, later)).toEqual([]);
    for (const runId of ['r-hr-b', 'r-hr-c']) expect((await state.getRun(runId))?.queued).toBeNull();
    await announced();
  }, 60_000);

  it('moves a record start-ingest fails on every receive to its failures queue, where retries-exhausted ends its run', async () => {
    // Prepare: the stack's redrive (infra/start-ingest-queues.ts); the busy job's one run taken by log.a, for good
    const failures = await createQueue(clients.sqs, 'floe-batch-start-ingest-failures');
    await clients.sqs.send(new SetQueueAttributesCommand({ QueueUrl: ingest.url, Attributes: {
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: failures.arn, maxReceiveCount: START_INGEST_RECEIVES }),
    } }));
    const busy = { ...env, FLOE_GLUE_JOB_NAME: BUSY_JOB };
    delete (busy as Record<string, string | undefined>)['FLOE_START_LATER_QUEUE_URL'];
    const startIngest = createStartIngestLambda(busy, clients);
    const retriesExhausted = createRetriesExhaustedLambda({ ...env, FLOE_FAILURE_QUEUES: JSON.stringify({ [failures.arn]: 'start-ingest' }) }, clients);
    await request(requestEntry('r-busy-log', 'log', 'log.a'));
    await deliverBatch(clients.sqs, ingest, (event) => startIngest(event, lambdaContext('floe-start-ingest')));
    await request(requestEntry('r-busy-mkt', 'mkt', 'mkt.a'));

    // Act: Lambda receives the record again after each failure, until SQS moves it on
    const receives: number[] = [];
    for (let receive = 0; receive <= START_INGEST_RECEIVES; receive += 1) {
      const { records, response } = await deliverBatch(clients.sqs, ingest, (event) => startIngest(event, lambdaContext('floe-start-ingest')));
      receives.push(records.length);
      expect(response.batchItemFailures).toHaveLength(records.length);
    }
    const moved = await drainQueue(clients.sqs, failures);
    await retriesExhausted(sqsEvent(failures, withAccount(JSON.stringify(moved[0]))), lambdaContext('floe-retries-exhausted'));

    // Assess: five failed receives, then the record in the failures queue; its run ended, its table free, IngestFailed said why
    expect(receives).toEqual([...Array(START_INGEST_RECEIVES).fill(1), 0]);
    expect(moved).toEqual([expect.objectContaining({ 'detail-type': 'IngestRequested', detail: expect.objectContaining({ runId: 'r-busy-mkt' }) })]);
    expect(await state.getRun('r-busy-mkt')).toMatchObject({ status: 'failed', error: { retryable: true } });
    expect((await state.getTableState('mkt', 'mkt.a')).activeRun).toBeNull();
    expect((await announced()).filter(([detailType]) => detailType === 'IngestFailed')).toEqual([['IngestFailed', 'r-busy-mkt', null]]);
    await clients.sqs.send(new SetQueueAttributesCommand({ QueueUrl: ingest.url, Attributes: { RedrivePolicy: '' } }));
  }, 60_000);

  it('fails alone a request whose start may succeed later, and its retry alone starts it', async () => {
    // Prepare: the narrow job takes one run at a time, and this entry has no start-later queue to wait in
    const narrow = { ...env, FLOE_GLUE_JOB_NAME: NARROW_JOB };
    delete (narrow as Record<string, string | undefined>)['FLOE_START_LATER_QUEUE_URL'];
    const startIngest = createStartIngestLambda(narrow, clients);
    await request(requestEntry('r-narrow-fin', 'fin', 'fin.a'), requestEntry('r-narrow-web', 'web', 'web.a'));

    // Act: one source's job run takes the job's one run; the other's is refused
    const first = await deliverBatch(clients.sqs, ingest, (event) => startIngest(event, lambdaContext('floe-start-ingest')));

    // Assess: web's record alone fails (sources start in request order); fin's run started
    const byRun = new Map(first.records.map((record) => [(JSON.parse(record.body) as { detail: { runId: string } }).detail.runId, record.messageId]));
    expect(first.response.batchItemFailures).toEqual([{ itemIdentifier: byRun.get('r-narrow-web') }]);
    expect((await jobRuns(NARROW_JOB)).map((run) => run.Arguments?.['--run-id'])).toEqual(['r-narrow-fin']);
    expect((await state.getRun('r-narrow-web'))?.jobRunId).toBeUndefined();

    // Act: the first job run ends; SQS hands the failed record back, alone
    await motoJobRunsProgress(moto, { progression: 'immediate' });
    const [done] = await jobRuns(NARROW_JOB);
    expect((await clients.glue.send(new GetJobRunCommand({ JobName: NARROW_JOB, RunId: done!.Id! }))).JobRun?.JobRunState).toBe('SUCCEEDED');
    const retry = await deliverBatch(clients.sqs, ingest, (event) => startIngest(event, lambdaContext('floe-start-ingest')));

    // Assess: the retry runs it (its idempotency record was removed with the failure)
    expect(retry.records.map((record) => record.messageId)).toEqual([byRun.get('r-narrow-web')]);
    expect(retry.response).toEqual({ batchItemFailures: [] });
    expect((await jobRuns(NARROW_JOB)).map((run) => run.Arguments?.['--run-id']).sort()).toEqual(['r-narrow-fin', 'r-narrow-web']);
    expect((await state.getRun('r-narrow-web'))?.jobRunId).toEqual(expect.stringMatching(/^jr_/));
  }, 60_000);
});
