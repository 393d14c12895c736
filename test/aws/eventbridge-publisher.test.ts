import { EventBridgeClient, type PutEventsCommandOutput } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';

import { EventValidationError, RAW_LANDED, routesFor } from '../../events/index.js';
import { EventBridgePublisher, PublishError } from '../../runtime/aws/eventbridge-publisher.js';
import { ensureRules } from '../../runtime/aws/eventbridge-rules.js';
import { eventFixture } from '../fixtures/events/load.js';
import { startMoto, type MotoServer } from '../moto.js';
import { createQueue, drainQueue, type TestQueue } from './queues.js';

const BUS = 'floe-publisher-test';

describe('Runtime: EventBridgePublisher (moto)', () => {
  let moto: MotoServer;
  let events: EventBridgeClient;
  let sqs: SQSClient;
  let loadQueue: TestQueue;

  beforeAll(async () => {
    moto = await startMoto();
    events = new EventBridgeClient(moto.config);
    sqs = new SQSClient(moto.config);
    loadQueue = await createQueue(sqs, 'publisher-load-and-merge');
    const routes = routesFor(['floe-extract']).filter((route) => route.handler === 'load-and-merge');
    await ensureRules(events, BUS, routes, { 'load-and-merge': loadQueue.arn });
  });

  afterAll(async () => {
    events?.destroy();
    sqs?.destroy();
    await moto?.stop();
  });

  it('puts a valid event on the bus under the floe source', async () => {
    // Prepare
    const publisher = new EventBridgePublisher({ client: events, busName: BUS });
    const { detail } = eventFixture('raw-landed');

    // Act
    await publisher.publish(RAW_LANDED, detail as never); // JSON fixtures are checked at run time, as every event is

    // Assess
    const arrived = (await drainQueue(sqs, loadQueue)) as Array<Record<string, unknown>>;
    expect(arrived).toHaveLength(1);
    expect(arrived[0]).toMatchObject({ source: 'floe.pipeline', 'detail-type': RAW_LANDED, detail });
  });

  it('refuses a detail that breaks its contract before sending anything', async () => {
    // Prepare
    const publisher = new EventBridgePublisher({ client: events, busName: BUS });
    const { detail } = eventFixture('raw-landed');
    detail.totalRows = '1523';

    // Act
    const publishing = publisher.publish(RAW_LANDED, detail as never);

    // Assess
    await expect(publishing).rejects.toThrow(EventValidationError);
    await expect(publishing).rejects.toThrow('RawLanded: detail.totalRows: expected number, received string');
    expect(await drainQueue(sqs, loadQueue)).toEqual([]);
  });

  it('refuses a detail-type outside the contract', async () => {
    // Prepare
    const publisher = new EventBridgePublisher({ client: events, busName: BUS });

    // Act
    const publishing = publisher.publish('RawLandedd' as never, eventFixture('raw-landed').detail as never);

    // Assess
    await expect(publishing).rejects.toThrow(/^unknown detail-type "RawLandedd"/);
    expect(await drainQueue(sqs, loadQueue)).toEqual([]);
  });
});

describe('Runtime: EventBridgePublisher (stubbed client)', () => {
  // moto accepts every entry that passes the contract check, so a refused entry is simulated
  // here; this tests only the publisher's reading of PutEvents' answer.
  it('throws a retryable PublishError with the error code when EventBridge refuses the entry', async () => {
    // Prepare
    const answer: Partial<PutEventsCommandOutput> = {
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }],
    };
    const client = { send: () => Promise.resolve(answer) } as unknown as EventBridgeClient;
    const publisher = new EventBridgePublisher({ client });

    // Act
    const publishing = publisher.publish(RAW_LANDED, eventFixture('raw-landed').detail as never);

    // Assess
    await expect(publishing).rejects.toThrow(PublishError);
    await expect(publishing).rejects.toMatchObject({
      retryable: true,
      message:
        'EventBridge refused RawLanded of run r-20251105T120000Z-7f3a on bus "floe": ThrottlingException (Rate exceeded); it can be retried',
    });
  });

  it('throws a terminal PublishError when the function may not publish that detail-type', async () => {
    // Prepare: the IAM condition on events:detail-type refuses the entry (infra/published-events.ts)
    const answer: Partial<PutEventsCommandOutput> = {
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'NotAuthorizedForDetailTypeException', ErrorMessage: 'Not authorized for the detail type' }],
    };
    const client = { send: () => Promise.resolve(answer) } as unknown as EventBridgeClient;
    const publisher = new EventBridgePublisher({ client });

    // Act
    const publishing = publisher.publish(RAW_LANDED, eventFixture('raw-landed').detail as never);

    // Assess
    await expect(publishing).rejects.toMatchObject({ name: 'PublishError', retryable: false });
    await expect(publishing).rejects.toThrow(/NotAuthorizedForDetailTypeException .*retrying cannot help/);
  });
});
