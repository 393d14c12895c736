import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { CreateEventBusCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';

import { FLOE_EVENT_SOURCE } from '../../events/index.js';
import { createLambdaHandler as createBuildGoldLambda } from '../../runtime/aws/lambda/build-gold.js';
import { createStateTables, createTables, idempotencyTableDefinition } from '../../state/dynamodb.js';
import { createQueue, drainQueue, type TestQueue } from '../aws/queues.js';
import { lambdaContext } from '../aws/lambda-harness.js';
import { eventFixture } from '../fixtures/events/load.js';
import { startMoto, type MotoServer } from '../moto.js';

const BUS = 'floe-refused';
const TABLES = { tableConfig: 'floe-refused-table-config', runtime: 'floe-refused-runtime', runs: 'floe-refused-runs' };
const IDEMPOTENCY = 'floe-refused-idempotency';

/**
 * A Lambda entry (build-gold's) given a well-formed event for a run that does not exist: it returns
 * (nothing to retry, nothing for the dead-letter queue), logs the refusal as a warning with its
 * reason, and publishes EventRefused, not IngestFailed (which the alarm rule watches).
 */
describe('Lambda entry: an event for a run that is not recorded (moto)', () => {
  let moto: MotoServer;
  let dynamodb: DynamoDBClient;
  let eventbridge: EventBridgeClient;
  let sqs: SQSClient;
  let everything: TestQueue;
  let goldDir: string;

  beforeAll(async () => {
    moto = await startMoto({ serial: true });
    dynamodb = new DynamoDBClient(moto.config);
    eventbridge = new EventBridgeClient(moto.config);
    sqs = new SQSClient(moto.config);
    await createStateTables(dynamodb, TABLES);
    await createTables(dynamodb, [idempotencyTableDefinition(IDEMPOTENCY)]);
    everything = await createQueue(sqs, 'floe-refused-everything');
    await eventbridge.send(new CreateEventBusCommand({ Name: BUS }));
    await eventbridge.send(new PutRuleCommand({ Name: 'floe-refused-all', EventBusName: BUS, EventPattern: JSON.stringify({ source: [FLOE_EVENT_SOURCE] }) }));
    await eventbridge.send(new PutTargetsCommand({ Rule: 'floe-refused-all', EventBusName: BUS, Targets: [{ Id: 'queue', Arn: everything.arn }] }));
    goldDir = await mkdtemp(join(tmpdir(), 'floe-refused-gold-'));
  });

  afterAll(async () => {
    for (const client of [dynamodb, eventbridge, sqs]) client?.destroy();
    await moto?.stop();
    await rm(goldDir, { recursive: true, force: true });
  });

  it('returns, logs a warning naming the reason, publishes EventRefused only, and writes no run', async () => {
    // Prepare
    let warehouseOpened = 0;
    const lambda = createBuildGoldLambda(
      {
        FLOE_BUS_NAME: BUS, FLOE_GOLD_DIR: goldDir, FLOE_IDEMPOTENCY_TABLE: IDEMPOTENCY, POWERTOOLS_LOG_LEVEL: 'INFO',
        FLOE_TABLE_CONFIG_TABLE: TABLES.tableConfig, FLOE_RUNTIME_TABLE: TABLES.runtime, FLOE_RUNS_TABLE: TABLES.runs,
      },
      {
        dynamodb, eventbridge,
        openWarehouse: async () => {
          warehouseOpened += 1;
          throw new Error('no warehouse in this test');
        },
      },
    );
    const forged = eventFixture('stage-merged');
    const runId = String(forged.detail['runId']);

    // Act: with the Lambda's log lines captured
    const logged: string[] = [];
    const writes = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
    const capture = ((chunk: unknown) => logged.push(String(chunk)) > 0) as typeof process.stdout.write;
    process.stdout.write = capture;
    process.stderr.write = capture;
    let outcome: unknown;
    try {
      outcome = await lambda(forged, lambdaContext('floe-build-gold')).then(() => 'returned', (error: unknown) => error);
    } finally {
      process.stdout.write = writes.out;
      process.stderr.write = writes.err;
    }

    // Assess
    const reason = `run ${runId} is not recorded: floe publishes StageMerged only for runs it started`;
    expect(outcome).toBe('returned');
    const lines = logged.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toContainEqual(expect.objectContaining({ level: 'WARN', message: 'refused StageMerged', runId, refusedEventId: forged['id'], reason }));
    const published = (await drainQueue(sqs, everything)) as Array<{ 'detail-type': string; detail: Record<string, unknown> }>;
    expect(published.map((event) => [event['detail-type'], event.detail['handler'], event.detail['reason']])).toEqual([['EventRefused', 'build-gold', reason]]);
    expect((await dynamodb.send(new ScanCommand({ TableName: TABLES.runs }))).Items).toEqual([]);
    expect(warehouseOpened).toBe(0);
  });
});
