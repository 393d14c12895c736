import { readFile } from 'node:fs/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { CreateJobCommand, GetJobRunsCommand, GlueClient } from '@aws-sdk/client-glue';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';

import { createLambdaHandler as createGlueFinishedLambda } from '../../runtime/aws/lambda/glue-finished.js';
import { createLambdaHandler as createStartIngestLambda } from '../../runtime/aws/lambda/start-ingest.js';
import { routesFor } from '../../events/index.js';
import { ensureRules } from '../../runtime/aws/eventbridge-rules.js';
import { DynamoDbStateStore, createStateTables, createTables, idempotencyTableDefinition } from '../../state/dynamodb.js';
import { createQueue, drainQueue, sqsEvent, type TestQueue } from '../aws/queues.js';
import { repoRoot } from '../state/helpers.js';
import { startMoto, type MotoServer } from '../moto.js';
import { lambdaContext } from '../aws/lambda-harness.js';

const BUS = 'floe-lambda-test';
const BUCKET = 'floe-lambda-raw';
const JOB = 'floe-lambda-extract';
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:floe/clr-AbCdEf';
const TABLES = { tableConfig: 'floe-lambda-table-config', runtime: 'floe-lambda-runtime', runs: 'floe-lambda-runs' };
const ENV = {
  FLOE_BUS_NAME: BUS,
  FLOE_RAW_ROOT: `s3://${BUCKET}`,
  FLOE_TABLE_CONFIG_TABLE: TABLES.tableConfig,
  FLOE_RUNTIME_TABLE: TABLES.runtime,
  FLOE_RUNS_TABLE: TABLES.runs,
  FLOE_IDEMPOTENCY_TABLE: 'floe-lambda-idempotency',
  FLOE_GLUE_JOB_NAME: JOB,
  FLOE_SOURCE_SECRETS: JSON.stringify({ clr: SECRET_ARN }),
  POWERTOOLS_LOG_LEVEL: 'SILENT',
};

function envelope(detailType: string, source: string, detail: object): object {
  return {
    version: '0', id: `evt-${Math.random().toString(16).slice(2)}`, 'detail-type': detailType, source,
    account: '123456789012', time: new Date().toISOString(), region: 'us-east-1', resources: [], detail,
  };
}

