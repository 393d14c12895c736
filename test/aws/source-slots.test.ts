import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { CreateJobCommand, GetJobRunsCommand, GlueClient } from '@aws-sdk/client-glue';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';

import { routesFor } from '../../events/index.js';
import { ensureRules } from '../../runtime/aws/eventbridge-rules.js';
import { createLambdaHandler as createGlueFinishedLambda } from '../../runtime/aws/lambda/glue-finished.js';
import { createLambdaHandler as createStartIngestLambda } from '../../runtime/aws/lambda/start-ingest.js';
import { StartLaterMessageSchema } from '../../runtime/aws/start-later.js';
import { DynamoDbStateStore, createStateTables, createTables, idempotencyTableDefinition } from '../../state/dynamodb.js';
import { startMoto, type MotoServer } from '../moto.js';
import { lambdaContext } from './lambda-harness.js';
import { createQueue, drainQueue, sqsEvent, type TestQueue } from './queues.js';

const BUS = 'floe-slots-events';
const JOB = 'floe-slots-extract';
const TABLES = { tableConfig: 'floe-slots-table-config', runtime: 'floe-slots-runtime', runs: 'floe-slots-runs' };
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:floe/clr-AbCdEf';

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
  let moto: MotoServer;
  const clients = {} as { dynamodb: DynamoDBClient; eventbridge: EventBridgeClient; glue: GlueClient; sqs: SQSClient; s3: S3Client };
  let state: DynamoDbStateStore;
  let later: TestQueue;
  /** Where the bus's rule delivers IngestRequested (infra/start-ingest-queues.ts). */
  let ingest: TestQueue;
  let env: Record<string, string>;

  beforeAll(async () => {
    moto = await startMoto({ serial: true });
    clients.dynamodb = new DynamoDBClient(moto.config);
    clients.eventbridge = new EventBridgeClient(moto.config);
    clients.glue = new GlueClient(moto.config);
    clients.sqs = new SQSClient(moto.config);
    clients.s3 = new S3Client({ ...moto.config, forcePathStyle: true });
    await createStateTables(clients.dynamodb, TABLES);
    await createTables(clients.dynamodb, [idempotencyTableDefinition('floe-slots-idempotency')]);
    await clients.glue.send(new CreateJobCommand({
      Name: JOB, Role: 'arn:aws:iam::123456789012:role/floe-extract', ExecutionProperty: { MaxConcurrentRuns: 10 },
      Command: { Name: 'pythonshell', ScriptLocation: 's3://floe-assets/glue/extract.py', PythonVersion: '3.9' },
    }));
    later = await createQueue(clients.sqs, 'floe-slots-start-later');
    ingest = await createQueue(clients.sqs, 'floe-slots-ingest');
    const sink = await createQueue(clients.sqs, 'floe-slots-published');
    await ensureRules(clients.eventbridge, BUS, routesFor([JOB]), {
      'start-ingest': sink.arn, 'glue-finished': sink.arn, 'load-and-merge': sink.arn, 'build-gold': sink.arn, 'check-after-merge': sink.arn,
    });
    state = new DynamoDbStateStore(clients.dynamodb, TABLES);
    await state.putTableConfigs(['a', 'b'].map((name) => ({
      source: 'clr', table: `shop.${name}`, engine: 'postgres' as const, primaryKey: ['id'], mode: 'full' as const,
      partitionColumn: 'id', partitions: 2, lookbackSeconds: 0, maxConnections: 2,
    })));
    env = {
      FLOE_BUS_NAME: BUS, FLOE_RAW_ROOT: 's3://floe-slots-raw', FLOE_TABLE_CONFIG_TABLE: TABLES.tableConfig, FLOE_RUNTIME_TABLE: TABLES.runtime,
      FLOE_RUNS_TABLE: TABLES.runs, FLOE_IDEMPOTENCY_TABLE: 'floe-slots-idempotency', FLOE_GLUE_JOB_NAME: JOB,
      FLOE_SOURCE_SECRETS: JSON.stringify({ clr: SECRET_ARN }), FLOE_START_LATER_QUEUE_URL: later.url, FLOE_START_LATER_QUEUE_ARN: later.arn,
      FLOE_START_LATER_FIRST_DELAY_SECONDS: '0', POWERTOOLS_LOG_LEVEL: 'SILENT',
    };
  });

  afterAll(async () => {
    for (const client of Object.values(clients)) client?.destroy();
    await moto?.stop();
  });

  it('queues the second table while the first holds the source, and starts it once the first job run ended', async () => {
    // Prepare
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
