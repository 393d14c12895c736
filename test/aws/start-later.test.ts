import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateJobCommand, GetJobRunCommand, GetJobRunsCommand, GlueClient } from '@aws-sdk/client-glue';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

import { routesFor } from '../../events/index.js';
import { ensureRules } from '../../runtime/aws/eventbridge-rules.js';
import { createLambdaHandler as createStartIngestLambda } from '../../runtime/aws/lambda/start-ingest.js';
import { delayBefore, MAX_DELAY_SECONDS, StartLaterMessageSchema } from '../../runtime/aws/start-later.js';
import { DynamoDbStateStore, createStateTables, createTables, idempotencyTableDefinition } from '../../state/dynamodb.js';
import { startMoto, type MotoServer } from '../moto.js';
import { lambdaContext } from './lambda-harness.js';
import { createQueue, drainQueue, sqsEvent, type TestQueue } from './queues.js';

const BUS = 'floe-later-events';
const JOB = 'floe-later-extract';
const TABLES = { tableConfig: 'floe-later-table-config', runtime: 'floe-later-runtime', runs: 'floe-later-runs' };
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:floe/clr-AbCdEf';

function requested(runId: string, table: string): object {
  return {
    version: '0', id: randomUUID(), 'detail-type': 'IngestRequested', source: 'floe.pipeline', account: '123456789012',
    time: new Date().toISOString(), region: 'us-east-1', resources: [],
    detail: { runId, source: 'clr', table, publishedAt: new Date().toISOString(), requestedBy: 'test' },
  };
}

describe('Concurrency on AWS APIs (moto): a start past the job\'s maxConcurrentRuns waits in the start-later queue, never fails', () => {
  let moto: MotoServer;
  const clients = {} as { dynamodb: DynamoDBClient; eventbridge: EventBridgeClient; glue: GlueClient; sqs: SQSClient };
  let state: DynamoDbStateStore;
  let later: TestQueue;
  /** Where the bus's rule delivers IngestRequested (infra/start-ingest-queues.ts). */
  let ingest: TestQueue;
  let published: TestQueue;
  let env: Record<string, string>;

  beforeAll(async () => {
    moto = await startMoto({ serial: true });
    clients.dynamodb = new DynamoDBClient(moto.config);
    clients.eventbridge = new EventBridgeClient(moto.config);
    clients.glue = new GlueClient(moto.config);
    clients.sqs = new SQSClient(moto.config);
    await createStateTables(clients.dynamodb, TABLES);
    await createTables(clients.dynamodb, [idempotencyTableDefinition('floe-later-idempotency')]);
    // One run at a time, so the second table meets Glue's ConcurrentRunsExceededException.
    await clients.glue.send(new CreateJobCommand({
      Name: JOB, Role: 'arn:aws:iam::123456789012:role/floe-extract', ExecutionProperty: { MaxConcurrentRuns: 1 },
      Command: { Name: 'pythonshell', ScriptLocation: 's3://floe-assets/glue/extract.py', PythonVersion: '3.9' },
    }));
    // moto ends a job run as soon as it is looked at; hold runs in STARTING until the test lets them end.
    await motoJobRunsProgress(moto, { progression: 'manual', times: 1_000_000 });
    later = await createQueue(clients.sqs, 'floe-later-start-later');
    ingest = await createQueue(clients.sqs, 'floe-later-ingest');
    published = await createQueue(clients.sqs, 'floe-later-published');
    await ensureRules(clients.eventbridge, BUS, routesFor([JOB]), {
      'start-ingest': published.arn, 'glue-finished': published.arn, 'load-and-merge': published.arn, 'build-gold': published.arn, 'check-after-merge': published.arn,
    });
    // Every floe event, as a downstream subscriber would see them (GlueStarted and IngestFailed have no handler).
    await clients.eventbridge.send(new PutRuleCommand({ Name: 'floe-later-everything', EventBusName: BUS, EventPattern: JSON.stringify({ source: ['floe.pipeline'] }) }));
    await clients.eventbridge.send(new PutTargetsCommand({ Rule: 'floe-later-everything', EventBusName: BUS, Targets: [{ Id: 'published', Arn: published.arn }] }));
    state = new DynamoDbStateStore(clients.dynamodb, TABLES);
    await state.putTableConfigs(['a', 'b'].map((name) => ({
      source: 'clr', table: `shop.${name}`, engine: 'postgres' as const, primaryKey: ['id'], mode: 'full' as const, partitions: 1, lookbackSeconds: 0,
    })));
    env = {
      FLOE_BUS_NAME: BUS, FLOE_RAW_ROOT: 's3://floe-later-raw', FLOE_TABLE_CONFIG_TABLE: TABLES.tableConfig, FLOE_RUNTIME_TABLE: TABLES.runtime,
      FLOE_RUNS_TABLE: TABLES.runs, FLOE_IDEMPOTENCY_TABLE: 'floe-later-idempotency', FLOE_GLUE_JOB_NAME: JOB,
      FLOE_SOURCE_SECRETS: JSON.stringify({ clr: SECRET_ARN }), FLOE_START_LATER_QUEUE_URL: later.url, FLOE_START_LATER_QUEUE_ARN: later.arn,
      // No wait in the test: SQS would hold the message 30 s, then 60 s, …
      FLOE_START_LATER_FIRST_DELAY_SECONDS: '0', POWERTOOLS_LOG_LEVEL: 'SILENT',
    };
  });

  afterAll(async () => {
    for (const client of Object.values(clients)) client?.destroy();
    await moto?.stop();
  });

  it('queues the second table while the first runs, then starts it from the queue once the first run ended', async () => {
    // Prepare
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

/** How moto moves Glue job runs through their states (its state manager; see moto's docs, "State Transitions"). */
async function motoJobRunsProgress(server: MotoServer, transition: { progression: 'manual'; times: number } | { progression: 'immediate' }): Promise<void> {
  const response = await fetch(`${server.config.endpoint}/moto-api/state-manager/set-transition`, {
    method: 'POST', body: JSON.stringify({ model_name: 'glue::job_run', transition }),
  });
  if (!response.ok) throw new Error(`moto refused the transition: ${response.status}`);
}