describe('Lambda entries: start-ingest then glue-finished (moto)', () => {
  let moto: MotoServer;
  let dynamodb: DynamoDBClient;
  let eventbridge: EventBridgeClient;
  let glue: GlueClient;
  let s3: S3Client;
  let sqs: SQSClient;
  let state: DynamoDbStateStore;
  let loadAndMerge: TestQueue;
  /** Where the bus's rule delivers IngestRequested, for start-ingest (infra/start-ingest-queues.ts). */
  let ingest: TestQueue;

  beforeAll(async () => {
    moto = await startMoto({ serial: true });
    dynamodb = new DynamoDBClient(moto.config);
    eventbridge = new EventBridgeClient(moto.config);
    glue = new GlueClient(moto.config);
    s3 = new S3Client({ ...moto.config, forcePathStyle: true });
    sqs = new SQSClient(moto.config);
    await createStateTables(dynamodb, TABLES);
    await createTables(dynamodb, [idempotencyTableDefinition(ENV.FLOE_IDEMPOTENCY_TABLE)]);
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await glue.send(new CreateJobCommand({
      Name: JOB,
      Role: 'arn:aws:iam::123456789012:role/floe-extract',
      Command: { Name: 'pythonshell', ScriptLocation: 's3://floe-assets/glue/extract.py', PythonVersion: '3.9' },
      ExecutionProperty: { MaxConcurrentRuns: 10 },
    }));
    // The bus and its rules, with SQS queues standing in for the Lambdas (moto cannot invoke them).
    const sink = await createQueue(sqs, 'floe-lambda-other-handlers');
    loadAndMerge = await createQueue(sqs, 'floe-lambda-load-and-merge');
    ingest = await createQueue(sqs, 'floe-lambda-ingest');
    await ensureRules(eventbridge, BUS, routesFor([JOB]), {
      'start-ingest': sink.arn, 'glue-finished': sink.arn, 'load-and-merge': loadAndMerge.arn, 'build-gold': sink.arn, 'check-after-merge': sink.arn,
    });
    state = new DynamoDbStateStore(dynamodb, TABLES);
    await state.putTableConfigs([{
      source: 'clr', table: 'floe_fixture.coupons', engine: 'postgres', primaryKey: ['id'], mode: 'incremental',
      incrementalColumn: 'updated_at', partitions: 1, lookbackSeconds: 0,
    }]);
  });

  afterAll(async () => {
    for (const client of [dynamodb, eventbridge, glue, s3, sqs]) client?.destroy();
    await moto?.stop();
  });

  it('starts the Glue job for an IngestRequested, then lands the manifest when the job succeeds', async () => {
    // Prepare
    const runId = 'r-lambda-1';
    const startIngest = createStartIngestLambda(ENV, { dynamodb, eventbridge, glue });
    const glueFinished = createGlueFinishedLambda(ENV, { dynamodb, eventbridge, s3 });
    const requested = envelope('IngestRequested', 'floe.pipeline', {
      runId, source: 'clr', table: 'floe_fixture.coupons', publishedAt: new Date().toISOString(), requestedBy: 'test',
    });

    // Act: start-ingest, given the request as a record of its ingest queue
    expect(await startIngest(sqsEvent(ingest, JSON.stringify(requested)), lambdaContext('floe-start-ingest'))).toEqual({ batchItemFailures: [] });

    // Assess: the job run, the run record, the lease
    const { JobRuns = [] } = await glue.send(new GetJobRunsCommand({ JobName: JOB }));
    expect(JobRuns).toHaveLength(1);
    const jobRun = JobRuns[0]!;
    expect(jobRun.Arguments).toMatchObject({
      '--run-id': runId,
      '--connection': `secretsmanager:${SECRET_ARN}`,
      '--raw-root': `s3://${BUCKET}`,
      '--database': 'clr',
      '--table': 'floe_fixture.coupons',
      '--mode': 'incremental',
      '--engine': 'postgres',
      '--primary-key': 'id',
      '--incremental-column': 'updated_at',
    });
    const started = await state.getRun(runId);
    expect(started).toMatchObject({ runId, status: 'running', jobRunId: jobRun.Id });
    expect((await state.getTableState('clr', 'floe_fixture.coupons')).activeRun).toMatchObject({ runId });

    // Prepare: the job's manifest, as the extraction job would write it
    const fixture = JSON.parse(await readFile(`${repoRoot}test/fixtures/manifest.json`, 'utf8')) as Record<string, unknown>;
    const manifest = {
      ...fixture,
      runId,
      files: (fixture['files'] as Array<Record<string, unknown>>).map((file) => ({
        ...file,
        path: String(file['path']).replace('fixture1', runId),
        url: `s3://${BUCKET}/${String(file['path']).replace('fixture1', runId)}`,
      })),
    };
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `_manifests/${runId}.json`, Body: JSON.stringify(manifest) }));
    await drainQueue(sqs, loadAndMerge);

    // Act: glue-finished
    await glueFinished(envelope('Glue Job State Change', 'aws.glue', {
      jobName: JOB, severity: 'INFO', state: 'SUCCEEDED', jobRunId: jobRun.Id, message: 'Job run succeeded',
    }), lambdaContext('floe-glue-finished'));

    // Assess: the run knows its manifest, and RawLanded reached load-and-merge's rule
    expect(await state.getRun(runId)).toMatchObject({
      runId, status: 'running', manifestUrl: `s3://${BUCKET}/_manifests/${runId}.json`, rowsExtracted: 3,
    });
    const landed = (await drainQueue(sqs, loadAndMerge)) as Array<{ 'detail-type': string; detail: Record<string, unknown> }>;
    expect(landed).toHaveLength(1);
    expect(landed[0]).toMatchObject({
      'detail-type': 'RawLanded',
      detail: { runId, source: 'clr', table: 'floe_fixture.coupons', totalRows: 3, fileCount: 1, manifestUrl: `s3://${BUCKET}/_manifests/${runId}.json` },
    });
  });

  it('handles a delivery twice only once, and a replay of it again', async () => {
    // Prepare: a run whose job failed, so glue-finished has ended it
    const runId = 'r-lambda-duplicate';
    await state.startRun({ runId, source: 'clr', table: 'floe_fixture.coupons', mode: 'incremental', requestedAt: new Date().toISOString() });
    await state.updateRun(runId, { jobRunId: 'jr_duplicate' });
    const glueFinished = createGlueFinishedLambda(ENV, { dynamodb, eventbridge, s3 });
    const failed = envelope('Glue Job State Change', 'aws.glue', {
      jobName: JOB, severity: 'ERROR', state: 'FAILED', jobRunId: 'jr_duplicate', message: 'connection refused',
    });
    await glueFinished(failed, lambdaContext('floe-glue-finished'));
    const afterFirst = await state.getRun(runId);

    // Act: EventBridge delivers the same event again; an archive replays it, and that replay arrives twice
    await glueFinished(structuredClone(failed), lambdaContext('floe-glue-finished'));
    const afterDuplicate = await state.getRun(runId);
    const replayed = { ...structuredClone(failed), 'replay-name': 'floe-replay-1' };
    await glueFinished(replayed, lambdaContext('floe-glue-finished'));
    const afterReplay = await state.getRun(runId);
    await glueFinished(structuredClone(replayed), lambdaContext('floe-glue-finished'));
    const afterReplayDuplicate = await state.getRun(runId);

    // Assess: the replay ran the step again (its step time moved); the duplicates changed nothing,
    // though the handler alone would have run a replayed event again
    const extractStep = (run: typeof afterFirst) => run?.steps.find((step) => step.name === 'extract');
    expect(afterFirst).toMatchObject({ status: 'failed', error: { message: 'connection refused', retryable: false } });
    expect(afterDuplicate).toEqual(afterFirst);
    expect(extractStep(afterReplay)?.startedAt).not.toEqual(extractStep(afterFirst)?.startedAt);
    expect(afterReplayDuplicate).toEqual(afterReplay);
  });

  it('starts one Glue job when the same run is requested twice at the same moment', async () => {
    // Prepare: two IngestRequested for one run, published separately (different event ids)
    const runId = 'r-lambda-twice';
    const startIngest = createStartIngestLambda(ENV, { dynamodb, eventbridge, glue });
    const detail = { runId, source: 'clr', table: 'floe_fixture.coupons', publishedAt: new Date().toISOString(), requestedBy: 'test' };
    await state.releaseLease('clr', 'floe_fixture.coupons', 'r-lambda-1');
    const before = (await glue.send(new GetJobRunsCommand({ JobName: JOB }))).JobRuns?.length ?? 0;

    // Act
    await Promise.all([
      startIngest(sqsEvent(ingest, JSON.stringify(envelope('IngestRequested', 'floe.pipeline', detail))), lambdaContext('floe-start-ingest')),
      startIngest(sqsEvent(ingest, JSON.stringify(envelope('IngestRequested', 'floe.pipeline', detail))), lambdaContext('floe-start-ingest')),
    ]);

    // Assess
    const after = (await glue.send(new GetJobRunsCommand({ JobName: JOB }))).JobRuns ?? [];
    expect(after.length - before).toBe(1);
    expect((await state.getRun(runId))?.jobRunId).toBe(after.find((jobRun) => jobRun.Arguments?.['--run-id'] === runId)?.Id);
  });

  it('names a missing environment variable', () => {
    const { FLOE_GLUE_JOB_NAME: _omitted, ...withoutJob } = ENV;
    expect(() => createStartIngestLambda(withoutJob)).toThrow(/FLOE_GLUE_JOB_NAME/);
    const { FLOE_RAW_ROOT: _root, ...withoutRoot } = ENV;
    expect(() => createGlueFinishedLambda(withoutRoot)).toThrow(/FLOE_RAW_ROOT/);
  });

  it('fails a record whose event breaks its contract, alone', async () => {
    // Prepare
    const startIngest = createStartIngestLambda(ENV, { dynamodb, eventbridge, glue });
    const invalid = sqsEvent(ingest, JSON.stringify({ 'detail-type': 'IngestRequested', detail: {} }));

    // Act / Assess
    expect(await startIngest(invalid, lambdaContext('floe-start-ingest'))).toEqual({ batchItemFailures: [{ itemIdentifier: invalid.Records[0]!.messageId }] });
  });
});
