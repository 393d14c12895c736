import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { CreateEventBusCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';

import { EventValidationError, FLOE_EVENT_SOURCE } from '../../events/index.js';
import { createLambdaHandler as createLoadAndMergeLambda } from '../../runtime/aws/lambda/load-and-merge.js';
import { DynamoDbStateStore, createStateTables, createTables, idempotencyTableDefinition } from '../../state/dynamodb.js';
import { LocalRawStorage } from '../../storage/local.js';
import { createQueue, drainQueue, type TestQueue } from '../aws/queues.js';
import { lambdaContext } from '../aws/lambda-harness.js';
import { PLANTED_SECRET, hostileEvents } from '../faults/hostile-events.js';
import { eventFixture } from '../fixtures/events/load.js';
import { startMoto, type MotoServer } from '../moto.js';

const BUS = 'floe-hostile';
const TABLES = { tableConfig: 'floe-hostile-table-config', runtime: 'floe-hostile-runtime', runs: 'floe-hostile-runs' };
const IDEMPOTENCY = 'floe-hostile-idempotency';

/**
 * The Lambda entry (load-and-merge's, through the wrapper every entry shares) given events that
 * break their contract, as a direct invoke or a misrouted rule could: each is thrown as a
 * non-retryable EventValidationError and logged without its contents, and nothing is written:
 * no state or idempotency item, no event on the bus, no warehouse opened, no raw file.
 */
describe('Lambda entry: hostile events (moto)', () => {
  let moto: MotoServer;
  let dynamodb: DynamoDBClient;
  let eventbridge: EventBridgeClient;
  let sqs: SQSClient;
  let everything: TestQueue;
  let rawRoot: string;

  beforeAll(async () => {
    moto = await startMoto({ serial: true });
    dynamodb = new DynamoDBClient(moto.config);
    eventbridge = new EventBridgeClient(moto.config);
    sqs = new SQSClient(moto.config);
    await createStateTables(dynamodb, TABLES);
    await createTables(dynamodb, [idempotencyTableDefinition(IDEMPOTENCY)]);
    // Every floe event published on the bus lands in one queue.
    everything = await createQueue(sqs, 'floe-hostile-everything');
    await eventbridge.send(new CreateEventBusCommand({ Name: BUS }));
    await eventbridge.send(new PutRuleCommand({ Name: 'floe-hostile-all', EventBusName: BUS, EventPattern: JSON.stringify({ source: [FLOE_EVENT_SOURCE] }) }));
    await eventbridge.send(new PutTargetsCommand({ Rule: 'floe-hostile-all', EventBusName: BUS, Targets: [{ Id: 'queue', Arn: everything.arn }] }));
    rawRoot = await mkdtemp(join(tmpdir(), 'floe-hostile-raw-'));
  });

  afterAll(async () => {
    for (const client of [dynamodb, eventbridge, sqs]) client?.destroy();
    await moto?.stop();
    await rm(rawRoot, { recursive: true, force: true });
  });

  async function items(): Promise<Record<string, unknown[]>> {
    const all: Record<string, unknown[]> = {};
    for (const table of [...Object.values(TABLES), IDEMPOTENCY]) all[table] = (await dynamodb.send(new ScanCommand({ TableName: table }))).Items ?? [];
    return all;
  }

  it('throws each as a non-retryable EventValidationError, logs it without its contents, and writes nothing', async () => {
    // Prepare: the run the good RawLanded belongs to, running, with its table's lease
    const good = eventFixture('raw-landed');
    const { runId, source, table } = good.detail as { runId: string; source: string; table: string };
    const state = new DynamoDbStateStore(dynamodb, TABLES);
    await state.startRun({ runId, source, table, mode: 'incremental', requestedAt: new Date().toISOString() });
    await state.acquireLease(source, table, runId, new Date(), 60_000);
    let warehouseOpened = 0;
    const lambda = createLoadAndMergeLambda(
      {
        FLOE_BUS_NAME: BUS, FLOE_RAW_ROOT: rawRoot, FLOE_IDEMPOTENCY_TABLE: IDEMPOTENCY, POWERTOOLS_LOG_LEVEL: 'INFO',
        FLOE_TABLE_CONFIG_TABLE: TABLES.tableConfig, FLOE_RUNTIME_TABLE: TABLES.runtime, FLOE_RUNS_TABLE: TABLES.runs,
      },
      {
        dynamodb, eventbridge, raw: new LocalRawStorage(rawRoot),
        openWarehouse: async () => {
          warehouseOpened += 1;
          throw new Error('no warehouse in this test');
        },
      },
    );
    const hostile = hostileEvents(good);
    const before = await items();

    // Act: each event, with the Lambda's log lines captured
    const refusals: unknown[] = [];
    const logged: string[] = [];
    const writes = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
    const capture = ((chunk: unknown) => logged.push(String(chunk)) > 0) as typeof process.stdout.write;
    process.stdout.write = capture;
    process.stderr.write = capture;
    try {
      for (const { event } of hostile) {
        refusals.push(await lambda(event, lambdaContext('floe-load-and-merge')).then(() => 'accepted', (error: unknown) => error));
      }
    } finally {
      process.stdout.write = writes.out;
      process.stderr.write = writes.err;
    }

    // Assess: refused, each with its error
    hostile.forEach(({ name, error }, index) => {
      const refusal = refusals[index] as EventValidationError;
      expect({ name, refusal }).toEqual({ name, refusal: expect.any(EventValidationError) });
      expect({ name, message: refusal.message.slice(0, error.length), retryable: refusal.retryable }).toEqual({ name, message: error, retryable: false });
    });
    // Assess: logged once each, as an invalid event, naming the error and repeating none of the event
    const lines = logged.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((line) => [line['message'], line['errorName']])).toEqual(hostile.map(() => ['invalid event', 'EventValidationError']));
    expect(lines.map((line) => String(line['errorMessage']))).toEqual(refusals.map((refusal) => (refusal as Error).message));
    expect(logged.join('')).not.toContain(PLANTED_SECRET);
    // Assess: nothing written anywhere
    expect(await items()).toEqual(before);
    expect(await drainQueue(sqs, everything)).toEqual([]);
    expect(warehouseOpened).toBe(0);
    expect(await readdir(rawRoot)).toEqual([]);
  });
});
