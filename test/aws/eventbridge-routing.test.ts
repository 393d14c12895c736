import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';

import { GLUE_EVENT_SOURCE, handlersFor, parseEvent, routesFor, type HandlerName } from '../../events/index.js';
import { EventBridgePublisher } from '../../runtime/aws/eventbridge-publisher.js';
import { ensureRules } from '../../runtime/aws/eventbridge-rules.js';
import { EXTRACT_JOB_NAME, EXTRACT_SPARK_JOB_NAME } from '../../runtime/local/glue-runner.js';
import { eventFixture, type EventFixtureName, type EventJson } from '../fixtures/events/load.js';
import { startMoto, type MotoServer } from '../moto.js';
import { createQueue, drainQueue, type TestQueue } from './queues.js';

const BUS = 'floe-routing-test';
const HANDLERS: readonly HandlerName[] = ['start-ingest', 'glue-finished', 'load-and-merge', 'build-gold', 'check-after-merge'];
// Both extraction jobs, as the stack names them in its Glue rules (infra/floe-stack.ts).
const ROUTES = routesFor([EXTRACT_JOB_NAME, EXTRACT_SPARK_JOB_NAME]);

/** The routing table's answer for each fixture, spelled out. */
const EXPECTED: ReadonlyArray<[EventFixtureName, readonly HandlerName[]]> = [
  ['ingest-requested', ['start-ingest']],
  ['glue-started', []],
  ['glue-job-state-change', ['glue-finished']],
  ['raw-landed', ['load-and-merge']],
  ['stage-merged', ['build-gold', 'check-after-merge']],
  ['gold-built', []],
  ['ingest-failed', []],
  ['check-completed', []],
];

describe('Routing: EventBridge rules from the routing table (moto)', () => {
  let moto: MotoServer;
  let events: EventBridgeClient;
  let sqs: SQSClient;
  let publisher: EventBridgePublisher;
  const queues = new Map<HandlerName, TestQueue>();

  /** Puts an event as AWS itself would (Glue's state changes); floe's own go through the publisher. */
  async function putAwsEvent(event: EventJson): Promise<void> {
    const output = await events.send(
      new PutEventsCommand({
        Entries: [{ EventBusName: BUS, Source: String(event['source']), DetailType: String(event['detail-type']), Detail: JSON.stringify(event.detail) }],
      }),
    );
    expect(output.FailedEntryCount).toBe(0);
  }

  async function publish(event: EventJson): Promise<void> {
    if (event['source'] === GLUE_EVENT_SOURCE) await putAwsEvent(event);
    else await publisher.publish(String(event['detail-type']) as never, event.detail as never);
  }

  /** What arrived in each handler's queue since the last call. */
  async function delivered(): Promise<Map<HandlerName, unknown[]>> {
    const arrived = new Map<HandlerName, unknown[]>();
    for (const [handler, queue] of queues) arrived.set(handler, await drainQueue(sqs, queue));
    return arrived;
  }

  beforeAll(async () => {
    moto = await startMoto();
    events = new EventBridgeClient(moto.config);
    sqs = new SQSClient(moto.config);
    publisher = new EventBridgePublisher({ client: events, busName: BUS });
    const targets: Partial<Record<HandlerName, string>> = {};
    for (const handler of HANDLERS) {
      const queue = await createQueue(sqs, `routing-${handler}`);
      queues.set(handler, queue);
      targets[handler] = queue.arn;
    }
    await ensureRules(events, BUS, ROUTES, targets);
  });

  afterAll(async () => {
    events?.destroy();
    sqs?.destroy();
    await moto?.stop();
  });

  it('spells out the same handlers as the local bus would pick', () => {
    // Act
    const fromTable = EXPECTED.map(([name]) => [name, handlersFor(parseEvent(eventFixture(name)), ROUTES)]);

    // Assess
    expect(fromTable).toEqual(EXPECTED.map(([name, handlers]) => [name, [...handlers]]));
  });

  it.each(EXPECTED.map(([name, handlers]) => [name, handlers.length === 0 ? 'no queue at all' : handlers.join(' and '), handlers] as const))(
    'delivers %s to %s, and to no other queue',
    async (name, _label, handlers) => {
      // Prepare
      const event = eventFixture(name);

      // Act
      await publish(event);

      // Assess
      const arrived = await delivered();
      for (const other of HANDLERS) {
        expect([other, arrived.get(other)?.length]).toEqual([other, handlers.includes(other) ? 1 : 0]);
      }
      for (const handler of handlers) {
        // moto's default target input drops the envelope's `account` (real EventBridge delivers it); restore it to parse.
        const body = arrived.get(handler)?.[0] as Record<string, unknown>;
        const received = parseEvent({ account: '123456789012', ...body });
        expect(received['detail-type']).toBe(event['detail-type']);
        expect(received.source).toBe(event['source']);
        expect(received.detail).toEqual(event.detail);
      }
    },
  );

  it.each(['FAILED', 'TIMEOUT', 'STOPPED', 'ERROR'])("delivers the floe job's %s state change to glue-finished", async (state) => {
    // Prepare
    const event = eventFixture('glue-job-state-change');
    event.detail.state = state;

    // Act
    await putAwsEvent(event);

    // Assess
    const arrived = await delivered();
    expect(HANDLERS.map((handler) => arrived.get(handler)?.length)).toEqual([0, 1, 0, 0, 0]);
  });

  it.each(['SUCCEEDED', 'FAILED', 'TIMEOUT'])("delivers the Spark job's %s state change to glue-finished, as the Python job's", async (state) => {
    // Prepare
    const event = eventFixture('glue-job-state-change');
    event.detail.jobName = EXTRACT_SPARK_JOB_NAME;
    event.detail.state = state;

    // Act
    await putAwsEvent(event);

    // Assess
    const arrived = await delivered();
    expect(HANDLERS.map((handler) => arrived.get(handler)?.length)).toEqual([0, 1, 0, 0, 0]);
    expect((arrived.get('glue-finished')?.[0] as { detail: { jobName: string } }).detail.jobName).toBe(EXTRACT_SPARK_JOB_NAME);
  });

  it('delivers nothing for a state change of another Glue job', async () => {
    // Prepare
    const event = eventFixture('glue-job-state-change');
    event.detail.jobName = 'someone-elses-job';

    // Act
    await putAwsEvent(event);

    // Assess
    const arrived = await delivered();
    expect(HANDLERS.map((handler) => arrived.get(handler)?.length)).toEqual([0, 0, 0, 0, 0]);
  });

  it('delivers nothing for a RUNNING state change of the floe job', async () => {
    // Prepare
    const event = eventFixture('glue-job-state-change');
    event.detail.state = 'RUNNING';

    // Act
    await putAwsEvent(event);

    // Assess
    const arrived = await delivered();
    expect(HANDLERS.map((handler) => arrived.get(handler)?.length)).toEqual([0, 0, 0, 0, 0]);
  });

  it('delivers nothing for a floe detail-type sent under another source', async () => {
    // Prepare
    const event = eventFixture('raw-landed');
    event['source'] = 'someone.else';

    // Act
    await putAwsEvent(event);

    // Assess
    const arrived = await delivered();
    expect(HANDLERS.map((handler) => arrived.get(handler)?.length)).toEqual([0, 0, 0, 0, 0]);
  });
});
