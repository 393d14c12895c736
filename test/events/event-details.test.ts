import { parseEvent } from '../../events/index.js';
import { eventFixture } from '../fixtures/events/load.js';

describe('Event: IngestRequested', () => {
  it('parses without the optional mode, requestedBy and requestId', () => {
    // Prepare
    const event = eventFixture('ingest-requested');
    delete event.detail.mode;
    delete event.detail.requestedBy;
    delete event.detail.requestId;

    // Act
    const parsed = parseEvent(event);

    // Assess
    expect(parsed.detail).toEqual({
      runId: 'r-20251105T120000Z-7f3a',
      source: 'clr',
      table: 'clr.availed_coupon_snapshots',
      publishedAt: '2025-11-05T12:00:00.000Z',
    });
  });

  it('throws if mode is neither full nor incremental', () => {
    // Prepare
    const event = eventFixture('ingest-requested');
    event.detail.mode = 'cdc';

    // Act & Assess
    expect(() => parseEvent(event)).toThrow('IngestRequested: detail.mode: Invalid option');
  });
});

describe('Event: GlueStarted', () => {
  it('accepts a null watermark on a first run', () => {
    // Prepare
    const event = eventFixture('glue-started');
    event.detail.watermark = null;

    // Act
    const parsed = parseEvent(event);

    // Assess
    expect(parsed.detail).toMatchObject({ watermark: null });
  });

  it('throws if rawRoot embeds credentials', () => {
    // Prepare
    const event = eventFixture('glue-started');
    event.detail.rawRoot = 'https://floe:s3cret@minio.internal:9000/raw';

    // Act & Assess
    expect(() => parseEvent(event)).toThrow('GlueStarted: detail.rawRoot: must not contain credentials');
  });
});

describe('Event: Glue Job State Change', () => {
  it('keeps extra fields AWS adds to the detail', () => {
    // Prepare
    const event = eventFixture('glue-job-state-change');
    event.detail.notificationCondition = { NotifyDelayAfter: 10 };

    // Act
    const parsed = parseEvent(event);

    // Assess
    expect(parsed.detail).toMatchObject({ notificationCondition: { NotifyDelayAfter: 10 } });
  });

  it('throws if the state is not one Glue reports', () => {
    // Prepare
    const event = eventFixture('glue-job-state-change');
    event.detail.state = 'DONE';

    // Act & Assess
    expect(() => parseEvent(event)).toThrow('Glue Job State Change: detail.state: Invalid option');
  });
});

describe('Event: RawLanded', () => {
  it('throws if totalRows is negative', () => {
    // Prepare
    const event = eventFixture('raw-landed');
    event.detail.totalRows = -1;

    // Act & Assess
    expect(() => parseEvent(event)).toThrow('RawLanded: detail.totalRows: Too small: expected number to be >=0');
  });

  it('throws if totalRows is a string', () => {
    // Prepare
    const event = eventFixture('raw-landed');
    event.detail.totalRows = '1523';

    // Act & Assess
    expect(() => parseEvent(event)).toThrow('RawLanded: detail.totalRows: expected number, received string');
  });

  it('throws if fileCount is not an integer', () => {
    // Prepare
    const event = eventFixture('raw-landed');
    event.detail.fileCount = 1.5;

    // Act & Assess
    expect(() => parseEvent(event)).toThrow('RawLanded: detail.fileCount: expected int, received number');
  });
});

describe('Event: StageMerged', () => {
  it('throws if noChange is missing', () => {
    // Prepare
    const event = eventFixture('stage-merged');
    delete event.detail.noChange;

    // Act & Assess
    expect(() => parseEvent(event)).toThrow('StageMerged: detail.noChange: expected boolean, received undefined');
  });

  it('throws if a count is negative', () => {
    // Prepare
    const event = eventFixture('stage-merged');
    event.detail.deleted = -3;

    // Act & Assess
    expect(() => parseEvent(event)).toThrow('StageMerged: detail.deleted: Too small');
  });

  it('parses an event from before schema changes were reported (no schemaChanges)', () => {
    // Prepare
    const event = eventFixture('stage-merged');
    delete event.detail.schemaChanges;

    // Act
    const parsed = parseEvent(event);

    // Assess
    expect(parsed.detail).not.toHaveProperty('schemaChanges');
  });

  it('throws if a schema change is of an unknown kind', () => {
    // Prepare
    const event = eventFixture('stage-merged');
    event.detail.schemaChanges = [{ column: 'qty', change: 'shrunk' }];

    // Act & Assess
    expect(() => parseEvent(event)).toThrow('StageMerged: detail.schemaChanges.0.change: Invalid option');
  });
});

describe('Event: GoldBuilt', () => {
  it('accepts an empty model list', () => {
    // Prepare
    const event = eventFixture('gold-built');
    event.detail.models = [];

    // Act
    const parsed = parseEvent(event);

    // Assess
    expect(parsed.detail).toMatchObject({ models: [] });
  });

  it('throws naming the index of a model with an unknown status', () => {
    // Prepare
    const event = eventFixture('gold-built');
    const models = structuredClone(event.detail.models) as Array<Record<string, unknown>>;
    models[1] = { ...models[1], status: 'errored' };
    event.detail.models = models;

    // Act & Assess
    expect(() => parseEvent(event)).toThrow('GoldBuilt: detail.models.1.status: Invalid option');
  });
});

describe('Event: IngestFailed', () => {
  it('throws if step is not a step of the choreography', () => {
    // Prepare
    const event = eventFixture('ingest-failed');
    event.detail.step = 'glue-finished';

    // Act & Assess
    expect(() => parseEvent(event)).toThrow('IngestFailed: detail.step: Invalid option');
  });

  it('throws if retryable is missing', () => {
    // Prepare
    const event = eventFixture('ingest-failed');
    delete event.detail.retryable;

    // Act & Assess
    expect(() => parseEvent(event)).toThrow('IngestFailed: detail.retryable: expected boolean');
  });
});

describe('Event: EventRefused', () => {
  it('accepts a Glue state change of a job run no run recorded: no run, source or table, the job run named', () => {
    // Prepare
    const event = eventFixture('event-refused');
    Object.assign(event.detail, {
      runId: null, source: null, table: null, handler: 'glue-finished', refusedDetailType: 'Glue Job State Change',
      jobRunId: 'jr_4f1b9c2e', reason: 'no run has Glue job run jr_4f1b9c2e: floe records the job run id of every job it starts',
    });

    // Act
    const parsed = parseEvent(event);

    // Assess
    expect(parsed.detail).toMatchObject({ runId: null, source: null, table: null, jobRunId: 'jr_4f1b9c2e' });
  });

  it('throws if the handler is not one of the choreography', () => {
    // Prepare
    const event = eventFixture('event-refused');
    event.detail.handler = 'request-ingest';

    // Act & Assess
    expect(() => parseEvent(event)).toThrow('EventRefused: detail.handler: Invalid option');
  });

  it('throws if the reason is empty', () => {
    // Prepare
    const event = eventFixture('event-refused');
    event.detail.reason = '';

    // Act & Assess
    expect(() => parseEvent(event)).toThrow('EventRefused: detail.reason: Too small');
  });
});
