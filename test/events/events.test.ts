import { readFileSync } from 'node:fs';
import {
  CheckCompletedSchema,
  EventRefusedSchema,
  GlueJobStateChangeSchema,
  GlueStartedSchema,
  GoldBuiltSchema,
  IngestFailedSchema,
  IngestRequestedSchema,
  RawLandedSchema,
  StageMergedSchema,
  parseEvent,
} from '../../events/index.js';
import { eventFixture } from '../fixtures/events/load.js';

/** The JSON in the TSDoc `@example` of events/<name>.ts. */
function tsdocExample(name: string): unknown {
  const source = readFileSync(new URL(`../../events/${name}.ts`, import.meta.url), 'utf8');
  const block = /@example\n \* ```json\n([\s\S]*?)\n \* ```/.exec(source)?.[1];
  if (block === undefined) throw new Error(`events/${name}.ts has no @example json block`);
  return JSON.parse(block.replace(/^ \* ?/gm, ''));
}

const EVENTS = [
  ['IngestRequested', 'ingest-requested', IngestRequestedSchema],
  ['GlueStarted', 'glue-started', GlueStartedSchema],
  ['Glue Job State Change', 'glue-job-state-change', GlueJobStateChangeSchema],
  ['RawLanded', 'raw-landed', RawLandedSchema],
  ['StageMerged', 'stage-merged', StageMergedSchema],
  ['GoldBuilt', 'gold-built', GoldBuiltSchema],
  ['IngestFailed', 'ingest-failed', IngestFailedSchema],
  ['CheckCompleted', 'check-completed', CheckCompletedSchema],
  ['EventRefused', 'event-refused', EventRefusedSchema],
] as const;

describe.each(EVENTS)('Event: %s', (detailType, name, detailSchema) => {
  it('parses the fixture', () => {
    // Prepare
    const event = eventFixture(name);

    // Act
    const parsed = parseEvent(event);

    // Assess
    expect(parsed['detail-type']).toBe(detailType);
    expect(parsed).toEqual(event);
  });

  it('parses the fixture detail with its detail schema', () => {
    // Prepare
    const { detail } = eventFixture(name);

    // Act
    const parsed = detailSchema.parse(detail);

    // Assess
    expect(parsed).toEqual(detail);
  });

  it('has the same JSON in its TSDoc @example as in the fixture', () => {
    // Act
    const example = tsdocExample(name);

    // Assess
    expect(example).toEqual(eventFixture(name));
  });
});

describe.each(EVENTS.filter(([, name]) => name !== 'glue-job-state-change'))('Event: %s, fields every floe event has', (detailType, name) => {
  it.each(['runId', 'source', 'table', 'publishedAt'])('throws if %s is missing', (field) => {
    // Prepare
    const event = eventFixture(name);
    delete event.detail[field];

    // Act & Assess
    expect(() => parseEvent(event)).toThrow(`${detailType}: detail.${field}: expected string, received undefined`);
  });

  it.each(['', '../../etc/passwd', 'runs/1', '.hidden'])('throws if runId is %j, which could not name a file under the raw root', (runId) => {
    // Prepare
    const event = eventFixture(name);
    event.detail.runId = runId;

    // Act & Assess
    expect(() => parseEvent(event)).toThrow(`${detailType}: detail.runId: expected a letter or digit, then at most 127 letters, digits and _ . = -`);
  });

  it('throws if publishedAt is not an ISO datetime', () => {
    // Prepare
    const event = eventFixture(name);
    event.detail.publishedAt = '05/11/2025 12:00';

    // Act & Assess
    expect(() => parseEvent(event)).toThrow(`${detailType}: detail.publishedAt: Invalid ISO datetime`);
  });

  it('throws if the EventBridge source is not floe.pipeline', () => {
    // Prepare
    const event = { ...eventFixture(name), source: 'aws.glue' };

    // Act & Assess
    expect(() => parseEvent(event)).toThrow(`${detailType}: source: expected "floe.pipeline"`);
  });
});
