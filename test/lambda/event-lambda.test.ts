import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';

import type { FloeEvent } from '../../events/index.js';
import { createEventLambda } from '../../runtime/aws/event-lambda.js';
import { createTables, idempotencyTableDefinition } from '../../state/dynamodb.js';
import { lambdaContext } from '../aws/lambda-harness.js';
import { startMoto, type MotoServer } from '../moto.js';

const TABLE = 'floe-event-lambda-idempotency';
const FIXTURE = join(process.cwd(), 'test', 'fixtures', 'events', 'raw-landed.json');

describe('Lambda wrapper: idempotency on DynamoDB (moto)', () => {
  let moto: MotoServer;
  let dynamodb: DynamoDBClient;
  let event: Record<string, unknown>;

  beforeAll(async () => {
    moto = await startMoto({ serial: true });
    dynamodb = new DynamoDBClient(moto.config);
    await createTables(dynamodb, [idempotencyTableDefinition(TABLE)]);
    event = JSON.parse(await readFile(FIXTURE, 'utf8')) as Record<string, unknown>;
  });

  afterAll(async () => {
    dynamodb?.destroy();
    await moto?.stop();
  });

  function wrap(handle: (event: FloeEvent) => Promise<void>) {
    return createEventLambda({
      service: 'floe-test', env: { FLOE_IDEMPOTENCY_TABLE: TABLE }, logger: new Logger({ logLevel: 'SILENT' }), dynamodb, handle,
    });
  }

  it('runs the handler again on the retry of a delivery that failed', async () => {
    // Prepare
    let calls = 0;
    const lambda = wrap(async () => {
      calls += 1;
      if (calls === 1) throw Object.assign(new Error('DynamoDB throttled'), { retryable: true });
    });
    const delivery = { ...event, id: 'evt-failed-once' };

    // Act
    const first = lambda(delivery, lambdaContext('floe-test'));
    await expect(first).rejects.toThrow('DynamoDB throttled');
    await lambda(structuredClone(delivery), lambdaContext('floe-test'));
    await lambda(structuredClone(delivery), lambdaContext('floe-test'));

    // Assess: the failure left no record; the success did, so the third delivery was dropped
    expect(calls).toBe(2);
  });

  it('drops a copy that arrives while the first is still being handled', async () => {
    // Prepare: a handler that waits until released
    let calls = 0;
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const lambda = wrap(async () => {
      calls += 1;
      await released;
    });
    const delivery = { ...event, id: 'evt-in-progress' };

    // Act
    const first = lambda(delivery, lambdaContext('floe-test'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await lambda(structuredClone(delivery), lambdaContext('floe-test'));
    release();
    await first;

    // Assess: the copy returned without running the handler or failing
    expect(calls).toBe(1);
  });
});
